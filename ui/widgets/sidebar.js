// Sidebar: account list, "check all" button and footer navigation.
import { h, avatar, hostOf, healthInfo, errorBox, relativeTime } from './dom.js';

export function createSidebar(root, { onSelect, onNavigate, onRefreshAll }) {
  const list = root.querySelector('#account-list');
  const count = root.querySelector('#account-count');
  const errorSlot = root.querySelector('#sidebar-error');
  const refreshBtn = root.querySelector('#refresh-all');

  for (const btn of root.querySelectorAll('[data-nav]')) {
    btn.addEventListener('click', () => onNavigate(btn.dataset.nav));
  }
  refreshBtn.addEventListener('click', () => onRefreshAll());

  // Up/Down/Home/End move between account rows.
  list.addEventListener('keydown', (e) => {
    const rows = [...list.querySelectorAll('.account-row')];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: rows.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    rows[Math.max(0, Math.min(rows.length - 1, next))].focus();
  });

  // One row per account, kept across renders and updated in place: a re-render (a status check
  // finishing) never swaps out the button under a click or the keyboard focus.
  const rows = new Map(); // did → li

  function row(account, selected) {
    const info = healthInfo(account.health, account.healthLabel);
    const host = hostOf(account.pdsUrl) || 'No PDS';
    const checked = relativeTime(account.checkedAt);
    const title = [account.handle, info.label, host, checked ? `checked ${checked}` : null].filter(Boolean).join(' · ');
    let li = rows.get(account.did);
    if (!li) {
      li = h('li', {}, h('button', {
        type: 'button', 'data-testid': 'account-row', 'data-did': account.did, onclick: () => onSelect(account.did),
      }));
      rows.set(account.did, li);
    }
    const btn = li.firstChild;
    btn.className = `account-row tone-${info.tone}`;
    btn.dataset.health = info.health;
    btn.title = title;
    if (selected) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
    // Redraw the row's content only when it changed: a status check finishing re-renders the list
    // often, and replacing the nodes under a pointer between its press and release loses the
    // click (WebKit sends no click when the pressed node is gone).
    const sig = JSON.stringify([account.handle, account.did, info.health, info.tone, info.short, info.label, host]);
    if (btn.dataset.sig === sig) return li;
    btn.dataset.sig = sig;
    btn.replaceChildren(
      h('span', { class: 'account-avatar' },
        avatar(account.did, account.handle),
        h('span', { class: `status-dot status-dot--${info.tone}`, 'data-health': info.health, 'aria-hidden': 'true' })),
      h('span', { class: 'account-text' },
        h('span', { class: 'account-handle' }, account.handle || account.did),
        // A short, complete second line: the host while all is well, else the state alone (the
        // host and the full sentence are in the tooltip and the Overview).
        h('span', { class: 'account-host', 'data-testid': 'account-state-line' },
          info.health === 'active' ? host : h('span', { class: `account-status tone-text-${info.tone}` }, info.short))),
      h('span', { class: 'visually-hidden' }, `, ${info.label}, ${host}`));
    return li;
  }

  return {
    render(state) {
      if (!state.loaded) return;
      const focusedDid = list.contains(document.activeElement) ? document.activeElement.dataset.did : null;
      list.removeAttribute('aria-busy');
      const shown = state.accounts.map((a) => row(a, state.screen === 'overview' && a.did === state.selected));
      for (const did of rows.keys()) if (!state.accounts.some((a) => a.did === did)) rows.delete(did);
      // Rows already in place stay where they are; only a changed order or set moves nodes.
      const current = [...list.children];
      if (!shown.length) list.replaceChildren(h('li', { class: 'account-empty' }, 'No accounts yet'));
      else if (current.length !== shown.length || shown.some((li, i) => current[i] !== li)) list.replaceChildren(...shown);
      count.textContent = state.accounts.length ? String(state.accounts.length) : '';
      refreshBtn.disabled = state.refreshing || !state.accounts.length;
      refreshBtn.classList.toggle('is-spinning', !!state.refreshing);
      refreshBtn.setAttribute('aria-busy', state.refreshing ? 'true' : 'false');
      for (const btn of root.querySelectorAll('[data-nav]')) {
        if (btn.dataset.nav === state.screen) btn.setAttribute('aria-current', 'page');
        else btn.removeAttribute('aria-current');
      }
      if (focusedDid) list.querySelector(`.account-row[data-did="${CSS.escape(focusedDid)}"]`)?.focus();
    },
    showError(err) {
      if (!err) {
        errorSlot.replaceChildren();
        return;
      }
      const box = errorBox(err, { testid: 'sidebar-error' });
      box.classList.add('callout--compact');
      box.append(h('button', {
        type: 'button', class: 'icon-btn icon-btn--sm callout-close', 'aria-label': 'Dismiss', title: 'Dismiss',
        onclick: () => errorSlot.replaceChildren(),
      }, '×'));
      errorSlot.replaceChildren(box);
    },
  };
}
