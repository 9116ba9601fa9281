// Settings: background refresh interval, notifications, browser sign-in, and where things are stored.
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
        h('p', { class: 'screen-subtitle' }, 'How Stratos watches your accounts and signs you in.'))),
    content);
  main.replaceChildren(screen);

  async function load() {
    content.setAttribute('aria-busy', 'true');
    content.replaceChildren(skeletonGroups());
    try {
      // The browser sign-in details are a bonus: settings still load without them.
      const [settings, oauth] = await Promise.all([api.getSettings(), api.oauthInfo().catch(() => null)]);
      if (ctx.signal.aborted) return;
      content.replaceChildren(form(settings, oauth));
    } catch (err) {
      if (ctx.signal.aborted) return;
      content.replaceChildren(errorBox(err, { action: button('Try again', { iconName: 'refresh', onclick: load }) }));
    } finally {
      content.removeAttribute('aria-busy');
    }
  }

  function form(settings, oauth) {
    const intervalId = nextId('interval');
    const interval = h('input', {
      id: intervalId, name: 'refreshIntervalMinutes', type: 'number', class: 'input input--number',
      min: MIN, max: MAX, step: 1, required: true, inputmode: 'numeric',
      value: String(settings.refreshIntervalMinutes), 'aria-describedby': `${intervalId}-help`,
    });
    const stepUpId = nextId('stepup');
    const stepUp = h('input', {
      id: stepUpId, name: 'stepUpMinutes', type: 'number', class: 'input input--number',
      min: 0, max: 120, step: 1, required: true, inputmode: 'numeric',
      value: String(settings.stepUpMinutes ?? 10), 'aria-describedby': `${stepUpId}-help`,
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

    const browserSignIn = browserSignInGroup(settings, oauth);

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
            h('label', { class: 'setting-label', for: notifyId }, 'Notify me about new devices and apps'),
            h('p', { class: 'setting-help', id: `${notifyId}-help` }, 'A system notification when a new device signs in or an app gets access, for accounts signed in under Devices & apps.')),
          h('div', { class: 'setting-control' }, notify))),
      h('h2', { class: 'group-title' }, 'Passwords'),
      h('div', { class: 'group' },
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: stepUpId }, 'Remember a typed account password for'),
            h('p', { class: 'setting-help', id: `${stepUpId}-help` }, 'For browser sign-ins, some actions need the account password. Stratos keeps it in memory only, for this long; 0 asks every time.')),
          h('div', { class: 'setting-control' }, stepUp, h('span', { class: 'unit' }, 'minutes')))),
      h('h2', { class: 'group-title' }, 'Browser sign-in'),
      browserSignIn.el,
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
    stepUp.addEventListener('input', clearSaved);
    browserSignIn.el.addEventListener('change', clearSaved);

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
      const stepUpMinutes = Number(stepUp.value);
      if (!stepUp.value.trim() || !Number.isInteger(stepUpMinutes) || stepUpMinutes < 0 || stepUpMinutes > 120) {
        errorSlot.replaceChildren(errorBox({ code: 'bad_number', message: 'Enter a whole number of minutes from 0 to 120.', hint: null }));
        stepUp.focus();
        return;
      }
      setBusy(save, true, 'Saving…');
      try {
        const result = await api.setSettings({
          refreshIntervalMinutes: minutes,
          notifyOnNewDevices: notify.checked,
          oauthRedirect: browserSignIn.value(),
          stepUpMinutes,
        });
        if (ctx.signal.aborted) return;
        if (result) {
          interval.value = String(result.refreshIntervalMinutes);
          notify.checked = !!result.notifyOnNewDevices;
          stepUp.value = String(result.stepUpMinutes ?? stepUpMinutes);
          browserSignIn.update(result);
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

/**
 * "Browser sign-in": which OAuth client Stratos uses, and how the browser hands the result back
 * (a local callback on 127.0.0.1, or the app link; the app link needs the hosted client).
 * Returns {el, value(), update(settings)}.
 */
function browserSignInGroup(settings, oauth) {
  const kind = settings.oauthClientKind || oauth?.clientKind || 'loopback';
  const hosted = kind === 'hosted';
  const saved = settings.oauthRedirect === 'deep-link' ? 'deep-link' : 'loopback';
  const scheme = oauth?.deepLinkScheme || null;
  const appLink = scheme ? `${scheme}:/oauth/callback` : null;

  const clientIdId = nextId('client');
  const clientId = oauth?.clientId || '';
  const client = hosted
    ? h('div', { class: 'setting setting--stacked', 'data-testid': 'oauth-client', 'data-client-kind': 'hosted' },
      h('div', { class: 'setting-text' },
        h('label', { class: 'setting-label', for: clientIdId }, 'Hosted client'),
        h('p', { class: 'setting-help', id: `${clientIdId}-help` }, 'Servers identify Stratos by this published client ID.')),
      h('div', { class: 'input-group' },
        h('input', {
          id: clientIdId, name: 'oauthClientId', class: 'input input--mono', readOnly: true,
          value: clientId || 'Not reported', 'aria-describedby': `${clientIdId}-help`,
        }),
        clientId ? copyButton(() => clientId, { label: 'Copy client ID', class: 'input-addon copy-btn' }) : null))
    : h('div', { class: 'setting', 'data-testid': 'oauth-client', 'data-client-kind': 'loopback' },
      h('div', { class: 'setting-text' },
        h('p', { class: 'setting-label' }, 'Built-in development client'),
        h('p', { class: 'setting-help' }, 'Needs no published client ID. Your browser always returns to a local callback on this computer.')),
      h('div', { class: 'setting-control' }, h('span', { class: 'tag' }, 'Local')));

  const legendId = nextId('redirect');
  const option = (value, title, help, { disabled = false, note = null } = {}) => {
    const id = nextId('redirect');
    const input = h('input', {
      id, type: 'radio', name: 'oauthRedirect', value, class: 'radio', disabled,
      checked: !disabled && saved === value,
      'aria-describedby': `${id}-help`,
    });
    return h('label', { class: `choice${disabled ? ' is-disabled' : ''}`, for: id, 'data-testid': `oauth-redirect-${value}` },
      input,
      h('span', { class: 'choice-text' },
        h('span', { class: 'choice-title' }, title),
        h('span', { class: 'setting-help', id: `${id}-help` }, help,
          note ? h('span', { class: 'choice-note' }, icon('info'), note) : null)));
  };

  const loopback = option('loopback', 'Local callback (127.0.0.1)',
    'Stratos listens on a private port on this computer until you approve.');
  const deepLink = option('deep-link',
    h('span', {}, 'App link', appLink ? h('span', { class: 'mono choice-code' }, ` (${appLink})`) : null),
    'Your browser hands the result to Stratos through the link it registered with your system.',
    hosted ? {} : { disabled: true, note: 'Only with the hosted client. The built-in development client can only return to 127.0.0.1.' });
  // With the development client the local callback is what happens, whatever was saved.
  if (!hosted) loopback.querySelector('input').checked = true;

  const choices = h('div', { class: 'setting setting--stacked' },
    h('div', { class: 'setting-text' },
      h('p', { class: 'setting-label', id: legendId }, 'Return from the browser through'),
      h('p', { class: 'setting-help' }, 'How your browser gives the approved sign-in back to Stratos.')),
    h('div', { class: 'choice-list', role: 'radiogroup', 'aria-labelledby': legendId }, loopback, deepLink));

  const el = h('div', { class: 'group', 'data-testid': 'oauth-settings', 'data-client-kind': kind }, client, choices);
  const radios = () => [...el.querySelectorAll('input[name="oauthRedirect"]')];
  return {
    el,
    // The saved preference is kept when the development client leaves no choice.
    value: () => (hosted ? radios().find((r) => r.checked)?.value || saved : saved),
    update(result) {
      if (!hosted || !result?.oauthRedirect) return;
      radios().forEach((r) => { r.checked = r.value === result.oauthRedirect; });
    },
  };
}

function skeletonGroups() {
  const line = () => h('div', { class: 'setting' }, h('div', { class: 'setting-text' }, skeleton('skeleton--title'), skeleton('skeleton--value')));
  return h('div', { 'aria-hidden': 'true' },
    h('div', { class: 'group' }, line(), line()),
    h('div', { class: 'group' }, line(), line()));
}
