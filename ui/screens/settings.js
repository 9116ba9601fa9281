// Settings: background checks, notifications, start at login, browser sign-in (client, access,
// redirect), the PLC directory, updates (ui/screens/updates.js), logs and diagnostics, and where
// things are stored.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, nextId, skeleton, copyButton } from '../widgets/dom.js';
import { pickButton } from '../widgets/pick.js';
import { updatesSection } from './updates.js';

const MIN = 1;
const MAX = 1440;

export function mount(main, ctx) {
  const titleId = nextId('title');
  const screenStatus = h('div', { class: 'screen-status' });
  const content = h('div', { class: 'settings-content', 'aria-busy': 'true' }, skeletonGroups());
  const screen = h('section', { class: 'screen screen--narrow', 'aria-labelledby': titleId, 'data-testid': 'settings-screen' },
    h('header', { class: 'screen-header' },
      h('div', {},
        h('h1', { id: titleId, tabindex: '-1' }, 'Settings'),
        h('p', { class: 'screen-subtitle' }, 'How Stratos watches your accounts and signs you in. Changes apply at once.')),
      screenStatus),
    content);
  main.replaceChildren(screen);

  async function load({ savedNote = false } = {}) {
    content.setAttribute('aria-busy', 'true');
    if (!savedNote) content.replaceChildren(skeletonGroups());
    try {
      // The browser sign-in details are a bonus: settings still load without them.
      const [settings, oauth] = await Promise.all([api.getSettings(), api.oauthInfo().catch(() => null)]);
      if (ctx.signal.aborted) return;
      content.replaceChildren(form(settings, oauth, { savedNote }));
    } catch (err) {
      if (ctx.signal.aborted) return;
      content.replaceChildren(errorBox(err, { action: button('Try again', { iconName: 'refresh', onclick: load }) }));
    } finally {
      content.removeAttribute('aria-busy');
    }
  }

  // `settings` is what was loaded, updated by each save's answer.
  function form(settings, oauth, { savedNote = false } = {}) {
    const fromEnv = (name) => (settings.setByEnv || []).includes(name);
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
    const loginId = nextId('login');
    const startAtLogin = h('input', {
      id: loginId, name: 'startAtLogin', type: 'checkbox', class: 'switch',
      checked: !!settings.startAtLogin, 'aria-describedby': `${loginId}-help`,
    });
    const plc = textSetting({
      name: 'plcUrl', label: 'PLC directory', value: settings.plcUrlSetting, effective: settings.plcUrl,
      placeholder: 'https://plc.directory', envVar: fromEnv('STRATOS_PLC_URL') ? 'STRATOS_PLC_URL' : null,
      help: 'Where did:plc identities are looked up. Leave empty for the public directory, plc.directory.',
    });
    const levelId = nextId('loglevel');
    const logLevel = h('select', { id: levelId, name: 'logLevel', class: 'input select-field', 'aria-describedby': `${levelId}-help` },
      ...[['error', 'Errors only'], ['warn', 'Warnings'], ['info', 'Normal'], ['debug', 'Detailed'], ['trace', 'Everything']]
        .map(([value, text]) => h('option', { value, selected: settings.logLevel === value }, text)));
    const backupId = nextId('backup');
    const backupEvery = h('select', { id: backupId, name: 'backupEveryHours', class: 'input select-field', 'aria-describedby': `${backupId}-help`, 'data-testid': 'backup-every' },
      ...[[0, 'Off'], [6, 'Every 6 hours'], [12, 'Every 12 hours'], [24, 'Daily'], [168, 'Weekly']]
        .map(([value, text]) => h('option', { value: String(value), selected: Number(settings.backupEveryHours || 0) === value }, text)));
    const backupFolder = textSetting({
      name: 'backupFolder', label: 'Backup folder', value: settings.backupFolderSetting, effective: settings.backupFolder,
      placeholder: settings.backupFolder, envVar: null, type: 'text',
      help: 'Where snapshots are kept. Leave empty for the backups folder in Stratos’s data folder.',
      pick: { kind: 'folder', title: 'Choose the backup folder', testid: 'backup-folder-pick' },
    });
    const keepId = nextId('keep');
    const backupKeep = h('input', { id: keepId, name: 'backupKeep', type: 'number', min: '1', max: '1000', class: 'input input--number', value: String(settings.backupKeep ?? 10), 'aria-describedby': `${keepId}-help` });
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
    // Each setting is applied as soon as it changes (as a system's own settings are); this line
    // says when the last change was saved, and errors show at the setting they are about.
    const saved = h('span', { class: 'saved-status', role: 'status', 'data-testid': 'settings-saved' });

    const readOnly = (label, value, name) => {
      const id = nextId(name);
      return h('div', { class: 'setting setting--stacked' },
        h('label', { class: 'setting-label', for: id }, label),
        h('div', { class: 'input-group' },
          h('input', { id, name, class: 'input input--mono', readOnly: true, value: value || '' }),
          copyButton(() => value || '', { label: `Copy ${label.toLowerCase()}`, class: 'input-addon copy-btn' })));
    };

    const browserSignIn = browserSignInGroup(settings, oauth, fromEnv('STRATOS_OAUTH_CLIENT_ID'));
    const logs = logsGroup(settings, logLevel, levelId);
    const updates = updatesSection(settings, ctx);

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
          h('div', { class: 'setting-control' }, notify)),
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: loginId }, 'Start Stratos when I log in'),
            h('p', { class: 'setting-help', id: `${loginId}-help` }, 'Stratos starts in the tray and keeps checking your accounts.')),
          h('div', { class: 'setting-control' }, startAtLogin))),
      h('h2', { class: 'group-title' }, 'Backups'),
      h('div', { class: 'group', 'data-testid': 'backup-settings' },
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: backupId }, 'Back up every account'),
            h('p', { class: 'setting-help', id: `${backupId}-help` }, 'While Stratos runs (also in the tray). A missed backup runs when Stratos starts. Each backup stores only what changed and is verified.')),
          h('div', { class: 'setting-control' }, backupEvery)),
        backupFolder.el,
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: keepId }, 'Snapshots to keep'),
            h('p', { class: 'setting-help', id: `${keepId}-help` }, 'Per account; the oldest are removed, with what only they used.')),
          h('div', { class: 'setting-control' }, backupKeep))),
      h('h2', { class: 'group-title' }, 'Passwords'),
      h('div', { class: 'group' },
        h('div', { class: 'setting' },
          h('div', { class: 'setting-text' },
            h('label', { class: 'setting-label', for: stepUpId }, 'Keep a password-checked session for'),
            h('p', { class: 'setting-help', id: `${stepUpId}-help` }, 'For browser sign-ins, some actions need the account password. Stratos sends it to your server once and never saves it; the short session your server gives back is kept in memory only, for this long, so you are not asked again at once. 0 asks every time.')),
          h('div', { class: 'setting-control' }, stepUp, h('span', { class: 'unit' }, 'minutes')))),
      h('h2', { class: 'group-title' }, 'Browser sign-in'),
      browserSignIn.el,
      h('h2', { class: 'group-title' }, 'Network'),
      h('div', { class: 'group' }, plc.el),
      h('h2', { class: 'group-title' }, 'Updates'),
      updates.el,
      h('h2', { class: 'group-title' }, 'Logs and diagnostics'),
      logs,
      h('h2', { class: 'group-title' }, 'Storage'),
      h('div', { class: 'group' },
        readOnly('Data folder', settings.dataDir, 'dataDir'),
        readOnly('Keychain service', settings.keyringService, 'keyringService'),
        h('p', { class: 'group-note' }, icon('lock'), 'Sessions, device sign-ins and keys are kept in your system keychain under this service name, never in the data folder. Passwords are not kept.')),
      errorSlot);
    screenStatus.replaceChildren(saved);

    interval.addEventListener('input', () => showIntervalError(null));
    // An error shown at a setting goes when that setting is edited again.
    el.addEventListener('input', (e) => clearFieldError(e.target));

    // One save at a time, in the order the changes were made; `data-pending` lets a test (and
    // the screen) know when every change is saved.
    let queue = Promise.resolve();
    let pending = 0;
    const setPending = (n) => { pending = n; el.dataset.pending = String(n); };
    setPending(0);
    el.addEventListener('submit', (e) => { e.preventDefault(); document.activeElement?.blur?.(); });
    el.addEventListener('change', (e) => {
      const source = e.target;
      if (!source?.name || source.readOnly) return;
      setPending(pending + 1);
      queue = queue.then(() => apply(source)).finally(() => setPending(pending - 1));
    });

    async function apply(source) {
      errorSlot.replaceChildren();
      saved.replaceChildren();
      const minutes = Number(interval.value);
      if (!interval.value.trim() || !Number.isInteger(minutes) || minutes < MIN || minutes > MAX) {
        showIntervalError(`Enter a whole number of minutes from ${MIN} to ${MAX}.`);
        return;
      }
      const stepUpMinutes = Number(stepUp.value);
      if (!stepUp.value.trim() || !Number.isInteger(stepUpMinutes) || stepUpMinutes < 0 || stepUpMinutes > 120) {
        fieldErrorAt(stepUp, { code: 'bad_number', message: 'Enter a whole number of minutes from 0 to 120.', hint: null });
        return;
      }
      try {
        const changes = {
          refreshIntervalMinutes: minutes,
          notifyOnNewDevices: notify.checked,
          oauthRedirect: browserSignIn.value(),
          oauthAccess: browserSignIn.access(),
          stepUpMinutes,
          startAtLogin: startAtLogin.checked,
          logLevel: logLevel.value,
          backupEveryHours: Number(backupEvery.value),
          backupFolder: backupFolder.input.value.trim(),
          backupKeep: Math.max(1, Math.min(1000, Math.round(Number(backupKeep.value) || 10))),
        };
        if (updates.checkForUpdates() !== null) changes.checkForUpdates = updates.checkForUpdates();
        // Fields the environment decides are shown but not sent.
        if (!plc.input.readOnly) changes.plcUrl = plc.input.value.trim();
        if (browserSignIn.clientId() !== null) changes.oauthClientId = browserSignIn.clientId();
        const services = changes.plcUrl !== undefined && changes.plcUrl !== (settings.plcUrlSetting || '')
          || changes.oauthClientId !== undefined && changes.oauthClientId !== (settings.oauthClientIdSetting || '');
        const result = await api.setSettings(changes);
        if (ctx.signal.aborted) return;
        settings = { ...settings, ...(result || {}) };
        if (services) {
          // A new PLC directory or client changes what the rest of the form shows: redraw it.
          await load({ savedNote: true });
          return;
        }
        if (result) {
          browserSignIn.update(result);
        }
        saved.replaceChildren(icon('check'), 'Saved');
      } catch (err) {
        if (ctx.signal.aborted) return;
        fieldErrorAt(source, err);
      }
    }

    /** An error shown at the setting `input` belongs to (the whole form's slot when none). */
    function fieldErrorAt(input, err) {
      const row = input.closest('.setting, .group');
      if (!row) {
        errorSlot.replaceChildren(errorBox(err));
        return;
      }
      row.querySelector(':scope > .setting-error')?.remove();
      const box = h('div', { class: 'setting-error' }, errorBox(err));
      row.append(box);
      input.setAttribute('aria-invalid', 'true');
      box.scrollIntoView({ block: 'nearest' });
    }
    function clearFieldError(input) {
      if (!input?.closest) return;
      input.removeAttribute('aria-invalid');
      input.closest('.setting, .group')?.querySelector(':scope > .setting-error')?.remove();
    }

    if (savedNote) saved.replaceChildren(icon('check'), 'Saved');
    return el;
  }

  load();
  return {};
}

/**
 * A one-line text setting with its label and help; read-only with a note when an environment
 * variable decides it. Returns {el, input}.
 */
function textSetting({ name, label, value, effective = null, placeholder, help, envVar = null, type = 'url', pick = null }) {
  const id = nextId(name);
  const input = h('input', {
    id, name, type, class: 'input input--mono', spellcheck: false, autocomplete: 'off',
    placeholder, value: envVar ? (effective || '') : (value || ''), readOnly: !!envVar,
    'aria-describedby': `${id}-help`,
  });
  const el = h('div', { class: 'setting setting--stacked', 'data-testid': `setting-${name}` },
    h('div', { class: 'setting-text' },
      h('label', { class: 'setting-label', for: id }, label),
      h('p', { class: 'setting-help', id: `${id}-help` }, help,
        envVar ? h('span', { class: 'choice-note', 'data-testid': `${name}-from-env` }, icon('info'),
          `Set by ${envVar} when Stratos started; the environment wins over this setting.`) : null)),
    pick && !envVar ? h('div', { class: 'path-row' }, input, pickButton(input, pick)) : input);
  return { el, input };
}

/** "Logs and diagnostics": how much is logged, where, and a copyable report for bug reports. */
function logsGroup(settings, logLevel, levelId) {
  const actionSlot = h('div', { class: 'error-slot' });
  const report = h('pre', { class: 'diagnostics', 'data-testid': 'diagnostics-text', tabindex: '0', hidden: true, 'aria-label': 'Diagnostics' });
  const reportStatus = h('span', { class: 'visually-hidden', role: 'status' });
  const copy = button('Copy diagnostics', {
    iconName: 'copy', 'data-testid': 'copy-diagnostics',
    onclick: async () => {
      actionSlot.replaceChildren();
      setBusy(copy, true, 'Collecting…');
      try {
        const text = await api.diagnostics();
        report.textContent = text;
        report.hidden = false;
        let copied = true;
        try { await navigator.clipboard.writeText(text); } catch { copied = false; }
        reportStatus.textContent = copied ? 'Diagnostics copied' : 'Could not copy; select the text below instead';
        copy.dataset.copied = String(copied);
      } catch (err) {
        actionSlot.replaceChildren(errorBox(err));
      } finally {
        setBusy(copy, false);
      }
    },
  });
  const open = button('Open logs folder', {
    iconName: 'folder', 'data-testid': 'open-logs',
    onclick: async () => {
      actionSlot.replaceChildren();
      try { await api.openLogsFolder(); } catch (err) { actionSlot.replaceChildren(errorBox(err)); }
    },
  });
  const dirId = nextId('logdir');
  return h('div', { class: 'group', 'data-testid': 'logs-settings' },
    h('div', { class: 'setting' },
      h('div', { class: 'setting-text' },
        h('label', { class: 'setting-label', for: levelId }, 'Log detail'),
        h('p', { class: 'setting-help', id: `${levelId}-help` }, 'Passwords, tokens and codes are never written to the log.')),
      h('div', { class: 'setting-control' }, logLevel)),
    h('div', { class: 'setting setting--stacked' },
      h('label', { class: 'setting-label', for: dirId }, 'Log folder'),
      h('div', { class: 'input-group' },
        h('input', { id: dirId, name: 'logDir', class: 'input input--mono', readOnly: true, value: settings.logDir || '' }),
        copyButton(() => settings.logDir || '', { label: 'Copy log folder', class: 'input-addon copy-btn' })),
      h('div', { class: 'btn-row' }, open, copy, reportStatus),
      h('p', { class: 'setting-help' }, 'Diagnostics list versions, your system, and each account’s server and state — never a password or token. Paste them into a bug report.'),
      actionSlot,
      report));
}

/**
 * "Browser sign-in": which OAuth client Stratos uses (a published client ID, or the built-in
 * development client), how much access it asks for, and how the browser hands the result back
 * (a local callback on 127.0.0.1, or the app link; the app link needs the hosted client).
 * Returns {el, value(), access(), clientId(), update(settings)}.
 */
function browserSignInGroup(settings, oauth, clientFromEnv) {
  const kind = settings.oauthClientKind || oauth?.clientKind || 'loopback';
  const hosted = kind === 'hosted';
  const saved = settings.oauthRedirect === 'deep-link' ? 'deep-link' : 'loopback';
  const scheme = oauth?.deepLinkScheme || null;
  const appLink = scheme ? `${scheme}:/oauth/callback` : null;

  const client = textSetting({
    name: 'oauthClientId', label: 'Client ID', value: settings.oauthClientIdSetting, effective: oauth?.clientId,
    placeholder: 'https://example.com/client-metadata.json',
    envVar: clientFromEnv ? 'STRATOS_OAUTH_CLIENT_ID' : null,
    help: hosted
      ? 'Servers identify Stratos by this published client metadata URL. Leave empty for the client built into this copy.'
      : 'Empty: the built-in development client, which needs no published client ID and always returns to 127.0.0.1. Enter an https client metadata URL to use app links.',
  });
  client.el.dataset.clientKind = kind;
  client.el.setAttribute('data-testid', 'oauth-client');

  const accessLegend = nextId('access');
  const accessOption = (value, title, help) => {
    const id = nextId('access');
    return h('label', { class: 'choice', for: id, 'data-testid': `oauth-access-${value}` },
      h('input', {
        id, type: 'radio', name: 'oauthAccess', value, class: 'radio',
        checked: (settings.oauthAccess || 'full') === value, 'aria-describedby': `${id}-help`,
      }),
      h('span', { class: 'choice-text' },
        h('span', { class: 'choice-title' }, title),
        h('span', { class: 'setting-help', id: `${id}-help` }, help)));
  };
  const access = h('div', { class: 'setting setting--stacked' },
    h('div', { class: 'setting-text' },
      h('p', { class: 'setting-label', id: accessLegend }, 'Ask for'),
      h('p', { class: 'setting-help' }, 'What a browser sign-in lets Stratos do. Applies to the next sign-in.')),
    h('div', { class: 'choice-list choice-list--row', role: 'radiogroup', 'aria-labelledby': accessLegend },
      accessOption('full', 'Full access', 'Everything Stratos can do: handle, email, identity and moving.'),
      accessOption('basic', 'Basic access', 'What most apps get: status, devices and app passwords. Asks again when more is needed.')));

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

  const el = h('div', { class: 'group', 'data-testid': 'oauth-settings', 'data-client-kind': kind }, client.el, access, choices);
  const radios = () => [...el.querySelectorAll('input[name="oauthRedirect"]')];
  return {
    el,
    // The saved preference is kept when the development client leaves no choice.
    value: () => (hosted ? radios().find((r) => r.checked)?.value || saved : saved),
    access: () => el.querySelector('input[name="oauthAccess"]:checked')?.value || 'full',
    // null when the environment decides (nothing to send).
    clientId: () => (client.input.readOnly ? null : client.input.value.trim()),
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
