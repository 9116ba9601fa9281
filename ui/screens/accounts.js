// Add account. The primary way is "Sign in with your browser" (atproto OAuth): the backend opens
// the server's own sign-in page and reports back with an `oauth-finished` event. "Use a password"
// is the secondary method, revealed on request; it may continue with an emailed sign-in code.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, slowNote, spinner, copyButton, hostOf } from '../widgets/dom.js';

const PASSWORD_WHY = 'Needed for app passwords, deactivating or deleting the account, and changing your email — things browser sign-in cannot do.';

// Browser sign-in errors that are about what was typed, so the field is highlighted.
const OAUTH_FIELD_CODES = ['bad_identifier', 'handle_not_found', 'unsupported_did', 'no_pds', 'bad_server_url', 'oauth_discovery', 'oauth_wrong_account'];
// Outcomes the user chose or that simply ran out: shown calmer than failures.
const OAUTH_SOFT_CODES = ['oauth_cancelled', 'oauth_cancelled_here', 'oauth_refused', 'oauth_timeout'];

// What the server asks for is the same every time: remember it across visits.
let oauthInfoCache = null;

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

/** The heading of a sign-in method: icon, title, optional tag and one line of explanation. */
function methodHead({ iconName, title, text, id, tag = null, tone = 'accent' }) {
  return h('header', { class: 'method-head' },
    h('span', { class: `method-icon method-icon--${tone}` }, icon(iconName)),
    h('div', { class: 'method-head-text' },
      h('h2', { class: 'method-title', id }, title, tag ? h('span', { class: 'tag tag--accent' }, tag) : null),
      text ? h('p', { class: 'method-text' }, text) : null));
}

/** Format an emailed code as ABCDE-FGHIJ while typing (only when it looks like one). */
function formatCode(value) {
  const raw = value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (raw.length > 10) return value.toUpperCase().trim();
  return raw.length > 5 ? `${raw.slice(0, 5)}-${raw.slice(5)}` : raw;
}

const isServerAddress = (value) => /^https?:\/\//i.test(value || '');

export function mount(main, ctx, params = {}) {
  const hasAccounts = () => ctx.state.accounts.length > 0;
  // "Sign in again" passes the account's identifier and how it was signed in.
  const again = !!params.identifier;
  const againOauth = again && params.authKind === 'oauth';
  const creds = { identifier: againOauth ? '' : params.identifier || '', password: '', pdsHost: null };
  let oauthAccount = againOauth ? params.identifier : '';
  let passwordOpen = again && !againOauth;

  let pending = null; // {state, authorizeUrl, issuer, account} while the browser is open
  let starting = false; // oauth_start has been called but has not answered yet
  const early = new Map(); // oauth-finished payloads that arrived before oauth_start answered
  const cancelled = new Set(); // sign-ins cancelled here: a late answer is shown as refused
  let oauthSlot = null; // the browser card's content: the form or the waiting panel
  let altSection = null; // the password method (collapsed or open)

  const body = h('div', { class: 'auth-stack' });
  const titleId = nextId('title');
  const title = h('h1', { id: titleId, tabindex: '-1' }, again ? 'Sign in again' : 'Add an account');
  const subtitle = h('p', { class: 'screen-subtitle' },
    !again ? 'Sign in to a Bluesky account or any account on another AT Protocol server (PDS).'
      : againOauth ? 'Your session has ended. Continue in your browser to reconnect this account.'
        : 'Your session has ended. Enter your password to reconnect this account.');

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

  const clearErrors = () => body.querySelectorAll('.error-slot').forEach((slot) => slot.replaceChildren());

  /* ----- Both methods: browser first, password second ----- */
  function chooseStep({ focus = true } = {}) {
    const headId = nextId('method');
    oauthSlot = h('div', { class: 'oauth-slot' });
    const browserCard = h('section', { class: 'auth-card auth-card--primary', 'aria-labelledby': headId, 'data-testid': 'oauth-method' },
      h('div', { class: 'auth-method' },
        methodHead({
          iconName: 'browser', id: headId, title: 'Sign in with your browser', tag: 'Recommended',
          text: 'Your server’s sign-in page opens in your browser. Approve Stratos there and you’re back here, signed in.',
        }),
        oauthSlot),
      h('p', { class: 'keychain-note' }, icon('lock'), h('span', {}, 'Your password is typed only on your server’s own page.')));
    altSection = passwordSection();
    const createCard = again ? null : h('section', { class: 'auth-card auth-card--secondary create-entry', 'aria-label': 'New account' },
      h('p', { class: 'muted' }, 'No account yet?'),
      button('Create an account', { iconName: 'plus', 'data-testid': 'create-account-open', onclick: () => ctx.go('create-account') }));
    body.replaceChildren(browserCard, altSection.el, ...(createCard ? [createCard] : []));
    const oauthInput = oauthForm();
    if (!focus) return;
    if (passwordOpen && again) altSection.focus();
    else oauthInput.focus();
  }

  /* ----- Browser sign-in: the form ----- */
  function oauthForm({ error = null } = {}) {
    const input = h('input', {
      name: 'oauthAccount', type: 'text', class: 'input', required: true,
      autocomplete: 'username', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
      placeholder: 'alice.bsky.social', value: oauthAccount,
    });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Continue in browser', { variant: 'primary', type: 'submit', iconName: 'external', 'data-testid': 'oauth-submit' });
    const leave = button('Cancel', { class: 'btn btn--secondary leave-btn', onclick: () => ctx.go('overview'), hidden: !hasAccounts() });

    const form = h('form', { class: 'form', 'data-testid': 'oauth-form', novalidate: true, 'aria-label': 'Sign in with your browser' },
      field({
        label: 'Handle, DID or server address',
        input,
        help: h('span', {}, 'For example ', h('span', { class: 'mono' }, 'alice.bsky.social'),
          ', or your server’s address (', h('span', { class: 'mono' }, 'https://bsky.social'), ') to choose the account there.'),
      }),
      scopesBox(),
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still contacting your server… it is slow to respond.'), leave, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      const account = input.value.trim().replace(/^@/, '');
      if (!account) return fieldError(input, errorSlot, 'Enter your handle, DID or server address.');
      input.value = account;
      oauthAccount = account;

      setBusy(submit, true, 'Opening browser…');
      form.classList.add('is-busy');
      form.setAttribute('aria-busy', 'true');
      input.readOnly = true;
      leave.disabled = true;
      starting = true;
      early.clear();
      try {
        const started = await api.oauthStart({ account, redirect: null });
        starting = false;
        if (ctx.signal.aborted) {
          api.oauthCancel(started.state).catch(() => {});
          return;
        }
        pending = { ...started, account };
        const done = early.get(started.state);
        early.clear();
        if (done) finished(done);
        else waitingPanel();
      } catch (err) {
        starting = false;
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        form.classList.remove('is-busy');
        form.removeAttribute('aria-busy');
        input.readOnly = false;
        leave.disabled = false;
        showOauthError(form, errorSlot, err);
      }
    });

    oauthSlot.replaceChildren(form);
    if (altSection) altSection.el.hidden = false;
    if (error) showOauthError(form, errorSlot, error);
    return input;
  }

  function showOauthError(form, slot, err) {
    slot.replaceChildren(errorBox(err, { tone: OAUTH_SOFT_CODES.includes(err.code) ? 'warning' : 'danger' }));
    const input = form.elements.oauthAccount;
    if (OAUTH_FIELD_CODES.includes(err.code)) {
      input.setAttribute('aria-invalid', 'true');
      input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
      input.focus();
      input.select();
    } else {
      input.focus();
    }
  }

  /** "What Stratos asks for": the scopes in plain words, from oauth_info(). */
  function scopesBox() {
    const list = h('ul', { class: 'scope-list' });
    const box = h('details', { class: 'advanced scopes', 'data-testid': 'oauth-scopes', hidden: true },
      h('summary', {}, icon('chevronRight', 'advanced-chevron'), 'What Stratos asks for'),
      h('div', { class: 'advanced-body' },
        list,
        h('p', { class: 'field-help scopes-note' }, 'Your server shows the same request before you approve it.')));
    const fill = (info) => {
      const scopes = Array.isArray(info?.scopes) ? info.scopes.filter((s) => s && (s.why || s.scope)) : [];
      list.replaceChildren(...scopes.map((s) => h('li', { class: 'scope-item', 'data-scope': s.scope || '', title: s.scope || null },
        icon('check', 'scope-icon'),
        s.why ? h('span', {}, s.why) : h('span', { class: 'mono' }, s.scope))));
      box.hidden = scopes.length === 0;
    };
    if (oauthInfoCache) fill(oauthInfoCache);
    else loadInfo().then(fill);
    return box;
  }

  /* ----- Browser sign-in: waiting for the browser ----- */
  function waitingPanel() {
    const { authorizeUrl: url, issuer, account } = pending;
    const server = hostOf(issuer) || 'your server';
    const cancelBtn = button('Cancel', { 'data-testid': 'oauth-cancel', iconName: 'x', onclick: cancelPending });
    const heading = h('h2', { class: 'waiting-title', tabindex: '-1' }, 'Finish signing in in your browser…');
    const urlLabelId = nextId('url');
    const panel = h('div', { class: 'oauth-waiting', 'data-testid': 'oauth-waiting' },
      h('div', { class: 'waiting-head' },
        spinner('spinner--lg waiting-spinner'),
        heading,
        h('p', { class: 'waiting-text' },
          'Stratos opened ', h('strong', {}, server), ' in your browser. ',
          isServerAddress(account) ? 'Sign in there' : h('span', {}, 'Sign in there as ', h('strong', {}, account)),
          ' and approve Stratos. This window updates by itself.')),
      h('div', { class: 'url-box' },
        h('p', { class: 'url-box-label', id: urlLabelId }, icon('link'), 'Browser didn’t open? Copy this link into it:'),
        h('div', { class: 'url-row' },
          h('span', { class: 'url-text mono selectable', 'data-testid': 'oauth-url', 'aria-labelledby': urlLabelId, title: url }, url),
          copyButton(() => url, { label: 'Copy sign-in link', 'data-testid': 'oauth-copy-url' }))),
      h('div', { class: 'waiting-actions' }, cancelBtn));
    oauthSlot.replaceChildren(panel);
    if (altSection) altSection.el.hidden = true;
    heading.focus({ preventScroll: true });
  }

  async function cancelPending() {
    const p = pending;
    pending = null; // it is over: only a late browser answer is still shown, as refused
    if (!p) return;
    cancelled.add(p.state);
    oauthForm().focus();
    try {
      await api.oauthCancel(p.state);
    } catch (err) {
      if (ctx.signal.aborted || pending) return;
      const form = oauthSlot.querySelector('form');
      if (form) showOauthError(form, form.querySelector('.error-slot'), err);
    }
  }

  async function finished(payload) {
    const p = pending;
    pending = null;
    if (payload.account) {
      const who = payload.account.handle || payload.account.did || p?.account;
      oauthSlot.replaceChildren(h('div', { class: 'oauth-waiting oauth-done', 'data-testid': 'oauth-done', role: 'status' },
        h('div', { class: 'waiting-head' },
          h('span', { class: 'done-icon' }, icon('check')),
          h('h2', { class: 'waiting-title' }, 'Signed in'),
          h('p', { class: 'waiting-text' }, 'Welcome, ', h('strong', {}, who), '. Opening your account…'))));
      await ctx.actions.accountAdded(payload.account);
      return;
    }
    const error = payload.error || { code: 'error', message: 'The browser sign-in did not finish.', hint: 'Please try again.' };
    oauthForm({ error });
  }

  // Listen for the browser's answer for as long as this screen is shown.
  api.on('oauth-finished', (payload) => {
    if (ctx.signal.aborted || !payload?.state) return;
    if (pending && payload.state === pending.state) finished(payload);
    else if (cancelled.delete(payload.state) && payload.error && !pending && !starting) oauthForm({ error: payload.error });
    else if (starting) early.set(payload.state, payload);
  }, { signal: ctx.signal }).catch(() => {});
  ctx.signal.addEventListener('abort', () => {
    // Leaving the screen gives up on a sign-in still waiting for the browser.
    if (pending) api.oauthCancel(pending.state).catch(() => {});
    pending = null;
  }, { once: true });

  /* ----- Password: collapsed behind "Use a password instead", then the form ----- */
  function passwordSection() {
    if (!passwordOpen) {
      const el = h('div', { class: 'auth-alt' },
        h('button', {
          type: 'button', class: 'alt-toggle', 'data-testid': 'use-password', 'aria-expanded': 'false',
          onclick: () => {
            passwordOpen = true;
            const open = passwordSection();
            el.replaceWith(open.el);
            altSection = open;
            open.focus({ preventScroll: true });
            open.el.scrollIntoView({ block: 'nearest' });
          },
        },
        h('span', { class: 'method-icon method-icon--muted' }, icon('key')),
        h('span', { class: 'alt-text' },
          h('span', { class: 'alt-title' }, 'Use a password instead'),
          h('span', { class: 'alt-why' }, PASSWORD_WHY)),
        icon('chevronDown', 'alt-chevron')));
      return { el, focus: () => {} };
    }

    const headId = nextId('method');
    const identifier = h('input', {
      name: 'identifier', type: 'text', class: 'input', required: true,
      autocomplete: 'username', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
      placeholder: 'alice.bsky.social', value: creds.identifier,
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

    const form = h('form', { class: 'form', 'data-testid': 'add-account-form', novalidate: true, 'aria-labelledby': headId },
      field({ label: 'Handle, DID or email', input: identifier }),
      field({ label: 'Password', input: password, trailing: reveal }),
      advanced,
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still signing in… the server is slow to respond.'), submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      const id = identifier.value.trim();
      if (!id) return fieldError(identifier, errorSlot, 'Enter your handle, DID or email address.');
      if (!password.value) return fieldError(password, errorSlot, 'Enter your password.');
      creds.identifier = id;
      creds.password = password.value;
      creds.pdsHost = pdsHost.value.trim() || null;
      await attempt({ form, submitBtn: submit, errorSlot, busyLabel: 'Signing in…', token: null, lock: [identifier, password, pdsHost, reveal] });
    });

    const el = h('section', { class: 'auth-card auth-card--secondary', 'aria-labelledby': headId, 'data-testid': 'password-method' },
      h('div', { class: 'auth-method' },
        methodHead({ iconName: 'key', id: headId, title: 'Use a password', text: PASSWORD_WHY, tone: 'muted' }),
        form),
      h('p', { class: 'keychain-note' }, icon('lock'),
        h('span', {}, 'Your password goes only to your PDS and is never saved; the session your PDS gives Stratos is kept in your system keychain.')));
    return { el, focus: (opts) => (identifier.value ? password : identifier).focus(opts) };
  }

  /* ----- Password, step 2: emailed sign-in code ----- */
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
    const back = button('Back', { 'data-testid': 'auth-factor-back', onclick: () => { chooseStep({ focus: false }); altSection.focus(); } });

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

    oauthSlot = null;
    altSection = null;
    body.replaceChildren(h('div', { class: 'auth-card' }, h('div', { class: 'auth-method' }, form)));
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
      // The error and the button to try again both in view (the error grows the form).
      if (!target) submitBtn.focus({ preventScroll: true });
      submitBtn.scrollIntoView({ block: 'nearest' });
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

  chooseStep({ focus: params.focus !== false });
  return {
    accountsChanged() {
      const show = hasAccounts();
      backBtn.hidden = !show;
      body.querySelectorAll('.leave-btn').forEach((btn) => { btn.hidden = !show; });
    },
  };
}

async function loadInfo() {
  try {
    oauthInfoCache = await api.oauthInfo();
  } catch {
    // Without the list the form still works; the server shows the request anyway.
  }
  return oauthInfoCache;
}
