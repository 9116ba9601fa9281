// Add account: sign in with a password (and, if the server asks, an emailed sign-in code).
// Sign-in methods live in `.auth-methods`; a browser (OAuth) method can be added above the
// password method later, separated by `.auth-divider`.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, slowNote } from '../dom.js';

function field({ label, input, help = null, trailing = null }) {
  const id = input.id || (input.id = nextId('f'));
  let helpEl = null;
  if (help) {
    helpEl = h('p', { class: 'field-help', id: `${id}-help` }, help);
    input.setAttribute('aria-describedby', helpEl.id);
  }
  return h('div', { class: 'field' },
    h('label', { class: 'field-label', for: id }, label),
    trailing ? h('div', { class: 'input-group' }, input, trailing) : input,
    helpEl);
}

/** Format an emailed code as ABCDE-FGHIJ while typing (only when it looks like one). */
function formatCode(value) {
  const raw = value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (raw.length > 10) return value.toUpperCase().trim();
  return raw.length > 5 ? `${raw.slice(0, 5)}-${raw.slice(5)}` : raw;
}

export function mount(main, ctx, params = {}) {
  const hasAccounts = () => ctx.state.accounts.length > 0;
  let cancel = null;
  const creds = { identifier: '', password: '', pdsHost: null };

  const body = h('div', { class: 'auth-card' });
  const titleId = nextId('title');
  const title = h('h1', { id: titleId, tabindex: '-1' }, params.identifier ? 'Sign in again' : 'Add an account');
  const subtitle = h('p', { class: 'screen-subtitle' },
    params.identifier
      ? 'Your session has ended. Enter your password to reconnect this account.'
      : 'Sign in to a Bluesky account or any account on another AT Protocol server (PDS).');

  const backBtn = h('button', {
    type: 'button', class: 'icon-btn back-btn', 'aria-label': 'Back to accounts', title: 'Back', hidden: !hasAccounts(),
    onclick: () => ctx.go('overview'),
  }, icon('back'));

  const screen = h('section', { class: 'screen screen--narrow', 'aria-labelledby': titleId, 'data-testid': 'add-account-screen' },
    h('header', { class: 'screen-header' },
      backBtn,
      h('div', {}, title, subtitle)),
    body);
  main.replaceChildren(screen);

  /* ----- Step 1: identifier + password ----- */
  function passwordStep({ focus = true } = {}) {
    const identifier = h('input', {
      name: 'identifier', type: 'text', class: 'input', required: true,
      autocomplete: 'username', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
      placeholder: 'alice.bsky.social', value: creds.identifier || params.identifier || '',
    });
    const password = h('input', {
      name: 'password', type: 'password', class: 'input', required: true, autocomplete: 'current-password',
      value: creds.password,
    });
    const reveal = h('button', {
      type: 'button', class: 'input-addon', 'aria-label': 'Show password', 'aria-pressed': 'false', title: 'Show password',
      onclick: () => {
        const show = password.type === 'password';
        password.type = show ? 'text' : 'password';
        reveal.setAttribute('aria-pressed', String(show));
        reveal.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
        reveal.title = show ? 'Hide password' : 'Show password';
        reveal.replaceChildren(icon(show ? 'eyeOff' : 'eye'));
      },
    }, icon('eye'));
    const pdsHost = h('input', {
      name: 'pdsHost', type: 'text', class: 'input', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
      placeholder: 'https://pds.example.com', value: creds.pdsHost || '',
    });
    const advanced = h('details', { class: 'advanced', open: !!creds.pdsHost },
      h('summary', {}, icon('chevronRight', 'advanced-chevron'), 'Advanced'),
      h('div', { class: 'advanced-body' },
        field({
          label: 'PDS host',
          input: pdsHost,
          help: 'Only needed if your DID document doesn’t point at a PDS yet, for example while moving to a new server.',
        })));
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Sign in', { variant: 'primary', type: 'submit', 'data-testid': 'login-submit' });
    cancel = button('Cancel', { onclick: () => ctx.go('overview'), hidden: !hasAccounts() });

    const form = h('form', { class: 'form', 'data-testid': 'add-account-form', novalidate: true, 'aria-labelledby': titleId },
      field({ label: 'Handle, DID or email', input: identifier }),
      field({ label: 'Password', input: password, trailing: reveal }),
      advanced,
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still signing in… the server is slow to respond.'), cancel, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      const id = identifier.value.trim();
      if (!id) return fieldError(identifier, errorSlot, 'Enter your handle, DID or email address.');
      if (!password.value) return fieldError(password, errorSlot, 'Enter your password.');
      creds.identifier = id;
      creds.password = password.value;
      creds.pdsHost = pdsHost.value.trim() || null;
      await attempt({ form, submitBtn: submit, errorSlot, busyLabel: 'Signing in…', token: null, lock: [identifier, password, pdsHost, reveal, cancel] });
    });

    const note = h('p', { class: 'keychain-note' }, icon('lock'),
      h('span', {}, 'Your password is stored only in your system keychain and is sent only to your PDS.'));

    const method = h('div', { class: 'auth-method auth-method--password' }, form);
    body.replaceChildren(h('div', { class: 'auth-methods' }, method), note);
    if (focus) (identifier.value ? password : identifier).focus();
  }

  /* ----- Step 2: emailed sign-in code ----- */
  function codeStep() {
    const token = h('input', {
      name: 'authFactorToken', type: 'text', class: 'input input--code', required: true,
      autocomplete: 'one-time-code', autocapitalize: 'characters', autocorrect: 'off', spellcheck: 'false',
      placeholder: 'ABCDE-FGHIJ', inputmode: 'text',
    });
    token.addEventListener('input', () => {
      const atEnd = token.selectionStart === token.value.length;
      if (atEnd) token.value = formatCode(token.value);
    });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Verify and sign in', { variant: 'primary', type: 'submit', 'data-testid': 'auth-factor-submit' });
    const back = button('Back', { 'data-testid': 'auth-factor-back', onclick: () => passwordStep() });

    const form = h('form', { class: 'form', 'data-testid': 'auth-factor-form', novalidate: true },
      h('div', { class: 'step-intro' },
        h('span', { class: 'step-icon' }, icon('mail')),
        h('div', {},
          h('h2', { class: 'step-title' }, 'Check your email'),
          h('p', { class: 'step-text' },
            `Your PDS emailed a sign-in code to the address on `, h('strong', {}, creds.identifier),
            '. Enter it below to finish signing in.'))),
      field({ label: 'Sign-in code', input: token, help: 'The code looks like ABCDE-FGHIJ. It expires after a few minutes.' }),
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still verifying… the server is slow to respond.'), back, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      const value = token.value.trim();
      if (!value) return fieldError(token, errorSlot, 'Enter the code from the email.');
      await attempt({ form, submitBtn: submit, errorSlot, busyLabel: 'Verifying…', token: value, lock: [token, back] });
    });

    body.replaceChildren(h('div', { class: 'auth-methods' }, h('div', { class: 'auth-method' }, form)));
    token.focus();
  }

  async function attempt({ form, submitBtn, errorSlot, busyLabel, token, lock }) {
    setBusy(submitBtn, true, busyLabel);
    form.classList.add('is-busy');
    form.setAttribute('aria-busy', 'true');
    lock.forEach((el) => el && (el.disabled = true));
    try {
      const account = await api.loginPassword({
        identifier: creds.identifier,
        password: creds.password,
        authFactorToken: token,
        pdsHost: creds.pdsHost,
      });
      if (ctx.signal.aborted) return;
      creds.password = '';
      await ctx.actions.accountAdded(account);
    } catch (err) {
      if (ctx.signal.aborted) return;
      setBusy(submitBtn, false);
      form.classList.remove('is-busy');
      form.removeAttribute('aria-busy');
      lock.forEach((el) => el && (el.disabled = false));
      if (err.code === 'auth_factor_required' && token === null) {
        codeStep();
        return;
      }
      errorSlot.replaceChildren(errorBox(err));
      const target = token !== null ? form.elements.authFactorToken : fieldFor(form, err.code);
      if (target) {
        target.closest('details')?.setAttribute('open', '');
        target.setAttribute('aria-invalid', 'true');
        target.addEventListener('input', () => target.removeAttribute('aria-invalid'), { once: true });
        target.focus();
        target.select?.();
      }
    }
  }

  /** The field an error is about, so it can be highlighted and focused. */
  function fieldFor(form, code) {
    if (code === 'wrong_password') return form.elements.password;
    if (['bad_identifier', 'handle_not_found', 'unsupported_did', 'account_mismatch'].includes(code)) return form.elements.identifier;
    if (['no_pds', 'email_needs_pds', 'bad_server_url', 'pds_host'].includes(code)) return form.elements.pdsHost;
    return null;
  }

  function fieldError(input, slot, message) {
    slot.replaceChildren(errorBox({ code: 'invalid_input', message, hint: null }));
    input.setAttribute('aria-invalid', 'true');
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
    input.focus();
  }

  passwordStep({ focus: params.focus !== false });
  return {
    accountsChanged() {
      backBtn.hidden = !hasAccounts();
      if (cancel) cancel.hidden = !hasAccounts();
    },
  };
}
