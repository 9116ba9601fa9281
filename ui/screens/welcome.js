// Empty state: shown when no accounts have been added yet.
import { h, icon, button, nextId } from '../widgets/dom.js';
import { noticeBox } from '../widgets/cards.js';

export function mount(main, ctx, { notice = null } = {}) {
  const titleId = nextId('title');
  const feature = (iconName, title, text) => h('li', { class: 'feature' },
    h('span', { class: 'feature-icon' }, icon(iconName)),
    h('div', {}, h('p', { class: 'feature-title' }, title), h('p', { class: 'feature-text' }, text)));

  const noticeEl = notice ? noticeBox(notice) : null;
  noticeEl?.classList.add('welcome-notice');
  main.replaceChildren(h('section', { class: 'screen screen--center welcome', 'data-testid': 'welcome', 'aria-labelledby': titleId },
    noticeEl,
    h('img', { class: 'welcome-logo', src: 'logo.svg', alt: '', width: 88, height: 88 }),
    h('h1', { id: titleId, tabindex: '-1' }, 'Welcome to Stratos'),
    h('p', { class: 'welcome-lead' }, 'Keep an eye on your Bluesky and AT Protocol accounts, on any server. Stratos checks that your handle resolves, your PDS is up and your account is in good standing.'),
    h('div', { class: 'btn-row btn-row--center' },
      button('Add your first account', { variant: 'primary', size: 'lg', iconName: 'plus', 'data-testid': 'add-first-account', onclick: () => ctx.go('add-account') }),
      button('Look up an account', { size: 'lg', iconName: 'search', onclick: () => ctx.go('lookup') })),
    h('ul', { class: 'features' },
      feature('shield', 'Handle checks', 'DNS, HTTPS and DID document, verified both ways.'),
      feature('server', 'Any PDS', 'Bluesky or self-hosted, with server details at a glance.'),
      feature('lock', 'Private', 'Sessions stay in your system keychain; passwords are never saved.'))));
  noticeEl?.focus({ preventScroll: true });
  const showNotice = (n) => {
    const box = noticeBox(n);
    box.classList.add('welcome-notice');
    main.querySelector('.welcome-notice')?.remove();
    main.querySelector('.welcome')?.prepend(box);
    box.focus({ preventScroll: true });
  };
  return { showNotice };
}
