// "Move to another server": the migration wizard. The backend copies, verifies, and only then
// asks for the emailed PLC code; the old account stays untouched until the identity step.
//
// Every step is journalled by the backend, so this screen can be left, the app restarted, and the
// move resumed: on mount it reads the journal (`migration_journal`) and offers to continue.
// Progress arrives as `migration-progress` {did, event}; events are the core's own:
// stepStarted/stepDone {step}, repo {bytes}, blobs {done, total, bytes}, retry {what, ...}.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, hostOf } from '../widgets/dom.js';
import { field, fieldError, codeInput, passwordInput, panelCard } from '../widgets/forms.js';
import { formatBytes } from '../widgets/format.js';

/** The steps, in the backend's order, with what each means for the person. */
const STEPS = [
  ['preflight', 'Check both servers'],
  ['createAccount', 'Create the account on the new server'],
  ['repo', 'Copy posts and other records'],
  ['blobs', 'Copy images and other files'],
  ['preferences', 'Copy preferences'],
  ['verify', 'Verify the copy'],
  ['identityOp', 'Point your identity at the new server'],
  ['activate', 'Activate the new account'],
  ['deactivateSource', 'Deactivate the old account'],
  ['finalCheck', 'Final check'],
];
const SAFE_UNTIL = 'identityOp'; // before this step, cancelling leaves everything as it was

export function mount(main, ctx, { did }) {
  const account = () => ctx.state.accounts.find((a) => a.did === did);
  const titleId = nextId('title');
  let journal = null;
  let password = ''; // the new server's password, kept only while this screen is open
  let running = false;

  const stepItems = new Map();
  const stepList = h('ol', { class: 'mig-steps', 'data-testid': 'migration-steps', 'aria-label': 'Steps' },
    ...STEPS.map(([id, label]) => {
      const li = h('li', { class: 'mig-step', 'data-step': id, 'data-state': 'pending' },
        h('span', { class: 'mig-step-mark', 'aria-hidden': 'true' }), h('span', { class: 'mig-step-label' }, label),
        h('span', { class: 'visually-hidden mig-step-state' }, 'not started'));
      stepItems.set(id, li);
      return li;
    }));
  const body = h('div', { class: 'mig-body', 'aria-live': 'polite' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'migration-status' });

  const back = button('Back to account', { variant: 'ghost', iconName: 'back', 'data-testid': 'migration-back' });
  back.addEventListener('click', () => ctx.go('overview', { did, force: true }));
  main.replaceChildren(h('section', { class: 'screen', 'aria-labelledby': titleId, 'data-testid': 'migration-screen' },
    h('header', { class: 'screen-header' },
      h('div', {},
        h('h1', { id: titleId, tabindex: '-1' }, 'Move to another server'),
        h('p', { class: 'screen-subtitle' },
          `@${account()?.handle || did} lives on ${hostOf(account()?.pdsUrl) || 'its server'}. Moving copies everything to a new server, checks the copy, and only then points your identity there.`)),
      back),
    h('div', { class: 'mig-layout' }, stepList, body),
    status));

  const setStep = (id, state) => {
    const li = stepItems.get(id);
    if (!li) return;
    li.dataset.state = state;
    li.querySelector('.mig-step-state').textContent = { done: 'done', active: 'in progress', pending: 'not started' }[state];
    li.querySelector('.mig-step-mark').replaceChildren(state === 'done' ? icon('check') : state === 'active' ? h('span', { class: 'spinner' }) : '');
    if (state === 'active') li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  };
  const showJournal = (j) => {
    for (const [id] of STEPS) setStep(id, j?.done?.includes(id) ? 'done' : 'pending');
  };

  /* ---------- Progress ---------- */
  const repoLine = h('span', { class: 'job-status', 'data-testid': 'migration-repo' }, '');
  const blobBar = h('progress', { class: 'job-bar', 'data-testid': 'migration-blob-bar', max: 1 });
  const blobLine = h('span', { class: 'job-status', 'data-testid': 'migration-blobs' }, '');
  const retryLine = h('p', { class: 'muted mig-retry', 'data-testid': 'migration-retry' });
  let blobStart = null;
  const onEvent = (event) => {
    if (event.kind === 'stepStarted') {
      setStep(event.step, 'active');
      status.textContent = STEPS.find(([id]) => id === event.step)?.[1] || '';
    } else if (event.kind === 'stepDone') {
      setStep(event.step, 'done');
    } else if (event.kind === 'repo') {
      repoLine.textContent = `Repository: ${formatBytes(event.bytes) || '0 B'} copied`;
    } else if (event.kind === 'blobs') {
      blobStart ??= { at: performance.now(), done: event.done, bytes: event.bytes };
      blobBar.max = Math.max(event.total, 1);
      blobBar.value = event.done;
      const secs = (performance.now() - blobStart.at) / 1000;
      const rate = secs > 1 ? (event.bytes - blobStart.bytes) / secs : 0;
      const perBlob = secs > 1 && event.done > blobStart.done ? secs / (event.done - blobStart.done) : 0;
      const eta = perBlob ? Math.round(perBlob * (event.total - event.done)) : null;
      blobLine.textContent = `${event.done.toLocaleString()} of ${event.total.toLocaleString()} files · ${formatBytes(event.bytes) || '0 B'}`
        + (rate ? ` · ${formatBytes(rate)}/s` : '') + (eta !== null && event.done < event.total ? ` · about ${eta} s left` : '');
    } else if (event.kind === 'retry') {
      retryLine.textContent = `Retrying ${event.what} in ${event.waitSecs} s (attempt ${event.attempt} failed: ${event.reason})`;
    }
  };
  api.on('migration-progress', (p) => {
    if (p?.did === did && !ctx.signal.aborted) onEvent(p.event);
  }, { signal: ctx.signal }).catch(() => {});
  ctx.signal.addEventListener('abort', () => {
    if (running) api.migrationPause(did).catch(() => {});
  });

  function progressView() {
    const pause = button('Pause', { iconName: 'clock', 'data-testid': 'migration-pause' });
    pause.addEventListener('click', () => {
      setBusy(pause, true, 'Pausing…');
      api.migrationPause(did).catch(() => {});
    });
    return h('div', { class: 'job mig-job', 'data-testid': 'migration-progress' },
      h('div', { class: 'job-head' }, h('span', { class: 'job-title' }, 'Moving…'), repoLine, pause),
      blobBar, blobLine, retryLine,
      h('p', { class: 'muted' }, 'Your old account keeps working while this runs. You can pause and continue later, even after closing Stratos.'));
  }

  /** Runs `call` (a start or a continuation) and shows what comes next. */
  async function drive(call) {
    running = true;
    blobStart = null;
    body.replaceChildren(progressView());
    try {
      const outcome = await call();
      if (ctx.signal.aborted) return;
      journal = await api.migrationJournal(did).catch(() => journal);
      showOutcome(outcome);
    } catch (err) {
      if (ctx.signal.aborted) return;
      journal = await api.migrationJournal(did).catch(() => journal);
      showJournal(journal);
      showStopped(err);
    } finally {
      running = false;
    }
  }

  function showOutcome(outcome) {
    showJournal(journal);
    if (outcome.kind === 'done') return showDone(outcome.journal);
    setStep(SAFE_UNTIL, 'active');
    body.replaceChildren(codeView(outcome));
  }

  /* ---------- The identity step: code and agreement ---------- */
  function codeView(outcome) {
    const target = hostOf(journal?.targetPds) || 'the new server';
    const code = codeInput('plcCode', { 'data-testid': 'migration-code' });
    const agree = h('input', { type: 'checkbox', name: 'agree', id: nextId('agree'), 'data-testid': 'migration-agree' });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Point my identity at the new server', { variant: 'primary', type: 'submit', 'data-testid': 'migration-identity-submit' });
    const changes = h('ul', { class: 'mig-changes', 'data-testid': 'migration-changes' },
      ...(outcome.changes || []).map((c) => h('li', { class: `mig-change mig-change--${c.kind}`, title: c.description },
        h('span', { class: 'tag' }, { added: 'Added', removed: 'Removed', changed: 'Changed', moved: 'Moved' }[c.kind] || c.kind), ' ', c.plain || c.description)));
    const form = h('form', { class: 'mig-form', novalidate: true, 'data-testid': 'migration-code-form' },
      callout('success', 'Everything is copied and verified', `The copy on ${target} matches your account. One step is left, and it cannot be undone simply: your identity will point at ${target}.`, { iconName: 'check' }),
      h('h2', { class: 'mig-h2' }, 'What changes in your identity'),
      changes,
      field({
        label: 'Code from the email', input: code,
        help: outcome.emailSent ? 'We just emailed a code to the account’s address. It is valid for 15 minutes.' : 'Use the code emailed less than 15 minutes ago.',
      }),
      h('label', { class: 'check', for: agree.id }, agree, h('span', {}, `I understand: my identity moves to ${target}.`)),
      errorSlot,
      h('div', { class: 'form-actions' }, cancelButton(), submit));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!code.value.trim()) return fieldError(code, errorSlot, 'Enter the code from the email.');
      if (!agree.checked) return fieldError(agree, errorSlot, 'Tick the box to agree to the change.');
      const plcToken = code.value.trim();
      drive(() => api.migrationContinue(did, { plcToken, confirmed: true, password }));
    });
    queueMicrotask(() => code.focus());
    return form;
  }

  function cancelButton() {
    const btn = button('Cancel the move', { variant: 'danger-ghost', 'data-testid': 'migration-cancel' });
    btn.addEventListener('click', async () => {
      setBusy(btn, true, 'Cancelling…');
      try {
        await api.migrationCancel(did);
        if (ctx.signal.aborted) return;
        journal = null;
        showJournal(null);
        body.replaceChildren(callout('info', 'The move was cancelled', 'Your account was not changed. The unused copy on the other server stays deactivated.', { 'data-testid': 'migration-cancelled' }), planForm());
      } catch (err) {
        setBusy(btn, false);
        body.prepend(errorBox(err));
      }
    });
    return btn;
  }

  /* ---------- Stopped (paused or failed) ---------- */
  function showStopped(err) {
    const paused = err.code === 'cancelled';
    const resume = button('Continue', { variant: 'primary', iconName: 'refresh', 'data-testid': 'migration-resume' });
    const needsPassword = err.code === 'migration_password_needed' || err.code === 'migration_source_password_needed';
    const pw = passwordInput('migrationPassword', { autocomplete: err.code === 'migration_password_needed' ? 'new-password' : 'current-password' });
    resume.addEventListener('click', () => {
      const input = { password };
      if (err.code === 'migration_password_needed') input.password = password = pw.input.value;
      if (err.code === 'migration_source_password_needed') input.sourcePassword = pw.input.value;
      drive(() => api.migrationContinue(did, input));
    });
    const safe = journal && !journal.done.includes(SAFE_UNTIL);
    body.replaceChildren(
      paused
        ? callout('info', 'The move is paused', 'Everything copied so far is kept. Continue when you are ready.', { 'data-testid': 'migration-paused' })
        : errorBox(err, { testid: 'migration-error' }),
      needsPassword ? field({ label: err.code === 'migration_password_needed' ? 'Password on the new server' : 'Password of the old account', input: pw.input, trailing: pw.reveal }) : null,
      h('div', { class: 'form-actions' }, safe ? cancelButton() : null, resume));
  }

  function showDone(j) {
    const target = hostOf(j.targetPds);
    const records = Object.values(j.facts?.records || {}).reduce((a, b) => a + b, 0);
    const open = button('Open the account', { variant: 'primary', 'data-testid': 'migration-open' });
    open.addEventListener('click', () => ctx.go('overview', { did, force: true }));
    body.replaceChildren(
      callout('success', `Your account now lives on ${target}`, `You are @${j.handle} there. ${records.toLocaleString()} records and ${(j.facts?.expectedBlobs ?? 0).toLocaleString()} files were copied and verified.`, { 'data-testid': 'migration-done', iconName: 'check' }),
      ...(j.facts?.notes || []).map((n) => callout('info', 'Note', n)),
      h('div', { class: 'form-actions' }, open));
    open.focus();
  }

  /* ---------- The plan ---------- */
  function planForm() {
    const server = h('input', { name: 'targetPds', type: 'url', class: 'input', required: true, placeholder: 'https://pds.example.com', 'data-testid': 'migration-server', autocomplete: 'url' });
    const handle = h('input', { name: 'handle', type: 'text', class: 'input', required: true, autocapitalize: 'off', spellcheck: 'false', 'data-testid': 'migration-handle' });
    const email = h('input', { name: 'email', type: 'email', class: 'input', required: true, autocomplete: 'email', 'data-testid': 'migration-email' });
    const pw = passwordInput('newPassword', { autocomplete: 'new-password', 'data-testid': 'migration-password' });
    const invite = h('input', { name: 'inviteCode', type: 'text', class: 'input', 'data-testid': 'migration-invite' });
    const deactivate = h('input', { type: 'checkbox', name: 'deactivate', id: nextId('deact'), checked: true, 'data-testid': 'migration-deactivate' });
    const check = button('Check', { iconName: 'search', 'data-testid': 'migration-check' });
    const start = button('Start moving', { variant: 'primary', type: 'submit', disabled: true, 'data-testid': 'migration-start' });
    const report = h('div', { class: 'mig-report', 'data-testid': 'migration-preflight', 'aria-live': 'polite' });
    const errorSlot = h('div', { class: 'error-slot' });
    const plan = () => ({
      did, targetPds: server.value.trim(), handle: handle.value.trim().replace(/^@/, ''), email: email.value.trim(),
      password: pw.input.value, inviteCode: invite.value.trim() || null, deactivateSource: deactivate.checked,
    });
    for (const input of [server, handle, email, pw.input, invite]) input.addEventListener('input', () => { start.disabled = true; });
    check.addEventListener('click', async () => {
      errorSlot.replaceChildren();
      if (!server.value.trim()) return fieldError(server, errorSlot, 'Enter the address of the new server.');
      setBusy(check, true, 'Checking…');
      try {
        const r = await api.migrationPreflight(plan());
        if (ctx.signal.aborted) return;
        report.replaceChildren(preflightReport(r));
        if (!handle.value.trim() && r.availableDomains?.length) handle.placeholder = `you${r.availableDomains[0]}`;
        start.disabled = r.blockers.length > 0;
      } catch (err) {
        if (!ctx.signal.aborted) errorSlot.replaceChildren(errorBox(err));
      } finally {
        if (!ctx.signal.aborted) setBusy(check, false);
      }
    });
    const form = h('form', { class: 'mig-form', novalidate: true, 'data-testid': 'migration-plan' },
      panelCard({
        iconName: 'server', title: 'The new server',
        text: 'Your posts, follows, images and preferences are copied there. Your DID, and so your followers, stay the same.',
        children: [h('div', { class: 'tool-body mig-fields' },
          field({ label: 'Server address', input: server }),
          field({ label: 'Handle on the new server', input: handle, help: 'Under one of the server’s domains; “Check” lists them.' }),
          field({ label: 'Email address', input: email }),
          field({ label: 'Password on the new server', input: pw.input, trailing: pw.reveal, help: 'At least 8 characters. Stratos keeps it only until the new account is made.' }),
          field({ label: 'Invite code (if the server needs one)', input: invite }),
          h('label', { class: 'check', for: deactivate.id }, deactivate, h('span', {}, 'Deactivate the old account when the move is done')))],
      }),
      report, errorSlot,
      h('div', { class: 'form-actions' }, check, start));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (start.disabled) return;
      password = pw.input.value;
      drive(() => api.migrationStart(plan()));
    });
    queueMicrotask(() => server.focus());
    return form;
  }

  function preflightReport(r) {
    const items = [
      ['Records', r.records != null ? r.records.toLocaleString() : '—'],
      ['Files (blobs)', r.expectedBlobs != null ? r.expectedBlobs.toLocaleString() : '—'],
      ['Handle domains', (r.availableDomains || []).join(', ') || '—'],
      ['Invite code', r.inviteCodeRequired ? 'needed' : 'not needed'],
    ];
    return h('div', {},
      h('dl', { class: 'mig-facts' }, ...items.map(([k, v]) => h('div', { class: 'row' }, h('dt', {}, k), h('dd', {}, v)))),
      r.blockers.length
        ? callout('danger', 'This move cannot start yet', null, { 'data-testid': 'migration-blockers', action: h('ul', {}, ...r.blockers.map((b) => h('li', {}, b))) })
        : callout('success', 'Ready to move', 'Nothing changes on your current server until the copy is verified.', { iconName: 'check', 'data-testid': 'migration-ready' }),
      ...(r.warnings || []).map((w) => callout('warning', 'Good to know', w)));
  }

  /* ---------- Start: a move under way is resumed, else the plan ---------- */
  body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  api.migrationJournal(did).then((j) => {
    if (ctx.signal.aborted) return;
    journal = j;
    showJournal(j);
    if (j && !j.done.includes('finalCheck')) {
      const resume = button('Continue the move', { variant: 'primary', iconName: 'refresh', 'data-testid': 'migration-resume' });
      resume.addEventListener('click', () => drive(() => api.migrationContinue(did, { password })));
      const safe = !j.done.includes(SAFE_UNTIL);
      body.replaceChildren(
        callout('info', `A move to ${hostOf(j.targetPds)} is under way`, `Started ${new Date(j.startedAt).toLocaleString()}. ${safe ? 'Your old account has not been changed yet.' : 'Your identity already points at the new server: finish the move.'}`, { 'data-testid': 'migration-underway' }),
        h('div', { class: 'form-actions' }, safe ? cancelButton() : null, resume));
      resume.focus();
    } else if (j) {
      showDone(j);
    } else {
      body.replaceChildren(planForm());
    }
  }).catch((err) => {
    if (!ctx.signal.aborted) body.replaceChildren(errorBox(err), planForm());
  });
  return {};
}
