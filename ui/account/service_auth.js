// Account screen, "Tools" tab: service auth tokens (online from the PDS, or signed here with a
// key), missing blobs (check, then repair from another PDS) and a backup into a folder.
//
// Repair and backup are long jobs: each call carries a jobId made here, the backend emits
// `job-progress` {jobId, step, done, total|null} while it runs, and `cancel_job` makes the call
// reject with code `cancelled`. Everything shown comes from the server or the backend: text only.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, slowNote } from '../widgets/dom.js';
import { field, fieldError, markInvalid, passwordInput, panelCard } from '../widgets/forms.js';

const CANCELLED = 'cancelled';
const LOOKS_LIKE_DID = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;
const LOOKS_LIKE_NSID = /^[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\.[A-Za-z][A-Za-z0-9]*$/;
const MAX_ROWS = 200; // missing blobs listed; the rest are counted

// The last backup folder per account, so a rerun (which resumes) is one click. Memory only.
const lastFolder = new Map();

const mono = (text) => h('span', { class: 'mono selectable' }, text);
const muted = (text) => h('span', { class: 'muted' }, text);
const plural = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

function row(label, value, props = {}) {
  return h('div', { class: 'row', ...props }, h('dt', {}, label), h('dd', {}, value));
}

export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return null;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString()} ${units[i]}`;
}

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

/**
 * Progress of one job: a <progress> bar, "n of m" text and a Cancel button.
 * `describe(payload)` → {text, value|null, max|null} (null value: indeterminate).
 */
function jobProgressView({ title, describe, onCancel }) {
  const bar = h('progress', { class: 'job-bar', 'data-testid': 'job-progress', max: '1' });
  bar.removeAttribute('value');
  const textId = nextId('job');
  const text = h('span', { class: 'job-text', id: textId, 'aria-live': 'polite' }, 'Starting…');
  bar.setAttribute('aria-labelledby', textId);
  const cancel = button('Cancel', { size: 'sm', 'data-testid': 'job-cancel', onclick: () => onCancel(cancel) });
  const el = h('div', { class: 'job', role: 'group', 'aria-label': title, 'data-testid': 'job' },
    h('div', { class: 'job-head' },
      h('span', { class: 'job-title' }, title),
      h('span', { class: 'job-status' }, text),
      cancel),
    bar);
  return {
    el,
    cancel,
    update(payload) {
      const { text: t, value = null, max = null, step = null } = describe(payload);
      text.textContent = t;
      if (step) el.dataset.step = step;
      if (typeof value === 'number' && typeof max === 'number' && max > 0) {
        bar.max = max;
        bar.value = Math.min(value, max);
        bar.dataset.done = String(value);
        bar.dataset.total = String(max);
      } else {
        bar.removeAttribute('value');
        delete bar.dataset.total;
        if (typeof value === 'number') bar.dataset.done = String(value);
      }
    },
  };
}

export function mount(panel, ctx, acct) {
  const { did } = acct;
  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'tools-status' });
  const announce = (text) => { status.textContent = text; };

  // Jobs running from this tab: cancelled when the account screen is left (a backup resumes later).
  const running = new Set();
  ctx.signal.addEventListener('abort', () => {
    for (const jobId of running) api.cancelJob(jobId).catch(() => {});
    running.clear();
  });

  /** Run a job: listen for its progress first, then call `start(jobId)`. */
  async function runJob(start, onProgress) {
    const jobId = crypto.randomUUID();
    const unlisten = await api.on('job-progress', (p) => {
      if (p && p.jobId === jobId && !ctx.signal.aborted) onProgress(p);
    });
    running.add(jobId);
    try {
      return await start(jobId);
    } finally {
      running.delete(jobId);
      unlisten();
    }
  }

  async function cancelJob(jobId, btn, errorSlot) {
    if (!jobId) return;
    setBusy(btn, true, 'Cancelling…');
    try {
      await api.cancelJob(jobId);
    } catch (err) {
      if (ctx.signal.aborted) return;
      setBusy(btn, false);
      errorSlot.replaceChildren(errorBox(err));
    }
  }

  const serviceAuth = serviceAuthCard();
  const blobs = missingBlobsCard();
  const backup = backupCard();
  const move = button('Move to another server…', { iconName: 'server', 'data-testid': 'migration-open-wizard' });
  move.addEventListener('click', () => ctx.go('migrate', { did }));
  const moveCard = panelCard({
    iconName: 'server', title: 'Move to another server', testid: 'migration-card',
    text: 'Copy everything to a new PDS, verify it, then point your identity there. Your followers stay.',
    children: [h('div', { class: 'tool-body' }, h('div', { class: 'form-actions' }, move))],
  });
  panel.replaceChildren(h('div', { class: 'tools-section', 'data-testid': 'tools-section' },
    serviceAuth.el, blobs.el, backup.el, moveCard, status));

  /* =====================================================================
   * Service auth token
   * ===================================================================== */
  function serviceAuthCard() {
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
    const PASTE = '';
    const keySource = h('select', { name: 'storedKey', class: 'input select input--mono', 'data-testid': 'service-auth-key-source' },
      h('option', { value: PASTE }, 'Paste a private key'));
    const pasteField = field({ label: 'Signing key', input: key.input, trailing: key.reveal,
      help: h('span', {}, 'The private key, multibase-encoded (it starts with “z”). ', h('strong', {}, 'Used only for this token; never saved.')) });
    const keySourceField = field({ label: 'Key', input: keySource,
      help: 'A key kept in your system keychain, or one you paste for this token only.' });
    keySourceField.hidden = true;
    let keysLoaded = false;
    async function loadKeys() {
      if (keysLoaded) return;
      keysLoaded = true;
      try {
        const stored = await api.keysList();
        if (ctx.signal.aborted || !stored?.length) return;
        keySource.append(...stored.map((k) => h('option', { value: k.didKey }, `${k.didKey} (${k.type})`)));
        keySourceField.hidden = false;
      } catch {
        keysLoaded = false; // the keychain may be locked; pasting still works
      }
    }
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

    return {
      el: panelCard({
        iconName: 'ticket',
        title: 'Service auth token',
        text: 'A short-lived token that proves you to another service, for example a new PDS when you move your account.',
        testid: 'service-auth-card',
        children: [h('div', { class: 'tool-body' }, form, resultSlot)],
      }),
    };
  }

  /* =====================================================================
   * Missing blobs: check, then repair from another PDS
   * ===================================================================== */
  function missingBlobsCard() {
    let missing = null; // [{cid, recordUri}] after a check
    let checking = false;
    let jobId = null;

    const check = button('Check', { iconName: 'search', 'data-testid': 'missing-blobs-check' });
    const checkError = h('div', { class: 'error-slot' });
    const listSlot = h('div', { class: 'blob-list-slot', 'aria-live': 'polite' });

    const sourcePds = h('input', {
      name: 'sourcePds', type: 'url', class: 'input input--mono', required: true,
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'https://old-pds.example.com',
    });
    const sourceDid = h('input', {
      name: 'sourceDid', type: 'text', class: 'input input--mono',
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: did,
    });
    const repairError = h('div', { class: 'error-slot' });
    const progressSlot = h('div', { class: 'job-slot' });
    const resultSlot = h('div', { class: 'tool-result-slot' });
    const submit = button('Repair', { variant: 'primary', type: 'submit', iconName: 'download', 'data-testid': 'repair-submit' });
    const repairTitle = nextId('repair');
    const form = h('form', { class: 'form tool-form tool-form--sub', 'data-testid': 'repair-form', novalidate: true, 'aria-labelledby': repairTitle },
      h('div', { class: 'sub-head' },
        h('h3', { class: 'sub-title', id: repairTitle }, 'Repair from another PDS'),
        h('p', { class: 'field-help' }, 'Stratos downloads each missing blob from a server that still has it, such as your previous PDS after a move, and uploads it to your current one.')),
      field({ label: 'Source PDS', input: sourcePds, help: 'The address of the server to copy from.' }),
      field({ label: h('span', {}, 'Source DID ', h('span', { class: 'field-optional' }, '(optional)')), input: sourceDid,
        help: 'The account on that server that has the blobs, if it is not this DID.' }),
      repairError,
      progressSlot,
      h('div', { class: 'form-actions' }, submit));

    check.addEventListener('click', () => runCheck({ focus: true }));

    async function runCheck({ focus = false } = {}) {
      if (checking) return;
      checking = true;
      checkError.replaceChildren();
      setBusy(check, true, 'Checking…');
      listSlot.setAttribute('aria-busy', 'true');
      listSlot.classList.toggle('is-stale', !!missing);
      try {
        const result = await api.missingBlobs(did);
        if (ctx.signal.aborted) return;
        missing = Array.isArray(result) ? result : [];
        renderList();
        announce(missing.length ? `${plural(missing.length, 'blob')} missing.` : 'No blobs missing.');
        if (focus) listSlot.querySelector('[tabindex="-1"]')?.focus({ preventScroll: true });
      } catch (err) {
        if (ctx.signal.aborted) return;
        checkError.replaceChildren(errorBox(err, {
          action: button('Try again', { size: 'sm', iconName: 'refresh', onclick: () => runCheck({ focus: true }) }),
        }));
        if (focus) check.focus();
      } finally {
        if (!ctx.signal.aborted) {
          checking = false;
          setBusy(check, false);
          listSlot.removeAttribute('aria-busy');
          listSlot.classList.remove('is-stale');
        }
      }
    }

    function renderList() {
      if (!missing) return listSlot.replaceChildren();
      if (!missing.length) {
        listSlot.replaceChildren(h('div', { class: 'blob-none', 'data-testid': 'missing-blobs-none' },
          icon('check', 'blob-none-icon'),
          h('div', {},
            h('p', { class: 'strong', tabindex: '-1' }, 'None missing'),
            h('p', { class: 'muted' }, 'Every file your records point to is on your PDS.'))));
        return;
      }
      const shown = missing.slice(0, MAX_ROWS);
      listSlot.replaceChildren(h('div', { class: 'blob-found' },
        h('p', { class: 'blob-count', 'data-testid': 'missing-blobs-count', 'data-count': String(missing.length), tabindex: '-1' },
          icon('alert', 'blob-count-icon'),
          h('span', {}, h('strong', {}, `${plural(missing.length, 'blob')} missing`),
            ' — records point to files your PDS doesn’t have. Repair them from a server that still does.')),
        h('ul', { class: 'blob-list', 'data-testid': 'missing-blob-list', 'aria-label': 'Missing blobs' },
          shown.map((b) => h('li', { class: 'blob-row', 'data-testid': 'missing-blob-row', 'data-cid': String(b.cid ?? '') },
            h('span', { class: 'ap-icon' }, icon('image')),
            h('div', { class: 'blob-text' },
              h('span', { class: 'mono selectable blob-cid' }, String(b.cid ?? '')),
              b.recordUri ? h('span', { class: 'mono selectable blob-uri' }, String(b.recordUri)) : muted('No record listed'))))),
        missing.length > shown.length
          ? h('p', { class: 'muted blob-more' }, `And ${plural(missing.length - shown.length, 'more blob')} not listed here.`)
          : null));
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (jobId) return;
      repairError.replaceChildren();
      let source = sourcePds.value.trim();
      if (!source) return fieldError(sourcePds, repairError, 'Enter the address of the PDS to copy the blobs from.');
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) source = `https://${source}`;
      let url;
      try {
        url = new URL(source);
      } catch {
        url = null;
      }
      if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
        return fieldError(sourcePds, repairError, `“${sourcePds.value.trim()}” is not a server address. It looks like https://pds.example.com.`);
      }
      const srcDid = sourceDid.value.trim();
      if (srcDid && !LOOKS_LIKE_DID.test(srcDid)) return fieldError(sourceDid, repairError, `“${srcDid}” is not a DID. Leave it empty to use this account’s DID.`);

      resultSlot.replaceChildren();
      setBusy(submit, true, 'Repairing…');
      form.classList.add('is-busy');
      sourcePds.readOnly = true;
      sourceDid.readOnly = true;
      check.disabled = true;
      const progress = jobProgressView({
        title: 'Repairing blobs',
        describe: (p) => ({
          step: p.step,
          text: typeof p.total === 'number' ? `${Number(p.done || 0).toLocaleString()} of ${Number(p.total).toLocaleString()}` : `${Number(p.done || 0).toLocaleString()} so far`,
          value: Number(p.done || 0),
          max: typeof p.total === 'number' ? p.total : null,
        }),
        onCancel: (btn) => cancelJob(jobId, btn, repairError),
      });
      progressSlot.replaceChildren(progress.el);
      progress.cancel.focus();
      let focusAfter = submit;
      try {
        const result = await runJob((id) => {
          jobId = id;
          return api.repairBlobs(did, { sourcePds: url.href.replace(/\/$/, ''), sourceDid: srcDid || null, jobId: id });
        }, (p) => progress.update(p));
        if (ctx.signal.aborted) return;
        focusAfter = showRepaired(result);
        runCheck();
      } catch (err) {
        if (ctx.signal.aborted) return;
        const cancelled = err.code === CANCELLED;
        repairError.replaceChildren(errorBox(cancelled
          ? { ...err, message: err.message || 'Repair cancelled', hint: err.hint || 'Blobs repaired before you cancelled stay repaired. Check again to see what is left.' }
          : err, { tone: cancelled ? 'warning' : 'danger' }));
        if (!cancelled && /source|pds|url|host/i.test(err.code || '')) {
          markInvalid(sourcePds, { focus: false });
          focusAfter = sourcePds;
        }
        if (cancelled) runCheck();
      } finally {
        if (!ctx.signal.aborted) {
          jobId = null;
          progressSlot.replaceChildren();
          setBusy(submit, false);
          form.classList.remove('is-busy');
          sourcePds.readOnly = false;
          sourceDid.readOnly = false;
          check.disabled = checking;
          focusAfter?.focus({ preventScroll: false });
        }
      }
    });

    function showRepaired(result) {
      const repaired = Array.isArray(result?.repaired) ? result.repaired : [];
      const failed = Array.isArray(result?.failed) ? result.failed : [];
      const titleId = nextId('repaired');
      const ok = failed.length === 0;
      const title = h('h3', { class: 'tool-result-title', id: titleId, tabindex: '-1' },
        repaired.length || !failed.length ? `Repaired ${plural(repaired.length, 'blob')}` : 'No blobs repaired');
      const box = h('section', {
        class: `tool-result${ok ? '' : ' tool-result--warning'}`, 'data-testid': 'repair-result', 'aria-labelledby': titleId,
        'data-repaired': String(repaired.length), 'data-failed': String(failed.length),
      },
      h('header', { class: 'tool-result-head' },
        h('span', { class: `done-icon${ok ? '' : ' done-icon--warning'}` }, icon(ok ? 'check' : 'alert')),
        h('div', { class: 'tool-result-heading' },
          title,
          h('p', { class: 'muted' }, failed.length
            ? `${plural(failed.length, 'blob')} could not be copied from ${hostLabel(result?.sourcePds)}.`
            : `Copied from ${hostLabel(result?.sourcePds)}.`))),
      failed.length ? h('ul', { class: 'blob-list blob-list--failed', 'aria-label': 'Blobs that could not be repaired' },
        failed.map((f) => h('li', { class: 'blob-row', 'data-testid': 'repair-failure', 'data-cid': String(f.cid ?? '') },
          h('span', { class: 'ap-icon ap-icon--danger' }, icon('x')),
          h('div', { class: 'blob-text' },
            h('span', { class: 'mono selectable blob-cid' }, String(f.cid ?? '')),
            h('span', { class: 'blob-reason' }, String(f.reason || 'Unknown reason')))))) : null);
      resultSlot.replaceChildren(box);
      announce(title.textContent);
      return title;
    }

    return {
      el: panelCard({
        iconName: 'image',
        title: 'Missing blobs',
        text: 'Blobs are your images and videos. After a move, some may not have come along: check, then copy them over.',
        testid: 'missing-blobs-card',
        children: [h('div', { class: 'tool-body' },
          h('div', { class: 'tool-actions' }, check, h('span', { class: 'muted tool-actions-note' }, 'Lists blobs your records use that your PDS doesn’t have.')),
          checkError,
          listSlot,
          resultSlot), form],
      }),
    };
  }

  /* =====================================================================
   * Backup: repository CAR + blobs into a folder
   * ===================================================================== */
  function backupCard() {
    let jobId = null;
    const folder = h('input', {
      name: 'backupFolder', type: 'text', class: 'input input--mono', required: true,
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: '/home/you/Backups/stratos',
      value: lastFolder.get(did) || '',
    });
    const errorSlot = h('div', { class: 'error-slot' });
    const progressSlot = h('div', { class: 'job-slot' });
    const resultSlot = h('div', { class: 'tool-result-slot' });
    const submit = button('Back up', { variant: 'primary', type: 'submit', iconName: 'download', 'data-testid': 'backup-submit' });
    const form = h('form', { class: 'form tool-form', 'data-testid': 'backup-form', novalidate: true },
      field({ label: 'Folder', input: folder,
        help: 'A folder on this computer. There’s no folder picker yet: type or paste its path. Use the same folder again to resume or update a backup.' }),
      errorSlot,
      progressSlot,
      h('div', { class: 'form-actions' }, submit));

    const describe = (p) => {
      const done = Number(p.done || 0);
      const total = typeof p.total === 'number' ? p.total : null;
      if (p.step === 'repo') {
        return { step: 'repo', text: `Downloading repository… ${formatBytes(done) || '0 B'}`, value: total ? done : null, max: total };
      }
      if (p.step === 'listBlobs') {
        return { step: 'listBlobs', text: 'Listing blobs…', value: null, max: null };
      }
      if (p.step === 'blobs') {
        return { step: 'blobs', text: total !== null ? `Blobs ${done.toLocaleString()} of ${total.toLocaleString()}` : `Blobs ${done.toLocaleString()}`, value: done, max: total };
      }
      return { step: p.step, text: 'Working…', value: null, max: null };
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (jobId) return;
      errorSlot.replaceChildren();
      const path = folder.value.trim();
      if (!path) return fieldError(folder, errorSlot, 'Enter the folder to save the backup in.');
      lastFolder.set(did, path);

      resultSlot.replaceChildren();
      setBusy(submit, true, 'Backing up…');
      form.classList.add('is-busy');
      folder.readOnly = true;
      const progress = jobProgressView({
        title: 'Backing up',
        describe,
        onCancel: (btn) => cancelJob(jobId, btn, errorSlot),
      });
      progressSlot.replaceChildren(progress.el);
      progress.cancel.focus();
      let focusAfter = submit;
      try {
        const result = await runJob((id) => {
          jobId = id;
          return api.backupAccount(did, { folder: path, jobId: id });
        }, (p) => progress.update(p));
        if (ctx.signal.aborted) return;
        focusAfter = showBackup(result);
      } catch (err) {
        if (ctx.signal.aborted) return;
        const cancelled = err.code === CANCELLED;
        errorSlot.replaceChildren(errorBox(cancelled
          ? { ...err, message: err.message || 'Backup cancelled', hint: 'What was saved is kept. Back up into the same folder again to carry on where it stopped.' }
          : err, { tone: cancelled ? 'warning' : 'danger' }));
        if (!cancelled && /folder|path|dir|permission|exists|disk|space/i.test(err.code || '')) {
          markInvalid(folder, { focus: false });
          focusAfter = folder;
        }
      } finally {
        if (!ctx.signal.aborted) {
          jobId = null;
          progressSlot.replaceChildren();
          setBusy(submit, false);
          form.classList.remove('is-busy');
          folder.readOnly = false;
          focusAfter?.focus({ preventScroll: false });
        }
      }
    });

    function showBackup(result) {
      const r = result && typeof result === 'object' ? result : {};
      const blobCount = typeof r.blobCount === 'number' ? r.blobCount
        : typeof r.blobsCount === 'number' ? r.blobsCount
          : typeof r.blobs === 'number' ? r.blobs
            : Array.isArray(r.blobs) ? r.blobs.length : null;
      const known = new Set(['did', 'folder', 'carPath', 'carBytes', 'blobCount', 'blobsCount', 'blobs']);
      // Anything else the backend reports (counts, sizes, flags) is shown as it comes.
      const extra = Object.entries(r).filter(([k, v]) => !known.has(k) && v !== null && ['string', 'number', 'boolean'].includes(typeof v));
      const titleId = nextId('backup');
      const title = h('h3', { class: 'tool-result-title', id: titleId, tabindex: '-1' }, 'Backup saved');
      const box = h('section', {
        class: 'tool-result', 'data-testid': 'backup-result', 'aria-labelledby': titleId,
        'data-car-bytes': typeof r.carBytes === 'number' ? String(r.carBytes) : null,
        'data-blobs': blobCount !== null ? String(blobCount) : null,
      },
      h('header', { class: 'tool-result-head' },
        h('span', { class: 'done-icon' }, icon('check')),
        h('div', { class: 'tool-result-heading' },
          title,
          h('p', { class: 'muted' }, 'Run it again into the same folder to bring it up to date.'))),
      h('dl', { class: 'rows claims' },
        row('Folder', r.folder ? mono(String(r.folder)) : muted('—')),
        r.carPath ? row('Repository file', mono(String(r.carPath))) : null,
        row('Repository size', typeof r.carBytes === 'number'
          ? h('span', { title: `${r.carBytes.toLocaleString()} bytes` }, formatBytes(r.carBytes)) : muted('—')),
        blobCount !== null ? row('Blobs', blobCount.toLocaleString(), { 'data-testid': 'backup-blob-count' }) : null,
        extra.map(([k, v]) => row(humanKey(k), typeof v === 'number' && /bytes$/i.test(k)
          ? h('span', { title: `${v.toLocaleString()} bytes` }, formatBytes(v))
          : typeof v === 'number' ? v.toLocaleString() : typeof v === 'boolean' ? (v ? 'Yes' : 'No') : mono(v)))));
      resultSlot.replaceChildren(box);
      announce('Backup saved.');
      return title;
    }

    return {
      el: panelCard({
        iconName: 'folder',
        title: 'Backup',
        text: 'Saves your repository (a CAR file of all your records) and all your blobs into a folder. If it stops, running it again resumes.',
        testid: 'backup-card',
        children: [h('div', { class: 'tool-body' }, form, resultSlot)],
      }),
    };
  }

  return {};
}

function hostLabel(url) {
  if (!url) return 'the source PDS';
  try {
    return new URL(url).host || String(url);
  } catch {
    return String(url);
  }
}

/** blobsSkipped → "Blobs skipped". */
function humanKey(key) {
  const words = String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
