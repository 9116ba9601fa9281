// Long jobs (repairing blobs, a backup): each call carries a jobId made here, the shell emits
// `job-progress` {jobId, step, done, total|null} while it runs, and `cancel_job` makes the call
// reject with code `cancelled`. A progress bar with a Cancel button shows one job.
import * as api from '../api.js';
import { h, button, setBusy, errorBox, nextId } from './dom.js';

/** The code a cancelled job's call rejects with. */
export const CANCELLED = 'cancelled';

/**
 * Progress of one job: a <progress> bar, "n of m" text and a Cancel button.
 * `describe(payload)` → {text, value|null, max|null} (null value: indeterminate).
 */
export function jobProgressView({ title, describe, onCancel }) {
  const bar = h('progress', { class: 'job-bar', 'data-testid': 'job-progress', max: '1' });
  bar.removeAttribute('value');
  const textId = nextId('job');
  const text = h('span', { class: 'job-text', id: textId, 'aria-live': 'polite' }, 'Starting…');
  bar.setAttribute('aria-labelledby', textId);
  const cancel = button('Cancel', { size: 'sm', 'data-testid': 'job-cancel', onclick: () => onCancel(cancel) });
  const el = h('div', { class: 'job', role: 'group', 'aria-label': title, 'data-testid': 'job' },
    h('div', { class: 'job-head' },
      h('span', { class: 'job-title' }, title),
      h('span', { class: 'job-status' }, text),
      cancel),
    bar);
  return {
    el,
    cancel,
    update(payload) {
      const { text: t, value = null, max = null, step = null } = describe(payload);
      text.textContent = t;
      if (step) el.dataset.step = step;
      if (typeof value === 'number' && typeof max === 'number' && max > 0) {
        bar.max = max;
        bar.value = Math.min(value, max);
        bar.dataset.done = String(value);
        bar.dataset.total = String(max);
      } else {
        bar.removeAttribute('value');
        delete bar.dataset.total;
        if (typeof value === 'number') bar.dataset.done = String(value);
      }
    },
  };
}

/**
 * Runs jobs for a screen: each is cancelled when `ctx.signal` aborts (the account screen is left;
 * a backup resumes later). Returns {runJob(start, onProgress), cancelJob(jobId, btn, errorSlot)}.
 */
export function jobRunner(ctx) {
  const running = new Set();
  ctx.signal.addEventListener('abort', () => {
    for (const jobId of running) api.cancelJob(jobId).catch(() => {});
    running.clear();
  });

  /** Run a job: listen for its progress first, then call `start(jobId)`. */
  async function runJob(start, onProgress) {
    const jobId = crypto.randomUUID();
    const unlisten = await api.on('job-progress', (p) => {
      if (p && p.jobId === jobId && !ctx.signal.aborted) onProgress(p);
    });
    running.add(jobId);
    try {
      return await start(jobId);
    } finally {
      running.delete(jobId);
      unlisten();
    }
  }

  async function cancelJob(jobId, btn, errorSlot) {
    if (!jobId) return;
    setBusy(btn, true, 'Cancelling…');
    try {
      await api.cancelJob(jobId);
    } catch (err) {
      if (ctx.signal.aborted) return;
      setBusy(btn, false);
      errorSlot.replaceChildren(errorBox(err));
    }
  }

  return { runJob, cancelJob };
}
