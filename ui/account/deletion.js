// Account section "Delete account" (Danger zone tab): remove the account and everything in it from
// its server for good, with a code the server emails and the account password.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, hostOf, slowNote } from '../widgets/dom.js';
import { field, fieldError, markInvalid, codeInput, passwordInput, panelCard } from '../widgets/forms.js';
import { withStepUp, CANCELLED } from '../widgets/step_up.js';

export function mount(parent, ctx, acct) {
  const { did } = acct;
  const deleteBody = h('div', { class: 'delete-body' });
  const host = () => hostOf(acct.overview()?.pds?.url || acct.account()?.pdsUrl) || 'your server';

  parent.append(panelCard({
    iconName: 'alert',
    title: 'Delete account',
    text: 'Remove the account and everything in it from your server, for good.',
    tone: 'danger',
    testid: 'delete-card',
    children: [deleteBody],
  }));

  /** Opens the Backups tab, where backups are made. */
  function backupLink() {
    const btn = button('Back up now…', { size: 'sm', iconName: 'download', 'data-testid': 'delete-backup-open' });
    btn.addEventListener('click', () => ctx.go('overview', { did, tab: 'backups', force: true }));
    return btn;
  }

  /* ----- Delete ----- */
  function renderDeleteStart({ focus = false } = {}) {
    const errSlot = h('div', { class: 'error-slot' });
    const stepSlot = h('div', { class: 'step-slot' });
    const request = button('Send me a deletion code', { variant: 'danger-ghost', iconName: 'mail', 'data-testid': 'delete-request' });
    deleteBody.replaceChildren(h('div', { class: 'panel-pad' },
      h('p', { class: 'panel-text' },
        'Deleting removes your account and everything in it from ', h('strong', {}, host()),
        ' for good: posts, follows, likes, images and settings. ', h('strong', {}, 'There is no undo.')),
      h('div', { class: 'backup-note', 'data-testid': 'delete-backup-note' },
        icon('database', 'backup-icon'),
        h('div', {},
          h('p', { class: 'strong' }, 'Make a backup first'),
          h('p', { class: 'muted' }, 'Save a copy of your repository and media into a folder (Tools › Backup), or with the command line: ',
            h('span', { class: 'mono selectable' }, 'stratos backup run --to <folder>')),
          backupLink())),
      h('p', { class: 'panel-text' }, 'To delete, your server first emails a deletion code to the address on this account.'),
      stepSlot,
      errSlot,
      h('div', { class: 'btn-row panel-actions' }, request)));
    request.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(request, true, 'Sending…');
      try {
        await withStepUp(stepSlot, (creds) => api.accountDeleteRequest(did, creds), { trigger: request, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        renderDeleteForm();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(request, false);
        if (err.code !== CANCELLED) errSlot.replaceChildren(errorBox(err));
        request.focus();
      }
    });
    if (focus) request.focus();
  }

  function renderDeleteForm({ resent = false } = {}) {
    const handle = acct.account()?.handle || acct.overview()?.handle || '';
    const confirm = h('input', {
      name: 'confirmHandle', type: 'text', class: 'input input--mono', required: true,
      autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
    });
    const { input: password, reveal } = passwordInput('deletePassword');
    const code = codeInput('deleteCode');
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Delete account for good', { variant: 'danger', type: 'submit', iconName: 'alert', 'data-testid': 'delete-submit', disabled: true });
    const cancel = button('Cancel', { 'data-testid': 'delete-cancel', onclick: () => renderDeleteStart({ focus: true }) });
    const resend = button('Send a new code', { variant: 'ghost', iconName: 'mail', 'data-testid': 'delete-resend' });
    const matches = () => confirm.value === handle && handle !== '';
    confirm.addEventListener('input', () => { submit.disabled = !matches(); });

    const titleId = nextId('delete');
    const form = h('form', { class: 'form delete-form', 'data-testid': 'delete-form', novalidate: true, 'aria-labelledby': titleId },
      h('div', { class: 'step-intro' },
        h('span', { class: 'step-icon step-icon--danger' }, icon('mail')),
        h('div', {},
          h('h3', { class: 'step-title', id: titleId, tabindex: '-1' }, resent ? 'We sent a new code' : 'Check your email'),
          h('p', { class: 'step-text' }, 'Your server emailed a deletion code to the address on this account. Enter it with your password to delete ',
            h('strong', {}, handle || did), '.'))),
      field({
        label: h('span', {}, 'Type ', h('span', { class: 'mono strong selectable' }, handle), ' to confirm'),
        input: confirm,
        help: 'Exactly as shown, so you don’t delete the wrong account.',
      }),
      field({ label: 'Account password', input: password, trailing: reveal, help: 'Your main password, not an app password. It goes to your server once and is never saved.' }),
      field({ label: 'Deletion code', input: code, help: 'From the email, like ABCDE-FGHIJ.' }),
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still deleting… the server is slow to respond.'), resend, h('span', { class: 'spacer' }), cancel, submit));

    resend.addEventListener('click', async () => {
      errorSlot.replaceChildren();
      setBusy(resend, true, 'Sending…');
      try {
        await api.accountDeleteRequest(did, {});
        if (ctx.signal.aborted) return;
        setBusy(resend, false);
        errorSlot.replaceChildren(callout('info', 'A new code is on its way', 'Use the newest email; older codes stop working.', { role: 'status', iconName: 'mail' }));
        code.value = '';
        code.focus();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(resend, false);
        if (err.code === 'password_needed') renderDeleteStart({ focus: true });
        else errorSlot.replaceChildren(errorBox(err));
      }
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!matches()) return fieldError(confirm, errorSlot, `Type ${handle} exactly to confirm.`, 'handle_mismatch');
      if (!password.value) return fieldError(password, errorSlot, 'Enter your account password.');
      const token = code.value.trim();
      if (!token) return fieldError(code, errorSlot, 'Enter the deletion code from the email.');
      setBusy(submit, true, 'Deleting…');
      form.classList.add('is-busy');
      form.setAttribute('aria-busy', 'true');
      const lock = [confirm, password, reveal, code, cancel, resend];
      lock.forEach((el) => { el.disabled = true; });
      try {
        const result = await api.accountDelete({ did, confirmHandle: confirm.value, password: password.value, token });
        password.value = '';
        // Even if the screen has changed meanwhile (the account list moved on), say what happened.
        await ctx.actions.accountDeleted({ did, handle, ...result });
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(submit, false);
        form.classList.remove('is-busy');
        form.removeAttribute('aria-busy');
        lock.forEach((el) => { el.disabled = false; });
        submit.disabled = !matches();
        errorSlot.replaceChildren(errorBox(err));
        const target = { handle_mismatch: confirm, wrong_password: password, password_needed: password, wrong_code: code, wrong_auth_factor: code }[err.code];
        if (target) markInvalid(target);
        else submit.focus();
      }
    });

    deleteBody.replaceChildren(h('div', { class: 'panel-pad' }, form));
    confirm.focus();
  }

  renderDeleteStart();
}
