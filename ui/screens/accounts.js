// Sidebar: account list, "check all" button and footer navigation.
import { h, avatar, hostOf, healthInfo, errorBox, relativeTime } from '../dom.js';

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

  function row(account, selected) {
    const info = healthInfo(account.health, account.healthLabel);
    const host = hostOf(account.pdsUrl) || 'No PDS';
    const checked = relativeTime(account.checkedAt);
    const title = [account.handle, info.label, host, checked ? `checked ${checked}` : null].filter(Boolean).join(' · ');
    return h('li', {},
      h('button', {
        type: 'button',
        class: `account-row tone-${info.tone}`,
        'data-testid': 'account-row',
        'data-did': account.did,
        'data-health': info.health,
        'aria-current': selected ? 'true' : null,
        title,
        onclick: () => onSelect(account.did),
      },
      h('span', { class: 'account-avatar' },
        avatar(account.did, account.handle),
        h('span', { class: `status-dot status-dot--${info.tone}`, 'data-health': info.health, 'aria-hidden': 'true' })),
      h('span', { class: 'account-text' },
        h('span', { class: 'account-handle' }, account.handle || account.did),
        h('span', { class: 'account-host' },
          info.health === 'active' ? null : h('span', { class: `account-status tone-text-${info.tone}` }, info.label),
          info.health === 'active' ? null : ' · ',
          host)),
      h('span', { class: 'visually-hidden' }, `, ${info.label}, ${host}`)));
  }

  return {
    render(state) {
      if (!state.loaded) return;
      const focusedDid = list.contains(document.activeElement) ? document.activeElement.dataset.did : null;
      list.removeAttribute('aria-busy');
      list.replaceChildren(
        ...(state.accounts.length
          ? state.accounts.map((a) => row(a, state.screen === 'overview' && a.did === state.selected))
          : [h('li', { class: 'account-empty' }, 'No accounts yet')]),
      );
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
