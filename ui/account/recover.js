// "Recover on a new server": the recovery wizard, for an account whose PDS is gone. With a
// rotation key of the person's in this keychain and a verified backup, the core rebuilds the
// account on a new PDS under the same DID, without ever contacting the old one.
//
// Five pages: (1) what you need, each ✓ or ✗ with what to do; (2) the new server and the account
// there; (3) the identity change, to read and agree to; (4) the journalled steps, with Cancel;
// (5) what was restored. The backend journals every step, so on mount a recovery under way is
// offered to be resumed (also after the app was closed). Progress arrives as `recover-progress`
// {did, event}: stepStarted/stepDone {step}, blobs {done, total}.
import * as api from '../api.js';
import { h, icon, button, setBusy, callout, errorBox, nextId, hostOf, mono, muted, fullTime, relativeTime, spinner } from '../widgets/dom.js';
import { field, fieldError, markInvalid, passwordInput, panelCard } from '../widgets/forms.js';

/** The core's steps, in order, with what each means for the person. */
const STEPS = [
  ['check', 'Check the key and the backup'],
  ['signingKey', 'Make a new signing key'],
  ['signingKeyOp', 'Name the new signing key in your identity'],
  ['createAccount', 'Create the account on the new server'],
  ['identityOp', 'Point your identity at the new server'],
  ['repo', 'Restore the repository'],
  ['blobs', 'Upload images and other files'],
  ['preferences', 'Restore preferences'],
  ['activate', 'Activate the account'],
  ['verify', 'Verify the new server’s copy'],
];

/** The wizard's pages, for the stepper at the top. */
const PAGES = [
  ['needs', 'What you need'],
  ['server', 'New server'],
  ['identity', 'Identity change'],
  ['progress', 'Recovery'],
  ['done', 'Done'],
];

/** A failure in plain words, by the core's code; the core's own message goes under Details. */
const PLAIN = {
  recovery_no_rotation_key: 'This computer holds no key that can change your identity',
  recovery_backup_damaged: 'The backup is damaged',
  recovery_blocked: 'Some details need changing before the recovery can start',
  recovery_started: 'A recovery of this account is already under way',
  recovery_password_needed: 'The new server’s password is needed to go on',
  recovery_create_refused: 'The new server refused to create the account',
  recovery_blobs_failed: 'Some images or files could not be uploaded',
  recovery_verify_failed: 'The new server’s copy does not match the backup',
  recovery_journal: 'Stratos could not save where the recovery got to',
  recovery_server: 'The new server does not answer',
  cancelled: 'The recovery is paused',
};

const sum = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);
const shortKey = (key) => (key && key.length > 30 ? `${key.slice(0, 18)}…${key.slice(-8)}` : key || '');

/**
 * An error in plain words (by its code, else the core's own sentence) with its hint; the core's
 * sentence and the technical cause go under Details (the widgets' disclosure).
 */
function problemBox(err, { testid = 'recover-error', fallback = 'The recovery stopped' } = {}) {
  const plain = PLAIN[err.code];
  const detail = plain ? [err.message, err.detail].filter(Boolean).join(' — ') : err.detail;
  return errorBox({ ...err, message: plain || err.message || fallback, detail }, { testid });
}

export function mount(main, ctx, { did }) {
  const account = () => ctx.state.accounts.find((a) => a.did === did);
  const name = () => `@${account()?.handle || did}`;
  const titleId = nextId('title');
  let preview = null; // the last recoverPreview answer
  let plan = null; // what page 2 collected (the password only until it is sent)
  let running = false;

  /* ---------- Layout: stepper, page body ---------- */
  const pageItems = new Map();
  const stepper = h('ol', { class: 'rec-stepper', 'aria-label': 'Recovery pages', 'data-testid': 'recover-stepper' },
    ...PAGES.map(([id, label], i) => {
      const li = h('li', { class: 'rec-page', 'data-page': id, 'data-state': 'pending' },
        h('span', { class: 'rec-page-mark', 'aria-hidden': 'true' }, String(i + 1)),
        h('span', { class: 'rec-page-label' }, label));
      pageItems.set(id, li);
      return li;
    }));
  const body = h('div', { class: 'rec-body', 'data-testid': 'recover-body' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'recover-status' });
  const back = button('Back to account', { variant: 'ghost', iconName: 'back', 'data-testid': 'recover-back' });
  back.addEventListener('click', () => ctx.go('overview', { did, force: true }));
  const screen = h('section', { class: 'screen rec-screen', 'aria-labelledby': titleId, 'data-testid': 'recover-screen', 'data-page': '' },
    h('header', { class: 'screen-header' },
      h('div', { class: 'rec-head' },
        h('h1', { id: titleId, tabindex: '-1' }, 'Recover on a new server'),
        h('p', { class: 'screen-subtitle' },
          `When the server of ${name()} is gone for good, Stratos rebuilds the account on a new server from your backup, with your own key. Your DID, and so your followers, stay the same.`)),
      back),
    stepper, body, status);
  main.replaceChildren(screen);

  function showPage(id, ...children) {
    const at = PAGES.findIndex(([p]) => p === id);
    PAGES.forEach(([p], i) => {
      const li = pageItems.get(p);
      li.dataset.state = i < at ? 'done' : i === at ? 'active' : 'pending';
      li.querySelector('.rec-page-mark').replaceChildren(i < at ? icon('check') : String(i + 1));
      if (i === at) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    screen.dataset.page = id;
    body.replaceChildren(...children);
    status.textContent = PAGES[at][1];
    window.scrollTo(0, 0);
  }

  /* ---------- Page 1: what you need ---------- */
  function needRow({ ok, title, text, todo, testid }) {
    return h('li', { class: `rec-need rec-need--${ok ? 'ok' : 'missing'}`, 'data-testid': testid, 'data-ok': String(ok) },
      h('span', { class: 'rec-need-mark' }, icon(ok ? 'check' : 'x')),
      h('div', { class: 'rec-need-body' },
        h('p', { class: 'rec-need-title' }, h('span', { class: 'visually-hidden' }, ok ? 'Ready: ' : 'Missing: '), title),
        h('p', { class: 'rec-need-text' }, text),
        !ok && todo ? h('p', { class: 'rec-need-todo' }, todo) : null));
  }

  async function needsPage() {
    const again = button('Check again', { iconName: 'refresh', 'data-testid': 'recover-recheck' });
    const next = button('Next', { variant: 'primary', 'data-testid': 'recover-next', disabled: true });
    const list = h('ul', { class: 'rec-needs', 'data-testid': 'recover-needs', 'aria-busy': 'true' },
      h('li', { class: 'rec-need rec-need--loading' }, spinner(), h('span', { class: 'muted' }, 'Reading your identity, your keychain and your backup…')));
    const errorSlot = h('div', { class: 'error-slot' });
    const oldServer = h('p', { class: 'muted rec-old' });
    showPage('needs', panelCard({
      iconName: 'shield', title: 'What you need', testid: 'recover-needs-card',
      text: 'Two things let you recover without the old server: a key of yours that can change your identity, and a backup.',
      children: [h('div', { class: 'tool-body' }, list, oldServer, errorSlot, h('div', { class: 'form-actions' }, again, next))],
    }));
    const load = async () => {
      errorSlot.replaceChildren();
      setBusy(again, true, 'Checking…');
      next.disabled = true;
      list.setAttribute('aria-busy', 'true');
      try {
        preview = await api.recoverPreview(did);
        if (ctx.signal.aborted) return;
        const key = preview.rotationKey;
        const b = preview.backup;
        const records = sum(b.records);
        const when = b.createdAt ? `Taken ${relativeTime(b.createdAt) || fullTime(b.createdAt)}` : (b.snapshot ? `Snapshot ${b.snapshot}` : '');
        list.replaceChildren(
          needRow({
            ok: !!key.key, testid: 'recover-need-key',
            title: key.key ? 'A rotation key of yours, in force' : 'No rotation key of yours is in force',
            text: key.key ? h('span', {}, 'In this keychain, and your identity lets it sign: ', mono(shortKey(key.key)), '.') : `${key.problem || 'None found'}.`,
            todo: 'Without one, only the old server could change your identity: ask its operator. If you saved your recovery key or its 24 words, import it (stratos key import), then check again.',
          }),
          needRow({
            ok: b.problems.length === 0, testid: 'recover-need-backup',
            title: b.problems.length === 0 ? 'A verified backup' : (b.snapshot ? 'The newest backup is damaged' : 'No backup of this account'),
            text: b.problems.length === 0
              ? `${when} · ${records.toLocaleString()} records in ${Object.keys(b.records).length} collections · ${Number(b.blobs).toLocaleString()} images and files · all present and intact.`
              : b.problems.join(' · '),
            todo: h('span', {}, 'Stratos reads backups from ', mono(b.folder), '. If yours are in another folder, choose it in Settings, then check again.'),
          }));
        const pds = preview.identity.pdsBefore;
        oldServer.replaceChildren(pds ? h('span', {}, 'Your identity names ', mono(hostOf(pds)), ' as your server. It will not be contacted.') : '');
        next.disabled = !(key.key && b.problems.length === 0);
      } catch (err) {
        if (!ctx.signal.aborted) {
          list.replaceChildren();
          errorSlot.replaceChildren(problemBox(err, { fallback: 'Stratos could not read what the recovery needs' }));
        }
      } finally {
        if (!ctx.signal.aborted) {
          setBusy(again, false);
          list.removeAttribute('aria-busy');
        }
      }
    };
    again.addEventListener('click', load);
    next.addEventListener('click', () => serverPage());
    await load();
    if (!next.disabled) next.focus();
  }

  /* ---------- Page 2: the new server ---------- */
  function serverPage() {
    const server = h('input', { name: 'pds', type: 'url', class: 'input', required: true, placeholder: 'https://pds.example.com', autocomplete: 'url', spellcheck: 'false', 'data-testid': 'recover-server', value: plan?.pds || '' });
    const handle = h('input', { name: 'handle', type: 'text', class: 'input', required: true, autocapitalize: 'off', spellcheck: 'false', 'data-testid': 'recover-handle', value: plan?.handle || '' });
    const email = h('input', { name: 'email', type: 'email', class: 'input', required: true, autocomplete: 'email', 'data-testid': 'recover-email', value: plan?.email || '' });
    const pw = passwordInput('newPassword', { autocomplete: 'new-password', 'data-testid': 'recover-password', minlength: '8' });
    const invite = h('input', { name: 'inviteCode', type: 'text', class: 'input', spellcheck: 'false', 'data-testid': 'recover-invite', value: plan?.inviteCode || '' });
    const errorSlot = h('div', { class: 'error-slot' });
    const prev = button('Back', { iconName: 'back', 'data-testid': 'recover-prev', onclick: () => needsPage() });
    const next = button('Next', { variant: 'primary', type: 'submit', 'data-testid': 'recover-next' });
    const handleHelp = 'Under one of the new server’s domains.';
    const form = h('form', { class: 'rec-form', novalidate: true, 'data-testid': 'recover-plan' },
      panelCard({
        iconName: 'server', title: 'The new server',
        text: 'Your account is made there with the same DID; your records, images and preferences come from the backup.',
        children: [h('div', { class: 'tool-body rec-fields' },
          field({ label: 'Server address', input: server }),
          h('div', { class: 'field-pair' },
            field({ label: 'Handle there', input: handle, help: handleHelp, props: { class: 'field field--grow' } }),
            field({ label: 'Email address', input: email, props: { class: 'field field--grow' } })),
          field({ label: 'Password there', input: pw.input, trailing: pw.reveal, help: 'At least 8 characters. Stratos hands it to the new server and does not keep it.' }),
          field({ label: h('span', {}, 'Invite code ', h('span', { class: 'field-optional' }, '(if the server needs one)')), input: invite }),
          errorSlot,
          h('div', { class: 'form-actions' }, prev, next))],
      }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      const p = {
        did, pds: server.value.trim(), handle: handle.value.trim().replace(/^@/, ''), email: email.value.trim(),
        password: pw.input.value || plan?.password || '', inviteCode: invite.value.trim() || null,
      };
      if (!p.pds) return fieldError(server, errorSlot, 'Enter the address of the new server.');
      if (!p.handle) return fieldError(handle, errorSlot, 'Choose your handle on the new server.');
      if (!p.email.includes('@')) return fieldError(email, errorSlot, 'Enter an email address for the new server.');
      if (p.password.length < 8) return fieldError(pw.input, errorSlot, 'Choose a password of at least 8 characters.');
      setBusy(next, true, 'Checking…');
      try {
        const r = await api.recoverPreview(did, p.pds);
        if (ctx.signal.aborted) return;
        const s = r.server;
        if (s?.problem) {
          errorSlot.replaceChildren(problemBox({ code: 'recovery_server', message: s.problem, hint: 'Check the address; the server must answer before the recovery can start.' }, { testid: 'recover-server-error' }));
          return markInvalid(server);
        }
        const domains = s?.availableDomains || [];
        if (domains.length && !domains.some((d) => p.handle.endsWith(d))) {
          handle.nextElementSibling.textContent = `Under one of: ${domains.join(', ')}.`;
          return fieldError(handle, errorSlot, `Your handle must end with ${domains.join(' or ')} on this server.`);
        }
        if (s?.inviteCodeRequired && !p.inviteCode) return fieldError(invite, errorSlot, 'This server needs an invite code.');
        preview = r;
        plan = p;
        identityPage();
      } catch (err) {
        if (!ctx.signal.aborted) errorSlot.replaceChildren(problemBox(err, { fallback: 'Stratos could not check the new server' }));
      } finally {
        if (!ctx.signal.aborted) setBusy(next, false);
      }
    });
    showPage('server', form);
    server.focus();
  }

  /* ---------- Page 3: the identity change ---------- */
  function diffRow(label, before, after, testid) {
    return h('tr', { 'data-testid': testid },
      h('th', { scope: 'row' }, label),
      h('td', { class: 'rec-before' }, before),
      h('td', { class: 'rec-arrow', 'aria-hidden': 'true' }, icon('chevronRight')),
      h('td', { class: 'rec-after' }, after));
  }

  function identityPage() {
    const id = preview.identity;
    const newHost = hostOf(plan.pds);
    const keyItem = (k, i, whose, tone) => h('li', { class: `rec-key rec-key--${tone}`, 'data-holder': k.holder || tone },
      h('span', { class: 'rec-key-pos' }, String(i + 1)),
      h('span', { class: 'rec-key-body' }, k.key ? mono(shortKey(k.key)) : h('span', { class: 'strong' }, `${newHost}’s key`), h('span', { class: 'muted rec-key-whose' }, whose)));
    const whose = { you: 'Yours, in this keychain: it signs this change', newServer: 'The new server’s, made when the account is created', keychain: 'Another key in this keychain' };
    const after = h('ol', { class: 'rec-keys', 'data-testid': 'recover-keys-after' },
      ...id.rotationKeysAfter.map((k, i) => keyItem(k, i, whose[k.holder], k.holder === 'you' ? 'you' : 'new')));
    const before = h('ol', { class: 'rec-keys', 'data-testid': 'recover-keys-before' },
      ...id.rotationKeysBefore.map((k, i) => {
        const [whoseNow, tone] = k === preview.rotationKey.key ? ['Yours', 'you']
          : id.dropped.includes(k) ? ['Dropped: not in this keychain (the old server’s, most likely)', 'dropped'] : ['Kept: in this keychain', 'kept'];
        return keyItem({ key: k }, i, whoseNow, tone);
      }));
    const table = h('table', { class: 'rec-diff', 'data-testid': 'recover-diff' },
      h('caption', { class: 'visually-hidden' }, 'Your identity before and after the recovery'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Field')), h('th', { scope: 'col' }, 'Now'), h('td', {}), h('th', { scope: 'col' }, 'After'))),
      h('tbody', {},
        diffRow('Server', id.pdsBefore ? h('span', { class: 'rec-old-value' }, mono(hostOf(id.pdsBefore))) : muted('none'), h('span', { class: 'rec-new-value' }, mono(newHost)), 'recover-diff-pds'),
        diffRow('Handle', id.handleBefore ? h('span', { class: 'rec-old-value' }, mono(`@${id.handleBefore}`)) : muted('none'), h('span', { class: 'rec-new-value' }, mono(`@${plan.handle}`)), 'recover-diff-handle'),
        diffRow('Signing key', id.signingKeyBefore ? h('span', { class: 'rec-old-value' }, mono(shortKey(id.signingKeyBefore))) : muted('none'), h('span', {}, `A new key made by ${newHost}`), 'recover-diff-signing'),
        diffRow('Rotation keys', before, after, 'recover-diff-rotation')));
    const agree = h('input', { type: 'checkbox', name: 'agree', id: nextId('agree'), 'data-testid': 'recover-agree' });
    const errorSlot = h('div', { class: 'error-slot' });
    const prev = button('Back', { iconName: 'back', 'data-testid': 'recover-prev', onclick: () => serverPage() });
    const start = button('Recover my account', { variant: 'primary', type: 'submit', iconName: 'shield', 'data-testid': 'recover-start' });
    const form = h('form', { class: 'rec-form', novalidate: true, 'data-testid': 'recover-identity' },
      panelCard({
        iconName: 'globe', title: 'The change to your identity',
        text: `Your key signs two changes in the PLC directory: first a signing key made here, so ${newHost} accepts the account, then the move itself.`,
        children: [h('div', { class: 'tool-body' },
          h('div', { class: 'rec-diff-wrap' }, table),
          id.dropped.length ? callout('warning', `${id.dropped.length === 1 ? 'One rotation key' : `${id.dropped.length} rotation keys`} will be dropped`, 'A key not in this keychain is most likely the old server’s; whoever holds it could otherwise change your identity.', { 'data-testid': 'recover-dropped' }) : null,
          h('label', { class: 'check rec-agree', for: agree.id }, agree,
            h('span', {}, `I agree: my identity moves to ${newHost}, with my key first.`)),
          errorSlot,
          h('div', { class: 'form-actions' }, prev, start))],
      }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!agree.checked) return fieldError(agree, errorSlot, 'Tick the box to agree to the change.');
      const input = { ...plan };
      plan = { ...plan, password: null }; // sent once; a resume before the account exists asks again
      drive(() => api.recoverStart(input, true));
    });
    showPage('identity', form);
    agree.focus();
  }

  /* ---------- Page 4: progress ---------- */
  const stepItems = new Map();
  const stepList = h('ol', { class: 'mig-steps rec-steps', 'data-testid': 'recover-steps', 'aria-label': 'Steps' },
    ...STEPS.map(([id, label]) => {
      const li = h('li', { class: 'mig-step', 'data-step': id, 'data-state': 'pending' },
        h('span', { class: 'mig-step-mark', 'aria-hidden': 'true' }), h('span', { class: 'mig-step-label' }, label),
        h('span', { class: 'visually-hidden mig-step-state' }, 'not started'));
      stepItems.set(id, li);
      return li;
    }));
  const setStep = (id, state) => {
    const li = stepItems.get(id);
    if (!li) return;
    li.dataset.state = state;
    li.querySelector('.mig-step-state').textContent = { done: 'done', active: 'in progress', pending: 'not started', failed: 'stopped here' }[state];
    li.querySelector('.mig-step-mark').replaceChildren(state === 'done' ? icon('check') : state === 'active' ? spinner() : state === 'failed' ? icon('x') : '');
    if (state === 'active') li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  };
  const showJournal = (j) => { for (const [id] of STEPS) setStep(id, j?.done?.includes(id) ? 'done' : 'pending'); };
  const stepBar = h('progress', { class: 'job-bar', max: String(STEPS.length), value: '0', 'data-testid': 'recover-bar' });
  const stepLine = h('span', { class: 'job-status', 'data-testid': 'recover-step-line' }, 'Starting…');
  const blobLine = h('p', { class: 'muted rec-blobs', 'data-testid': 'recover-blobs' });
  const countDone = () => [...stepItems.values()].filter((li) => li.dataset.state === 'done').length;
  api.on('recover-progress', (p) => {
    if (p?.did !== did || ctx.signal.aborted) return;
    const e = p.event;
    if (e.kind === 'stepStarted') {
      setStep(e.step, 'active');
      stepLine.textContent = STEPS.find(([id]) => id === e.step)?.[1] || '';
    } else if (e.kind === 'stepDone') {
      setStep(e.step, 'done');
    } else if (e.kind === 'blobs') {
      blobLine.textContent = `${e.done.toLocaleString()} of ${e.total.toLocaleString()} images and files uploaded`;
    }
    stepBar.value = countDone();
  }, { signal: ctx.signal }).catch(() => {});

  function progressPage(cancel) {
    stepBar.value = countDone();
    return h('div', { class: 'rec-progress', 'data-testid': 'recover-progress' },
      h('div', { class: 'job rec-job' },
        h('div', { class: 'job-head' }, h('span', { class: 'job-title' }, 'Recovering…'), stepLine, cancel),
        stepBar, blobLine),
      stepList,
      h('p', { class: 'muted' }, 'Each step is saved as it finishes. If you cancel, or Stratos closes, the recovery continues from there.'));
  }

  /** Runs `call` (a start or a resume) and shows how it ended. */
  async function drive(call) {
    running = true;
    const cancel = button('Cancel', { size: 'sm', 'data-testid': 'recover-cancel' });
    cancel.addEventListener('click', () => {
      setBusy(cancel, true, 'Stopping…');
      api.recoverCancel(did).catch(() => {});
    });
    stepLine.textContent = 'Starting…';
    blobLine.textContent = '';
    showPage('progress', progressPage(cancel));
    try {
      const j = await call();
      if (ctx.signal.aborted) return;
      showJournal(j);
      donePage(j);
    } catch (err) {
      if (ctx.signal.aborted) return;
      const j = await api.recoverJournal(did).catch(() => null);
      if (ctx.signal.aborted) return;
      showJournal(j);
      stoppedPage(err, j);
    } finally {
      running = false;
    }
  }
  ctx.signal.addEventListener('abort', () => {
    // Leaving the screen pauses the run; it resumes from its journal.
    if (running) api.recoverCancel(did).catch(() => {});
  });

  /** Paused, failed or interrupted: what happened, and Continue (with the password if needed). */
  function stoppedPage(err, j) {
    if (!j) {
      // Refused before anything was made: back to the details.
      const change = button('Change the details', { iconName: 'back', 'data-testid': 'recover-change', onclick: () => serverPage() });
      const first = button('Check what you need again', { 'data-testid': 'recover-recheck', onclick: () => needsPage() });
      showPage('server', problemBox(err), callout('info', 'Nothing was changed', 'Your identity and the new server are as they were.'),
        h('div', { class: 'form-actions' }, first, change));
      return;
    }
    const paused = err?.code === 'cancelled';
    const next = STEPS.find(([id]) => !j.done.includes(id))?.[0];
    if (err && !paused && next) setStep(next, 'failed');
    showPage('progress', h('div', { class: 'rec-progress', 'data-testid': 'recover-stopped' },
      paused
        ? callout('info', 'The recovery is paused', `${j.done.length} of ${STEPS.length} steps are done and saved. Continue when you are ready.`, { 'data-testid': 'recover-paused' })
        : err ? problemBox(err) : underway(j),
      resumeForm(j, err),
      stepList));
  }

  function underway(j) {
    return callout('info', `A recovery to ${hostOf(j.pds)} is under way`,
      `Started ${fullTime(j.startedAt)}; ${j.done.length} of ${STEPS.length} steps are done. It continues from where it stopped.`,
      { 'data-testid': 'recover-underway' });
  }

  function resumeForm(j, err) {
    const needsPassword = !j.done.includes('createAccount');
    const pw = passwordInput('resumePassword', { autocomplete: 'new-password', 'data-testid': 'recover-resume-password' });
    const errorSlot = h('div', { class: 'error-slot' });
    const resume = button('Continue the recovery', { variant: 'primary', type: 'submit', iconName: 'refresh', 'data-testid': 'recover-resume' });
    const form = h('form', { class: 'rec-form rec-resume', novalidate: true },
      needsPassword ? field({ label: `Password on ${hostOf(j.pds)}`, input: pw.input, trailing: pw.reveal, help: err?.code === 'recovery_password_needed' ? null : 'The one you chose for the new server; the account is not made there yet.' }) : null,
      errorSlot,
      h('div', { class: 'form-actions' }, resume));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      const password = needsPassword ? pw.input.value : null;
      if (needsPassword && password.length < 8) return fieldError(pw.input, errorSlot, 'Enter the new server’s password.');
      drive(() => api.recoverResume(did, password));
    });
    queueMicrotask(() => (needsPassword ? pw.input : resume).focus());
    return form;
  }

  /* ---------- Page 5: done ---------- */
  const fact = (label, value, props = {}) => h('div', { class: 'rec-fact', ...props }, h('dt', {}, label), h('dd', {}, value));
  function donePage(j) {
    const host = hostOf(j.pds);
    const collections = Object.keys({ ...j.expectedRecords, ...j.records }).sort();
    const open = button('Open the account', { variant: 'primary', 'data-testid': 'recover-open' });
    open.addEventListener('click', () => ctx.go('overview', { did, force: true }));
    const table = h('table', { class: 'rec-counts', 'data-testid': 'recover-counts' },
      h('caption', { class: 'visually-hidden' }, 'Records per collection'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Collection'), h('th', { scope: 'col' }, 'In the backup'), h('th', { scope: 'col' }, `On ${host}`))),
      h('tbody', {}, ...collections.map((c) => h('tr', { 'data-collection': c, 'data-count': String(j.records?.[c] ?? 0) },
        h('th', { scope: 'row' }, mono(c)),
        h('td', {}, (j.expectedRecords?.[c] ?? 0).toLocaleString()),
        h('td', {}, (j.records?.[c] ?? 0).toLocaleString())))));
    const title = h('p', { class: 'callout-title', tabindex: '-1' }, `${name()} now lives on ${host}`);
    showPage('done',
      h('div', { class: 'callout callout--success', 'data-testid': 'recover-done', 'data-pds': j.pds },
        icon('check', 'callout-icon'),
        h('div', { class: 'callout-body' }, title,
          h('p', { class: 'callout-text' }, `Your identity names ${host}, with your key first. ${sum(j.records).toLocaleString()} records and ${Number(j.expectedBlobs).toLocaleString()} images and files were restored and checked there.`))),
      panelCard({
        iconName: 'database', title: 'What was restored', testid: 'recover-restored',
        children: [h('div', { class: 'tool-body' },
          h('dl', { class: 'rec-facts' },
            fact('Server', mono(host)), fact('Handle', mono(`@${j.handle}`)),
            fact('Records', sum(j.records).toLocaleString()),
            fact('Images and files', `${Number(j.blobsUploaded).toLocaleString()} uploaded`, { 'data-testid': 'recover-blob-count' })),
          h('div', { class: 'rec-diff-wrap' }, table),
          ...(j.notes || []).map((n) => callout('info', 'Good to know', n)),
          h('div', { class: 'form-actions' }, open))],
      }));
    title.focus();
  }

  /* ---------- Start: a recovery under way is offered, else page 1 ---------- */
  showPage('needs', h('p', { class: 'muted' }, 'Loading…'));
  api.recoverJournal(did).then((j) => {
    if (ctx.signal.aborted) return;
    showJournal(j);
    if (j && j.done.length === STEPS.length) donePage(j);
    else if (j) stoppedPage(null, j);
    else needsPage();
  }).catch((err) => {
    if (!ctx.signal.aborted) body.replaceChildren(problemBox(err));
  });
  return {};
}
