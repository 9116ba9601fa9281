// Granted browser sign-in (OAuth) scopes as plain-word chips. The shell sends `scopeWords`
// ([{words, scopes}]: known scopes merged by meaning, unknown ones with words null); the raw scopes
// stay in each chip's tooltip and data-scope.
import { h, icon, mono, muted } from './dom.js';

/** `scopeWords` as a list of chips; `testid` names the list (the session card's by default). */
export function scopeList(scopeWords, { testid = 'session-scopes' } = {}) {
  const items = Array.isArray(scopeWords) ? scopeWords : [];
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
