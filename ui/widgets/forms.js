// Small form helpers shared by the account-management sections.
import { h, icon, errorBox, nextId, setBusy } from './dom.js';

/** A labelled field; `trailing` sits inside the input (copy/reveal buttons). */
export function field({ label, input, help = null, trailing = null, props = {} }) {
  const id = input.id || (input.id = nextId('f'));
  let helpEl = null;
  if (help) {
    helpEl = h('p', { class: 'field-help', id: `${id}-help` }, help);
    input.setAttribute('aria-describedby', helpEl.id);
  }
  return h('div', { class: 'field', ...props },
    h('label', { class: 'field-label', for: id }, label),
    trailing ? h('div', { class: 'input-group' }, input, trailing) : input,
    helpEl);
}

/** Mark `input` invalid until it is edited again. */
export function markInvalid(input, { focus = true } = {}) {
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
  if (focus) {
    input.focus();
    input.select?.();
  }
}

/** A problem with what was typed: the error box in `slot`, the input highlighted and focused. */
export function fieldError(input, slot, message, code = 'invalid_input') {
  slot.replaceChildren(errorBox({ code, message, hint: null }));
  markInvalid(input);
}

/** Format an emailed code as ABCDE-FGHIJ while typing (only when it looks like one). */
function formatCode(value) {
  const raw = value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (raw.length > 10) return value.toUpperCase().trim();
  return raw.length > 5 ? `${raw.slice(0, 5)}-${raw.slice(5)}` : raw;
}

/** A code input (ABCDE-FGHIJ) that formats itself while typing at the end. */
export function codeInput(name, props = {}) {
  const input = h('input', {
    name, type: 'text', class: 'input input--code', required: true,
    autocomplete: 'one-time-code', autocapitalize: 'characters', autocorrect: 'off', spellcheck: 'false',
    placeholder: 'ABCDE-FGHIJ', inputmode: 'text', ...props,
  });
  input.addEventListener('input', () => {
    if (input.selectionStart === input.value.length) input.value = formatCode(input.value);
  });
  return input;
}

/** A password input plus its show/hide button: {input, reveal}. */
export function passwordInput(name, props = {}) {
  const input = h('input', { name, type: 'password', class: 'input', required: true, autocomplete: 'current-password', ...props });
  const reveal = h('button', {
    type: 'button', class: 'input-addon', 'aria-label': 'Show password', 'aria-pressed': 'false', title: 'Show password',
    onclick: () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      reveal.setAttribute('aria-pressed', String(show));
      reveal.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
      reveal.title = show ? 'Hide password' : 'Show password';
      reveal.replaceChildren(icon(show ? 'eyeOff' : 'eye'));
    },
  }, icon('eye'));
  return { input, reveal };
}

/** A section card inside an account tab: icon, title, one line of explanation, then content. */
export function panelCard({ iconName, title, text = null, tone = 'accent', testid = null, children = [] }) {
  const id = nextId('panel');
  return h('section', { class: `panel-card${tone === 'danger' ? ' panel-card--danger' : ''}`, 'aria-labelledby': id, 'data-testid': testid },
    h('header', { class: 'panel-head' },
      h('span', { class: `method-icon method-icon--${tone}` }, icon(iconName)),
      h('div', { class: 'method-head-text' },
        h('h2', { class: 'method-title', id }, title),
        text ? h('p', { class: 'method-text' }, text) : null)),
    ...children);
}

/** The icon + title + one line at the top of a flow. */
export function flowIntro(iconName, titleId, title, text) {
  return h('div', { class: 'step-intro' },
    h('span', { class: 'step-icon' }, icon(iconName)),
    h('div', {},
      h('h3', { class: 'step-title', id: titleId }, title),
      h('p', { class: 'step-text' }, text)));
}

/** Busy form: inputs read-only (so their values stay visible), buttons disabled. */
export function lockForm(form, on, controls, readOnly = []) {
  form.classList.toggle('is-busy', on);
  if (on) form.setAttribute('aria-busy', 'true');
  else form.removeAttribute('aria-busy');
  for (const el of controls) {
    if (el.tagName === 'INPUT') el.readOnly = on;
    else el.disabled = on;
  }
  for (const el of readOnly) el.readOnly = on;
}

/** Wires a "send a new code" button: sends, says so beside the code field, shows a failure in the form. */
export function wireResend(resend, { signal, errorSlot, sentNote, code, send }) {
  resend.addEventListener('click', async () => {
    errorSlot.replaceChildren();
    sentNote.textContent = '';
    setBusy(resend, true, 'Sending…');
    try {
      await send();
      if (signal.aborted) return;
      sentNote.replaceChildren(icon('check'), h('span', {}, 'A new code is on its way.'));
      code.focus();
    } catch (err) {
      if (signal.aborted) return;
      errorSlot.replaceChildren(errorBox(err));
    } finally {
      if (!signal.aborted) setBusy(resend, false);
    }
  });
}
