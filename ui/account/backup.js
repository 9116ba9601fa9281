// Account section "Backups" (its own tab): the snapshots in the backup folder (scheduled in
// Settings, or made now), each verifiable and exportable; then a one-off copy of the repository (a
// CAR file) and all blobs into a folder of the person's choice, as a long job that resumes.
import * as api from '../api.js';
import { pickButton } from '../widgets/pick.js';
import { h, icon, button, setBusy, errorBox, nextId, mono, muted, row, fullTime, relativeTime, callout, hostOf } from '../widgets/dom.js';
import { field, fieldError, markInvalid, panelCard } from '../widgets/forms.js';
import { formatBytes } from '../widgets/format.js';
import { CANCELLED, jobProgressView, jobRunner } from '../widgets/jobs.js';

// The last backup folder per account, so a rerun (which resumes) is one click. Memory only.
const lastFolder = new Map();

/** The snapshots card: list, Back up now, Verify and Export of one snapshot. */
function snapshotsCard(ctx, acct, { announce }) {
  const { did } = acct;
  const { runJob, cancelJob } = jobRunner(ctx);
  let jobId = null;
  const folderLine = h('p', { class: 'muted', 'data-testid': 'backups-folder' });
  const listSlot = h('div', { 'aria-busy': 'true', 'data-testid': 'backups-list-slot' });
  const errorSlot = h('div', { class: 'error-slot' });
  const progressSlot = h('div', { class: 'job-slot' });
  const now = button('Back up now', { variant: 'primary', iconName: 'download', 'data-testid': 'backup-now' });

  const describe = (p) => {
    const done = Number(p.done || 0);
    const total = typeof p.total === 'number' ? p.total : null;
    const words = { repo: `Repository changes… ${formatBytes(done) || '0 B'}`, check: 'Checking the tree…', listBlobs: 'Looking for new blobs…', blobs: total !== null ? `Blobs ${done.toLocaleString()} of ${total.toLocaleString()}` : 'Blobs…', identity: 'Saving preferences and identity…' };
    return { step: p.step, text: words[p.step] || 'Working…', value: p.step === 'blobs' ? done : null, max: p.step === 'blobs' ? total : null };
  };

  async function load() {
    try {
      const view = await api.backupsList(did);
      if (ctx.signal.aborted) return;
      folderLine.replaceChildren('Backup folder: ', mono(view.folder), ' (change it and the schedule in Settings).');
      const snaps = [...view.snapshots].reverse();
      listSlot.replaceChildren(snaps.length
        ? h('ol', { class: 'snapshot-list', 'data-testid': 'backups-list' }, ...snaps.map(snapshotRow))
        : h('p', { class: 'muted', 'data-testid': 'backups-empty' }, 'No backups yet. Back up now, or turn on scheduled backups in Settings.'));
    } catch (err) {
      if (!ctx.signal.aborted) listSlot.replaceChildren(errorBox(err));
    } finally {
      listSlot.removeAttribute('aria-busy');
    }
  }

  function snapshotRow(s) {
    const m = s.manifest;
    const result = h('div', { class: 'snapshot-result' });
    if (!m) return h('li', { class: 'snapshot', 'data-testid': 'snapshot', 'data-id': s.id }, h('p', {}, mono(s.id)), callout('danger', 'This snapshot cannot be read', s.error || ''));
    const records = Object.values(m.records || {}).reduce((a, b) => a + b, 0);
    const verify = button('Verify', { size: 'sm', 'data-testid': 'snapshot-verify' });
    verify.addEventListener('click', async () => {
      setBusy(verify, true, 'Verifying…');
      try {
        const r = await api.backupVerify(did, s.id);
        const ok = !(r.problems || []).length;
        result.replaceChildren(callout(ok ? 'success' : 'danger', ok ? 'Verified' : 'This snapshot is damaged',
          ok ? `Signed commit, ${Object.values(r.records || {}).reduce((a, b) => a + b, 0).toLocaleString()} records and ${Number(r.blobs || 0).toLocaleString()} blobs, all present and intact.`
            : r.problems.map((p) => p.message || p.kind).join(' · '),
          { iconName: ok ? 'check' : 'alert', 'data-testid': 'snapshot-verified', 'data-ok': String(ok) }));
      } catch (err) {
        result.replaceChildren(errorBox(err));
      } finally {
        setBusy(verify, false);
      }
    });
    const out = h('input', { name: 'exportFolder', type: 'text', class: 'input input--mono', placeholder: '/home/you/stratos-export', 'aria-label': 'Export into folder' });
    const exportBtn = button('Export', { size: 'sm', 'data-testid': 'snapshot-export' });
    exportBtn.addEventListener('click', async () => {
      setBusy(exportBtn, true, 'Exporting…');
      try {
        const r = await api.backupExport(did, s.id, out.value);
        result.replaceChildren(callout('success', 'Exported', `A repository CAR, a blobs folder and preferences in ${r.out || out.value} (goat's layout).`, { iconName: 'check' }));
      } catch (err) {
        result.replaceChildren(errorBox(err));
      } finally {
        setBusy(exportBtn, false);
      }
    });
    return h('li', { class: 'snapshot', 'data-testid': 'snapshot', 'data-id': s.id, 'data-records': String(records) },
      h('div', { class: 'snapshot-head' },
        h('time', { datetime: m.createdAt, title: fullTime(m.createdAt) }, relativeTime(m.createdAt) || fullTime(m.createdAt)),
        h('span', { class: 'muted' }, ` · ${records.toLocaleString()} records · ${Number(m.blobs || 0).toLocaleString()} blobs · ${formatBytes(Number(m.newBlockBytes || 0) + Number(m.newBlobBytes || 0)) || '0 B'} new · rev `, mono(m.rev))),
      h('div', { class: 'inline-form' }, verify, out,
        pickButton(out, { kind: 'folder', title: 'Export into folder', testid: 'snapshot-export-pick', onError: (err) => result.replaceChildren(errorBox(err)) }),
        exportBtn),
      result);
  }

  now.addEventListener('click', async () => {
    if (jobId) return;
    errorSlot.replaceChildren();
    setBusy(now, true, 'Backing up…');
    const progress = jobProgressView({ title: 'Backing up', describe, onCancel: (btn) => cancelJob(jobId, btn, errorSlot) });
    progressSlot.replaceChildren(progress.el);
    try {
      await runJob((id) => { jobId = id; return api.backupNow(did, id); }, (p) => progress.update(p));
      if (ctx.signal.aborted) return;
      announce('Backup saved and verified.');
      await load();
    } catch (err) {
      if (ctx.signal.aborted) return;
      const cancelled = err.code === CANCELLED;
      errorSlot.replaceChildren(errorBox(cancelled ? { ...err, message: err.message || 'Backup cancelled', hint: 'The previous backups are whole.' } : err, { tone: cancelled ? 'warning' : 'danger' }));
    } finally {
      if (!ctx.signal.aborted) {
        jobId = null;
        progressSlot.replaceChildren();
        setBusy(now, false);
      }
    }
  });

  api.on('backup-finished', (e) => { if (e?.did === did) load(); }, { signal: ctx.signal });
  load();
  return panelCard({
    iconName: 'database',
    title: 'Backups',
    text: 'Verified snapshots of your records, blobs, preferences and identity. Each one stores only what changed, and each can be checked and exported.',
    testid: 'backups-card',
    children: [h('div', { class: 'tool-body' }, folderLine, errorSlot, progressSlot, h('div', { class: 'form-actions' }, now), listSlot)],
  });
}

/** The way into the recovery wizard (account/recover.js), for when the account's server is gone. */
function recoverCard(ctx, { did }) {
  const open = button('Recover…', { iconName: 'shield', 'data-testid': 'recover-open-wizard', onclick: () => ctx.go('recover', { did }) });
  const card = panelCard({
    iconName: 'shield', title: 'Recover on a new server', testid: 'recover-card',
    text: 'If your server is gone for good, rebuild this account on a new server from these backups, with your own recovery key. Same DID, same followers.',
    children: [h('div', { class: 'tool-body' }, h('div', { class: 'form-actions' }, open))],
  });
  // A recovery interrupted (Stratos closed) is offered from here too.
  api.recoverJournal(did).then((j) => {
    if (ctx.signal.aborted || !j || j.done.includes('verify')) return;
    open.querySelector('.btn-label').textContent = 'Continue the recovery…';
    card.querySelector('.method-text').textContent = `A recovery to ${hostOf(j.pds)} is under way; it continues where it stopped.`;
  }).catch(() => {});
  return card;
}

export function mount(parent, ctx, acct, tab) {
  parent.append(snapshotsCard(ctx, acct, tab), recoverCard(ctx, acct));
  const { announce } = tab;
  const { did } = acct;
  const { runJob, cancelJob } = jobRunner(ctx);
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
      trailing: pickButton(folder, { kind: 'folder', title: 'Back up into folder', testid: 'backup-folder-choose', onError: (err) => errorSlot.replaceChildren(errorBox(err)) }),
      help: 'A folder on this computer: choose it, or type or paste its path. Use the same folder again to resume or update a backup.' }),
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

  parent.append(panelCard({
    iconName: 'folder',
    title: 'A copy in a folder',
    text: 'Saves your repository (a CAR file of all your records) and all your blobs into a folder you choose, once. If it stops, running it again resumes.',
    testid: 'backup-card',
    children: [h('div', { class: 'tool-body' }, form, resultSlot)],
  }));
}

/** blobsSkipped → "Blobs skipped". */
function humanKey(key) {
  const words = String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
