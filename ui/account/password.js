// Account section "Password" (Security tab): choose a new password with a code the server emails
// to the account's address; the strength meter checks it (on this computer) as it is typed.
// The address shown comes from the Email section (emailChanged).
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, slowNote } from '../widgets/dom.js';
import { field, fieldError, markInvalid, codeInput, passwordInput, panelCard, flowIntro, lockForm, wireResend } from '../widgets/forms.js';
import { strengthMeter, MIN_SCORE } from '../widgets/strength_meter.js';

const STRENGTH_DELAY = 200;

export function mount(parent, ctx, acct, { announce }) {
  const { did } = acct;
  let knownAddress = null; // the account's email address, once the Email section has it
  const pw = {
    body: h('div', { class: 'sec-body' }),
    open: false, // a change is under way, or its result is showing
  };

  parent.append(panelCard({
    iconName: 'lock',
    title: 'Password',
    text: 'Choose a new password for this account. Your server emails a code to check it’s you.',
    testid: 'password-card',
    children: [pw.body],
  }));

  function renderPassword({ focus = false, notice = null } = {}) {
    pw.open = false;
    const errSlot = h('div', { class: 'error-slot' });
    const start = button('Change password', { iconName: 'key', 'data-testid': 'password-reset-start' });
    start.addEventListener('click', () => startReset(start, errSlot));
    const to = knownAddress ? ['Stratos asks your server to email a code to ', h('strong', { class: 'selectable' }, knownAddress), '; with it you choose a new password.']
      : 'Stratos asks your server to email a code to the account’s address; with it you choose a new password.';
    pw.body.replaceChildren(...[
      notice,
      h('p', { class: 'panel-text' }, to),
      errSlot,
      h('div', { class: 'btn-row' }, start),
    ].filter(Boolean));
    if (focus) start.focus();
  }

  async function startReset(trigger, errSlot) {
    errSlot.replaceChildren();
    pw.open = true; // a refresh meanwhile leaves this card alone
    setBusy(trigger, true, 'Sending code…');
    try {
      const target = await api.passwordResetRequest(did);
      if (ctx.signal.aborted) return;
      openReset(target?.email || knownAddress || null);
    } catch (err) {
      if (ctx.signal.aborted) return;
      pw.open = false;
      setBusy(trigger, false);
      errSlot.replaceChildren(errorBox(err));
      trigger.focus();
    }
  }

  function openReset(address) {
    pw.open = true;
    const code = codeInput('resetCode');
    const { input: newPassword, reveal } = passwordInput('newPassword', { autocomplete: 'new-password', spellcheck: 'false' });
    const { input: again, reveal: revealAgain } = passwordInput('newPasswordAgain', { autocomplete: 'new-password', spellcheck: 'false' });
    const meter = strengthMeter();
    const mismatchId = nextId('mismatch');
    const mismatch = h('p', { class: 'field-error', id: mismatchId, 'data-testid': 'password-mismatch', hidden: true },
      icon('alert'), h('span', {}, 'The passwords don’t match.'));
    const sentNote = h('p', { class: 'sec-sent', role: 'status' });
    const resend = button('Send a new code', { variant: 'ghost', size: 'sm', iconName: 'refresh', 'data-testid': 'password-reset-resend' });
    const errorSlot = h('div', { class: 'error-slot' });
    const hint = h('p', { class: 'sec-submit-hint', 'data-testid': 'password-reset-hint', 'aria-live': 'polite' });
    const cancel = button('Cancel', { 'data-testid': 'password-reset-cancel', onclick: () => close() });
    const submit = button('Change password', { variant: 'primary', type: 'submit', iconName: 'check', 'data-testid': 'password-reset-submit', disabled: true });
    const titleId = nextId('sec-reset');

    const close = () => {
      clearTimeout(timer);
      newPassword.value = '';
      again.value = '';
      renderPassword({ focus: true });
    };

    const newField = field({ label: 'New password', input: newPassword, trailing: reveal });
    newField.append(meter.el);
    newPassword.setAttribute('aria-describedby', meter.labelId);
    const againField = field({ label: 'New password again', input: again, trailing: revealAgain });
    againField.append(mismatch);

    const form = h('form', {
      class: 'form sec-flow sec-reset', 'data-testid': 'password-reset-form', novalidate: true, 'aria-labelledby': titleId,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) { e.stopPropagation(); close(); } },
    },
    flowIntro('mail', titleId, 'Choose a new password',
      address ? ['We emailed a code to ', h('strong', { class: 'selectable' }, address), '. It can take a minute to arrive.']
        : 'We emailed a code to the address on this account. It can take a minute to arrive.'),
    field({ label: 'Code from the email', input: code, help: 'It looks like ABCDE-FGHIJ.' }),
    h('div', { class: 'sec-resend-row' }, resend, sentNote),
    newField,
    againField,
    errorSlot,
    h('div', { class: 'form-actions' }, hint, slowNote('Still changing… the server is slow to respond.'), cancel, submit));

    /* Strength, checked by the backend a moment after typing stops. */
    let timer = null;
    let strengthSeq = 0;
    let strength = null; // {score, feedback} for the current value; null while unknown
    let strengthFailed = false;

    const checkStrength = () => {
      clearTimeout(timer);
      const value = newPassword.value;
      const mine = ++strengthSeq;
      strength = null;
      strengthFailed = false;
      if (!value) {
        meter.set(null);
        update();
        return;
      }
      meter.pending();
      update();
      timer = setTimeout(async () => {
        try {
          const result = await api.passwordStrength(value);
          if (ctx.signal.aborted || mine !== strengthSeq) return;
          strength = { score: Number(result?.score) || 0, feedback: Array.isArray(result?.feedback) ? result.feedback : [] };
          meter.set(strength);
        } catch {
          if (ctx.signal.aborted || mine !== strengthSeq) return;
          strengthFailed = true; // the server still refuses weak passwords (weak_password)
          meter.failed();
        }
        update();
      }, STRENGTH_DELAY);
    };

    /** Enable the submit button only when everything is there; say what's missing. */
    function update() {
      const pass = newPassword.value;
      const other = again.value;
      const differs = !!other && other !== pass && (other.length >= pass.length || !pass.startsWith(other));
      mismatch.hidden = !differs;
      if (differs) again.setAttribute('aria-describedby', mismatchId);
      else again.removeAttribute('aria-describedby');
      if (differs) again.setAttribute('aria-invalid', 'true');
      else again.removeAttribute('aria-invalid');

      let why = '';
      if (!code.value.trim()) why = 'Enter the code from the email.';
      else if (!pass) why = 'Choose a new password.';
      else if (!strength && !strengthFailed) why = 'Checking the password…';
      else if (strength && strength.score < MIN_SCORE) why = 'Choose a stronger password.';
      else if (!other) why = 'Type the new password again.';
      else if (other !== pass) why = 'Type the same password twice.';
      hint.textContent = why;
      if (!form.classList.contains('is-busy')) submit.disabled = !!why;
      return why;
    }

    code.addEventListener('input', update);
    newPassword.addEventListener('input', checkStrength);
    again.addEventListener('input', update);

    wireResend(resend, { signal: ctx.signal, errorSlot, sentNote, code, send: () => api.passwordResetRequest(did) });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (e.target !== form) return;
      errorSlot.replaceChildren();
      const why = update();
      if (why) {
        const input = !code.value.trim() ? code : !newPassword.value || (strength && strength.score < MIN_SCORE) ? newPassword : again;
        return fieldError(input, errorSlot, why, 'invalid_input');
      }
      setBusy(submit, true, 'Changing…');
      lockForm(form, true, [code, newPassword, again, reveal, revealAgain, resend, cancel]);
      try {
        await api.passwordReset(did, { code: code.value.trim(), newPassword: newPassword.value });
        if (ctx.signal.aborted) return;
        newPassword.value = '';
        again.value = '';
        announce('Your password was changed.');
        showResetDone();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        lockForm(form, false, [code, newPassword, again, reveal, revealAgain, resend, cancel]);
        update();
        errorSlot.replaceChildren(errorBox(err));
        if (err.code === 'weak_password') markInvalid(newPassword);
        else if (/code|token/.test(err.code || '')) markInvalid(code);
        else submit.focus();
      }
    });

    pw.body.replaceChildren(form);
    update();
    code.focus();
  }

  function showResetDone() {
    const titleId = nextId('sec-reset-done');
    const oauth = acct.account()?.authKind === 'oauth';
    const done = button('Done', { variant: 'primary', 'data-testid': 'password-reset-done-close' });
    const box = h('section', { class: 'created-box sec-reset-done', 'data-testid': 'password-reset-done', 'aria-labelledby': titleId },
      h('header', { class: 'created-head' },
        h('span', { class: 'done-icon' }, icon('check')),
        h('div', {},
          h('h3', { class: 'created-title', id: titleId, tabindex: '-1' }, 'Your password was changed.'),
          h('p', { class: 'muted' }, 'Apps signed in with it stay signed in; sign in again elsewhere with the new one.'))),
      h('p', { class: 'sec-done-note' }, icon('browser'),
        h('span', {}, oauth
          ? 'Stratos signed in to this account through your browser, so it is not affected.'
          : 'Browser sign-ins in Stratos are not affected. If Stratos asks for this account’s password, use the new one.')),
      h('div', { class: 'form-actions' }, done));
    done.addEventListener('click', () => renderPassword({ focus: true }));
    pw.open = true; // keep the message until Done
    pw.body.replaceChildren(box);
    box.querySelector('h3').focus();
  }

  renderPassword();

  return {
    emailChanged(info) {
      knownAddress = info?.email || null;
      if (!pw.open) renderPassword();
    },
  };
}
