// The account screen: the overview header, then the account's sections in tabs (Overview here,
// the others from ui/account, loaded on first use).
import * as api from '../api.js';
import { h, icon, hostOf, healthInfo, button, setBusy, errorBox, callout, slowNote, nextId, relativeTime, fullTime } from '../widgets/dom.js';
import { renderCards, renderHeader, skeletonCards, noticeBox, attentionList } from '../widgets/cards.js';

// Each tab other than Overview shows account sections (ui/account, one module per feature, loaded
// on first use). A section's mount(parent, ctx, acct, tab) appends its cards to `parent` and returns
// {refresh?, accountsChanged?, overviewChanged?, emailChanged?}. With `group`, a tab's sections share
// one element (its class and data-testid) and, with `status`, a live status line after them
// (its data-testid; the sections write to it with tab.announce).
const TABS = [
  { id: 'overview', label: 'Overview', iconName: 'info' },
  { id: 'devices', label: 'Devices & apps', iconName: 'devices', sections: [() => import('../account/devices.js')] },
  { id: 'app-passwords', label: 'App passwords', iconName: 'key', sections: [() => import('../account/app_passwords.js')] },
  {
    id: 'security', label: 'Security', iconName: 'shield', group: 'security-section', status: 'security-status',
    sections: [() => import('../account/email.js'), () => import('../account/password.js')],
  },
  {
    id: 'identity', label: 'Identity', iconName: 'globe', group: 'identity-tab',
    sections: [() => import('../account/handle.js'), () => import('../account/plc.js')],
  },
  { id: 'backups', label: 'Backups', iconName: 'database', group: 'backups-section', status: 'backups-status', sections: [() => import('../account/backup.js')] },
  {
    id: 'tools', label: 'Tools', iconName: 'tools', group: 'tools-section', status: 'tools-status',
    sections: [
      () => import('../account/service_auth.js'), () => import('../account/blobs.js'),
      () => import('../account/migrate.js'),
    ],
  },
  {
    id: 'danger', label: 'Danger zone', iconName: 'alert', group: 'danger-section', danger: true,
    sections: [() => import('../account/activation.js'), () => import('../account/deletion.js')],
  },
];

export function mount(main, ctx, { did, tab = null, notice = null }) {
  const account = () => ctx.state.accounts.find((a) => a.did === did);
  const summary = account();
  let overview = null;
  let settled = false; // the first overview load has finished (either way)
  let loadSeq = 0;

  const signInAgain = () => ctx.go('add-account', { identifier: account()?.handle || did, authKind: account()?.authKind || 'password' });

  const header = renderHeader({
    did,
    handle: summary?.handle,
    health: healthInfo(summary?.health, summary?.healthLabel),
    checkedAt: summary?.checkedAt,
    host: hostOf(summary?.pdsUrl),
  });
  const refreshBtn = button('Refresh', { iconName: 'refresh', title: 'Refresh', 'data-testid': 'refresh' });
  const logoutBtn = button('Sign out', { variant: 'danger-ghost', iconName: 'logout', title: 'Sign out', 'data-testid': 'logout' });
  header.actions.append(refreshBtn, logoutBtn);

  const noticeSlot = h('div', { class: 'banner-slot' });
  const confirmSlot = h('div', { class: 'confirm-slot' });
  const bannerSlot = h('div', { class: 'banner-slot' });
  const errorSlot = h('div', { class: 'error-slot' });
  const attentionSlot = h('div', { class: 'attention-slot' });
  const body = h('div', { class: 'overview-body', 'aria-busy': 'true' }, slowNote(), skeletonCards(4));

  /* Tabs */
  const tabs = new Map(); // id → {def, btn, panel, instances}
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Account sections', 'data-testid': 'account-tabs' });
  const panels = h('div', { class: 'tab-panels' });
  for (const def of TABS) {
    const btnId = nextId('tab');
    const panelId = nextId('tabpanel');
    const btn = h('button', {
      type: 'button', id: btnId, class: `tab${def.danger ? ' tab--danger' : ''}`, role: 'tab',
      'aria-selected': 'false', 'aria-controls': panelId, tabindex: '-1', 'data-testid': `tab-${def.id}`, 'data-tab': def.id, title: def.label,
      onclick: () => select(def.id),
    }, icon(def.iconName, 'tab-icon'), h('span', {}, def.label));
    const panel = h('div', { id: panelId, class: 'tab-panel', role: 'tabpanel', 'aria-labelledby': btnId, hidden: true, 'data-tab': def.id });
    tabList.append(btn);
    panels.append(panel);
    tabs.set(def.id, { def, btn, panel, instances: def.sections ? null : [] });
  }
  tabs.get('overview').panel.append(attentionSlot, errorSlot, body);
  let active = null;

  tabList.addEventListener('keydown', (e) => {
    const ids = TABS.map((t) => t.id);
    const i = ids.indexOf(active);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: ids.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(ids[(next + ids.length) % ids.length], { focus: true });
  });

  // What the sections may know and do about this account.
  const acct = {
    did,
    account,
    overview: () => overview,
    overviewSettled: () => settled,
    reloadOverview: () => load(),
    setHandle: (handle) => {
      header.setHandle(handle);
    },
    signInAgain,
    /** The email settings changed (loaded, or changed in the Security tab): sections that show them follow. */
    emailChanged: (info) => eachSection((section) => section.emailChanged?.(info)),
  };

  function select(id, { focus = false } = {}) {
    if (!tabs.has(id)) id = 'overview';
    active = id;
    for (const [key, t] of tabs) {
      const on = key === id;
      t.btn.setAttribute('aria-selected', String(on));
      t.btn.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
    }
    const t = tabs.get(id);
    // Sections load on first use: their code stays off the start-up path.
    if (!t.instances && !t.loading) {
      t.loading = Promise.all(t.def.sections.map((load) => load())).then((modules) => {
        if (ctx.signal.aborted) return;
        t.instances = mountSections(t, modules);
      }).catch((err) => {
        t.loading = null;
        t.panel.replaceChildren(errorBox(err));
      });
    }
    screen.dataset.tab = id;
    if (focus) t.btn.focus();
  }

  /** Mounts a tab's section modules, in order, into its panel (or its group's element). */
  function mountSections({ def, panel }, modules) {
    const parent = def.group ? h('div', { class: def.group, 'data-testid': def.group }) : panel;
    const status = def.status ? h('p', { class: 'visually-hidden', role: 'status', 'data-testid': def.status }) : null;
    const tab = { announce: (text) => { if (status) status.textContent = text; } };
    panel.replaceChildren(...(def.group ? [parent] : []));
    const instances = modules.map((module) => module.mount(parent, ctx, acct, tab) || {});
    if (status) parent.append(status);
    return instances;
  }

  const screen = h('section', { class: 'screen screen--overview', 'data-testid': 'overview', 'data-did': did, 'aria-labelledby': 'overview-heading' },
    header.el, noticeSlot, confirmSlot, bannerSlot, tabList, panels);
  header.el.querySelector('h1').id = 'overview-heading';
  main.replaceChildren(screen);
  select(tab || 'overview');

  function showNotice(n) {
    if (!n) return;
    const box = noticeBox(n);
    noticeSlot.replaceChildren(box);
    if (!main.contains(document.activeElement) || document.activeElement === main) box.focus({ preventScroll: true });
  }
  showNotice(notice);

  const eachSection = (fn) => {
    for (const t of tabs.values()) for (const section of t.instances || []) fn(section);
  };

  function currentHealth() {
    const acc = account();
    if (acc?.health === 'expired') return healthInfo('expired', acc.healthLabel);
    const fresh = overview ? healthInfo(overview.health, overview.healthLabel) : null;
    if (fresh && fresh.health !== 'unknown') return fresh;
    return healthInfo(acc?.health, acc?.healthLabel);
  }

  // Where each kind of attention item is fixed (the core names the kinds).
  const FIX = {
    identity_changed: 'identity', identity_unverified: 'identity', no_recovery_key: 'identity',
    no_backup: 'backups', backup_old: 'backups', email_unconfirmed: 'security', account_inactive: 'danger',
  };

  function renderAttention() {
    const list = attentionList(account()?.attention, {
      // The expired-session banner above already says it, with its own button.
      skip: ['session_expired'],
      onOpen: (kind) => (kind === 'session_ending' ? signInAgain() : kind === 'pds_unreachable' ? ctx.go('recover', { did }) : select(FIX[kind] && tabs.has(FIX[kind]) ? FIX[kind] : 'overview', { focus: true })),
    });
    const at = account()?.lastBackupAt;
    const backupLine = at ? h('p', { class: 'muted last-backup', 'data-testid': 'last-backup', title: fullTime(at) }, `Last verified backup: ${relativeTime(at)}.`) : null;
    attentionSlot.replaceChildren(...[list, backupLine].filter(Boolean));
  }

  function renderBanner() {
    renderAttention();
    const acc = account();
    if (acc?.health === 'expired') {
      bannerSlot.replaceChildren(callout('warning', 'Your session has expired',
        'Sign in again so Stratos can keep checking this account’s private details.',
        { action: button('Sign in again', { variant: 'primary', iconName: 'key', 'data-testid': 'sign-in-again', onclick: signInAgain }), 'data-testid': 'expired-banner' }));
    } else {
      bannerSlot.replaceChildren();
    }
  }

  async function load({ manual = false } = {}) {
    const seq = ++loadSeq;
    errorSlot.replaceChildren();
    setBusy(refreshBtn, true);
    body.setAttribute('aria-busy', 'true');
    body.classList.toggle('is-stale', !!overview);
    try {
      const result = await api.accountOverview(did);
      if (ctx.signal.aborted || seq !== loadSeq) return;
      overview = result;
      // When the "session expired" banner is showing, it already offers "Sign in again".
      const offerSignIn = account()?.health === 'expired' ? null : signInAgain;
      body.replaceChildren(renderCards(result, { session: true, onSignInAgain: offerSignIn, account: account() }));
      header.setChecked(result.checkedAt);
      header.setHost(hostOf(result.pds?.url) || hostOf(account()?.pdsUrl));
      header.setHandle(result.handle);
      header.setProfile(result.profile);
      // Let the sidebar catch up with what the backend just learned.
      ctx.actions.reloadAccounts().catch(() => {});
    } catch (err) {
      if (ctx.signal.aborted || seq !== loadSeq) return;
      const retry = button('Try again', { iconName: 'refresh', onclick: () => load({ manual: true }) });
      const actions = account()?.health !== 'expired' && /expired|not_signed_in|session|jwt/.test(err.code || '')
        ? h('span', { class: 'btn-row' }, button('Sign in again', { variant: 'primary', iconName: 'key', onclick: signInAgain }), retry)
        : retry;
      errorSlot.replaceChildren(errorBox(err, { testid: 'overview-error', action: actions }));
      if (!overview) body.replaceChildren();
    } finally {
      if (!ctx.signal.aborted && seq === loadSeq) {
        settled = true;
        setBusy(refreshBtn, false);
        body.removeAttribute('aria-busy');
        body.classList.remove('is-stale');
        header.setHealth(currentHealth());
        renderBanner();
        if (manual) refreshBtn.focus();
        eachSection((s) => s.overviewChanged?.(overview));
      }
    }
  }

  /* Sign out, with an in-page confirmation. */
  function closeConfirm() {
    confirmSlot.replaceChildren();
    logoutBtn.hidden = false;
    logoutBtn.focus();
  }

  logoutBtn.addEventListener('click', () => {
    const acc = account();
    const name = acc?.handle || did;
    const errSlot = h('div');
    const cancel = button('Cancel', { 'data-testid': 'logout-cancel', onclick: closeConfirm });
    const confirm = button('Sign out', { variant: 'danger', iconName: 'logout', 'data-testid': 'logout-confirm' });
    confirm.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(confirm, true, 'Signing out…');
      cancel.disabled = true;
      try {
        await api.logout(did);
        await ctx.actions.loggedOut(did);
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(confirm, false);
        cancel.disabled = false;
        errSlot.replaceChildren(errorBox(err));
      }
    });
    const titleId = nextId('confirm');
    const panel = h('div', {
      class: 'confirm', role: 'alertdialog', 'aria-labelledby': titleId, 'data-testid': 'logout-confirmation',
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) closeConfirm(); },
    },
    icon('logout', 'confirm-icon'),
    h('div', { class: 'confirm-body' },
      h('p', { class: 'confirm-title', id: titleId }, `Sign out of ${name}?`),
      h('p', { class: 'confirm-text' }, 'Stratos will end this account’s session on its server and remove it from your keychain. Your account itself is not affected.'),
      errSlot),
    h('div', { class: 'confirm-actions' }, cancel, confirm));
    logoutBtn.hidden = true;
    confirmSlot.replaceChildren(panel);
    cancel.focus();
  });

  refreshBtn.addEventListener('click', () => {
    load({ manual: true });
    for (const section of tabs.get(active)?.instances || []) section.refresh?.();
  });

  renderBanner();
  // The details come from the network: the first screen is painted from the account list first.
  ctx.painted.then(() => { if (!ctx.signal.aborted && !loadSeq) load(); });

  return {
    showNotice,
    accountsChanged() {
      const acc = account();
      if (!acc) return;
      header.setHealth(currentHealth());
      if (!overview) header.setChecked(acc.checkedAt);
      renderBanner();
      eachSection((s) => s.accountsChanged?.(ctx.state));
    },
  };
}
