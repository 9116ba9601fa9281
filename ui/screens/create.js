// Create account. Step 1 asks for the server; step 2 is the form the server describes (handle
// under one of its domains with a live availability check, email, password with the strength
// meter, invite code when required, and an optional recovery key); step 3 offers to save the
// recovery key to a file before opening the new account. Servers that verify phones or show a
// captcha get their own sign-up page in the browser instead (OAuth prompt=create), which comes
// back as `oauth-finished` like a browser sign-in.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, slowNote, hostOf, spinner, copyButton } from '../widgets/dom.js';
import { field, fieldError, markInvalid, passwordInput } from '../widgets/forms.js';
import { strengthMeter } from '../widgets/strength_meter.js';

const MIN_SCORE = 3;
const CHECK_DELAY_MS = 400;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Errors about a field, so the field is highlighted.
const FIELD_OF = {
  bad_server_url: 'pdsHost', pds_unreachable: 'pdsHost', pds_bad_response: 'pdsHost', empty_field: null,
  bad_handle: 'handle', handle_taken: 'handle', unsupported_domain: 'handle',
  bad_email: 'email', email_taken: 'email', invite_needed: 'inviteCode',
};

export function mount(main, ctx, params = {}) {
  const titleId = nextId('title');
  const title = h('h1', { id: titleId, tabindex: '-1' }, 'Create an account');
  const subtitle = h('p', { class: 'screen-subtitle' },
    'A new account on Bluesky’s server or any other AT Protocol server (PDS). You are signed in as soon as it exists.');
  const backBtn = h('button', {
    type: 'button', class: 'icon-btn back-btn', 'aria-label': 'Back to adding an account', title: 'Back',
    onclick: () => ctx.go('add-account'),
  }, icon('back'));
  const body = h('div', { class: 'auth-stack' });
  main.replaceChildren(h('section', { class: 'screen screen--narrow', 'aria-labelledby': titleId, 'data-testid': 'create-account-screen' },
    h('header', { class: 'screen-header' }, backBtn, h('div', {}, title, subtitle)),
    body));

  let pending = null; // a browser sign-up waiting for `oauth-finished`
  api.on('oauth-finished', (payload) => {
    if (ctx.signal.aborted || !pending || payload?.state !== pending.state) return;
    const done = pending;
    pending = null;
    done.resolve(payload);
  }, { signal: ctx.signal }).catch(() => {});
  ctx.signal.addEventListener('abort', () => {
    if (pending) api.oauthCancel(pending.state).catch(() => {});
    pending = null;
  }, { once: true });

  serverStep(params.pdsHost || '');

  /* ----- Step 1: which server ----- */
  function serverStep(value, error = null) {
    const input = h('input', {
      name: 'pdsHost', type: 'url', class: 'input', required: true, value,
      autocomplete: 'url', autocapitalize: 'off', spellcheck: 'false', placeholder: 'https://bsky.social',
    });
    const errorSlot = h('div', { class: 'error-slot' });
    const next = button('Continue', { variant: 'primary', type: 'submit', 'data-testid': 'create-server-continue' });
    const form = h('form', { class: 'form', 'data-testid': 'create-server-form', novalidate: true },
      field({ label: 'Server', input, help: 'The address of the server (PDS) that will host the account. Bluesky’s is https://bsky.social.' }),
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still waiting for the server…'), next));
    body.replaceChildren(h('section', { class: 'auth-card auth-card--primary create-card', 'aria-label': 'Server' }, form));
    if (error) {
      errorSlot.replaceChildren(errorBox(error));
      markInvalid(input);
    } else {
      input.focus();
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (form.classList.contains('is-busy')) return;
      errorSlot.replaceChildren();
      const host = input.value.trim();
      if (!host) return fieldError(input, errorSlot, 'Enter the server’s address, such as https://bsky.social.');
      setBusy(next, true, 'Asking the server…');
      form.classList.add('is-busy');
      input.readOnly = true;
      try {
        const described = await api.signupForm(/^https?:\/\//i.test(host) ? host : `https://${host}`);
        if (ctx.signal.aborted) return;
        formStep(described);
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(next, false);
        form.classList.remove('is-busy');
        input.readOnly = false;
        errorSlot.replaceChildren(errorBox(err));
        markInvalid(input);
      }
    });
  }

  /* ----- Step 2: the server's form ----- */
  function formStep(server) {
    const host = hostOf(server.pdsUrl) || server.pdsUrl;
    const domains = Array.isArray(server.domains) ? server.domains : [];
    const browserBtn = button(`Create on ${host} in your browser`, { iconName: 'browser', 'data-testid': 'create-in-browser' });
    browserBtn.addEventListener('click', () => browserSignUp(server, browserBtn));
    const changeServer = button('Change server', { variant: 'ghost', size: 'sm', onclick: () => serverStep(server.pdsUrl) });
    const serverLine = h('div', { class: 'create-server-line' },
      h('span', { class: 'muted' }, 'Server: '), h('span', { class: 'mono strong', 'data-testid': 'create-server-host' }, host), changeServer);

    if (server.phoneVerificationRequired || !domains.length) {
      body.replaceChildren(h('section', { class: 'auth-card auth-card--primary create-card', 'aria-label': 'Create account' },
        serverLine,
        callout('info', `${host} verifies new accounts on its own page`,
          'It asks for a phone number or a captcha, which only its page can do. Create the account there; Stratos signs you in when you are done.',
          { 'data-testid': 'create-needs-browser' }),
        h('div', { class: 'form-actions' }, browserBtn)));
      browserBtn.focus();
      return;
    }

    // Handle: a name plus one of the server's domains, checked while typing.
    const name = h('input', {
      name: 'handle', type: 'text', class: 'input input--suffixed', required: true,
      autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false', placeholder: 'alice',
    });
    const domain = domains.length > 1
      ? h('select', { name: 'handleDomain', class: 'input select', 'aria-label': 'Domain' }, domains.map((d) => h('option', { value: d }, d)))
      : h('span', { class: 'input-suffix mono', 'aria-hidden': 'true' }, domains[0]);
    const fullHandle = () => {
      const n = name.value.trim().toLowerCase().replace(/^@/, '');
      return n ? `${n}${domain.tagName === 'SELECT' ? domain.value : domains[0]}` : '';
    };
    const handleStatus = h('p', { class: 'field-help handle-status', 'data-testid': 'create-handle-status', 'aria-live': 'polite' },
      'Letters, digits and hyphens; 3 to 18 characters.');
    const handleId = name.id || (name.id = nextId('handle'));
    handleStatus.id = `${handleId}-status`;
    name.setAttribute('aria-describedby', handleStatus.id);
    const handleField = h('div', { class: 'field' },
      h('label', { class: 'field-label', for: handleId }, 'Handle'),
      h('div', { class: 'handle-input' }, name, domain),
      handleStatus);

    const email = h('input', { name: 'email', type: 'email', class: 'input', required: true, autocomplete: 'email', spellcheck: 'false', placeholder: 'alice@example.com' });
    const pw = passwordInput('password', { autocomplete: 'new-password', spellcheck: 'false' });
    const meter = strengthMeter();
    const pwField = field({ label: 'Password', input: pw.input, trailing: pw.reveal });
    pwField.append(meter.el);
    pw.input.setAttribute('aria-describedby', meter.labelId);
    const invite = h('input', { name: 'inviteCode', type: 'text', class: 'input input--mono', autocomplete: 'off', spellcheck: 'false' });

    const recoveryId = nextId('recovery');
    const recovery = h('input', { id: recoveryId, name: 'recoveryKey', type: 'checkbox', class: 'switch', checked: true, 'aria-describedby': `${recoveryId}-help`, 'data-testid': 'create-recovery' });
    // One sensible default (secp256k1, what servers and goat use); the other kind is explained
    // and offered in a disclosure for those who need it.
    const recoveryType = h('select', { name: 'recoveryKeyType', class: 'input select create-recovery-type', 'aria-label': 'Recovery key type', 'data-testid': 'create-recovery-type' },
      h('option', { value: 'k256' }, 'secp256k1 (recommended)'), h('option', { value: 'p256' }, 'P-256'));
    const recoveryKind = h('details', { class: 'setting-more', 'data-testid': 'create-recovery-kind' },
      h('summary', {}, 'Key type'),
      h('p', { class: 'setting-help' },
        'secp256k1 is what atproto servers use for their own keys and what goat makes; choose it unless you know you need P-256 (the NIST curve some hardware keys and key stores offer). Both work for your identity.'),
      recoveryType);
    recovery.addEventListener('change', () => { recoveryType.disabled = !recovery.checked; });
    const recoverySetting = h('div', { class: 'setting' },
      h('div', { class: 'setting-text' },
        h('label', { class: 'choice-title', for: recoveryId }, 'Make a recovery key'),
        h('span', { class: 'setting-help', id: `${recoveryId}-help` },
          'A key kept in your system keychain that stands above your server’s own key: with it you can move or rescue your identity even if the server disappears. Recommended.'),
        recoveryKind),
      h('div', { class: 'setting-control' }, recovery));

    const terms = [server.termsOfService && ['Terms of service', server.termsOfService], server.privacyPolicy && ['Privacy policy', server.privacyPolicy]].filter(Boolean);
    const termsNote = terms.length
      ? h('p', { class: 'field-help', 'data-testid': 'create-terms' }, `By creating an account you agree to ${host}’s policies: `,
        ...terms.flatMap(([label, url], i) => [i ? '; ' : '', `${label} `, h('span', { class: 'mono selectable' }, url)]), '.')
      : null;

    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Create account', { variant: 'primary', type: 'submit', iconName: 'check', 'data-testid': 'create-submit' });
    const form = h('form', { class: 'form', 'data-testid': 'create-form', novalidate: true, 'aria-label': 'New account' },
      serverLine,
      handleField,
      field({ label: 'Email', input: email, help: 'The server sends confirmation and sign-in codes here.' }),
      pwField,
      server.inviteCodeRequired ? field({ label: 'Invite code', input: invite, help: `${host} needs an invite code from its operator or a member.` }) : null,
      recoverySetting,
      termsNote,
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still creating the account…'), submit));
    const alt = h('section', { class: 'auth-card auth-card--secondary create-entry', 'aria-label': 'Other ways' },
      h('p', { class: 'muted' }, 'Prefer the server’s own sign-up page (for example to pass its captcha)?'),
      browserBtn);
    body.replaceChildren(h('section', { class: 'auth-card auth-card--primary create-card' }, form), alt);
    name.focus();

    /* Live handle check, a moment after typing stops; answers for older text are dropped. */
    let checkSeq = 0;
    let checkTimer = 0;
    let handleOk = null; // true/false for the current text; null while unknown
    const checkHandle = () => {
      clearTimeout(checkTimer);
      const mine = ++checkSeq;
      handleOk = null;
      handleStatus.dataset.state = '';
      const full = fullHandle();
      if (!full) {
        handleStatus.replaceChildren('Letters, digits and hyphens; 3 to 18 characters.');
        return;
      }
      handleStatus.replaceChildren(`Checking ${full}…`);
      checkTimer = setTimeout(async () => {
        try {
          const r = await api.signupCheckHandle(server.pdsUrl, full);
          if (ctx.signal.aborted || mine !== checkSeq) return;
          handleOk = !!r.available;
          handleStatus.dataset.state = r.available ? 'available' : 'taken';
          handleStatus.replaceChildren(icon(r.available ? 'check' : 'alert'), ' ',
            h('span', { class: 'mono strong' }, r.handle), r.available ? ' is available.' : ` is ${r.reason || 'not available'}.`);
        } catch (err) {
          if (ctx.signal.aborted || mine !== checkSeq) return;
          handleOk = false;
          handleStatus.dataset.state = 'invalid';
          handleStatus.replaceChildren(icon('alert'), ' ', err.message || 'This handle cannot be used.');
        }
      }, CHECK_DELAY_MS);
    };
    name.addEventListener('input', checkHandle);
    if (domain.tagName === 'SELECT') domain.addEventListener('change', checkHandle);

    /* Strength, from the backend, a moment after typing stops. */
    let strength = null;
    let strengthSeq = 0;
    let strengthTimer = 0;
    pw.input.addEventListener('input', () => {
      clearTimeout(strengthTimer);
      const mine = ++strengthSeq;
      strength = null;
      if (!pw.input.value) return meter.set(null);
      meter.pending();
      strengthTimer = setTimeout(async () => {
        try {
          const r = await api.passwordStrength(pw.input.value);
          if (ctx.signal.aborted || mine !== strengthSeq) return;
          strength = { score: Number(r?.score) || 0, feedback: Array.isArray(r?.feedback) ? r.feedback : [] };
          meter.set(strength);
        } catch {
          if (!ctx.signal.aborted && mine === strengthSeq) meter.failed();
        }
      }, 250);
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (form.classList.contains('is-busy')) return;
      errorSlot.replaceChildren();
      const handle = fullHandle();
      if (!handle) return fieldError(name, errorSlot, 'Choose a handle.');
      if (handleOk === false) return fieldError(name, errorSlot, `${handle} cannot be used. Choose another handle.`);
      if (!EMAIL.test(email.value.trim())) return fieldError(email, errorSlot, 'Enter your email address, like alice@example.com.');
      if (!pw.input.value) return fieldError(pw.input, errorSlot, 'Choose a password.');
      if (strength && strength.score < MIN_SCORE) return fieldError(pw.input, errorSlot, 'Choose a stronger password: this one is easy to guess.');
      if (server.inviteCodeRequired && !invite.value.trim()) return fieldError(invite, errorSlot, 'Enter your invite code.');

      const inputs = [name, email, pw.input, invite];
      setBusy(submit, true, 'Creating…');
      form.classList.add('is-busy');
      inputs.forEach((i) => { i.readOnly = true; });
      [recovery, recoveryType, browserBtn].forEach((i) => { i.disabled = true; });
      try {
        const created = await api.createAccount({
          pdsHost: server.pdsUrl,
          handle,
          email: email.value.trim(),
          password: pw.input.value,
          inviteCode: invite.value.trim() || null,
          recoveryKey: recovery.checked ? recoveryType.value : null,
        });
        if (ctx.signal.aborted) return;
        pw.input.value = '';
        if (created.recoveryKey) doneStep(created);
        else await ctx.actions.accountAdded(created.account);
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        form.classList.remove('is-busy');
        inputs.forEach((i) => { i.readOnly = false; });
        recovery.disabled = false;
        recoveryType.disabled = !recovery.checked;
        browserBtn.disabled = false;
        errorSlot.replaceChildren(errorBox(err));
        const which = FIELD_OF[err.code];
        const target = which === 'handle' ? name : which === 'email' ? email : which === 'inviteCode' ? invite : null;
        if (target) markInvalid(target);
        else submit.focus();
      }
    });
  }

  /* ----- Browser sign-up (prompt=create) ----- */
  async function browserSignUp(server, btn) {
    if (btn.disabled) return;
    setBusy(btn, true, 'Opening your browser…');
    try {
      const started = await api.oauthStart({ account: server.pdsUrl, redirect: null, signUp: true });
      if (ctx.signal.aborted) {
        api.oauthCancel(started.state).catch(() => {});
        return;
      }
      const payload = await new Promise((resolve) => {
        pending = { state: started.state, resolve };
        const cancel = button('Cancel', { 'data-testid': 'create-browser-cancel' });
        cancel.addEventListener('click', () => {
          api.oauthCancel(started.state).catch(() => {});
          pending = null;
          formStep(server);
        });
        const url = started.authorizeUrl;
        body.replaceChildren(h('section', { class: 'auth-card auth-card--primary create-card oauth-waiting', 'data-testid': 'create-browser-waiting' },
          h('div', { class: 'waiting-head', role: 'status' },
            spinner('spinner--lg waiting-spinner'),
            h('h2', { class: 'waiting-title' }, 'Finish in your browser…'),
            h('p', { class: 'waiting-text' }, `Create the account on ${hostOf(server.pdsUrl)}’s page. Stratos signs you in when you are done.`)),
          h('div', { class: 'url-box' },
            h('p', { class: 'url-box-label' }, icon('link'), 'Browser didn’t open? Copy this link into it:'),
            h('div', { class: 'url-row' },
              h('span', { class: 'url-text mono selectable', 'data-testid': 'create-browser-url', title: url }, url),
              copyButton(() => url, { label: 'Copy sign-up link' }))),
          h('div', { class: 'waiting-actions' }, cancel)));
        cancel.focus();
      });
      if (ctx.signal.aborted) return;
      if (payload.account) await ctx.actions.accountAdded(payload.account);
      else {
        formStep(server);
        body.prepend(errorBox(payload.error || { message: 'The browser sign-up did not finish.' }));
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      setBusy(btn, false);
      btn.after(errorBox(err));
    }
  }

  /* ----- Step 3: keep the recovery key safe ----- */
  function doneStep({ account, recoveryKey }) {
    const headId = nextId('done');
    const path = h('input', { name: 'keyPath', type: 'text', class: 'input input--mono', autocomplete: 'off', spellcheck: 'false', value: '~/atproto-recovery-key.txt' });
    const errorSlot = h('div', { class: 'error-slot' });
    const save = button('Save key to file', { iconName: 'download', type: 'submit', 'data-testid': 'create-export' });
    const saved = h('span', { class: 'saved-status', role: 'status', 'data-testid': 'create-export-done' });
    const open = button('Open my account', { variant: 'primary', 'data-testid': 'create-open-account' });
    open.addEventListener('click', () => ctx.actions.accountAdded(account));
    const exportForm = h('form', { class: 'form', novalidate: true, 'data-testid': 'create-export-form' },
      callout('warning', 'Anyone with this file controls your identity',
        'Keep it offline, such as in a password manager or on a USB stick in a drawer. Never share it. Stratos keeps its own copy in your system keychain.'),
      field({ label: 'Save as', input: path, help: 'A new file; an existing file is never overwritten.' }),
      errorSlot,
      h('div', { class: 'form-actions' }, saved, save));
    body.replaceChildren(h('section', { class: 'auth-card auth-card--primary create-card', 'aria-labelledby': headId, 'data-testid': 'create-done' },
      h('div', { class: 'waiting-head' },
        h('span', { class: 'done-icon' }, icon('check')),
        h('h2', { class: 'waiting-title', id: headId, tabindex: '-1' }, `${account.handle} is ready`),
        h('p', { class: 'waiting-text' }, 'Your recovery key is the first key allowed to change your identity:'),
        h('p', { class: 'mono selectable', 'data-testid': 'create-recovery-key' }, recoveryKey.didKey)),
      exportForm,
      h('div', { class: 'form-actions create-done-footer' }, open)));
    body.querySelector(`#${headId}`)?.focus();
    exportForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!path.value.trim()) return fieldError(path, errorSlot, 'Type where to save the key.');
      setBusy(save, true, 'Saving…');
      try {
        const done = await api.keyExport(recoveryKey.didKey, path.value.trim());
        if (ctx.signal.aborted) return;
        saved.replaceChildren(icon('check'), h('span', {}, 'Saved to ', h('span', { class: 'mono' }, done.path)));
        open.focus();
      } catch (err) {
        if (ctx.signal.aborted) return;
        errorSlot.replaceChildren(errorBox(err));
        markInvalid(path);
      } finally {
        if (!ctx.signal.aborted) setBusy(save, false);
      }
    });
  }
}
