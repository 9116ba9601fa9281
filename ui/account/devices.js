// Account section "Devices & apps" (its own tab): the browsers/devices signed in to the account on
// its server, and the apps (OAuth clients) holding access to it; sign either out.
//
// The server only shows these lists to a signed-in "device" (its own account page's API), so the
// first visit may need the account password once (`devices_sign_in_needed`); servers without that
// API answer `devices_unsupported` and the person is sent to the account page in their browser.
// Everything in the lists (user agents, app names, URLs) comes from the server or from apps:
// text only, and no remote images: an app's logo arrives as a data: URL fetched (size-capped) by
// the Rust side, else the app gets an initial-letter avatar.
import * as api from '../api.js';
import {
  h, icon, avatar, tonePill, button, setBusy, errorBox, callout, nextId, skeleton, relativeTime, fullTime, hostOf, slowNote,
} from '../widgets/dom.js';
import { field, markInvalid, codeInput, passwordInput, panelCard } from '../widgets/forms.js';
import { scopeList } from '../widgets/scopes.js';

const SIGN_IN_NEEDED = 'devices_sign_in_needed';
const UNSUPPORTED = 'devices_unsupported';
const SIGN_IN_TEXT = 'Your server lists devices and apps only after you sign in to its account page. Stratos signs in once and remembers this device.';
const CURRENT_NOTE = 'Stratos uses this sign-in to list your devices and apps. If you sign it out, Stratos will need your password again to list them.';

export function mount(parent, ctx, acct) {
  const { did } = acct;
  let devices = null; // [Device] once loaded
  let apps = null; // [App] once loaded
  let mode = null; // 'lists' | 'sign-in' | 'unsupported'
  let seq = 0;
  let busy = false;

  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'devices-status' });
  // The account header's Refresh reloads this tab (one Refresh per screen); focus falls back to the
  // section's intro when a row it was on goes away.
  const intro = h('p', { class: 'devices-intro', tabindex: '-1' }, 'Where this account is signed in on its server, and which apps may act as you. Sign out anything you don’t recognise.');
  const body = h('div', { class: 'devices-body' });

  parent.append(h('div', { class: 'devices-section', 'data-testid': 'devices-section' },
    h('header', { class: 'devices-toolbar' }, intro),
    body,
    status));

  /* ----- The two cards ----- */
  const devicesCard = listCard({
    iconName: 'monitor', title: 'Devices', testid: 'devices-list',
    text: 'Browsers and programs signed in to your account on its server.',
  });
  const appsCard = listCard({
    iconName: 'key', title: 'Apps with access', testid: 'apps-list',
    text: 'Apps you approved with “Sign in with your account”. Revoke one to cut it off.',
  });

  function listCard({ iconName, title, text, testid }) {
    const slot = h('div', { class: 'dv-list-wrap', 'aria-live': 'polite' });
    const el = panelCard({ iconName, title, text, testid, children: [slot] });
    el.classList.add('dv-card');
    el.querySelector('h2').tabIndex = -1;
    return { el, slot };
  }

  function showLists() {
    if (mode !== 'lists') {
      mode = 'lists';
      body.replaceChildren(devicesCard.el, appsCard.el);
    }
  }

  /* ----- Loading ----- */
  async function load() {
    const mine = ++seq;
    busy = true;
    if (mode === 'lists') {
      if (devices) devicesCard.slot.classList.add('is-stale');
      else devicesCard.slot.replaceChildren(skeletonRows());
      if (apps) appsCard.slot.classList.add('is-stale');
      else appsCard.slot.replaceChildren(skeletonRows());
    } else if (mode === null) {
      showLists();
      devicesCard.slot.replaceChildren(skeletonRows());
      appsCard.slot.replaceChildren(skeletonRows());
    }
    for (const c of [devicesCard, appsCard]) c.slot.setAttribute('aria-busy', 'true');
    body.setAttribute('aria-busy', 'true');

    const [d, a] = await Promise.allSettled([api.devicesList(did), api.appsList(did)]);
    if (ctx.signal.aborted || mine !== seq) return;
    busy = false;
    body.removeAttribute('aria-busy');
    for (const c of [devicesCard, appsCard]) {
      c.slot.removeAttribute('aria-busy');
      c.slot.classList.remove('is-stale');
    }

    const errors = [d, a].filter((r) => r.status === 'rejected').map((r) => r.reason);
    const gate = errors.find((e) => e?.code === UNSUPPORTED) || errors.find((e) => e?.code === SIGN_IN_NEEDED);
    if (gate) {
      devices = null;
      apps = null;
      if (gate.code === UNSUPPORTED) showUnsupported(gate);
      else showSignIn();
      return;
    }
    showLists();
    if (d.status === 'fulfilled') {
      devices = Array.isArray(d.value) ? d.value : [];
      renderDevices();
    } else {
      listError(devicesCard, d.reason, 'devices-retry', !!devices);
    }
    if (a.status === 'fulfilled') {
      apps = Array.isArray(a.value) ? a.value : [];
      renderApps();
    } else {
      listError(appsCard, a.reason, 'apps-retry', !!apps);
    }
  }

  /** A list that failed to load: the error in its card (above the old rows, if there were some). */
  function listError(card, err, testid, keepRows) {
    const retry = button('Try again', { iconName: 'refresh', size: 'sm', 'data-testid': testid, onclick: () => load() });
    const box = errorBox(err, { action: retry });
    box.classList.add('dv-list-error');
    if (keepRows) {
      card.slot.querySelector(':scope > .dv-list-error')?.remove();
      card.slot.prepend(box);
    } else {
      card.slot.replaceChildren(box);
    }
  }

  /* ----- Devices ----- */
  function renderDevices({ focusAfter = null } = {}) {
    const sorted = [...devices].sort((x, y) => (y.isCurrent - x.isCurrent)
      || String(y.lastSeenAt || '').localeCompare(String(x.lastSeenAt || '')));
    const others = sorted.filter((dv) => !dv.isCurrent).length;
    const ul = sorted.length
      ? h('ul', { class: 'ap-list dv-list', 'aria-label': 'Devices' }, sorted.map(deviceRow))
      : null;
    const empty = others ? null : h('div', { class: ul ? 'dv-empty dv-empty--inline' : 'ap-empty dv-empty', 'data-testid': 'devices-empty' },
      ul ? icon('check', 'dv-empty-icon') : icon('monitor', 'empty-hint-icon'),
      h('div', {},
        h('p', { class: 'strong' }, 'No other devices'),
        h('p', { class: 'muted' }, ul
          ? 'No other browser or program is signed in to your account page.'
          : 'No browser or program is signed in to your account page.')));
    devicesCard.slot.replaceChildren(...[ul, empty].filter(Boolean));
    if (focusAfter !== null) focusRowButton(devicesCard.slot, '[data-testid="device-revoke"]', focusAfter, intro);
  }

  function deviceRow(dv) {
    const name = deviceName(dv.userAgent);
    const seen = relativeTime(dv.lastSeenAt);
    const revoke = button(dv.isCurrent ? 'Sign out Stratos' : 'Sign out', {
      variant: 'danger-ghost', size: 'sm', 'data-testid': 'device-revoke',
      'aria-label': dv.isCurrent ? 'Sign out Stratos (this device)' : `Sign out ${name.label}`,
      title: dv.isCurrent ? CURRENT_NOTE : null,
    });
    const confirmSlot = h('div', { class: 'ap-confirm-slot' });
    const meta = [
      dv.ipAddress ? h('span', { class: 'mono selectable dv-ip', title: 'IP address it was last seen from' }, dv.ipAddress) : null,
      h('span', { title: fullTime(dv.lastSeenAt) || null },
        `${dv.ipAddress ? 'last seen' : 'Last seen'} ${seen || fullTime(dv.lastSeenAt) || 'at an unknown time'}`),
    ].filter(Boolean);
    const li = h('li', {
      class: `ap-row dv-row${dv.isCurrent ? ' dv-row--current' : ''}`, 'data-testid': 'device-row',
      'data-device-id': dv.deviceId, 'data-current': String(!!dv.isCurrent),
    },
    h('div', { class: 'ap-main' },
      h('span', { class: `ap-icon${dv.isCurrent ? ' dv-icon--current' : ''}` }, icon(name.iconName)),
      h('div', { class: 'ap-text' },
        h('span', { class: 'ap-name' },
          h('span', { class: 'selectable dv-name', 'data-testid': 'device-name', title: dv.userAgent || 'The device did not say what it is' }, name.label),
          dv.isCurrent ? h('span', { class: 'tag tag--accent', 'data-testid': 'device-current', title: 'The sign-in Stratos itself uses to show these lists' }, 'This device') : null),
        h('span', { class: 'ap-meta dv-meta' }, joinDots(meta)),
        dv.isCurrent ? h('span', { class: 'ap-meta dv-note' }, 'Stratos uses this sign-in to show these lists.') : null),
      revoke),
    confirmSlot);
    revoke.addEventListener('click', () => openConfirm({
      li, trigger: revoke, slot: confirmSlot, testid: 'device-revoke',
      title: dv.isCurrent ? 'Sign Stratos out of your account page?' : `Sign out “${name.label}”?`,
      text: dv.isCurrent
        ? 'Stratos will need your account password again to list devices and apps. Your Stratos session for this account is not affected.'
        : 'It will need your password to sign in to your account page again. Apps approved from it keep their access until you revoke them below.',
      confirmLabel: dv.isCurrent ? 'Sign out Stratos' : 'Sign out', busyLabel: 'Signing out…', iconName: 'logout',
      run: () => api.deviceRevoke(did, dv.deviceId),
      done: () => {
        if (dv.isCurrent) {
          status.textContent = 'Stratos signed out of your account page.';
          devices = null;
          apps = null;
          showSignIn({ focus: true });
          return;
        }
        const index = rowIndex(devicesCard.slot, li);
        devices = devices.filter((x) => x.deviceId !== dv.deviceId);
        status.textContent = `Signed out ${name.label}.`;
        renderDevices({ focusAfter: index });
      },
    }));
    return li;
  }

  /* ----- Apps ----- */
  function renderApps({ focusAfter = null } = {}) {
    if (!apps.length) {
      appsCard.slot.replaceChildren(h('div', { class: 'ap-empty dv-empty', 'data-testid': 'apps-empty' },
        icon('key', 'empty-hint-icon'),
        h('p', { class: 'strong' }, 'No apps have access'),
        h('p', { class: 'muted' }, 'When you approve an app with your account, it appears here so you can revoke it later.')));
      if (focusAfter !== null) intro.focus();
      return;
    }
    const sorted = [...apps].sort((x, y) => String(y.updatedAt || y.createdAt || '').localeCompare(String(x.updatedAt || x.createdAt || '')));
    appsCard.slot.replaceChildren(h('ul', { class: 'ap-list dv-list', 'aria-label': 'Apps with access' }, sorted.map(appRow)));
    if (focusAfter !== null) focusRowButton(appsCard.slot, '[data-testid="app-revoke"]', focusAfter, intro);
  }

  function appRow(app) {
    const name = appName(app);
    const stratos = !!app.isStratos;
    const created = relativeTime(app.createdAt);
    const used = relativeTime(app.updatedAt);
    const revoke = button('Revoke access', { variant: 'danger-ghost', size: 'sm', 'data-testid': 'app-revoke', 'aria-label': `Revoke access for ${name}` });
    const confirmSlot = h('div', { class: 'ap-confirm-slot' });
    const site = app.clientUri && hostOf(app.clientUri) !== name ? hostOf(app.clientUri) : null;
    const dates = [
      app.createdAt ? h('span', { title: fullTime(app.createdAt) || null }, `Approved ${created || fullTime(app.createdAt)}`) : null,
      app.updatedAt ? h('span', { title: fullTime(app.updatedAt) || null }, `${app.createdAt ? 'last used' : 'Last used'} ${used || fullTime(app.updatedAt)}`) : null,
    ].filter(Boolean);
    const li = h('li', { class: 'ap-row dv-row dv-app', 'data-testid': 'app-row', 'data-token-id': app.tokenId },
      h('div', { class: 'ap-main' },
        app.logo
          ? h('img', { class: 'avatar app-logo', src: app.logo, alt: '', 'data-testid': 'app-logo', width: 32, height: 32 })
          : avatar(app.clientId || name, name),
        h('div', { class: 'ap-text' },
          h('span', { class: 'ap-name' },
            h('span', { class: 'selectable dv-name', 'data-testid': 'app-name', title: app.clientUri || app.clientId || null }, name),
            stratos ? h('span', { class: 'tag tag--accent', title: 'Looks like Stratos’s own browser sign-in' }, 'Stratos') : null,
            app.active ? tonePill('success', 'Active', { class: 'pill pill--success dv-active', title: 'Its current access has not expired yet' }) : null),
          h('span', { class: 'mono selectable dv-client', 'data-testid': 'app-client-id', title: app.clientId }, app.clientId),
          site ? h('span', { class: 'ap-meta' }, icon('globe', 'dv-site-icon'), h('span', { class: 'selectable' }, site)) : null),
        revoke),
      h('div', { class: 'dv-scopes' },
        h('span', { class: 'dv-scopes-label' }, 'Can'),
        scopeList(app.scopeWords, { testid: 'app-scopes' })),
      dates.length ? h('p', { class: 'ap-meta dv-dates' }, joinDots(dates)) : null,
      confirmSlot);
    revoke.addEventListener('click', () => openConfirm({
      li, trigger: revoke, slot: confirmSlot, testid: 'app-revoke',
      title: `Revoke access for “${name}”?`,
      text: 'The app can no longer act as this account. To use it again, you will have to approve it again.',
      warning: stratos
        ? 'This looks like Stratos’s own browser sign-in. After revoking it, this account shows “Session expired” until you sign in again.'
        : null,
      confirmLabel: 'Revoke access', busyLabel: 'Revoking…', iconName: 'x',
      run: () => api.appRevoke(did, app.tokenId),
      done: () => {
        const index = rowIndex(appsCard.slot, li);
        apps = apps.filter((x) => x.tokenId !== app.tokenId);
        status.textContent = `Revoked access for ${name}.`;
        renderApps({ focusAfter: index });
        ctx.actions.reloadAccounts().catch(() => {});
      },
    }));
    return li;
  }

  /* ----- In-page confirmation under a row (one open at a time) ----- */
  let closeOpen = null;

  function openConfirm({ li, trigger, slot, testid, title, text, warning = null, confirmLabel, busyLabel, iconName, run, done }) {
    closeOpen?.({ focus: false });
    const errSlot = h('div', { class: 'error-slot' });
    const close = ({ focus = true } = {}) => {
      slot.replaceChildren();
      trigger.hidden = false;
      li.classList.remove('is-confirming');
      if (closeOpen === close) closeOpen = null;
      if (focus) trigger.focus();
    };
    const cancel = button('Cancel', { size: 'sm', 'data-testid': `${testid}-cancel`, onclick: () => close() });
    const confirm = button(confirmLabel, { variant: 'danger', size: 'sm', iconName, 'data-testid': `${testid}-confirm` });
    confirm.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(confirm, true, busyLabel);
      cancel.disabled = true;
      try {
        await run();
        if (ctx.signal.aborted) return;
        if (closeOpen === close) closeOpen = null;
        done();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(confirm, false);
        cancel.disabled = false;
        if (err.code === SIGN_IN_NEEDED) {
          closeOpen = null;
          devices = null;
          apps = null;
          showSignIn({ focus: true, reason: 'Stratos’s sign-in to your account page has ended. Sign in again to continue.' });
          return;
        }
        errSlot.replaceChildren(errorBox(err));
        confirm.focus();
      }
    });
    const titleId = nextId('dv-confirm');
    slot.replaceChildren(h('div', {
      class: 'row-confirm', role: 'group', 'aria-labelledby': titleId, 'data-testid': `${testid}-confirmation`,
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled) close(); },
    },
    h('div', { class: 'row-confirm-main' },
      h('div', { class: 'row-confirm-text' },
        h('p', { class: 'confirm-title', id: titleId }, title),
        h('p', { class: 'confirm-text' }, text),
        warning ? h('p', { class: 'dv-warning' }, icon('alert'), h('span', {}, warning)) : null),
      h('div', { class: 'confirm-actions' }, cancel, confirm)),
    errSlot));
    trigger.hidden = true;
    li.classList.add('is-confirming');
    closeOpen = close;
    cancel.focus();
  }

  /* ----- Signing in to the account page ----- */
  function showSignIn({ focus = false, reason = null } = {}) {
    mode = 'sign-in';
    seq++; // a list load still under way no longer matters
    busy = false;
    body.removeAttribute('aria-busy');
    const { input: password, reveal } = passwordInput('devicesPassword', { autocomplete: 'current-password' });
    const code = codeInput('devicesEmailCode', { required: false });
    const codeField = field({
      label: 'Code from your email', input: code,
      help: 'Your server emailed a code like ABCDE-FGHIJ to the address on this account.',
      props: { hidden: true },
    });
    const codeNote = h('div', { class: 'error-slot' });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Sign in', { variant: 'primary', type: 'submit', iconName: 'lock', 'data-testid': 'devices-sign-in-submit' });
    const form = h('form', { class: 'form dv-sign-in-form', 'data-testid': 'devices-sign-in-form', novalidate: true },
      reason ? callout('warning', reason, null, { role: 'status' }) : null,
      field({ label: 'Account password', input: password, trailing: reveal, help: 'Your main password, not an app password. Stratos does not save it.' }),
      codeNote,
      codeField,
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still signing in… the server is slow to respond.'), submit));

    const lock = (on) => {
      form.classList.toggle('is-busy', on);
      if (on) form.setAttribute('aria-busy', 'true');
      else form.removeAttribute('aria-busy');
      password.readOnly = on;
      code.readOnly = on;
      reveal.disabled = on;
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      if (!password.value) {
        errorSlot.replaceChildren(errorBox({ code: 'empty_field', message: 'Enter your account password.', hint: null }));
        return markInvalid(password);
      }
      const needCode = !codeField.hidden;
      const emailCode = code.value.trim();
      if (needCode && !emailCode) {
        errorSlot.replaceChildren(errorBox({ code: 'empty_field', message: 'Enter the code from the email.', hint: null }));
        return markInvalid(code);
      }
      setBusy(submit, true, 'Signing in…');
      lock(true);
      try {
        await api.devicesSignIn(did, { password: password.value, emailCode: needCode ? emailCode : null });
        if (ctx.signal.aborted) return;
        password.value = '';
        code.value = '';
        status.textContent = 'Signed in. Loading devices and apps…';
        mode = null;
        await load();
        if (!ctx.signal.aborted && mode === 'lists') devicesCard.el.querySelector('h2')?.focus?.();
      } catch (err) {
        if (ctx.signal.aborted || !form.isConnected) return;
        setBusy(submit, false);
        lock(false);
        if (err.code === 'devices_code_needed' && !needCode) {
          codeField.hidden = false;
          codeNote.replaceChildren(callout('info', err.message || 'Your server emailed you a code', err.hint || null,
            { iconName: 'mail', role: 'status', 'data-testid': 'form-error', 'data-code': err.code }));
          code.focus();
          return;
        }
        if (err.code === UNSUPPORTED) {
          showUnsupported(err, { focus: true });
          return;
        }
        errorSlot.replaceChildren(errorBox(err));
        if (err.code === 'devices_wrong_password' || err.code === 'empty_field') markInvalid(password);
        else if (err.code === 'devices_code_needed') markInvalid(code);
        else submit.focus();
      }
    });

    const titleId = nextId('dv-sign-in');
    const card = h('section', { class: 'panel-card dv-sign-in', 'data-testid': 'devices-sign-in', 'aria-labelledby': titleId },
      h('header', { class: 'panel-head' },
        h('span', { class: 'method-icon method-icon--accent' }, icon('lock')),
        h('div', { class: 'method-head-text' },
          h('h2', { class: 'method-title', id: titleId, tabindex: '-1' }, 'Sign in to your account page'),
          h('p', { class: 'method-text' }, SIGN_IN_TEXT))),
      h('div', { class: 'panel-pad' }, form));
    body.replaceChildren(card);
    if (focus) password.focus();
  }

  /* ----- Servers without the API ----- */
  function showUnsupported(err, { focus = false } = {}) {
    mode = 'unsupported';
    const resultSlot = h('div', { class: 'dv-open-result' });
    const open = button('Open the account page', { variant: 'primary', iconName: 'external', 'data-testid': 'devices-open-account-page' });
    open.addEventListener('click', async () => {
      resultSlot.replaceChildren();
      setBusy(open, true, 'Opening…');
      try {
        const url = await api.openAccountPage(did);
        if (ctx.signal.aborted) return;
        resultSlot.replaceChildren(h('p', { class: 'dv-opened', role: 'status', 'data-testid': 'devices-account-page-opened' },
          icon('check'), h('span', {}, 'Opened in your browser: ', h('span', { class: 'url selectable' }, String(url || '')))));
      } catch (e) {
        if (ctx.signal.aborted) return;
        resultSlot.replaceChildren(errorBox(e));
      } finally {
        if (!ctx.signal.aborted) setBusy(open, false);
      }
    });
    const box = callout('info', 'This server doesn’t offer devices and apps in a way Stratos understands',
      err.hint || 'Use the account page on your server’s website to see and sign out devices and apps.',
      { action: open, 'data-testid': 'devices-unsupported', 'data-code': err.code, iconName: 'info' });
    body.replaceChildren(h('div', { class: 'dv-unsupported' }, box, resultSlot));
    if (focus) open.focus();
  }

  load();

  return {
    refresh: () => {
      // Don't throw away a sign-in being typed or sent.
      if (mode === 'sign-in' && (body.querySelector('form.is-busy') || body.querySelector('input[name=devicesPassword]')?.value)) return;
      if (mode === 'sign-in' || mode === 'unsupported') mode = null;
      if (!busy) load();
    },
  };
}

/* ---------- Helpers ---------- */

function rowIndex(slot, li) {
  return Math.max(0, [...slot.querySelectorAll(':scope > ul > li')].indexOf(li));
}

function focusRowButton(slot, selector, index, fallback) {
  const buttons = [...slot.querySelectorAll(selector)];
  (buttons[Math.min(index, buttons.length - 1)] || fallback)?.focus();
}

/** "a · b · c" with the separators hidden from screen readers. */
function joinDots(parts) {
  return parts.flatMap((part, i) => (i ? [h('span', { class: 'dv-dot', 'aria-hidden': 'true' }, '·'), part] : [part]));
}

function skeletonRows() {
  const one = () => h('li', { class: 'ap-row', 'aria-hidden': 'true' },
    h('div', { class: 'ap-main' }, skeleton('skeleton--icon'), h('div', { class: 'ap-text' }, skeleton('skeleton--title'), skeleton('skeleton--value'))));
  return h('ul', { class: 'ap-list dv-list', 'aria-hidden': 'true' }, one(), one());
}

const BROWSERS = [
  [/\b(?:Edg|EdgA|EdgiOS)\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//i, 'curl'],
];

const SYSTEMS = [
  [/\biPad\b/, 'iPadOS', 'phone'],
  [/\b(?:iPhone|iPod)\b/, 'iOS', 'phone'],
  [/\bAndroid\b/, 'Android', 'phone'],
  [/\bCrOS\b/, 'ChromeOS', 'monitor'],
  [/\bWindows\b/, 'Windows', 'monitor'],
  [/\b(?:Macintosh|Mac OS X|macOS)\b/, 'macOS', 'monitor'],
  [/\b(?:Linux|X11|Ubuntu|Fedora)\b/, 'Linux', 'monitor'],
];

/** A readable name for a user agent: "Chrome on Linux", "Stratos", or the program's own name. */
function deviceName(userAgent) {
  const ua = String(userAgent || '').trim();
  if (!ua) return { label: 'Unknown device', iconName: 'monitor' };
  const system = SYSTEMS.find(([re]) => re.test(ua));
  if (/stratos/i.test(ua)) return { label: 'Stratos', iconName: 'monitor' };
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  // Not a known browser: the first product token ("Bluesky/1.9 CFNetwork …" → "Bluesky").
  const product = browser || (/^([A-Za-z][\w.-]{0,40})\//.exec(ua)?.[1] ?? null);
  const usable = product && !/^Mozilla$/i.test(product) ? product : null;
  const label = usable && system ? `${usable} on ${system[1]}` : usable || (system ? `Browser on ${system[1]}` : 'Unknown device');
  const iconName = system ? system[2] : browser ? 'browser' : usable ? 'terminal' : 'monitor';
  return { label: label.length > 60 ? `${label.slice(0, 59)}…` : label, iconName };
}

const LOOPBACK = /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/?#]|$)/i;

/** clientName, else the host of clientUri or clientId; development (loopback) clients get a plain name. */
function appName(app) {
  const name = String(app.clientName || '').trim();
  if (name) return name.length > 80 ? `${name.slice(0, 79)}…` : name;
  if (LOOPBACK.test(app.clientId || '')) return 'An app on this computer';
  return hostOf(app.clientUri) || hostOf(app.clientId) || 'Unnamed app';
}
