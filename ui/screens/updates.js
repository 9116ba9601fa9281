// Updates, a section of the settings screen: the setting to look for updates at start and daily,
// what the last check found (the version and what is new), the download with progress and its
// signature check, and the install, which only happens when the person asks. A build without an
// update feed says so and offers nothing (it never checks).
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, fullTime } from '../widgets/dom.js';
import { formatBytes } from '../widgets/format.js';
import { CANCELLED, jobProgressView, jobRunner } from '../widgets/jobs.js';

/**
 * The Updates group. `settings` is the settings view (for `checkForUpdates`). Returns
 * {el, checkForUpdates()} — the switch's value, which the settings form saves (null when there
 * is no feed to check).
 */
export function updatesSection(settings, ctx) {
  const switchId = nextId('updates');
  const toggle = h('input', {
    id: switchId, name: 'checkForUpdates', type: 'checkbox', class: 'switch',
    checked: settings.checkForUpdates !== false, 'aria-describedby': `${switchId}-help`,
  });
  const statusSlot = h('div', { class: 'updates-status', 'data-testid': 'updates-status', 'aria-live': 'polite' });
  const el = h('div', { class: 'group', 'data-testid': 'updates-settings' }, statusSlot);
  let builtIn = true;

  const { runJob, cancelJob } = jobRunner(ctx);

  function render(view, { error = null } = {}) {
    builtIn = !!view.builtIn;
    el.dataset.builtIn = String(builtIn);
    el.dataset.checkedAt = view.checkedAt || '';
    if (!builtIn) {
      el.replaceChildren(callout('info', 'Updates come from where you installed Stratos',
        `This copy (version ${view.currentVersion}) was built without an update feed, so it never looks for updates. Update it with your package manager or from the download page.`,
        { 'data-testid': 'updates-not-built-in' }));
      return;
    }
    const checkNow = button('Check now', { iconName: 'refresh', 'data-testid': 'updates-check' });
    checkNow.onclick = async () => {
      setBusy(checkNow, true, 'Checking…');
      // The offer on screen may be replaced by what the feed says now: no download meanwhile.
      el.querySelectorAll('[data-testid=updates-download]').forEach((b) => { b.disabled = true; });
      try {
        render(await api.updatesCheck());
      } catch (err) {
        if (ctx.signal.aborted) return;
        render(await api.updatesStatus().catch(() => view), { error: err });
      }
    };
    const last = view.checkedAt
      ? h('span', { class: 'muted' }, `Last checked ${fullTime(view.checkedAt)}.`)
      : h('span', { class: 'muted' }, 'Not checked yet since Stratos started.');
    const parts = [];
    const finding = view.finding;
    if (error) parts.push(errorBox(error, { testid: 'updates-error' }));
    else if (view.problem && !finding) parts.push(errorBox(view.problem, { testid: 'updates-error' }));
    if (finding?.kind === 'available') parts.push(offerCard(view, finding));
    else if (finding?.kind === 'older') parts.push(callout('warning', 'Older version refused', view.message, { 'data-testid': 'updates-older' }));
    else if (finding?.kind === 'upToDate') parts.push(h('p', { class: 'updates-line', 'data-testid': 'updates-up-to-date' }, icon('check'), view.message));
    el.replaceChildren(
      h('div', { class: 'setting' },
        h('div', { class: 'setting-text' },
          h('label', { class: 'setting-label', for: switchId }, 'Look for updates'),
          h('p', { class: 'setting-help', id: `${switchId}-help` },
            `When Stratos starts and once a day. You have version ${view.currentVersion}. Updates are installed only when you say so, and only if their signature checks out.`)),
        h('div', { class: 'setting-control' }, toggle)),
      h('div', { class: 'setting setting--stacked' },
        h('div', { class: 'btn-row' }, checkNow, last),
        ...parts));
  }

  function offerCard(view, offer) {
    const errorSlot = h('div', { class: 'error-slot' });
    const progressSlot = h('div', { class: 'job-slot' });
    const notes = offer.notes
      ? h('div', { class: 'updates-notes', 'data-testid': 'updates-notes' },
        h('p', { class: 'setting-label' }, 'What is new'),
        ...offer.notes.split(/\n+/).filter((l) => l.trim()).map((l) => h('p', {}, l.replace(/^[-*]\s+/, '• '))))
      : null;
    const actions = h('div', { class: 'btn-row' });
    const card = h('div', { class: 'updates-offer', 'data-testid': 'updates-offer', 'data-version': offer.version },
      h('p', { class: 'updates-title' }, icon('download'),
        h('strong', {}, `Stratos ${offer.version}`),
        offer.publishedAt ? h('span', { class: 'muted' }, ` published ${fullTime(offer.publishedAt)}`) : null),
      notes,
      h('p', { class: 'setting-help' }, icon('lock'), view.kept),
      actions, progressSlot, errorSlot);

    const showInstall = (version) => {
      const install = button(`Install ${version} and restart`, { variant: 'primary', iconName: 'check', 'data-testid': 'updates-install' });
      install.onclick = async () => {
        errorSlot.replaceChildren();
        setBusy(install, true, 'Installing…');
        try {
          await api.updatesInstall();
        } catch (err) {
          if (ctx.signal.aborted) return;
          setBusy(install, false);
          errorSlot.replaceChildren(errorBox(err, { testid: 'updates-error' }));
        }
      };
      actions.replaceChildren(
        h('p', { class: 'updates-line', 'data-testid': 'updates-verified' }, icon('check'), `Downloaded; the signature checks out.`),
        install);
    };

    const download = button(`Download ${offer.version}`, { variant: 'primary', iconName: 'download', 'data-testid': 'updates-download' });
    let jobId = null;
    download.onclick = async () => {
      errorSlot.replaceChildren();
      setBusy(download, true, 'Downloading…');
      const progress = jobProgressView({
        title: `Downloading Stratos ${offer.version}`,
        describe: (p) => ({
          text: typeof p.total === 'number' ? `${formatBytes(Number(p.done || 0))} of ${formatBytes(p.total)}` : formatBytes(Number(p.done || 0)),
          value: Number(p.done || 0), max: typeof p.total === 'number' ? p.total : null,
        }),
        onCancel: (btn) => cancelJob(jobId, btn, errorSlot),
      });
      progressSlot.replaceChildren(progress.el);
      try {
        const result = await runJob((id) => { jobId = id; return api.updatesDownload(id); }, progress.update);
        if (ctx.signal.aborted) return;
        progressSlot.replaceChildren();
        if (result?.verified) showInstall(result.verified);
      } catch (err) {
        if (ctx.signal.aborted) return;
        progressSlot.replaceChildren();
        setBusy(download, false);
        errorSlot.replaceChildren(errorBox(err, { testid: 'updates-error', tone: err.code === CANCELLED ? 'warning' : 'danger' }));
      }
    };
    if (view.verified === offer.version) showInstall(offer.version);
    else actions.replaceChildren(download);
    return card;
  }

  api.updatesStatus().then((view) => { if (!ctx.signal.aborted) render(view); })
    .catch((err) => { if (!ctx.signal.aborted) el.replaceChildren(errorBox(err, { testid: 'updates-error' })); });
  // The scheduled check found something while the screen is open.
  api.on('updates-changed', () => {
    if (el.querySelector('[data-testid=job]')) return;
    api.updatesStatus().then((view) => { if (!ctx.signal.aborted) render(view); }).catch(() => {});
  }, { signal: ctx.signal });

  return { el, checkForUpdates: () => (builtIn ? toggle.checked : null) };
}
