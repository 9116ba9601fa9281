// Account section "Service auth token" (Tools tab): a short-lived token that proves the account to
// another service, either from the PDS (online) or signed here with a key (a stored one, or one
// pasted for this token only). Everything shown comes from the server or the shell: text only.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, slowNote, mono, muted, row } from '../widgets/dom.js';
import { field, fieldError, markInvalid, passwordInput, panelCard } from '../widgets/forms.js';
import { LOOKS_LIKE_DID } from '../widgets/format.js';
import { PASTE, storedKeys } from './keys.js';

const LOOKS_LIKE_NSID = /^[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\.[A-Za-z][A-Za-z0-9]*$/;

/** A JWT time claim (unix seconds; tolerate ms or ISO strings) → Date, or null. */
function claimDate(value) {
  let d = null;
  if (typeof value === 'number' && Number.isFinite(value)) d = new Date(value < 1e12 ? value * 1000 : value);
  else if (typeof value === 'string' && value) d = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

function timeClaim(value, { testid }) {
  const d = claimDate(value);
  if (!d) return value === undefined || value === null ? muted('—') : mono(String(value));
  const local = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return h('span', { 'data-testid': testid, 'data-value': String(value), title: `${value} (${d.toISOString()})` }, local);
}

/** A copy button with a text label, confirming "Copied" for a moment. */
function copyTextButton(getText, props) {
  const btn = button('Copy', { iconName: 'copy', ...props });
  btn.addEventListener('click', async () => {
    let ok = true;
    try {
      await navigator.clipboard.writeText(getText());
    } catch {
      ok = false;
    }
    btn.querySelector('.btn-label').textContent = ok ? 'Copied' : 'Could not copy';
    btn.classList.toggle('is-copied', ok);
    clearTimeout(btn._t);
    btn._t = setTimeout(() => {
      btn.querySelector('.btn-label').textContent = 'Copy';
      btn.classList.remove('is-copied');
    }, 1800);
  });
  return btn;
}

export function mount(parent, ctx, acct, { announce }) {
  const { did } = acct;
  const modeName = nextId('sa-mode');
  const modeLabel = nextId('sa-mode-label');
  const modeOption = (value, label, iconName, checked) => {
    const id = nextId('sa-mode');
    return h('label', { class: 'segment', for: id, 'data-testid': `service-auth-mode-${value}` },
      h('input', { id, type: 'radio', name: modeName, value, checked, class: 'segment-input' }),
      h('span', { class: 'segment-label' }, icon(iconName, 'segment-icon'), label));
  };
  const modes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-labelledby': modeLabel, 'data-testid': 'service-auth-mode' },
    modeOption('online', 'From your PDS', 'server', true),
    modeOption('offline', 'Sign here with a key', 'key', false));

  const aud = h('input', {
    name: 'aud', type: 'text', class: 'input input--mono', required: true,
    autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'did:web:pds.example.com',
  });
  const lxm = h('input', {
    name: 'lxm', type: 'text', class: 'input input--mono',
    autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'com.atproto.server.createAccount',
  });
  const duration = h('input', {
    name: 'durationSec', type: 'number', class: 'input input--number', required: true,
    min: '1', step: '1', value: '60', inputmode: 'numeric',
  });
  const key = passwordInput('signingKey', { autocomplete: 'off', spellcheck: 'false', placeholder: 'z…', class: 'input input--mono' });
  const iss = h('input', {
    name: 'iss', type: 'text', class: 'input input--mono', required: true, value: did,
    autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
  });
  // Keys held in the keychain can sign without their secret ever reaching this window.
  const stored = storedKeys(ctx);
  const keySource = stored.select;
  const pasteField = field({ label: 'Signing key', input: key.input, trailing: key.reveal,
    help: h('span', {}, 'The private key, multibase-encoded (it starts with “z”). ', h('strong', {}, 'Used only for this token; never saved.')) });
  const keySourceField = stored.field;
  const loadKeys = stored.load;
  keySource.addEventListener('change', () => {
    pasteField.hidden = keySource.value !== PASTE;
    if (!pasteField.hidden) key.input.value = '';
    errorSlot.replaceChildren();
  });
  const offlineFields = h('div', { class: 'tool-offline', 'data-testid': 'service-auth-offline', hidden: true },
    keySourceField,
    pasteField,
    field({ label: 'Issuer', input: iss, help: 'The DID the token speaks for. This account’s DID unless you change it.' }));

  const errorSlot = h('div', { class: 'error-slot' });
  const resultSlot = h('div', { class: 'tool-result-slot' });
  const submit = button('Get token', { variant: 'primary', type: 'submit', iconName: 'ticket', 'data-testid': 'service-auth-submit' });
  const form = h('form', { class: 'form tool-form', 'data-testid': 'service-auth-form', novalidate: true },
    h('div', { class: 'field' },
      h('span', { class: 'field-label', id: modeLabel }, 'Where the token comes from'),
      modes),
    field({ label: 'Audience', input: aud, help: 'The service that will accept the token: its DID, such as did:web:… for a PDS.' }),
    h('div', { class: 'field-pair' },
      field({ label: h('span', {}, 'Method ', h('span', { class: 'field-optional' }, '(optional)')), input: lxm,
        help: 'Limit the token to one API method (an NSID).', props: { class: 'field field--grow' } }),
      field({ label: 'Valid for (seconds)', input: duration, props: { class: 'field field--duration' } })),
    offlineFields,
    errorSlot,
    h('div', { class: 'form-actions' }, slowNote('Still waiting for your PDS…'), submit));

  const mode = () => form.querySelector(`input[name="${modeName}"]:checked`)?.value || 'online';
  modes.addEventListener('change', () => {
    const offline = mode() === 'offline';
    offlineFields.hidden = !offline;
    if (offline) loadKeys();
    submit.querySelector('.btn-label').textContent = offline ? 'Sign token' : 'Get token';
    errorSlot.replaceChildren();
    if (!offline) key.input.value = '';
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.classList.contains('is-busy')) return;
    errorSlot.replaceChildren();
    const offline = mode() === 'offline';
    const audValue = aud.value.trim();
    const lxmValue = lxm.value.trim();
    const secs = Number(duration.value);
    if (!audValue) return fieldError(aud, errorSlot, 'Enter the audience: the DID of the service that will accept the token.');
    if (!LOOKS_LIKE_DID.test(audValue)) return fieldError(aud, errorSlot, `“${audValue}” is not a DID. It looks like did:web:pds.example.com or did:plc:….`);
    if (lxmValue && !LOOKS_LIKE_NSID.test(lxmValue)) return fieldError(lxm, errorSlot, `“${lxmValue}” is not a method name. It looks like com.atproto.server.createAccount, or leave it empty.`);
    if (!Number.isInteger(secs) || secs < 1) return fieldError(duration, errorSlot, 'Enter how long the token is valid, in whole seconds (for example 60).');
    let issValue = null;
    if (offline) {
      if (keySource.value === PASTE && !key.input.value.trim()) return fieldError(key.input, errorSlot, 'Enter the private key to sign with.');
      issValue = iss.value.trim();
      if (!LOOKS_LIKE_DID.test(issValue)) return fieldError(iss, errorSlot, 'Enter the issuer’s DID (this account’s DID, normally).');
    }

    setBusy(submit, true, offline ? 'Signing…' : 'Getting token…');
    form.classList.add('is-busy');
    const inputs = [aud, lxm, duration, key.input, iss];
    inputs.forEach((i) => { i.readOnly = true; });
    modes.querySelectorAll('input').forEach((i) => { i.disabled = true; });
    keySource.disabled = true;
    try {
      const args = { aud: audValue, lxm: lxmValue || null, durationSec: secs };
      const result = offline
        ? await api.serviceAuthOffline(keySource.value === PASTE
          ? { ...args, signingKey: key.input.value.trim(), iss: issValue }
          : { ...args, storedKey: keySource.value, iss: issValue })
        : await api.serviceAuthOnline(did, args);
      if (ctx.signal.aborted) return;
      key.input.value = '';
      showToken(result);
    } catch (err) {
      if (ctx.signal.aborted) return;
      resultSlot.replaceChildren();
      errorSlot.replaceChildren(errorBox(err));
      const target = /aud/i.test(err.code || '') ? aud : /lxm|method/i.test(err.code || '') ? lxm
        : /duration|exp/i.test(err.code || '') ? duration : /key/i.test(err.code || '') && offline ? (keySource.value === PASTE ? key.input : keySource)
          : /iss/i.test(err.code || '') && offline ? iss : null;
      if (target) markInvalid(target);
      else submit.focus();
    } finally {
      if (!ctx.signal.aborted) {
        setBusy(submit, false);
        form.classList.remove('is-busy');
        inputs.forEach((i) => { i.readOnly = false; });
        modes.querySelectorAll('input').forEach((i) => { i.disabled = false; });
        keySource.disabled = false;
      }
    }
  });

  function showToken(result) {
    const claims = result?.claims || {};
    const titleId = nextId('sa-result');
    const expires = claimDate(claims.exp);
    const copy = copyTextButton(() => result.token, { 'data-testid': 'service-auth-copy', 'aria-label': 'Copy token' });
    const close = h('button', {
      type: 'button', class: 'icon-btn icon-btn--sm tool-result-close', 'aria-label': 'Clear token', title: 'Clear token',
      onclick: () => { resultSlot.replaceChildren(); submit.focus(); },
    }, icon('x'));
    const box = h('section', { class: 'tool-result', 'data-testid': 'service-auth-result', 'aria-labelledby': titleId },
      h('header', { class: 'tool-result-head' },
        h('span', { class: 'done-icon' }, icon('check')),
        h('div', { class: 'tool-result-heading' },
          h('h3', { class: 'tool-result-title', id: titleId, tabindex: '-1' }, result.signingKey ? 'Token signed' : 'Token ready'),
          h('p', { class: 'muted' }, expires
            ? `Valid until ${expires.toLocaleTimeString(undefined, { timeStyle: 'short' })}. Treat it like a password until then.`
            : 'Treat it like a password until it expires.')),
        close),
      h('div', { class: 'token-row' },
        h('code', { class: 'token mono selectable', 'data-testid': 'service-auth-token', 'aria-label': 'Service auth token' }, String(result.token ?? '')),
        copy),
      h('dl', { class: 'rows claims', 'data-testid': 'service-auth-claims' },
        row('Issuer', claims.iss ? mono(claims.iss) : muted('—'), { 'data-claim': 'iss' }),
        row('Audience', claims.aud ? mono(claims.aud) : muted('—'), { 'data-claim': 'aud' }),
        row('Method', claims.lxm ? mono(claims.lxm) : muted('Any method'), { 'data-claim': 'lxm' }),
        row('Issued', timeClaim(claims.iat, { testid: 'service-auth-iat' }), { 'data-claim': 'iat' }),
        row('Expires', timeClaim(claims.exp, { testid: 'service-auth-exp' }), { 'data-claim': 'exp' }),
        row('Algorithm', claims.alg ? mono(claims.alg) : muted('—'), { 'data-claim': 'alg' }),
        claims.jti ? row('Token ID', mono(claims.jti), { 'data-claim': 'jti' }) : null,
        result.signingKey ? row('Signed with', mono(result.signingKey), { 'data-claim': 'signingKey' }) : null));
    resultSlot.replaceChildren(box);
    announce(result.signingKey ? 'Token signed.' : 'Token ready.');
    box.scrollIntoView({ block: 'nearest' });
    copy.focus({ preventScroll: true });
  }

  parent.append(panelCard({
    iconName: 'ticket',
    title: 'Service auth token',
    text: 'A short-lived token that proves you to another service, for example a new PDS when you move your account.',
    testid: 'service-auth-card',
    children: [h('div', { class: 'tool-body' }, form, resultSlot)],
  }));
}
