// Settings: background refresh interval, notifications, and where things are stored.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, skeleton, copyButton } from '../dom.js';

const MIN = 1;
const MAX = 1440;

export function mount(main, ctx) {
  const titleId = nextId('title');
  const content = h('div', { class: 'settings-content', 'aria-busy': 'true' }, skeletonGroups());
  const screen = h('section', { class: 'screen screen--narrow', 'aria-labelledby': titleId, 'data-testid': 'settings-screen' },
    h('header', { class: 'screen-header' },
      h('div', {},
        h('h1', { id: titleId, tabindex: '-1' }, 'Settings'),
        h('p', { class: 'screen-subtitle' }, 'How Stratos watches your accounts in the background.'))),
    content);
  main.replaceChildren(screen);

  async function load() {
    content.setAttribute('aria-busy', 'true');
    content.replaceChildren(skeletonGroups());
    try {
      const settings = await api.getSettings();
      if (ctx.signal.aborted) return;
      content.replaceChildren(form(settings));
    } catch (err) {
      if (ctx.signal.aborted) return;
      content.replaceChildren(errorBox(err, { action: button('Try again', { iconName: 'refresh', onclick: load }) }));
    } finally {
      content.removeAttribute('aria-busy');
    }
  }

  function form(settings) {
    const intervalId = nextId('interval');
    const interval = h('input', {
      id: intervalId, name: 'refreshIntervalMinutes', type: 'number', class: 'input input--number',
      min: MIN, max: MAX, step: 1, required: true, inputmode: 'numeric',
      value: String(settings.refreshIntervalMinutes), 'aria-describedby': `${intervalId}-help`,
    });
    const notifyId = nextId('notify');
    const notify = h('input', {
      id: notifyId, name: 'notifyOnNewDevices', type: 'checkbox', class: 'switch',
      checked: !!settings.notifyOnNewDevices, 'aria-describedby': `${notifyId}-help`,
    });
    const errorSlot = h('div', { class: 'error-slot' });
    const intervalError = h('p', { class: 'field-error', id: `${intervalId}-error`, role: 'alert', 'data-testid': 'form-error', hidden: true });
    const showIntervalError = (message) => {
      intervalError.hidden = !message;
      intervalError.replaceChildren(...(message ? [icon('alert'), message] : []));
      if (message) {
        interval.setAttribute('aria-invalid', 'true');
        interval.setAttribute('aria-errormessage', intervalError.id);
      } else {
        interval.removeAttribute('aria-invalid');
      }
    };
    const saved = h('span', { class: 'saved-status', role: 'status', 'data-testid': 'settings-saved' });
    const save = button('Save', { variant: 'primary', type: 'submit', 'data-testid': 'settings-save' });

    const readOnly = (label, value, name) => {
      const id = nextId(name);
      return h('div', { class: 'setting setting--stacked' },
        h('label', { class: 'setting-label', for: id }, label),
        h('div', { class: 'input-group' },
          h('input', { id, name, class: 'input input--mono', readOnly: true, value: value || '' }),
          copyButton(() => value || '', { label: `Copy ${label.toLowerCase()}`, class: 'input-addon copy-btn' })));
    };

    const el = h('form', { class: 'form settings-form', 'data-testid': 'settings-form', novalidate: true },
      h('h2', { class: 'group-title' }, 'Monitoring'),
      h('div', { class: 'group' },
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: intervalId }, 'Check accounts every'),
            h('p', { class: 'setting-help', id: `${intervalId}-help` }, `How often Stratos re-checks every account in the background (${MIN}–${MAX} minutes).`),
            intervalError),
          h('div', { class: 'setting-control' }, interval, h('span', { class: 'unit' }, 'minutes'))),
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: notifyId }, 'Notify me about new devices'),
            h('p', { class: 'setting-help', id: `${notifyId}-help` }, 'Show a system notification when a new device signs in to one of your accounts.')),
          h('div', { class: 'setting-control' }, notify))),
      h('h2', { class: 'group-title' }, 'Storage'),
      h('div', { class: 'group' },
        readOnly('Data folder', settings.dataDir, 'dataDir'),
        readOnly('Keychain service', settings.keyringService, 'keyringService'),
        h('p', { class: 'group-note' }, icon('lock'), 'Passwords and sessions are kept in your system keychain under this service name, never in the data folder.')),
      errorSlot,
      h('div', { class: 'form-actions' }, saved, save));

    const clearSaved = () => { saved.replaceChildren(); };
    interval.addEventListener('input', () => { showIntervalError(null); clearSaved(); });
    notify.addEventListener('change', clearSaved);

    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      clearSaved();
      const minutes = Number(interval.value);
      if (!interval.value.trim() || !Number.isInteger(minutes) || minutes < MIN || minutes > MAX) {
        showIntervalError(`Enter a whole number of minutes from ${MIN} to ${MAX}.`);
        interval.focus();
        return;
      }
      setBusy(save, true, 'Saving…');
      try {
        const result = await api.setSettings({ refreshIntervalMinutes: minutes, notifyOnNewDevices: notify.checked });
        if (ctx.signal.aborted) return;
        if (result) {
          interval.value = String(result.refreshIntervalMinutes);
          notify.checked = !!result.notifyOnNewDevices;
        }
        saved.replaceChildren(icon('check'), 'Settings saved');
      } catch (err) {
        if (ctx.signal.aborted) return;
        errorSlot.replaceChildren(errorBox(err));
      } finally {
        if (!ctx.signal.aborted) setBusy(save, false);
      }
    });
    return el;
  }

  load();
  return {};
}

function skeletonGroups() {
  const line = () => h('div', { class: 'setting' }, h('div', { class: 'setting-text' }, skeleton('skeleton--title'), skeleton('skeleton--value')));
  return h('div', { 'aria-hidden': 'true' },
    h('div', { class: 'group' }, line(), line()),
    h('div', { class: 'group' }, line(), line()));
}
