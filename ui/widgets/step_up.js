// "Enter your account password": some actions (app passwords, deactivation, deletion) need a
// password session. A browser (OAuth) account is refused with `password_needed`; the same call is
// then repeated once with the account password, and with the emailed code if the server asks
// (`auth_factor_required`). The password lives only in the input and this retry: the backend
// keeps its own step-up session for a few minutes, so later calls go without it.
import { h, icon, button, setBusy, errorBox, callout, nextId, slowNote } from './dom.js';
import { field, fieldError, markInvalid, codeInput, passwordInput } from './forms.js';

export const CANCELLED = 'step_up_cancelled';

/**
 * Run `call(creds)` with no password; on `password_needed`, show the prompt in `slot` and retry.
 * Resolves with the call's result; rejects with the call's error, or `{code: CANCELLED}` when the
 * person cancels. `trigger` (the button that started the action) is un-busied but kept disabled
 * while the prompt is open.
 */
export async function withStepUp(slot, call, { trigger = null, signal = null } = {}) {
  try {
    return await call({ password: null, authFactorToken: null });
  } catch (err) {
    if (err?.code !== 'password_needed' || signal?.aborted) throw err;
    return prompt(slot, call, { trigger, signal });
  }
}

function prompt(slot, call, { trigger, signal }) {
  return new Promise((resolve, reject) => {
    if (trigger) {
      setBusy(trigger, false);
      trigger.disabled = true;
    }
    const { input: password, reveal } = passwordInput('stepUpPassword');
    const code = codeInput('stepUpCode', { required: false });
    const codeField = field({
      label: 'Code from your email', input: code,
      help: 'Your server emailed a code like ABCDE-FGHIJ to the address on this account.',
      props: { hidden: true },
    });
    const codeNote = h('div', { class: 'error-slot' });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Continue', { variant: 'primary', type: 'submit', iconName: 'lock', 'data-testid': 'step-up-submit' });
    const cancel = button('Cancel', { 'data-testid': 'step-up-cancel', onclick: () => done(null, cancelled()) });
    const titleId = nextId('step-up');
    const form = h('form', {
      class: 'form step-up', 'data-testid': 'step-up-form', novalidate: true, 'aria-labelledby': titleId,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) { e.stopPropagation(); done(null, cancelled()); } },
    },
    h('div', { class: 'step-intro' },
      h('span', { class: 'step-icon' }, icon('lock')),
      h('div', {},
        h('h3', { class: 'step-title', id: titleId }, 'Enter your account password'),
        h('p', { class: 'step-text' }, 'Your server only allows this with the account password. Stratos sends it to your server once and never saves it; the session it gives back is kept in memory for a few minutes (Settings › Passwords).'))),
    field({ label: 'Account password', input: password, trailing: reveal, help: 'Your main password, not an app password.' }),
    codeNote,
    codeField,
    errorSlot,
    h('div', { class: 'form-actions' }, slowNote('Still checking… the server is slow to respond.'), cancel, submit));

    let finished = false;
    function done(result, err) {
      if (finished) return;
      finished = true;
      password.value = '';
      code.value = '';
      const hadFocus = form.contains(document.activeElement);
      slot.replaceChildren();
      if (trigger) trigger.disabled = false;
      if (err) {
        if (hadFocus && err.code === CANCELLED) trigger?.focus();
        reject(err);
      } else {
        resolve(result);
      }
    }
    signal?.addEventListener('abort', () => done(null, cancelled()), { once: true });

    const lock = (busy) => {
      form.classList.toggle('is-busy', busy);
      if (busy) form.setAttribute('aria-busy', 'true');
      else form.removeAttribute('aria-busy');
      [password, code, reveal, cancel].forEach((el) => { el.disabled = busy; });
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!password.value) return fieldError(password, errorSlot, 'Enter your account password.');
      const needCode = !codeField.hidden;
      const token = code.value.trim();
      if (needCode && !token) return fieldError(code, errorSlot, 'Enter the code from the email.');
      setBusy(submit, true, 'Checking…');
      lock(true);
      try {
        const result = await call({ password: password.value, authFactorToken: needCode ? token : null });
        if (signal?.aborted) return;
        done(result, null);
      } catch (err) {
        if (finished || signal?.aborted) return;
        setBusy(submit, false);
        lock(false);
        if (err.code === 'auth_factor_required' && !needCode) {
          codeField.hidden = false;
          codeNote.replaceChildren(callout('info', err.message || 'Your server emailed you a code', err.hint || null,
            { iconName: 'mail', role: 'status', 'data-testid': 'form-error', 'data-code': err.code }));
          code.focus();
          return;
        }
        errorSlot.replaceChildren(errorBox(err));
        if (err.code === 'wrong_password' || err.code === 'password_needed') markInvalid(password);
        else if (err.code === 'wrong_auth_factor') markInvalid(code);
        else submit.focus();
      }
    });

    slot.replaceChildren(form);
    form.scrollIntoView({ block: 'nearest' });
    password.focus({ preventScroll: true });
  });
}

const cancelled = () => ({ code: CANCELLED, message: 'Cancelled.', hint: null });
