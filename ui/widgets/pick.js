// "Choose…" beside a path field: the system's own file or folder dialog fills the field; the
// field stays editable for a person who would rather type or paste a path.
import * as api from '../api.js';
import { button, setBusy } from './dom.js';

/**
 * A button that opens the dialog for `input`. `kind`: 'folder' or 'saveFile'; `suggestedName`
 * (a string or a function) names the file a save dialog proposes. The field gets `input` and
 * `change` events as if typed; `onError(err)` hears a dialog that failed.
 */
export function pickButton(input, { kind = 'folder', title, suggestedName = null, testid = null, onError = null, label = 'Choose…' } = {}) {
  const btn = button(label, {
    iconName: 'folder', 'data-testid': testid, 'aria-label': title,
    onclick: async () => {
      setBusy(btn, true);
      try {
        const name = typeof suggestedName === 'function' ? suggestedName() : suggestedName;
        const path = await api.pickPath({ kind, title, suggestedName: name, startIn: input.value.trim() || null });
        if (path) {
          input.value = path;
          input.dispatchEvent(new Event('input', { bubbles: true }));
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }
      } catch (err) {
        onError?.(err);
      } finally {
        setBusy(btn, false);
        input.focus();
      }
    },
  });
  return btn;
}
