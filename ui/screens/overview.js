// Overview of the selected account, plus the Overview rendering shared with the Look up screen.
import * as api from '../api.js';
import {
  h, icon, avatar, pill, tonePill, hostOf, healthInfo, relativeTime, fullTime,
  button, setBusy, errorBox, callout, copyButton, skeleton, slowNote, nextId,
} from '../widgets/dom.js';

/* ---------- Shared rendering ---------- */

const REPO_STATUS = {
  active: 'Active',
  deactivated: 'Deactivated',
  takendown: 'Taken down',
  suspended: 'Suspended',
  deleted: 'Deleted',
  desynchronized: 'Desynchronized',
  throttled: 'Throttled',
};

function statusText(status) {
  if (!status) return null;
  return REPO_STATUS[status] || status.charAt(0).toUpperCase() + status.slice(1);
}

/** Health of any Overview (used for look-ups, and for fresh data on the account screen). */
export function deriveHealth(ov) {
  if (!ov) return healthInfo('unknown');
  if (ov.pds && ov.pds.url && ov.pds.reachable === false) return healthInfo('unreachable');
  const status = ov.repo?.status;
  if (status && ['deactivated', 'takendown', 'suspended'].includes(status)) return healthInfo(status);
  if (ov.repo?.active === true) return healthInfo('active');
  if (status) return { ...healthInfo('unknown'), label: statusText(status) };
  return healthInfo('unknown');
}

const sameHandle = (a, b) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** ✓ / ✗ / – followed by text. */
function mark(kind, text, extra = null) {
  const iconName = { ok: 'check', bad: 'x', warn: 'alert', none: 'minus' }[kind];
  return h('span', { class: `mark mark--${kind}` }, icon(iconName, 'mark-icon'), h('span', {}, text), extra);
}

const mono = (text) => h('span', { class: 'mono selectable' }, text);
const muted = (text) => h('span', { class: 'muted' }, text);

function row(label, value, props = {}) {
  return h('div', { class: 'row', ...props }, h('dt', {}, label), h('dd', {}, value));
}

function card({ title, iconName, badge = null, testid, children }) {
  const id = nextId('card');
  return h('section', { class: 'card', 'aria-labelledby': id, 'data-testid': testid },
    h('header', { class: 'card-header' },
      h('span', { class: 'card-icon' }, icon(iconName)),
      h('h2', { id, class: 'card-title' }, title),
      badge),
    ...children);
}

// One handle-resolution method's answer: {outcome: "found", did} | {outcome: "notFound", reason} | {outcome: "skipped"}.
function resolvesTo(answer, did) {
  if (!answer || answer.outcome === 'notFound') return mark('none', answer?.reason || 'No record');
  if (answer.did === did) return mark('ok', 'Points to this DID');
  return mark('bad', 'Points to ', mono(answer.did));
}

const asked = (answer) => answer && answer.outcome !== 'skipped';

function identityCard(ov) {
  const c = ov.handleCheck || {};
  const docOk = sameHandle(c.docHandle, ov.handle);
  let docValue;
  if (!c.docHandle) docValue = mark('bad', 'No handle listed');
  else if (docOk) docValue = mark('ok', 'Lists this handle');
  else docValue = mark('bad', 'Lists ', mono(c.docHandle));

  return card({
    title: 'Identity',
    iconName: 'at',
    testid: 'card-identity',
    badge: c.verified
      ? tonePill('success', 'Verified', { 'data-testid': 'handle-verified', 'data-verified': 'true' })
      : tonePill('danger', 'Not verified', { 'data-testid': 'handle-verified', 'data-verified': 'false' }),
    children: [
      h('dl', { class: 'rows' },
        row('Handle', ov.handle ? mono(ov.handle) : muted('No handle')),
        row('DID', mono(ov.did))),
      h('h3', { class: 'rows-heading' }, 'Handle → DID'),
      h('dl', { class: 'rows' },
        asked(c.dns) ? row('DNS TXT record', resolvesTo(c.dns, ov.did), { title: ov.handle ? `_atproto.${ov.handle}` : null }) : null,
        asked(c.https) ? row('HTTPS well-known', resolvesTo(c.https, ov.did), { title: ov.handle ? `https://${ov.handle}/.well-known/atproto-did` : null }) : null,
        asked(c.service) ? row('Resolver service', resolvesTo(c.service, ov.did), { 'data-testid': 'handle-resolver-row' }) : null),
      h('h3', { class: 'rows-heading' }, 'DID → handle'),
      h('dl', { class: 'rows' }, row('DID document', docValue)),
      c.problem ? callout('warning', null, c.problem, { 'data-testid': 'handle-problem' }) : null,
    ],
  });
}

function pdsCard(ov) {
  const p = ov.pds || {};
  const domains = p.availableUserDomains || [];
  return card({
    title: 'PDS',
    iconName: 'server',
    testid: 'card-pds',
    badge: !p.url ? tonePill('neutral', 'Unknown')
      : p.reachable ? tonePill('success', 'Online', { 'data-testid': 'pds-reachable', 'data-reachable': 'true' })
        : tonePill('danger', 'Unreachable', { 'data-testid': 'pds-reachable', 'data-reachable': 'false' }),
    children: [
      h('dl', { class: 'rows' },
        row('Address', p.url ? mono(p.url) : muted('Not found in DID document')),
        row('Reachable', !p.url ? muted('—') : p.reachable ? mark('ok', 'Yes') : mark('bad', 'No')),
        row('Version', p.version ? mono(p.version) : muted('Not reported')),
        row('Server DID', p.serverDid ? mono(p.serverDid) : muted('Not reported')),
        row('User domains', domains.length
          ? h('span', { class: 'chips' }, domains.map((d) => h('span', { class: 'chip mono' }, d)))
          : muted('None')),
        row('Invite code', p.inviteCodeRequired === true ? 'Required to sign up'
          : p.inviteCodeRequired === false ? 'Not required' : muted('Unknown')),
        row('Contact', p.contactEmail ? h('span', { class: 'selectable' }, p.contactEmail) : muted('Not listed')),
        row('Privacy policy', p.privacyPolicy ? h('span', { class: 'selectable url' }, p.privacyPolicy) : muted('Not listed')),
        row('Terms of service', p.termsOfService ? h('span', { class: 'selectable url' }, p.termsOfService) : muted('Not listed'))),
      p.error ? callout('danger', 'Could not reach the PDS', p.error, { 'data-testid': 'pds-error' }) : null,
    ],
  });
}

function repoCard(ov) {
  const r = ov.repo || {};
  const raw = r.status || (r.active === true ? 'active' : r.active === false ? 'inactive' : 'unknown');
  const text = r.status ? statusText(r.status) : r.active === true ? 'Active' : r.active === false ? 'Inactive' : 'Unknown';
  const tone = raw === 'active' ? 'success' : ['takendown', 'suspended', 'deleted'].includes(raw) ? 'danger'
    : raw === 'unknown' ? 'neutral' : 'warning';
  return card({
    title: 'Repository',
    iconName: 'database',
    testid: 'card-repo',
    badge: tonePill(tone, text),
    children: [
      h('dl', { class: 'rows' },
        row('Status', h('span', { class: `tone-text-${tone} strong`, 'data-testid': 'overview-repo-status', 'data-status': raw }, text)),
        row('Active', r.active === true ? mark('ok', 'Yes') : r.active === false ? mark('bad', 'No') : muted('Unknown')),
        row('Revision', r.rev ? mono(r.rev) : muted('—'))),
      r.error ? callout('danger', 'Could not check the repository', r.error, { 'data-testid': 'repo-error' }) : null,
    ],
  });
}

/* ---------- Browser sign-in (OAuth) scopes in plain words ---------- */

// [test, words]: the first match wins. Anything else is shown as the raw scope.
const SCOPE_WORDS = [
  [(s) => s === 'atproto', 'Identify you'],
  [(s) => s === 'transition:generic', 'Read and manage like an app password'],
  [(s) => s === 'transition:email' || /^account:email([?#]|$)/.test(s), 'See and manage your email'],
  [(s) => /^identity(:|$)/.test(s), 'Change handle and identity'],
  [(s) => /^account:repo([?#]|$)/.test(s), 'Import your repository'],
  [(s) => /^blob([:?#]|$)/.test(s), 'Upload files'],
  [(s) => /^rpc:com\.atproto\.server\.createAccount([?#]|$)/.test(s), 'Create your account on another PDS'],
];

/** A granted scope string → [{words, scopes: [raw…]}] with known scopes merged by meaning, unknown ones raw. */
export function describeScopes(scope) {
  const out = [];
  const byWords = new Map();
  for (const raw of String(scope || '').split(/\s+/).filter(Boolean)) {
    const words = SCOPE_WORDS.find(([test]) => test(raw))?.[1] || null;
    if (words && byWords.has(words)) {
      byWords.get(words).scopes.push(raw);
      continue;
    }
    const item = { words, scopes: [raw] };
    if (words) byWords.set(words, item);
    out.push(item);
  }
  return out;
}

/** Granted scopes as plain-word chips (the raw scope in each chip's tooltip). Also used by the Devices & apps tab. */
export function scopeList(scope, { testid = 'session-scopes' } = {}) {
  const items = describeScopes(scope);
  if (!items.length) return muted('None reported');
  return h('ul', { class: 'granted-list', 'data-testid': testid },
    items.map((item) => h('li', {
      class: `granted-item${item.words ? '' : ' granted-item--raw'}`,
      'data-scope': item.scopes.join(' '),
      title: item.scopes.join('\n'),
    },
    icon(item.words ? 'check' : 'key', 'granted-icon'),
    item.words ? h('span', {}, item.words) : mono(item.scopes.join(' ')))));
}

function sessionEnds(iso) {
  const rel = relativeTime(iso);
  const full = fullTime(iso);
  if (!full) return muted('Unknown');
  const soon = new Date(iso).getTime() - Date.now() < 2 * 86400 * 1000;
  return h('span', { class: soon ? 'tone-text-warning' : null, 'data-testid': 'session-ends', 'data-ends': iso, title: rel || null },
    full, rel ? h('span', { class: 'muted' }, ` (${rel})`) : null);
}

function sessionCard(ov, { onSignInAgain, account = null }) {
  const s = ov.session;
  if (!s) {
    return card({
      title: 'Session',
      iconName: 'key',
      testid: 'card-session',
      badge: tonePill('warning', 'Not signed in'),
      children: [
        h('p', { class: 'card-text' }, 'Stratos has no working session for this account, so private details like your email are not shown.'),
        onSignInAgain ? h('div', { class: 'card-actions' }, button('Sign in again', { variant: 'primary', iconName: 'key', onclick: onSignInAgain })) : null,
      ],
    });
  }
  const oauthKind = s.authKind === 'oauth' || (!s.authKind && account?.authKind === 'oauth');
  const grant = oauthKind ? account?.oauth || null : null;
  // Browser sign-in only shares the email when Stratos asked for it.
  const emailHidden = oauthKind && !s.email;
  return card({
    title: 'Session',
    iconName: 'key',
    testid: 'card-session',
    badge: s.active ? tonePill('success', 'Signed in') : tonePill('warning', statusText(s.status) || 'Inactive'),
    children: [
      h('dl', { class: 'rows' },
        row('Email', s.email ? h('span', { class: 'selectable' }, s.email)
          : emailHidden ? muted('Not shared with Stratos') : muted('Not available')),
        emailHidden ? null : row('Email confirmed', s.emailConfirmed ? mark('ok', 'Confirmed') : mark('warn', 'Not confirmed')),
        emailHidden ? null : row('Email sign-in codes', s.emailAuthFactor ? mark('ok', 'On') : mark('none', 'Off')),
        row('Signed in with', oauthKind ? 'your browser (OAuth)' : 'Password', { 'data-testid': 'session-auth-kind', 'data-auth-kind': oauthKind ? 'oauth' : 'password' }),
        grant?.issuer ? row('Approved on', mono(hostOf(grant.issuer) || grant.issuer), { title: grant.issuer }) : null,
        grant?.signedInAt ? row('Signed in', h('span', { title: fullTime(grant.signedInAt) }, relativeTime(grant.signedInAt) || fullTime(grant.signedInAt))) : null,
        grant ? row('Session ends by', sessionEnds(grant.sessionEndsBy)) : null,
        row('Account state', s.active ? mark('ok', 'Active') : mark('warn', statusText(s.status) || 'Inactive'))),
      grant ? h('h3', { class: 'rows-heading' }, 'What Stratos may do') : null,
      grant ? h('div', { class: 'granted' }, scopeList(grant.scope)) : null,
      grant ? h('p', { class: 'card-note' }, icon('clock'),
        h('span', {}, 'Browser sign-ins last at most two weeks. Stratos will ask you to sign in again after that.')) : null,
    ],
  });
}

/** The grid of cards for an Overview. `session: false` omits the Session card (look-ups). */
export function renderCards(ov, { session = true, onSignInAgain = null, account = null } = {}) {
  return h('div', { class: 'cards' },
    identityCard(ov),
    pdsCard(ov),
    repoCard(ov),
    session ? sessionCard(ov, { onSignInAgain, account }) : null);
}

export function skeletonCards(count = 4) {
  const one = () => h('div', { class: 'card card--skeleton', 'aria-hidden': 'true' },
    h('div', { class: 'card-header' }, skeleton('skeleton--icon'), skeleton('skeleton--title')),
    ...[0, 1, 2, 3].map(() => h('div', { class: 'row' }, skeleton('skeleton--label'), skeleton('skeleton--value'))));
  return h('div', { class: 'cards' }, Array.from({ length: count }, one));
}

/**
 * Header: avatar, handle, DID with copy button, health pill and "checked" time.
 * Returns {el, setHealth(info), setChecked(iso), actions} — actions is a slot for buttons.
 */
export function renderHeader({ did, handle, health, checkedAt, host, level = 'h1' }) {
  const pillSlot = h('span', { class: 'pill-slot' });
  const checked = h('span', { class: 'meta-item' });
  const actions = h('div', { class: 'header-actions' });
  checked.classList.add('checked-at');
  const setHealth = (info) => pillSlot.replaceChildren(pill(info.health, info.label, { 'data-testid': 'overview-health' }));
  const setChecked = (iso) => {
    const rel = relativeTime(iso);
    checked.replaceChildren(...(rel ? [icon('clock'), `Checked ${rel}`] : []));
    checked.title = fullTime(iso);
    checked.hidden = !rel;
  };
  const hostItem = h('span', { class: 'meta-item meta-host', title: host || '' }, icon('globe'), h('span', {}, host || 'No PDS'));
  let avatarEl = avatar(did, handle, 'lg');
  const el = h('header', { class: 'overview-header' },
    avatarEl,
    h('div', { class: 'overview-title' },
      h(level, { class: 'overview-handle selectable', 'data-testid': 'overview-handle', tabindex: '-1' }, handle || did),
      h('div', { class: 'overview-did' },
        h('span', { class: 'mono selectable', 'data-testid': 'overview-did' }, did),
        copyButton(() => did, { label: 'Copy DID', 'data-testid': 'copy-did' })),
      h('div', { class: 'overview-meta' }, pillSlot, hostItem)),
    h('div', { class: 'header-side' }, actions, checked));
  setHealth(health);
  setChecked(checkedAt);
  return {
    el, actions, setHealth, setChecked,
    setHost: (value) => {
      hostItem.replaceChildren(icon('globe'), h('span', {}, value || 'No PDS'));
      hostItem.title = value || '';
    },
    /** A new handle (changed here, or moved to another server): the title and the avatar's letter. */
    setHandle: (value) => {
      if (!value) return;
      el.querySelector('.overview-handle').textContent = value;
      const next = avatar(did, value, 'lg');
      avatarEl.replaceWith(next);
      avatarEl = next;
    },
  };
}

/* ---------- Account screen: overview header, then sections in tabs ---------- */

// Each section other than Overview is its own module: mount(panel, ctx, acct) → {refresh?, accountsChanged?, overviewChanged?}.
const TABS = [
  { id: 'overview', label: 'Overview', iconName: 'info' },
  { id: 'devices', label: 'Devices & apps', iconName: 'devices', load: () => import('../account/devices.js') },
  { id: 'app-passwords', label: 'App passwords', iconName: 'key', load: () => import('../account/app_passwords.js') },
  { id: 'security', label: 'Security', iconName: 'shield', load: () => import('../account/email.js') },
  { id: 'handle', label: 'Handle', iconName: 'at', load: () => import('../account/handle.js') },
  { id: 'tools', label: 'Tools', iconName: 'tools', load: () => import('../account/service_auth.js') },
  { id: 'danger', label: 'Danger zone', iconName: 'alert', load: () => import('../account/activation.js'), danger: true },
];

/** A notice carried over from another screen (e.g. "alice.test was deleted"). */
export function noticeBox(notice) {
  const box = callout(notice.tone || 'success', notice.title, notice.text || null, {
    iconName: notice.tone === 'warning' ? 'alert' : 'check', role: 'status', 'data-testid': notice.testid || 'notice', tabindex: '-1',
  });
  box.append(h('button', {
    type: 'button', class: 'icon-btn icon-btn--sm callout-close', 'aria-label': 'Dismiss', title: 'Dismiss',
    onclick: () => box.remove(),
  }, icon('x')));
  return box;
}

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
  const refreshBtn = button('Refresh', { iconName: 'refresh', 'data-testid': 'refresh' });
  const logoutBtn = button('Sign out', { variant: 'danger-ghost', iconName: 'logout', 'data-testid': 'logout' });
  header.actions.append(refreshBtn, logoutBtn);

  const noticeSlot = h('div', { class: 'banner-slot' });
  const confirmSlot = h('div', { class: 'confirm-slot' });
  const bannerSlot = h('div', { class: 'banner-slot' });
  const errorSlot = h('div', { class: 'error-slot' });
  const body = h('div', { class: 'overview-body', 'aria-busy': 'true' }, slowNote(), skeletonCards(4));

  /* Tabs */
  const tabs = new Map(); // id → {def, btn, panel, instance}
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Account sections', 'data-testid': 'account-tabs' });
  const panels = h('div', { class: 'tab-panels' });
  for (const def of TABS) {
    const btnId = nextId('tab');
    const panelId = nextId('tabpanel');
    const btn = h('button', {
      type: 'button', id: btnId, class: `tab${def.danger ? ' tab--danger' : ''}`, role: 'tab',
      'aria-selected': 'false', 'aria-controls': panelId, tabindex: '-1', 'data-testid': `tab-${def.id}`, 'data-tab': def.id,
      onclick: () => select(def.id),
    }, icon(def.iconName, 'tab-icon'), h('span', {}, def.label));
    const panel = h('div', { id: panelId, class: 'tab-panel', role: 'tabpanel', 'aria-labelledby': btnId, hidden: true, 'data-tab': def.id });
    tabList.append(btn);
    panels.append(panel);
    tabs.set(def.id, { def, btn, panel, instance: def.id === 'overview' ? {} : null });
  }
  tabs.get('overview').panel.append(errorSlot, body);
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
    if (!t.instance && !t.loading) {
      t.loading = t.def.load().then((module) => {
        if (ctx.signal.aborted) return;
        t.instance = module.mount(t.panel, ctx, acct) || {};
      }).catch((err) => {
        t.loading = null;
        t.panel.replaceChildren(errorBox(err));
      });
    }
    screen.dataset.tab = id;
    if (focus) t.btn.focus();
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
    for (const t of tabs.values()) if (t.instance && t.def.load) fn(t.instance);
  };

  function currentHealth() {
    const acc = account();
    if (acc?.health === 'expired') return healthInfo('expired', acc.healthLabel);
    const fresh = overview ? deriveHealth(overview) : null;
    if (fresh && fresh.health !== 'unknown') return fresh;
    return healthInfo(acc?.health, acc?.healthLabel);
  }

  function renderBanner() {
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
      h('p', { class: 'confirm-text' }, 'Stratos will forget this account’s session and remove its saved password from your keychain. Your account itself is not affected.'),
      errSlot),
    h('div', { class: 'confirm-actions' }, cancel, confirm));
    logoutBtn.hidden = true;
    confirmSlot.replaceChildren(panel);
    cancel.focus();
  });

  refreshBtn.addEventListener('click', () => {
    load({ manual: true });
    tabs.get(active)?.instance?.refresh?.();
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
