// Tiny DOM helpers. Everything is built with createElement/textContent:
// strings from the server are never parsed as HTML.

/**
 * h('button', {class: 'btn', type: 'button', onclick: fn, 'data-testid': 'x'}, 'Label', child)
 * Props: `class`, `text`, `on<event>` handlers, boolean/DOM properties (disabled, hidden, checked,
 * value, readOnly …) and everything else as attributes. null/undefined/false props are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in PROPS) el[PROPS[key]] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const PROPS = {
  value: 'value', checked: 'checked', disabled: 'disabled', hidden: 'hidden',
  readOnly: 'readOnly', required: 'required', open: 'open', htmlFor: 'htmlFor',
  tabIndex: 'tabIndex',
};

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let uid = 0;
export const nextId = (prefix = 'id') => `${prefix}-${++uid}`;

/* ---------- Icons (24px grid, stroked) ---------- */

const ICONS = {
  plus: ['M12 5v14', 'M5 12h14'],
  search: [{ c: [11, 11, 6.5] }, 'M20 20l-4.2-4.2'],
  settings: ['M4 7h9', 'M17 7h3', { c: [15, 7, 2.2] }, 'M4 17h3', 'M11 17h9', { c: [9, 17, 2.2] }],
  refresh: ['M20 12a8 8 0 0 1-14.3 4.9', 'M4 12a8 8 0 0 1 14.3-4.9', 'M19 3v4.5h-4.5', 'M5 21v-4.5h4.5'],
  copy: [{ r: [9, 9, 11, 11, 2] }, 'M5 15H4.5A1.5 1.5 0 0 1 3 13.5v-9A1.5 1.5 0 0 1 4.5 3h9A1.5 1.5 0 0 1 15 4.5V5'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  x: ['M6.5 6.5l11 11', 'M17.5 6.5l-11 11'],
  minus: ['M6 12h12'],
  logout: ['M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4', 'M9 16.5L4.5 12 9 7.5', 'M4.5 12H15'],
  alert: ['M10.3 4.3L2.7 17.5A2 2 0 0 0 4.4 20.5h15.2a2 2 0 0 0 1.7-3L13.7 4.3a2 2 0 0 0-3.4 0z', 'M12 9.5v4', 'M12 17h.01'],
  info: [{ c: [12, 12, 9] }, 'M12 11v5.5', 'M12 7.8h.01'],
  chevronDown: ['M6 9l6 6 6-6'],
  chevronRight: ['M9 6l6 6-6 6'],
  back: ['M19 12H5', 'M11 18l-6-6 6-6'],
  lock: [{ r: [5, 11, 14, 10, 2] }, 'M8 11V7.5a4 4 0 0 1 8 0V11'],
  mail: [{ r: [3, 5, 18, 14, 2] }, 'M3.5 7l8.5 6 8.5-6'],
  at: [{ c: [12, 12, 3.8] }, 'M15.8 8.5v4.7a2.7 2.7 0 0 0 5.4 0V12a9.2 9.2 0 1 0-3.6 7.3'],
  server: [{ r: [3, 4, 18, 7, 2] }, { r: [3, 13, 18, 7, 2] }, 'M7 7.5h.01', 'M7 16.5h.01'],
  database: [{ e: [12, 5.5, 8, 3] }, 'M4 5.5v13c0 1.7 3.6 3 8 3s8-1.3 8-3v-13', 'M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3'],
  key: [{ c: [8, 15, 4] }, 'M10.9 12.1L20 3', 'M16.5 6.5l3 3', 'M14 9l2 2'],
  clock: [{ c: [12, 12, 9] }, 'M12 7v5l3.2 2'],
  eye: ['M2.5 12S6 5 12 5s9.5 7 9.5 7-3.5 7-9.5 7S2.5 12 2.5 12z', { c: [12, 12, 3] }],
  eyeOff: ['M3 3l18 18', 'M10.6 5.1A9.7 9.7 0 0 1 12 5c6 0 9.5 7 9.5 7a16 16 0 0 1-2.6 3.5', 'M6.6 6.6A15.8 15.8 0 0 0 2.5 12s3.5 7 9.5 7a9.4 9.4 0 0 0 5.3-1.6', 'M9.9 9.9a3 3 0 0 0 4.2 4.2'],
  shield: ['M12 3l7.5 3v5.5c0 4.6-3.2 8.4-7.5 9.5-4.3-1.1-7.5-4.9-7.5-9.5V6z', 'M8.8 12.2l2.2 2.2 4.3-4.4'],
  globe: [{ c: [12, 12, 9] }, 'M3 12h18', 'M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z'],
  browser: [{ r: [3, 4.5, 18, 15, 2.5] }, 'M3 9h18', 'M6.5 6.8h.01', 'M9.2 6.8h.01'],
  external: ['M14 4h6v6', 'M20 4l-8.5 8.5', 'M18 13.5V18a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4.5'],
  link: ['M10 14a4 4 0 0 0 5.7 0l3.1-3.1a4 4 0 0 0-5.7-5.7L11.6 6.7', 'M14 10a4 4 0 0 0-5.7 0l-3.1 3.1a4 4 0 0 0 5.7 5.7l1.5-1.5'],
  devices: [{ r: [2.5, 4.5, 13, 10, 1.8] }, 'M6 18h6', 'M9 14.5V18', { r: [17, 8, 4.5, 11.5, 1.4] }, 'M19.25 16.6h.01'],
  monitor: [{ r: [3, 4, 18, 12.5, 2] }, 'M8.5 20h7', 'M12 16.5V20'],
  phone: [{ r: [6.5, 2.5, 11, 19, 2.4] }, 'M11 18.5h2'],
  tools: ['M14.7 6.3a1 1 0 0 0 0 1.4l1.6 1.6a1 1 0 0 0 1.4 0l3.77-3.77a6 6 0 0 1-7.94 7.94l-6.91 6.91a2.12 2.12 0 0 1-3-3l6.91-6.91a6 6 0 0 1 7.94-7.94l-3.76 3.76z'],
  ticket: ['M4 7.5A1.5 1.5 0 0 1 5.5 6h13A1.5 1.5 0 0 1 20 7.5V10a2 2 0 0 0 0 4v2.5a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 4 16.5V14a2 2 0 0 0 0-4z', 'M14 6v12'],
  download: ['M12 4v11', 'M7.5 10.5L12 15l4.5-4.5', 'M5 19.5h14'],
  folder: ['M3.5 7.5A2 2 0 0 1 5.5 5.5h4l2 2.2h7a2 2 0 0 1 2 2v7.8a2 2 0 0 1-2 2h-13a2 2 0 0 1-2-2z'],
  image: [{ r: [3.5, 4.5, 17, 15, 2.5] }, { c: [9, 9.5, 1.6] }, 'M20.5 15.5l-5-5-9 9'],
  terminal: [{ r: [3, 4.5, 18, 15, 2.5] }, 'M7 9.5l3 2.5-3 2.5', 'M12.5 15h4.5'],
};

const SVG_NS = 'http://www.w3.org/2000/svg';

export function icon(name, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon ${cls}`.trim());
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const part of ICONS[name] || []) {
    let el;
    if (typeof part === 'string') {
      el = document.createElementNS(SVG_NS, 'path');
      el.setAttribute('d', part);
    } else if (part.c) {
      el = document.createElementNS(SVG_NS, 'circle');
      const [cx, cy, r] = part.c;
      Object.entries({ cx, cy, r }).forEach(([k, v]) => el.setAttribute(k, v));
    } else if (part.r) {
      el = document.createElementNS(SVG_NS, 'rect');
      const [x, y, width, height, rx] = part.r;
      Object.entries({ x, y, width, height, rx }).forEach(([k, v]) => el.setAttribute(k, v));
    } else if (part.e) {
      el = document.createElementNS(SVG_NS, 'ellipse');
      const [cx, cy, rx, ry] = part.e;
      Object.entries({ cx, cy, rx, ry }).forEach(([k, v]) => el.setAttribute(k, v));
    }
    svg.append(el);
  }
  return svg;
}

/* ---------- Accounts ---------- */

const AVATAR_COLOURS = 8;

function hash(str) {
  let x = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < str.length; i++) {
    x ^= str.charCodeAt(i);
    x = Math.imul(x, 0x01000193) >>> 0;
  }
  return x;
}

export function avatar(did, handle, size = 'md', image = null) {
  // The profile's own picture when the core fetched one (a data: URL); else the initial.
  if (image && image.startsWith('data:image/')) {
    return h('img', { class: `avatar avatar--${size} avatar--photo`, src: image, alt: '', 'data-testid': 'avatar-photo' });
  }
  const source = (handle || '').replace(/^@/, '') || (did || '').split(':').pop() || '?';
  const initial = [...source][0]?.toUpperCase() || '?';
  return h('span', { class: `avatar avatar--${size} avatar--c${hash(did || source) % AVATAR_COLOURS}`, 'aria-hidden': 'true' }, initial);
}

export function hostOf(url) {
  if (!url) return null;
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

const HEALTH = {
  active: { tone: 'success', label: 'Active' },
  // One colour per state everywhere: the tray and the attention list count a deactivated
  // account as a warning, so it is amber here too.
  deactivated: { tone: 'warning', label: 'Deactivated' },
  takendown: { tone: 'danger', label: 'Taken down' },
  suspended: { tone: 'danger', label: 'Suspended' },
  expired: { tone: 'warning', label: 'Session expired' },
  unreachable: { tone: 'warning', label: 'Unreachable' },
  unknown: { tone: 'neutral', label: 'Unknown' },
};

export function healthInfo(health, label) {
  const meta = HEALTH[health] || HEALTH.unknown;
  // `short`: the state in a word or two, for a line that must not be cut (the sidebar).
  return { health: HEALTH[health] ? health : 'unknown', tone: meta.tone, label: label || meta.label, short: meta.label };
}

/** A status pill: coloured dot + label. `data-health` carries the machine value. */
export function pill(health, label, props = {}) {
  const info = healthInfo(health, label);
  return h('span', { class: `pill pill--${info.tone}`, 'data-health': info.health, ...props },
    h('span', { class: 'pill-dot', 'aria-hidden': 'true' }), info.label);
}

export function tonePill(tone, text, props = {}) {
  return h('span', { class: `pill pill--${tone}`, ...props }, h('span', { class: 'pill-dot', 'aria-hidden': 'true' }), text);
}

/* ---------- Time ---------- */

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function relativeTime(iso) {
  if (!iso) return null;
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return null;
  const secs = Math.round((then.getTime() - Date.now()) / 1000);
  const abs = Math.abs(secs);
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(secs / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(secs / 3600), 'hour');
  return rtf.format(Math.round(secs / 86400), 'day');
}

export function fullTime(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/* ---------- Feedback ---------- */

export function spinner(cls = '') {
  return h('span', { class: `spinner ${cls}`.trim(), 'aria-hidden': 'true' });
}

/** Toggle a button's busy state: disabled, spinner, optional busy label. */
export function setBusy(button, busy, busyLabel) {
  if (busy) {
    if (!button.dataset.idleLabel) button.dataset.idleLabel = button.querySelector('.btn-label')?.textContent ?? '';
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.classList.add('is-busy');
    const label = button.querySelector('.btn-label');
    if (label && busyLabel) label.textContent = busyLabel;
  } else {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.classList.remove('is-busy');
    const label = button.querySelector('.btn-label');
    if (label && button.dataset.idleLabel !== undefined) label.textContent = button.dataset.idleLabel;
    delete button.dataset.idleLabel;
  }
}

/** A button with an optional leading icon; the icon is replaced by a spinner while busy. */
export function button(label, { variant = 'secondary', iconName = null, size = '', ...props } = {}) {
  return h('button', { type: 'button', class: `btn btn--${variant} ${size ? `btn--${size}` : ''}`.trim(), ...props },
    iconName ? icon(iconName, 'btn-icon') : null,
    spinner('btn-spinner'),
    h('span', { class: 'btn-label' }, label));
}

/** An error callout: message, hint, role="alert". `tone: 'warning'` for softer outcomes (e.g. cancelled). */
export function errorBox(err, { testid = 'form-error', action = null, tone = 'danger' } = {}) {
  return h('div', { class: `callout callout--${tone}`, role: 'alert', 'data-testid': testid, 'data-code': err.code || 'error' },
    icon('alert', 'callout-icon'),
    h('div', { class: 'callout-body' },
      h('p', { class: 'callout-title' }, err.message || 'Something went wrong.'),
      err.hint ? h('p', { class: 'callout-text' }, err.hint) : null,
      action ? h('div', { class: 'callout-actions' }, action) : null,
      errorDetails(err)));
}

/** The technical cause and the error's code, folded away: for whoever helps, not the first read. */
export function errorDetails(err) {
  if (!err || (!err.detail && (!err.code || err.code === 'error'))) return null;
  return h('details', { class: 'callout-details', 'data-testid': 'error-details' },
    h('summary', {}, 'Details'),
    err.detail ? h('p', { class: 'callout-detail' }, err.detail) : null,
    err.code && err.code !== 'error' ? h('p', { class: 'callout-detail' }, `Code: ${err.code}`) : null);
}

export function callout(tone, title, text, { action = null, iconName = tone === 'danger' || tone === 'warning' ? 'alert' : 'info', ...props } = {}) {
  return h('div', { class: `callout callout--${tone}`, ...props },
    icon(iconName, 'callout-icon'),
    h('div', { class: 'callout-body' },
      title ? h('p', { class: 'callout-title' }, title) : null,
      text ? h('p', { class: 'callout-text' }, text) : null,
      action ? h('div', { class: 'callout-actions' }, action) : null));
}

/** A small "copy to clipboard" icon button with transient confirmation. */
export function copyButton(getText, { label = 'Copy', ...props } = {}) {
  const status = h('span', { class: 'visually-hidden', role: 'status' });
  const btn = h('button', {
    type: 'button', class: 'icon-btn icon-btn--sm copy-btn', 'aria-label': label, title: label, ...props,
    onclick: async () => {
      let ok = true;
      try {
        await navigator.clipboard.writeText(getText());
      } catch {
        ok = false;
      }
      btn.classList.toggle('is-copied', ok);
      btn.replaceChildren(icon(ok ? 'check' : 'x'), status);
      status.textContent = ok ? 'Copied' : 'Could not copy';
      btn.title = ok ? 'Copied' : 'Could not copy';
      clearTimeout(btn._t);
      btn._t = setTimeout(() => {
        btn.classList.remove('is-copied');
        btn.replaceChildren(icon('copy'), status);
        status.textContent = '';
        btn.title = label;
      }, 1600);
    },
  }, icon('copy'), status);
  return btn;
}

/** Skeleton placeholder lines. */
export function skeleton(cls = '') {
  return h('span', { class: `skeleton ${cls}`.trim(), 'aria-hidden': 'true' });
}

/** A "still working" note that only becomes visible (via CSS animation delay) if a call takes long. */
export function slowNote(text = 'Still working… the server is taking a while to respond.') {
  return h('p', { class: 'slow-note' }, text);
}

/** Text in monospace that can be selected (DIDs, addresses, keys). */
export const mono = (text) => h('span', { class: 'mono selectable' }, text);
/** Secondary text ("Not listed", "—"). */
export const muted = (text) => h('span', { class: 'muted' }, text);

/** One label/value row of a <dl class="rows">. */
export function row(label, value, props = {}) {
  return h('div', { class: 'row', ...props }, h('dt', {}, label), h('dd', {}, value));
}
