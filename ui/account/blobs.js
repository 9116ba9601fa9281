// Account section "Missing blobs" (Tools tab): list the blobs (images, videos) the account's records
// point to that its PDS lacks, then repair them from another PDS that still has them (a long job).
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, muted } from '../widgets/dom.js';
import { field, fieldError, markInvalid, panelCard } from '../widgets/forms.js';
import { LOOKS_LIKE_DID } from '../widgets/format.js';
import { CANCELLED, jobProgressView, jobRunner } from '../widgets/jobs.js';

const MAX_ROWS = 200; // missing blobs listed; the rest are counted

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function mount(parent, ctx, acct, { announce }) {
  const { did } = acct;
  const { runJob, cancelJob } = jobRunner(ctx);
  let missing = null; // [{cid, recordUri}] after a check
  let checking = false;
  let jobId = null;

  const check = button('Check', { iconName: 'search', 'data-testid': 'missing-blobs-check' });
  const checkError = h('div', { class: 'error-slot' });
  const listSlot = h('div', { class: 'blob-list-slot', 'aria-live': 'polite' });

  const sourcePds = h('input', {
    name: 'sourcePds', type: 'url', class: 'input input--mono', required: true,
    autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'https://old-pds.example.com',
  });
  const sourceDid = h('input', {
    name: 'sourceDid', type: 'text', class: 'input input--mono',
    autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: did,
  });
  const repairError = h('div', { class: 'error-slot' });
  const progressSlot = h('div', { class: 'job-slot' });
  const resultSlot = h('div', { class: 'tool-result-slot' });
  const submit = button('Repair', { variant: 'primary', type: 'submit', iconName: 'download', 'data-testid': 'repair-submit' });
  const repairTitle = nextId('repair');
  const form = h('form', { class: 'form tool-form tool-form--sub', 'data-testid': 'repair-form', novalidate: true, 'aria-labelledby': repairTitle },
    h('div', { class: 'sub-head' },
      h('h3', { class: 'sub-title', id: repairTitle }, 'Repair from another PDS'),
      h('p', { class: 'field-help' }, 'Stratos downloads each missing blob from a server that still has it, such as your previous PDS after a move, and uploads it to your current one.')),
    field({ label: 'Source PDS', input: sourcePds, help: 'The address of the server to copy from.' }),
    field({ label: h('span', {}, 'Source DID ', h('span', { class: 'field-optional' }, '(optional)')), input: sourceDid,
      help: 'The account on that server that has the blobs, if it is not this DID.' }),
    repairError,
    progressSlot,
    h('div', { class: 'form-actions' }, submit));

  check.addEventListener('click', () => runCheck({ focus: true }));

  async function runCheck({ focus = false } = {}) {
    if (checking) return;
    checking = true;
    checkError.replaceChildren();
    setBusy(check, true, 'Checking…');
    listSlot.setAttribute('aria-busy', 'true');
    listSlot.classList.toggle('is-stale', !!missing);
    try {
      const result = await api.missingBlobs(did);
      if (ctx.signal.aborted) return;
      missing = Array.isArray(result) ? result : [];
      renderList();
      announce(missing.length ? `${plural(missing.length, 'blob')} missing.` : 'No blobs missing.');
      if (focus) listSlot.querySelector('[tabindex="-1"]')?.focus({ preventScroll: true });
    } catch (err) {
      if (ctx.signal.aborted) return;
      checkError.replaceChildren(errorBox(err, {
        action: button('Try again', { size: 'sm', iconName: 'refresh', onclick: () => runCheck({ focus: true }) }),
      }));
      if (focus) check.focus();
    } finally {
      if (!ctx.signal.aborted) {
        checking = false;
        setBusy(check, false);
        listSlot.removeAttribute('aria-busy');
        listSlot.classList.remove('is-stale');
      }
    }
  }

  function renderList() {
    if (!missing) return listSlot.replaceChildren();
    if (!missing.length) {
      listSlot.replaceChildren(h('div', { class: 'blob-none', 'data-testid': 'missing-blobs-none' },
        icon('check', 'blob-none-icon'),
        h('div', {},
          h('p', { class: 'strong', tabindex: '-1' }, 'None missing'),
          h('p', { class: 'muted' }, 'Every file your records point to is on your PDS.'))));
      return;
    }
    const shown = missing.slice(0, MAX_ROWS);
    listSlot.replaceChildren(h('div', { class: 'blob-found' },
      h('p', { class: 'blob-count', 'data-testid': 'missing-blobs-count', 'data-count': String(missing.length), tabindex: '-1' },
        icon('alert', 'blob-count-icon'),
        h('span', {}, h('strong', {}, `${plural(missing.length, 'blob')} missing`),
          ' — records point to files your PDS doesn’t have. Repair them from a server that still does.')),
      h('ul', { class: 'blob-list', 'data-testid': 'missing-blob-list', 'aria-label': 'Missing blobs' },
        shown.map((b) => h('li', { class: 'blob-row', 'data-testid': 'missing-blob-row', 'data-cid': String(b.cid ?? '') },
          h('span', { class: 'ap-icon' }, icon('image')),
          h('div', { class: 'blob-text' },
            h('span', { class: 'mono selectable blob-cid' }, String(b.cid ?? '')),
            b.recordUri ? h('span', { class: 'mono selectable blob-uri' }, String(b.recordUri)) : muted('No record listed'))))),
      missing.length > shown.length
        ? h('p', { class: 'muted blob-more' }, `And ${plural(missing.length - shown.length, 'more blob')} not listed here.`)
        : null));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (jobId) return;
    repairError.replaceChildren();
    let source = sourcePds.value.trim();
    if (!source) return fieldError(sourcePds, repairError, 'Enter the address of the PDS to copy the blobs from.');
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) source = `https://${source}`;
    let url;
    try {
      url = new URL(source);
    } catch {
      url = null;
    }
    if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
      return fieldError(sourcePds, repairError, `“${sourcePds.value.trim()}” is not a server address. It looks like https://pds.example.com.`);
    }
    const srcDid = sourceDid.value.trim();
    if (srcDid && !LOOKS_LIKE_DID.test(srcDid)) return fieldError(sourceDid, repairError, `“${srcDid}” is not a DID. Leave it empty to use this account’s DID.`);

    resultSlot.replaceChildren();
    setBusy(submit, true, 'Repairing…');
    form.classList.add('is-busy');
    sourcePds.readOnly = true;
    sourceDid.readOnly = true;
    check.disabled = true;
    const progress = jobProgressView({
      title: 'Repairing blobs',
      describe: (p) => ({
        step: p.step,
        text: typeof p.total === 'number' ? `${Number(p.done || 0).toLocaleString()} of ${Number(p.total).toLocaleString()}` : `${Number(p.done || 0).toLocaleString()} so far`,
        value: Number(p.done || 0),
        max: typeof p.total === 'number' ? p.total : null,
      }),
      onCancel: (btn) => cancelJob(jobId, btn, repairError),
    });
    progressSlot.replaceChildren(progress.el);
    progress.cancel.focus();
    let focusAfter = submit;
    try {
      const result = await runJob((id) => {
        jobId = id;
        return api.repairBlobs(did, { sourcePds: url.href.replace(/\/$/, ''), sourceDid: srcDid || null, jobId: id });
      }, (p) => progress.update(p));
      if (ctx.signal.aborted) return;
      focusAfter = showRepaired(result);
      runCheck();
    } catch (err) {
      if (ctx.signal.aborted) return;
      const cancelled = err.code === CANCELLED;
      repairError.replaceChildren(errorBox(cancelled
        ? { ...err, message: err.message || 'Repair cancelled', hint: err.hint || 'Blobs repaired before you cancelled stay repaired. Check again to see what is left.' }
        : err, { tone: cancelled ? 'warning' : 'danger' }));
      if (!cancelled && /source|pds|url|host/i.test(err.code || '')) {
        markInvalid(sourcePds, { focus: false });
        focusAfter = sourcePds;
      }
      if (cancelled) runCheck();
    } finally {
      if (!ctx.signal.aborted) {
        jobId = null;
        progressSlot.replaceChildren();
        setBusy(submit, false);
        form.classList.remove('is-busy');
        sourcePds.readOnly = false;
        sourceDid.readOnly = false;
        check.disabled = checking;
        focusAfter?.focus({ preventScroll: false });
      }
    }
  });

  function showRepaired(result) {
    const repaired = Array.isArray(result?.repaired) ? result.repaired : [];
    const failed = Array.isArray(result?.failed) ? result.failed : [];
    const titleId = nextId('repaired');
    const ok = failed.length === 0;
    const title = h('h3', { class: 'tool-result-title', id: titleId, tabindex: '-1' },
      repaired.length || !failed.length ? `Repaired ${plural(repaired.length, 'blob')}` : 'No blobs repaired');
    const box = h('section', {
      class: `tool-result${ok ? '' : ' tool-result--warning'}`, 'data-testid': 'repair-result', 'aria-labelledby': titleId,
      'data-repaired': String(repaired.length), 'data-failed': String(failed.length),
    },
    h('header', { class: 'tool-result-head' },
      h('span', { class: `done-icon${ok ? '' : ' done-icon--warning'}` }, icon(ok ? 'check' : 'alert')),
      h('div', { class: 'tool-result-heading' },
        title,
        h('p', { class: 'muted' }, failed.length
          ? `${plural(failed.length, 'blob')} could not be copied from ${hostLabel(result?.sourcePds)}.`
          : `Copied from ${hostLabel(result?.sourcePds)}.`))),
    failed.length ? h('ul', { class: 'blob-list blob-list--failed', 'aria-label': 'Blobs that could not be repaired' },
      failed.map((f) => h('li', { class: 'blob-row', 'data-testid': 'repair-failure', 'data-cid': String(f.cid ?? '') },
        h('span', { class: 'ap-icon ap-icon--danger' }, icon('x')),
        h('div', { class: 'blob-text' },
          h('span', { class: 'mono selectable blob-cid' }, String(f.cid ?? '')),
          h('span', { class: 'blob-reason' }, String(f.reason || 'Unknown reason')))))) : null);
    resultSlot.replaceChildren(box);
    announce(title.textContent);
    return title;
  }

  parent.append(panelCard({
    iconName: 'image',
    title: 'Missing blobs',
    text: 'Blobs are your images and videos. After a move, some may not have come along: check, then copy them over.',
    testid: 'missing-blobs-card',
    children: [h('div', { class: 'tool-body' },
      h('div', { class: 'tool-actions' }, check, h('span', { class: 'muted tool-actions-note' }, 'Lists blobs your records use that your PDS doesn’t have.')),
      checkError,
      listSlot,
      resultSlot), form],
  }));
}

function hostLabel(url) {
  if (!url) return 'the source PDS';
  try {
    return new URL(url).host || String(url);
  } catch {
    return String(url);
  }
}
