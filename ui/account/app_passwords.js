// Account section "App passwords" (its own tab): list, create (the password is shown once) and revoke.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, nextId, skeleton, relativeTime, fullTime, slowNote } from '../widgets/dom.js';
import { field, fieldError, markInvalid, panelCard } from '../widgets/forms.js';
import { withStepUp, CANCELLED } from '../widgets/step_up.js';

const REVOKE_NOTE = 'Apps already signed in with a revoked password can keep working for up to 2 hours.';

export function mount(parent, ctx, acct) {
  const { did } = acct;
  let items = null; // [{name, createdAt, privileged}] once loaded
  let loading = false;

  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'app-password-status' });
  const createdSlot = h('div', { class: 'created-slot' });
  const listSlot = h('div', { class: 'ap-list-wrap', 'aria-live': 'polite' });
  const form = createForm();
  form.el.hidden = true;

  parent.append(panelCard({
    iconName: 'key',
    title: 'App passwords',
    text: 'Let another app sign in to your account without your main password. Revoke one to sign that app out.',
    testid: 'app-passwords-section',
    children: [
      createdSlot,
      listSlot,
      h('p', { class: 'card-note' }, icon('clock'), h('span', {}, REVOKE_NOTE)),
      form.el,
      status,
    ],
  }));

  /* ----- List ----- */
  async function load() {
    if (loading) return;
    loading = true;
    listSlot.setAttribute('aria-busy', 'true');
    if (!items) listSlot.replaceChildren(skeletonRows());
    else listSlot.classList.add('is-stale');
    try {
      const result = await withStepUp(listSlot, (creds) => api.appPasswordsList(did, creds), { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      items = Array.isArray(result) ? result : [];
      renderList();
      form.el.hidden = false;
    } catch (err) {
      if (ctx.signal.aborted) return;
      const retry = button(err.code === CANCELLED ? 'Enter password' : 'Try again', {
        iconName: err.code === CANCELLED ? 'lock' : 'refresh', 'data-testid': 'app-passwords-retry', onclick: load,
      });
      listSlot.replaceChildren(err.code === CANCELLED
        ? callout('info', 'Your app passwords are shown after you enter your account password', null, { action: retry, iconName: 'lock' })
        : errorBox(err, { action: retry }));
      form.el.hidden = !items;
    } finally {
      loading = false;
      listSlot.removeAttribute('aria-busy');
      listSlot.classList.remove('is-stale');
    }
  }

  function renderList({ focusAfter = null } = {}) {
    if (!items.length) {
      listSlot.replaceChildren(h('div', { class: 'ap-empty', 'data-testid': 'app-passwords-empty' },
        icon('key', 'empty-hint-icon'),
        h('p', { class: 'strong' }, 'No app passwords yet'),
        h('p', { class: 'muted' }, 'Create one below for each app you want to sign in with, so you can sign it out later without changing your password.')));
      return;
    }
    const sorted = [...items].sort((a, b) => String(b.createdAt || '').localeCompare(String(a.createdAt || '')));
    const ul = h('ul', { class: 'ap-list', 'data-testid': 'app-password-list', 'aria-label': 'App passwords' }, sorted.map(rowFor));
    listSlot.replaceChildren(ul);
    if (focusAfter !== null) {
      const rows = [...ul.querySelectorAll('[data-testid="app-password-revoke"]')];
      (rows[Math.min(focusAfter, rows.length - 1)] || form.name).focus();
    }
  }

  function rowFor(item) {
    const rel = relativeTime(item.createdAt);
    const revoke = button('Revoke', { variant: 'danger-ghost', size: 'sm', 'data-testid': 'app-password-revoke', 'aria-label': `Revoke ${item.name}` });
    const confirmSlot = h('div', { class: 'ap-confirm-slot' });
    const li = h('li', { class: 'ap-row', 'data-testid': 'app-password-row', 'data-name': item.name },
      h('div', { class: 'ap-main' },
        h('span', { class: 'ap-icon' }, icon('key')),
        h('div', { class: 'ap-text' },
          h('span', { class: 'ap-name' },
            h('span', { class: 'selectable' }, item.name),
            item.privileged ? h('span', { class: 'tag tag--warning', title: 'Can read and send direct messages' }, 'Privileged') : null),
          h('span', { class: 'ap-meta', title: fullTime(item.createdAt) || null },
            rel ? `Created ${rel}` : fullTime(item.createdAt) ? `Created ${fullTime(item.createdAt)}` : 'Creation date unknown')),
        revoke),
      confirmSlot);
    revoke.addEventListener('click', () => openRevoke(item, li, revoke, confirmSlot));
    return li;
  }

  function openRevoke(item, li, revokeBtn, slot) {
    const errSlot = h('div', { class: 'error-slot' });
    const stepSlot = h('div', { class: 'step-slot' });
    const close = () => {
      slot.replaceChildren();
      revokeBtn.hidden = false;
      li.classList.remove('is-confirming');
      revokeBtn.focus();
    };
    const cancel = button('Cancel', { size: 'sm', 'data-testid': 'app-password-revoke-cancel', onclick: close });
    const confirm = button('Revoke', { variant: 'danger', size: 'sm', 'data-testid': 'app-password-revoke-confirm' });
    confirm.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(confirm, true, 'Revoking…');
      cancel.disabled = true;
      try {
        await withStepUp(stepSlot, (creds) => api.appPasswordRevoke(did, item.name, creds), { trigger: confirm, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        const index = [...listSlot.querySelectorAll('.ap-row')].indexOf(li);
        items = items.filter((i) => i.name !== item.name);
        status.textContent = `Revoked “${item.name}”.`;
        renderList({ focusAfter: Math.max(0, index) });
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(confirm, false);
        cancel.disabled = false;
        if (err.code === CANCELLED) confirm.focus();
        else errSlot.replaceChildren(errorBox(err));
      }
    });
    const titleId = nextId('revoke');
    slot.replaceChildren(h('div', {
      class: 'row-confirm', role: 'group', 'aria-labelledby': titleId, 'data-testid': 'app-password-revoke-confirmation',
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled && !stepSlot.contains(e.target)) close(); },
    },
    h('div', { class: 'row-confirm-main' },
      h('div', { class: 'row-confirm-text' },
        h('p', { class: 'confirm-title', id: titleId }, `Revoke “${item.name}”?`),
        h('p', { class: 'confirm-text' }, 'Apps using it will have to sign in again. ', REVOKE_NOTE)),
      h('div', { class: 'confirm-actions' }, cancel, confirm)),
    errSlot, stepSlot));
    revokeBtn.hidden = true;
    li.classList.add('is-confirming');
    cancel.focus();
  }

  /* ----- Create ----- */
  function createForm() {
    const nameId = nextId('ap-name');
    const name = h('input', {
      id: nameId, name: 'appPasswordName', type: 'text', class: 'input', required: true, maxlength: '100',
      autocomplete: 'off', spellcheck: 'false', placeholder: 'For example: Graysky on my phone',
    });
    const privId = nextId('ap-priv');
    const privileged = h('input', { id: privId, name: 'privileged', type: 'checkbox', class: 'switch', 'aria-describedby': `${privId}-help` });
    const stepSlot = h('div', { class: 'step-slot' });
    const errorSlot = h('div', { class: 'error-slot' });
    const submit = button('Create', { variant: 'primary', type: 'submit', iconName: 'plus', 'data-testid': 'app-password-create' });
    const el = h('form', { class: 'form ap-form', 'data-testid': 'app-password-form', novalidate: true, 'aria-labelledby': `${nameId}-title` },
      h('h3', { class: 'sub-title', id: `${nameId}-title` }, 'Create an app password'),
      field({ label: 'Name', input: name, help: 'Name it after the app, so you know which one to revoke later.' }),
      h('div', { class: 'check-row' },
        h('div', { class: 'setting-text' },
          h('label', { class: 'setting-label', for: privId }, 'Allow direct messages'),
          h('p', { class: 'setting-help', id: `${privId}-help` }, 'A privileged app password can also read and send your direct messages. Only for apps you trust.')),
        privileged),
      stepSlot,
      errorSlot,
      h('div', { class: 'form-actions' }, slowNote('Still creating… the server is slow to respond.'), submit));

    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      errorSlot.replaceChildren();
      const value = name.value.trim();
      if (!value) return fieldError(name, errorSlot, 'Enter a name for the app password.');
      if (items?.some((i) => i.name.toLowerCase() === value.toLowerCase())) {
        return fieldError(name, errorSlot, `You already have an app password called “${value}”. Choose another name.`, 'duplicate_name');
      }
      setBusy(submit, true, 'Creating…');
      el.classList.add('is-busy');
      name.readOnly = true;
      privileged.disabled = true;
      try {
        const created = await withStepUp(stepSlot, (creds) => api.appPasswordCreate(did, { name: value, privileged: privileged.checked }, creds),
          { trigger: submit, signal: ctx.signal });
        if (ctx.signal.aborted) return;
        items = [...(items || []).filter((i) => i.name !== created.name),
          { name: created.name, createdAt: created.createdAt, privileged: !!created.privileged }];
        renderList();
        name.value = '';
        privileged.checked = false;
        showCreated(created);
      } catch (err) {
        if (ctx.signal.aborted) return;
        if (err.code === CANCELLED) submit.focus();
        else {
          errorSlot.replaceChildren(errorBox(err));
          if (/name|duplicate|exists/i.test(err.code || '')) markInvalid(name);
        }
      } finally {
        if (!ctx.signal.aborted) {
          setBusy(submit, false);
          el.classList.remove('is-busy');
          name.readOnly = false;
          privileged.disabled = false;
        }
      }
    });
    return { el, name };
  }

  /* ----- The new password, shown once ----- */
  function showCreated(created) {
    const titleId = nextId('created');
    const copy = button('Copy', { iconName: 'copy', 'data-testid': 'app-password-copy' });
    copy.addEventListener('click', async () => {
      let ok = true;
      try {
        await navigator.clipboard.writeText(created.password);
      } catch {
        ok = false;
      }
      copy.querySelector('.btn-label').textContent = ok ? 'Copied' : 'Could not copy';
      copy.classList.toggle('is-copied', ok);
      clearTimeout(copy._t);
      copy._t = setTimeout(() => {
        copy.querySelector('.btn-label').textContent = 'Copy';
        copy.classList.remove('is-copied');
      }, 1800);
    });
    const done = button('Done', { variant: 'primary', 'data-testid': 'app-password-done' });
    const box = h('section', { class: 'created-box', 'data-testid': 'app-password-created', 'aria-labelledby': titleId },
      h('header', { class: 'created-head' },
        h('span', { class: 'done-icon' }, icon('check')),
        h('div', {},
          h('h3', { class: 'created-title', id: titleId, tabindex: '-1' }, 'App password created for ', h('span', { class: 'selectable' }, `“${created.name}”`)),
          h('p', { class: 'muted' }, 'Enter it in the app instead of your main password.'))),
      h('div', { class: 'secret-row' },
        h('code', { class: 'secret mono selectable', 'data-testid': 'app-password-value', 'aria-label': 'New app password' }, created.password),
        copy),
      h('p', { class: 'created-warning' }, icon('alert'),
        h('span', {}, h('strong', {}, 'You won’t see it again.'), ' Copy it now; Stratos does not keep it. If you lose it, revoke it and create a new one.')),
      created.privileged ? h('p', { class: 'field-help' }, 'This app password is privileged: the app can read and send your direct messages.') : null,
      h('div', { class: 'form-actions' }, done));
    done.addEventListener('click', () => {
      createdSlot.replaceChildren();
      form.name.focus();
    });
    createdSlot.replaceChildren(box);
    status.textContent = `App password “${created.name}” created.`;
    box.scrollIntoView({ block: 'nearest' });
    copy.focus({ preventScroll: true });
  }

  load();

  return {
    refresh: () => load(),
  };
}

function skeletonRows() {
  const one = () => h('li', { class: 'ap-row', 'aria-hidden': 'true' },
    h('div', { class: 'ap-main' }, skeleton('skeleton--icon'), h('div', { class: 'ap-text' }, skeleton('skeleton--title'), skeleton('skeleton--value'))));
  return h('ul', { class: 'ap-list', 'aria-hidden': 'true' }, one(), one());
}
