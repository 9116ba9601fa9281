// Keys kept in the system keychain (keys_list: public data only), offered where a token is signed
// here (the Service auth section): a "Key" choice whose first option is pasting a private key.
// A stored key signs in the shell; its secret never reaches this window.
import * as api from '../api.js';
import { h } from '../widgets/dom.js';
import { field } from '../widgets/forms.js';

/** The choice that means "paste a private key" rather than a stored one. */
export const PASTE = '';

/** {field, select, load()}: the field stays hidden until load() finds a stored key. */
export function storedKeys(ctx) {
  const select = h('select', { name: 'storedKey', class: 'input select input--mono', 'data-testid': 'service-auth-key-source' },
    h('option', { value: PASTE }, 'Paste a private key'));
  const el = field({ label: 'Key', input: select,
    help: 'A key kept in your system keychain, or one you paste for this token only.' });
  el.hidden = true;
  let loaded = false;
  async function load() {
    if (loaded) return;
    loaded = true;
    try {
      const stored = await api.keysList();
      if (ctx.signal.aborted || !stored?.length) return;
      select.append(...stored.map((k) => h('option', { value: k.didKey }, `${k.didKey} (${k.type})`)));
      el.hidden = false;
    } catch {
      loaded = false; // the keychain may be locked; pasting still works
    }
  }
  return { field: el, select, load };
}
