// Account section "Email" (Security tab): the email address (confirm it, change it) and the
// emailed sign-in code (email 2FA). Tells the other sections when the address is known or changes
// (acct.emailChanged), as the Password section names it.
//
// Changing the address or the sign-in code setting needs a password session: browser (OAuth)
// accounts are refused with `password_needed` and asked for the account password via step_up.js.
// When the address is confirmed, the server first emails a code to the CURRENT address
// (`email_request_update` → {tokenRequired}). Addresses and messages come from the server: text only.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, tonePill, nextId, skeleton, spinner, slowNote } from '../widgets/dom.js';
import { field, fieldError, markInvalid, codeInput, panelCard, flowIntro, lockForm, wireResend } from '../widgets/forms.js';
import { withStepUp, CANCELLED } from '../widgets/step_up.js';

const EMAIL_HIDDEN = 'email_hidden';
const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function mount(parent, ctx, acct, { announce }) {
  const { did } = acct;
  let info = null; // EmailInfo once loaded
  let infoError = null; // why it could not be loaded
  let loading = false;
  let seq = 0;

  /* ----- Cards ----- */
  const email = {
    summary: h('div', { class: 'sec-summary', 'aria-live': 'polite' }),
    notice: h('div', { class: 'sec-notice' }),
    actions: h('div', { class: 'sec-actions' }),
    flow: null, // 'confirm' | 'change' while one is open
  };
  const tf = {
    body: h('div', { class: 'sec-body' }),
    open: false, // a change is under way (code form, step-up or request)
  };

  parent.append(
    panelCard({
      iconName: 'mail',
      title: 'Email',
      text: 'Where your server sends sign-in codes, password resets and notices about your account.',
      testid: 'email-card',
      children: [h('div', { class: 'sec-body' }, email.summary, email.notice, email.actions)],
    }),
    panelCard({
      iconName: 'shield',
      title: 'Sign-in code',
      text: 'When on, signing in with your password also needs a code emailed to you.',
      testid: 'two-factor-card',
      children: [tf.body],
    }));

  /* ----- Loading the email settings ----- */
  async function load() {
    if (loading) return;
    loading = true;
    const mine = ++seq;
    if (!info && !infoError) renderAll();
    else email.summary.classList.add('is-stale');
    try {
      const result = await api.emailInfo(did);
      if (ctx.signal.aborted || mine !== seq) return;
      info = result;
      infoError = null;
    } catch (err) {
      if (ctx.signal.aborted || mine !== seq) return;
      infoError = err;
      if (err.code === EMAIL_HIDDEN) info = null;
    } finally {
      if (!ctx.signal.aborted && mine === seq) {
        loading = false;
        email.summary.classList.remove('is-stale');
        renderAll();
      }
    }
  }

  function renderAll() {
    renderEmail();
    renderTwoFactor();
    acct.emailChanged(info);
  }

  /** New settings from a successful action: every card shows them. */
  function setInfo(next) {
    if (next && typeof next === 'object' && typeof next.email === 'string') {
      info = next;
      infoError = null;
    }
    acct.reloadOverview?.();
  }

  /* =====================================================================
   * Email
   * ===================================================================== */
  function renderEmail({ notice = null, focus = null } = {}) {
    email.summary.replaceChildren(emailSummary());
    email.notice.replaceChildren(...(notice ? [notice] : []));
    if (!email.flow) email.actions.replaceChildren(...emailActions());
    if (focus === 'notice') notice?.focus({ preventScroll: false });
    else if (focus) email.actions.querySelector(`[data-testid="${focus}"]`)?.focus();
  }

  function emailSummary() {
    if (!info) {
      if (infoError) {
        const hidden = infoError.code === EMAIL_HIDDEN;
        const action = hidden
          ? button('Sign in again', { variant: 'primary', iconName: 'key', size: 'sm', 'data-testid': 'email-sign-in-again', onclick: () => acct.signInAgain() })
          : button('Try again', { iconName: 'refresh', size: 'sm', 'data-testid': 'email-retry', onclick: () => load() });
        return errorBox(infoError, { tone: hidden ? 'warning' : 'danger', action });
      }
      return h('div', { class: 'sec-address', 'aria-hidden': 'true' },
        skeleton('skeleton--icon'), h('div', { class: 'sec-address-text' }, skeleton('skeleton--label'), skeleton('skeleton--value')));
    }
    const confirmed = !!info.confirmed;
    return h('div', { class: 'sec-address', 'data-testid': 'email-summary' },
      h('span', { class: `sec-address-icon${confirmed ? ' is-ok' : ''}` }, icon('mail')),
      h('div', { class: 'sec-address-text' },
        h('span', { class: 'sec-address-label' }, 'Address'),
        h('span', { class: 'mono selectable sec-address-value', 'data-testid': 'email-address' }, info.email)),
      tonePill(confirmed ? 'success' : 'warning', confirmed ? 'Confirmed' : 'Not confirmed',
        { 'data-testid': 'email-status', 'data-confirmed': String(confirmed) }));
  }

  function emailActions() {
    if (!info) return [];
    const errSlot = h('div', { class: 'error-slot' });
    const confirmStart = info.confirmed ? null
      : button('Confirm address', { variant: 'primary', iconName: 'check', 'data-testid': 'email-confirm-start' });
    const changeStart = button('Change address', { iconName: 'mail', 'data-testid': 'email-change-start' });
    confirmStart?.addEventListener('click', () => startConfirm(confirmStart, changeStart, errSlot));
    changeStart.addEventListener('click', () => openChange());
    return [
      h('p', { class: 'panel-text' }, info.confirmed
        ? 'Sign-in codes and password resets are sent here.'
        : 'Your server hasn’t confirmed this address yet. Confirm it so sign-in codes and password resets can reach you.'),
      errSlot,
      h('div', { class: 'btn-row' }, confirmStart, changeStart),
    ];
  }

  /** Close the open email flow and show the buttons again. */
  function closeEmailFlow({ focus = null, notice } = {}) {
    email.flow = null;
    renderEmail({ notice, focus });
  }

  /* ----- Confirm the address ----- */
  async function startConfirm(trigger, other, errSlot) {
    errSlot.replaceChildren();
    email.notice.replaceChildren();
    email.flow = 'confirm'; // a refresh meanwhile leaves the buttons alone
    setBusy(trigger, true, 'Sending code…');
    other.disabled = true;
    try {
      const result = await api.emailRequestConfirmation(did);
      if (ctx.signal.aborted) return;
      if (result && typeof result.email === 'string') info = result;
      email.summary.replaceChildren(emailSummary());
      if (info.confirmed) {
        // Already confirmed (elsewhere, meanwhile): nothing to do.
        closeEmailFlow({ notice: callout('success', 'This address is already confirmed', null, { iconName: 'check', role: 'status' }) });
        renderTwoFactor();
        return;
      }
      openConfirm();
    } catch (err) {
      if (ctx.signal.aborted) return;
      email.flow = null;
      setBusy(trigger, false);
      other.disabled = false;
      errSlot.replaceChildren(errorBox(err));
      trigger.focus();
    }
  }

  function openConfirm() {
    email.flow = 'confirm';
    const code = codeInput('emailCode');
    const errorSlot = h('div', { class: 'error-slot' });
    const sentNote = h('p', { class: 'sec-sent', role: 'status' });
    const resend = button('Send a new code', { variant: 'ghost', size: 'sm', iconName: 'refresh', 'data-testid': 'email-confirm-resend' });
    const cancel = button('Cancel', { 'data-testid': 'email-confirm-cancel', onclick: () => closeEmailFlow({ focus: 'email-confirm-start' }) });
    const submit = button('Confirm', { variant: 'primary', type: 'submit', iconName: 'check', 'data-testid': 'email-confirm-submit' });
    const titleId = nextId('sec-confirm');
    const form = h('form', {
      class: 'form sec-flow', 'data-testid': 'email-confirm-form', novalidate: true, 'aria-labelledby': titleId,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) { e.stopPropagation(); closeEmailFlow({ focus: 'email-confirm-start' }); } },
    },
    flowIntro('mail', titleId, 'Enter the code from your email',
      ['We emailed a code to ', h('strong', { class: 'selectable' }, info.email), '. It can take a minute to arrive; check your spam folder too.']),
    field({ label: 'Confirmation code', input: code, help: 'It looks like ABCDE-FGHIJ.' }),
    h('div', { class: 'sec-resend-row' }, resend, sentNote),
    errorSlot,
    h('div', { class: 'form-actions' }, slowNote('Still confirming… the server is slow to respond.'), cancel, submit));

    const lock = (on) => lockForm(form, on, [code, resend, cancel]);

    wireResend(resend, { signal: ctx.signal, errorSlot, sentNote, code, send: () => api.emailRequestConfirmation(did) });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (e.target !== form) return;
      errorSlot.replaceChildren();
      const value = code.value.trim();
      if (!value) return fieldError(code, errorSlot, 'Enter the code from the email.', 'empty_code');
      setBusy(submit, true, 'Confirming…');
      lock(true);
      try {
        const result = await api.emailConfirm(did, value);
        if (ctx.signal.aborted) return;
        setInfo(result);
        if (info) info = { ...info, confirmed: true };
        const done = callout('success', 'Your address is confirmed', 'Sign-in codes and password resets will be sent to it.',
          { iconName: 'check', role: 'status', tabindex: '-1', 'data-testid': 'email-confirm-done' });
        announce('Your email address is confirmed.');
        closeEmailFlow({ notice: done, focus: 'notice' });
        renderTwoFactor();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        lock(false);
        errorSlot.replaceChildren(errorBox(err));
        if (/code|token/.test(err.code || '')) markInvalid(code);
        else submit.focus();
      }
    });

    email.actions.replaceChildren(form);
    code.focus();
  }

  /* ----- Change the address ----- */
  function openChange() {
    email.flow = 'change';
    email.notice.replaceChildren();
    const old = info.email;
    let codeSent = false; // the server emailed a code to the old address

    const newEmail = h('input', {
      name: 'newEmail', type: 'email', class: 'input', required: true, autocomplete: 'email', inputmode: 'email',
      spellcheck: 'false', autocapitalize: 'off', placeholder: 'you@example.com', maxlength: '254',
    });
    const code = codeInput('emailChangeCode', { required: false });
    const codeField = field({ label: 'Code from the email', input: code, help: 'It looks like ABCDE-FGHIJ.', props: { hidden: true } });
    const codeNote = h('div', { class: 'sec-code-note' });
    const stepSlot = h('div', { class: 'step-slot' });
    const errorSlot = h('div', { class: 'error-slot' });
    const cancel = button('Cancel', { 'data-testid': 'email-change-cancel', onclick: () => close() });
    const submit = button('Continue', { variant: 'primary', type: 'submit', iconName: 'chevronRight', 'data-testid': 'email-change-submit' });
    const titleId = nextId('sec-change');
    const close = () => closeEmailFlow({ focus: 'email-change-start' });
    const form = h('form', {
      class: 'form sec-flow', 'data-testid': 'email-change-form', novalidate: true, 'aria-labelledby': titleId,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) { e.stopPropagation(); close(); } },
    },
    flowIntro('mail', titleId, 'Change your email address', info.confirmed
      ? ['To check it’s you, your server first emails a code to your current address, ', h('strong', { class: 'selectable' }, old), '.']
      : ['Your current address, ', h('strong', { class: 'selectable' }, old), ', is not confirmed, so no code is needed to change it.']),
    field({ label: 'New address', input: newEmail, help: 'You’ll need to confirm the new address with a code sent to it.' }),
    codeNote,
    codeField,
    errorSlot,
    h('div', { class: 'form-actions' }, slowNote('Still working… the server is slow to respond.'), cancel, submit));

    const lock = (on) => lockForm(form, on, [code, cancel], [newEmail]);

    const showCodeStep = () => {
      codeSent = true;
      codeField.hidden = false;
      codeNote.replaceChildren(callout('info', ['We emailed a code to your current address ', h('strong', { class: 'selectable' }, old)],
        'Enter it below to change the address. It can take a minute to arrive.',
        { iconName: 'mail', role: 'status', 'data-testid': 'email-change-code-sent' }));
      submit.querySelector('.btn-label').textContent = 'Change address';
      submit.querySelector('.btn-icon')?.replaceWith(icon('check', 'btn-icon'));
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (e.target !== form) return;
      errorSlot.replaceChildren();
      const address = newEmail.value.trim();
      if (!address) return fieldError(newEmail, errorSlot, 'Enter the new email address.', 'empty_email');
      if (!LOOKS_LIKE_EMAIL.test(address)) {
        return fieldError(newEmail, errorSlot, 'That doesn’t look like an email address. Enter one like alice@example.com.', 'bad_email');
      }
      if (address.toLowerCase() === old.toLowerCase()) {
        return fieldError(newEmail, errorSlot, 'That is already this account’s address. Enter a different one.', 'same_email');
      }
      const token = code.value.trim();
      if (codeSent && !token) return fieldError(code, errorSlot, 'Enter the code we emailed to your current address.', 'empty_code');

      setBusy(submit, true, codeSent ? 'Changing…' : 'Checking…');
      lock(true);
      try {
        if (!codeSent) {
          const req = await withStepUp(stepSlot, (creds) => api.emailRequestUpdate(did, creds), { trigger: submit, signal: ctx.signal });
          if (ctx.signal.aborted) return;
          if (req?.tokenRequired) {
            setBusy(submit, false);
            lock(false);
            showCodeStep();
            announce(`We emailed a code to ${old}.`);
            code.focus();
            return;
          }
          setBusy(submit, true, 'Changing…');
        }
        const result = await withStepUp(stepSlot, (creds) => api.emailUpdate(did, { email: address, code: codeSent ? token : null }, creds),
          { trigger: submit, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        setInfo(result);
        if (!result || typeof result.email !== 'string') info = { ...info, email: address, confirmed: false };
        const now = info.email;
        const done = callout('success', ['Your address is now ', h('span', { class: 'mono selectable' }, now)],
          info.confirmed ? 'It is confirmed and ready to use.' : 'It needs confirming: choose “Confirm address” to get a code at the new address.',
          { iconName: 'check', role: 'status', tabindex: '-1', 'data-testid': 'email-change-done' });
        announce(`Email address changed to ${now}.`);
        closeEmailFlow({ notice: done, focus: 'notice' });
        renderTwoFactor();
        acct.emailChanged(info);
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        lock(false);
        if (err.code === CANCELLED) return submit.focus();
        if (err.code === 'code_needed' && !codeSent) {
          showCodeStep();
          code.focus();
          return;
        }
        errorSlot.replaceChildren(errorBox(err));
        if (/code|token/.test(err.code || '') && codeSent) markInvalid(code);
        else if (/email|address/.test(err.code || '')) markInvalid(newEmail);
        else submit.focus();
      }
    });

    email.actions.replaceChildren(h('div', { class: 'sec-flow-wrap' }, form, stepSlot));
    newEmail.focus();
  }

  /* =====================================================================
   * Sign-in code (email 2FA)
   * ===================================================================== */
  function renderTwoFactor({ notice = null, focus = false } = {}) {
    if (tf.open) return;
    const known = !!info;
    const on = !!info?.twoFactor;
    const usable = known && !!info.confirmed;
    const id = nextId('sec-2fa');
    const toggle = h('input', {
      id, type: 'checkbox', class: 'switch', role: 'switch', name: 'twoFactor',
      checked: on, disabled: !usable, 'aria-describedby': `${id}-help`,
      'data-testid': 'two-factor-toggle', 'data-enabled': String(on),
    });
    const stateText = h('span', { class: `sec-toggle-state${on ? ' is-on' : ''}`, 'aria-hidden': 'true' }, known ? (on ? 'On' : 'Off') : '');
    const errSlot = h('div', { class: 'error-slot' });
    const stepSlot = h('div', { class: 'step-slot' });
    const flowSlot = h('div', { class: 'sec-flow-slot' });

    let help;
    if (!known && !infoError) help = skeleton('skeleton--value');
    else if (!known) help = 'Stratos can’t see this account’s email settings, so it can’t change this.';
    else if (on) help = ['On: signing in with the password also needs the code sent to ', h('span', { class: 'selectable' }, info.email), '.'];
    else help = 'Off: the password alone is enough to sign in.';

    const row = h('div', { class: `sec-toggle${usable ? '' : ' is-disabled'}` },
      h('div', { class: 'setting-text' },
        h('label', { class: 'setting-label', for: id }, 'Email me a code when I sign in'),
        h('p', { class: 'setting-help', id: `${id}-help` }, help)),
      h('div', { class: 'sec-toggle-control' }, stateText, toggle));

    let why = null;
    if (known && !info.confirmed) {
      const confirmFirst = button('Confirm address', {
        variant: 'ghost', size: 'sm', 'data-testid': 'two-factor-confirm-first',
        onclick: () => {
          const start = email.actions.querySelector('[data-testid="email-confirm-start"]');
          if (start && !start.disabled) {
            start.scrollIntoView({ block: 'nearest' });
            start.click();
          } else {
            (email.actions.querySelector('input') || email.summary).scrollIntoView({ block: 'nearest' });
            email.actions.querySelector('input')?.focus();
          }
        },
      });
      why = h('div', { class: 'sec-why', 'data-testid': 'two-factor-unavailable' },
        icon('info'),
        h('p', {}, 'Confirm your email address first: the code is sent there, and an unconfirmed address could lock you out.'),
        confirmFirst);
      toggle.setAttribute('aria-describedby', `${id}-help ${id}-why`);
      why.querySelector('p').id = `${id}-why`;
    }

    tf.body.replaceChildren(...[row, why, notice, errSlot, stepSlot, flowSlot].filter(Boolean));
    toggle.addEventListener('change', () => changeTwoFactor({ toggle, stateText, errSlot, stepSlot, flowSlot, was: on }));
    if (focus === 'notice') notice?.focus();
    else if (focus) toggle.focus();
  }

  async function changeTwoFactor({ toggle, stateText, errSlot, stepSlot, flowSlot, was }) {
    const want = toggle.checked;
    tf.open = true;
    errSlot.replaceChildren();
    tf.body.querySelector('.sec-done')?.remove();
    toggle.disabled = true;
    toggle.setAttribute('aria-busy', 'true');
    stateText.replaceChildren(spinner(), want ? 'Turning on…' : 'Turning off…');
    const restore = ({ focus = true } = {}) => {
      tf.open = false;
      toggle.checked = was;
      toggle.disabled = false;
      toggle.removeAttribute('aria-busy');
      stateText.replaceChildren(was ? 'On' : 'Off');
      if (focus) toggle.focus();
    };
    try {
      const req = await withStepUp(stepSlot, (creds) => api.emailRequestUpdate(did, creds), { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      if (req?.tokenRequired) {
        stateText.replaceChildren('Waiting for code');
        openTwoFactorCode({ want, flowSlot, restore });
        return;
      }
      const result = await withStepUp(stepSlot, (creds) => api.emailTwoFactor(did, { enabled: want, code: null }, creds), { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      twoFactorDone(result, want);
    } catch (err) {
      if (ctx.signal.aborted) return;
      restore();
      if (err.code !== CANCELLED) errSlot.replaceChildren(errorBox(err));
    }
  }

  function openTwoFactorCode({ want, flowSlot, restore }) {
    const code = codeInput('twoFactorCode');
    const stepSlot = h('div', { class: 'step-slot' });
    const errorSlot = h('div', { class: 'error-slot' });
    const cancel = button('Cancel', { 'data-testid': 'two-factor-cancel', onclick: () => close() });
    const submit = button(want ? 'Turn on' : 'Turn off', { variant: 'primary', type: 'submit', iconName: 'shield', 'data-testid': 'two-factor-submit' });
    const titleId = nextId('sec-2fa-code');
    const close = () => {
      flowSlot.replaceChildren();
      restore();
    };
    const form = h('form', {
      class: 'form sec-flow', 'data-testid': 'two-factor-form', novalidate: true, 'aria-labelledby': titleId,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) { e.stopPropagation(); close(); } },
    },
    flowIntro('mail', titleId, want ? 'Enter the code to turn sign-in codes on' : 'Enter the code to turn sign-in codes off',
      ['We emailed a code to ', h('strong', { class: 'selectable' }, info.email), '. It can take a minute to arrive.']),
    field({ label: 'Code from the email', input: code, help: 'It looks like ABCDE-FGHIJ.' }),
    errorSlot,
    h('div', { class: 'form-actions' }, slowNote('Still working… the server is slow to respond.'), cancel, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (e.target !== form) return;
      errorSlot.replaceChildren();
      const value = code.value.trim();
      if (!value) return fieldError(code, errorSlot, 'Enter the code from the email.', 'empty_code');
      setBusy(submit, true, want ? 'Turning on…' : 'Turning off…');
      lockForm(form, true, [code, cancel]);
      try {
        const result = await withStepUp(stepSlot, (creds) => api.emailTwoFactor(did, { enabled: want, code: value }, creds),
          { trigger: submit, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        twoFactorDone(result, want);
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        lockForm(form, false, [code, cancel]);
        if (err.code === CANCELLED) return submit.focus();
        errorSlot.replaceChildren(errorBox(err));
        if (/code|token/.test(err.code || '')) markInvalid(code);
        else submit.focus();
      }
    });

    flowSlot.replaceChildren(h('div', { class: 'sec-flow-wrap' }, form, stepSlot));
    code.focus();
  }

  function twoFactorDone(result, want) {
    setInfo(result);
    if (info && (!result || typeof result.email !== 'string')) info = { ...info, twoFactor: want };
    tf.open = false;
    const on = !!info?.twoFactor;
    const done = callout('success', on ? 'Sign-in codes are on' : 'Sign-in codes are off',
      on ? 'Next time you sign in with your password, your server will email you a code too.'
        : 'Your password alone is enough to sign in now.',
      { iconName: 'check', role: 'status', 'data-testid': 'two-factor-done' });
    done.classList.add('sec-done');
    announce(on ? 'Sign-in codes are on.' : 'Sign-in codes are off.');
    renderTwoFactor({ notice: done, focus: true });
  }

  load();

  return {
    refresh: () => load(),
  };
}
