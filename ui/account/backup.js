// Account section "Backup" (Tools tab): the repository (a CAR file) and all blobs into a folder, as
// a long job; running it again into the same folder resumes or updates it.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, mono, muted, row } from '../widgets/dom.js';
import { field, fieldError, markInvalid, panelCard } from '../widgets/forms.js';
import { formatBytes } from '../widgets/format.js';
import { CANCELLED, jobProgressView, jobRunner } from '../widgets/jobs.js';

// The last backup folder per account, so a rerun (which resumes) is one click. Memory only.
const lastFolder = new Map();

export function mount(parent, ctx, acct, { announce }) {
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
      help: 'A folder on this computer. There’s no folder picker yet: type or paste its path. Use the same folder again to resume or update a backup.' }),
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
    title: 'Backup',
    text: 'Saves your repository (a CAR file of all your records) and all your blobs into a folder. If it stops, running it again resumes.',
    testid: 'backup-card',
    children: [h('div', { class: 'tool-body' }, form, resultSlot)],
  }));
}

/** blobsSkipped → "Blobs skipped". */
function humanKey(key) {
  const words = String(key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
