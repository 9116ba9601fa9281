// Look up the public status of any handle or DID, without signing in.
import * as api from '../api.js';
import { h, icon, hostOf, healthInfo, button, setBusy, errorBox, nextId, slowNote } from '../widgets/dom.js';
import { renderCards, renderHeader, skeletonCards } from '../widgets/cards.js';

// The last look-up survives switching screens.
let last = null; // {identifier, overview}

export function mount(main, ctx, params = {}) {
  const titleId = nextId('title');
  const inputId = nextId('lookup');
  const input = h('input', {
    id: inputId, name: 'identifier', type: 'search', class: 'input input--search', required: true,
    autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
    placeholder: 'alice.bsky.social or did:plc:…', value: params.identifier || last?.identifier || '',
  });
  const submit = button('Look up', { variant: 'primary', type: 'submit', 'data-testid': 'lookup-submit' });
  const errorSlot = h('div', { class: 'error-slot' });
  const result = h('div', { class: 'lookup-result', 'data-testid': 'lookup-result', 'aria-live': 'polite' });

  const form = h('form', { class: 'lookup-form', 'data-testid': 'lookup-form', role: 'search', novalidate: true },
    h('label', { class: 'field-label', for: inputId }, 'Handle or DID'),
    h('div', { class: 'lookup-row' },
      h('div', { class: 'search-wrap' }, icon('search', 'search-icon'), input),
      submit),
    errorSlot);

  const screen = h('section', { class: 'screen', 'aria-labelledby': titleId, 'data-testid': 'lookup-screen' },
    h('header', { class: 'screen-header' },
      h('div', {},
        h('h1', { id: titleId, tabindex: '-1' }, 'Look up an account'),
        h('p', { class: 'screen-subtitle' }, 'Check the public status of any handle or DID: identity, hosting and repository. No sign-in needed.'))),
    form,
    result);
  main.replaceChildren(screen);

  function show(ov) {
    const header = renderHeader({
      did: ov.did,
      handle: ov.handle,
      health: healthInfo(ov.health, ov.healthLabel),
      checkedAt: ov.checkedAt,
      host: hostOf(ov.pds?.url),
      level: 'h2',
    });
    result.replaceChildren(
      h('div', { class: 'lookup-card' }, header.el),
      renderCards(ov, { session: false }));
  }

  function showEmpty() {
    result.replaceChildren(h('div', { class: 'empty-hint' },
      icon('search', 'empty-hint-icon'),
      h('p', {}, 'Enter a handle like ', h('span', { class: 'mono' }, 'alice.bsky.social'),
        ' or a DID like ', h('span', { class: 'mono' }, 'did:plc:…'), ' to see how it resolves and where it is hosted.')));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errorSlot.replaceChildren();
    const identifier = input.value.trim().replace(/^@/, '');
    if (!identifier) {
      errorSlot.replaceChildren(errorBox({ code: 'invalid_input', message: 'Enter a handle or DID to look up.', hint: null }));
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    setBusy(submit, true, 'Looking up…');
    input.readOnly = true;
    result.setAttribute('aria-busy', 'true');
    result.replaceChildren(slowNote(), skeletonCards(3));
    try {
      const ov = await api.lookupStatus(identifier);
      if (ctx.signal.aborted) return;
      last = { identifier, overview: ov };
      show(ov);
    } catch (err) {
      if (ctx.signal.aborted) return;
      last = null;
      result.replaceChildren();
      errorSlot.replaceChildren(errorBox(err));
      input.focus();
    } finally {
      if (!ctx.signal.aborted) {
        setBusy(submit, false);
        input.readOnly = false;
        result.removeAttribute('aria-busy');
      }
    }
  });

  if (last && (!params.identifier || params.identifier === last.identifier)) show(last.overview);
  else showEmpty();
  if (params.identifier && params.identifier !== last?.identifier) form.requestSubmit();
  else input.focus();
  return {};
}
