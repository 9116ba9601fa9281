// Boot, app state and routing between screens.
import * as api from './api.js';
import { h, button, errorBox, hostOf } from './widgets/dom.js';
import { createSidebar } from './widgets/sidebar.js';
import * as overview from './screens/overview.js';

// The first screen of someone signed in; the others (the welcome screen too) load on first use,
// so their code is neither on the start-up path nor in memory until it is needed. The keys are the
// screen names the sidebar and the shell (tray, `navigate`) use; the modules carry feature names.
const SCREENS = { overview };
const LAZY_SCREENS = {
  welcome: () => import('./screens/welcome.js'),
  'add-account': () => import('./screens/accounts.js'),
  'create-account': () => import('./screens/create.js'),
  lookup: () => import('./screens/status.js'),
  settings: () => import('./screens/settings.js'),
  migrate: () => import('./screens/migrate.js'),
  recover: () => import('./account/recover.js'),
};
const knownScreen = (screen) => !!SCREENS[screen] || !!LAZY_SCREENS[screen];

/** Loads a lazy screen's module once; resolves when SCREENS has it. */
function loadScreen(screen) {
  if (SCREENS[screen]) return Promise.resolve();
  return LAZY_SCREENS[screen]().then((module) => {
    SCREENS[screen] = module;
  });
}

const state = {
  accounts: [],
  selected: null, // DID shown in the overview
  loaded: false,
  refreshing: false,
  screen: null,
};

const main = document.getElementById('main');
let current = null; // {screen, params, controller, instance}
let pendingNotice = null; // shown by the next account or welcome screen (e.g. after a deletion)

const exists = (did) => !!did && state.accounts.some((a) => a.did === did);
let backendSelected = null; // the selection the backend last reported or was told

const sidebar = createSidebar(document.getElementById('sidebar'), {
  onSelect: (did) => go('overview', { did }, { focus: false }),
  onNavigate: (screen) => go(screen),
  onRefreshAll: refreshAll,
});

/* ---------- State ---------- */

function setAccounts(payload) {
  state.accounts = Array.isArray(payload?.accounts) ? payload.accounts : [];
  backendSelected = payload?.selected ?? null;
  // Keep the account being viewed; otherwise follow the backend's selection.
  if (!(state.screen === 'overview' && exists(state.selected))) state.selected = payload?.selected ?? state.selected;
  if (!exists(state.selected)) state.selected = state.accounts[0]?.did ?? null;
  state.loaded = true;
  sidebar.render(state);

  if (state.screen === 'overview' && !exists(current?.params.did)) {
    go(state.accounts.length ? 'overview' : 'welcome', {}, { focus: false });
  } else if (state.screen === 'welcome' && state.accounts.length) {
    go('overview', {}, { focus: false });
  } else {
    current?.instance?.accountsChanged?.(state);
  }
}

async function reloadAccounts() {
  setAccounts(await api.listAccounts());
}

async function refreshAll() {
  if (state.refreshing) return;
  state.refreshing = true;
  sidebar.showError(null);
  sidebar.render(state);
  try {
    setAccounts(await api.refreshAccounts());
  } catch (err) {
    sidebar.showError(err);
  } finally {
    state.refreshing = false;
    sidebar.render(state);
  }
}

const actions = {
  reloadAccounts,

  async accountAdded(account) {
    try {
      await reloadAccounts();
    } catch {
      if (!exists(account.did)) state.accounts = [...state.accounts, account];
    }
    go('overview', { did: account.did });
  },

  async loggedOut(did) {
    try {
      await reloadAccounts();
    } catch {
      setAccounts({ accounts: state.accounts.filter((a) => a.did !== did), selected: null });
    }
    if (state.screen === 'overview' && current?.params.did === did) {
      go(state.accounts.length ? 'overview' : 'welcome');
    }
  },

  /** An account was deleted on its server: show the next account (or the welcome screen) and say so. */
  async accountDeleted(result) {
    const name = result.handle || result.did;
    const host = hostOf(result.pdsUrl);
    pendingNotice = result.forgottenLocally === false
      ? {
        tone: 'warning', testid: 'account-deleted', title: `${name} was deleted`,
        text: 'Stratos could not remove it from its own list. Sign out of it to remove it.',
      }
      : {
        tone: 'success', testid: 'account-deleted', title: `${name} was deleted`,
        text: host ? `It is gone from ${host}, and Stratos has forgotten it.` : 'Stratos has forgotten it.',
      };
    try {
      await reloadAccounts();
    } catch {
      setAccounts({ accounts: state.accounts.filter((a) => a.did !== result.did), selected: null });
    }
    if (state.screen === 'overview' && current?.params.did === result.did && result.forgottenLocally !== false) {
      go(state.accounts.length ? 'overview' : 'welcome');
    }
    // Already moved on (the list changed before the answer came): tell the screen now shown.
    if (pendingNotice) current?.instance?.showNotice?.(pendingNotice);
    pendingNotice = null;
  },
};

/* ---------- Routing ---------- */

let navigation = 0; // the latest go(); a lazy screen that finishes loading after a newer one is dropped

function go(screen, params = {}, { focus = true } = {}) {
  if (!knownScreen(screen)) return;
  const seq = ++navigation;
  if (!SCREENS[screen]) {
    loadScreen(screen).then(
      () => { if (seq === navigation) go(screen, params, { focus }); },
      (err) => sidebar.showError(err),
    );
    return;
  }
  if (screen === 'welcome' && state.accounts.length) screen = 'overview';
  if (screen === 'overview') {
    const did = exists(params.did) ? params.did : exists(state.selected) ? state.selected : state.accounts[0]?.did;
    if (!did) {
      if (!SCREENS.welcome) return go('welcome', {}, { focus });
      screen = 'welcome';
      params = {};
    } else {
      if (current?.screen === 'overview' && current.params.did === did && !params.force) return;
      params = { did, tab: params.tab || null };
      if (did !== backendSelected) {
        backendSelected = did;
        api.selectAccount(did).catch((err) => sidebar.showError(err));
      }
      state.selected = did;
    }
  }

  if (pendingNotice && (screen === 'overview' || screen === 'welcome')) {
    params = { ...params, notice: pendingNotice };
    pendingNotice = null;
  }

  // Not on the first screen: the page is at the top already, and asking would lay it out early.
  if (current) window.scrollTo(0, 0);
  current?.controller.abort();
  const controller = new AbortController();
  state.screen = screen;
  current = { screen, params, controller, instance: null };
  current.instance = SCREENS[screen].mount(main, { state, go, actions, painted, signal: controller.signal }, params) || {};
  sidebar.render(state);

  // Move focus into the new screen unless the screen already placed it (e.g. on a form field).
  if (focus && !main.contains(document.activeElement)) {
    main.querySelector('h1[tabindex="-1"]')?.focus({ preventScroll: true });
  }
}

/* ---------- Boot ---------- */

let paintSignalled = false;
let markPainted;
/** Resolves once the first screen is painted: screens start work that can wait (network) after it. */
const painted = new Promise((resolve) => { markPainted = resolve; });

/** Once: two animation frames after the first screen is in the DOM it has been painted. */
function signalFirstPaint() {
  if (paintSignalled) return;
  paintSignalled = true;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    markPainted();
    api.firstPaint().catch(() => {});
  }));
}

/** The account list the shell handed the page when Stratos started (desktop.rs); taken once. */
function takeStartList() {
  const list = window.__STRATOS_ACCOUNTS__;
  delete window.__STRATOS_ACCOUNTS__;
  return list;
}

async function boot() {
  main.setAttribute('aria-busy', 'true');
  try {
    const startList = takeStartList();
    // The list from the start saves the first screen a round trip; once that is painted, the
    // list is asked for anyway, for anything that changed since (a sign-in by deep link, or a
    // reload of the page, which gets the start's list again).
    if (startList) painted.then(() => reloadAccounts()).catch((err) => sidebar.showError(err));
    setAccounts(startList ?? await api.listAccounts());
    // Loaded before the paint signal below, so the signal means the first screen is there.
    const first = state.accounts.length ? 'overview' : 'welcome';
    await loadScreen(first);
    if (!state.screen) go(first, {}, { focus: false });
  } catch (err) {
    state.loaded = true;
    sidebar.render(state);
    main.replaceChildren(h('section', { class: 'screen screen--center', 'data-testid': 'boot-error' },
      h('h1', {}, 'Stratos couldn’t load your accounts'),
      errorBox(err, { action: button('Try again', { variant: 'primary', iconName: 'refresh', onclick: boot }) })));
  } finally {
    main.removeAttribute('aria-busy');
    // Scripts and the first screen are in place: clicks on the static sidebar now work.
    document.body.dataset.ready = 'true';
    signalFirstPaint();
  }
}

// Boot first (the first screen is built from the start list, or the list is asked for); the
// listeners follow, as nothing is emitted before the first paint anyway.
boot();
api.on('accounts-changed', (payload) => {
  setAccounts(payload);
  if (!state.screen) go(state.accounts.length ? 'overview' : 'welcome', {}, { focus: false });
}).catch(() => {});

api.on('navigate', (payload) => {
  const screen = payload?.screen;
  if (!knownScreen(screen)) return;
  go(screen, screen === 'overview' && payload.did ? { did: payload.did } : {});
}).catch(() => {});
