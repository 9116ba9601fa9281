// Account section "Handle" (its own tab): pick a new handle (on the server's domain or your own),
// check what it takes and whether it is in place, then change it.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, copyButton, nextId, skeleton, slowNote } from '../widgets/dom.js';
import { fieldError, panelCard } from '../widgets/forms.js';

const norm = (value) => value.trim().replace(/^@/, '').replace(/\.$/, '').toLowerCase();

function mark(kind, text, extra = null) {
  const iconName = { ok: 'check', bad: 'x', warn: 'alert', none: 'minus' }[kind];
  return h('span', { class: `mark mark--${kind}` }, icon(iconName, 'mark-icon'), h('span', {}, text), extra);
}

/** One resolution method's answer: {outcome: found, did} | {outcome: notFound, reason} | {outcome: skipped}. */
function answerMark(answer, did) {
  if (!answer || answer.outcome === 'notFound') return mark('none', answer?.reason || 'Nothing found yet');
  if (answer.did === did) return mark('ok', 'Points to this account');
  return mark('bad', 'Points to another account: ', h('span', { class: 'mono selectable' }, answer.did));
}

export function mount(parent, ctx, acct) {
  const { did } = acct;
  const currentHandle = () => acct.overview()?.handle || acct.account()?.handle || null;

  let domains = [];
  let mode = 'custom'; // 'service' (a handle on the PDS's domain) or 'custom' (your own domain)
  let plan = null; // the last handle_plan answer, for the handle currently typed

  const current = h('dd', { class: 'mono selectable', 'data-testid': 'handle-current' }, currentHandle() || '—');
  const formSlot = h('div', { class: 'handle-form-slot', 'aria-busy': 'true' },
    h('div', { class: 'field', 'aria-hidden': 'true' }, skeleton('skeleton--title'), skeleton('skeleton--value')));
  const planSlot = h('div', { class: 'plan-slot', 'aria-live': 'polite' });
  const doneSlot = h('div', { class: 'done-slot' });
  const submitError = h('div', { class: 'error-slot' });
  const submit = button('Change handle', { variant: 'primary', iconName: 'at', 'data-testid': 'handle-submit', disabled: true });
  const actions = h('div', { class: 'form-actions handle-actions' },
    h('span', { class: 'handle-actions-note muted', id: nextId('hint') }, 'Check the new handle first.'),
    submit);
  submit.setAttribute('aria-describedby', actions.firstChild.id);

  parent.append(panelCard({
    iconName: 'at',
    title: 'Handle',
    text: 'Your handle is your name on the network. Use one on your server’s domain, or a domain you own.',
    testid: 'handle-section',
    children: [
      h('dl', { class: 'rows current-rows' }, h('div', { class: 'row' }, h('dt', {}, 'Current handle'), current)),
      doneSlot,
      formSlot,
      planSlot,
      submitError,
      actions,
    ],
  }));

  let els = null; // {form, input, select, errorSlot, check, preview}

  async function loadDomains() {
    let problem = null;
    try {
      const result = await api.handleDomains(did);
      domains = Array.isArray(result?.domains) ? result.domains.filter(Boolean) : [];
    } catch (err) {
      problem = err;
      domains = [];
    }
    if (ctx.signal.aborted) return;
    const cur = currentHandle() || '';
    mode = domains.length && (!cur || domains.some((d) => cur.endsWith(d))) ? 'service' : 'custom';
    renderForm(problem);
  }

  function renderForm(problem) {
    const inputId = nextId('handle');
    const input = h('input', {
      id: inputId, name: 'newHandle', type: 'text', class: 'input', required: true,
      autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
    });
    const select = domains.length > 1
      ? h('select', { name: 'handleDomain', class: 'input select', 'aria-label': 'Domain' },
        domains.map((d) => h('option', { value: d }, d)))
      : null;
    const suffix = domains.length === 1 ? h('span', { class: 'input-suffix mono', 'aria-hidden': 'true' }, domains[0]) : null;
    const label = h('label', { class: 'field-label', for: inputId });
    const help = h('p', { class: 'field-help', id: `${inputId}-help` });
    input.setAttribute('aria-describedby', help.id);
    const check = button('Check', { type: 'submit', iconName: 'search', 'data-testid': 'handle-check' });
    const errorSlot = h('div', { class: 'error-slot' });

    const choice = (value, title, text) => {
      const id = nextId('kind');
      return h('label', { class: 'choice', for: id, 'data-testid': `handle-kind-${value}` },
        h('input', { id, type: 'radio', name: 'handleKind', value, class: 'radio', checked: mode === value, 'aria-describedby': `${id}-help` }),
        h('span', { class: 'choice-text' },
          h('span', { class: 'choice-title' }, title),
          h('span', { class: 'setting-help', id: `${id}-help` }, text)));
    };
    const kindLegend = nextId('kind');
    const kinds = domains.length
      ? h('div', { class: 'field' },
        h('p', { class: 'field-label', id: kindLegend }, 'New handle'),
        h('div', { class: 'choice-list choice-list--row', role: 'radiogroup', 'aria-labelledby': kindLegend },
          choice('service', domains.length === 1 ? h('span', {}, 'A handle on ', h('span', { class: 'mono' }, domains[0])) : 'A handle on your server’s domain',
            'Free and ready at once. Your server checks the name is not taken.'),
          choice('custom', 'Your own domain', 'A domain you control, such as alice.com. You prove it with a DNS record or a file on your website.')))
      : null;

    const form = h('form', { class: 'form handle-form', 'data-testid': 'handle-form', novalidate: true, 'aria-label': 'New handle' },
      problem ? callout('warning', 'Could not get your server’s handle domains', problem.message, { 'data-testid': 'handle-domains-error' }) : null,
      kinds,
      h('div', { class: 'field' },
        label,
        h('div', { class: 'handle-row' },
          h('div', { class: 'handle-input' }, input, suffix, select),
          check),
        help),
      errorSlot,
      slowNote('Still checking… DNS and the website can be slow to answer.'));

    const sync = () => {
      const service = mode === 'service';
      label.textContent = service ? 'Name' : 'Domain';
      input.placeholder = service ? 'alice' : 'alice.example.com';
      input.classList.toggle('input--suffixed', service && !!(suffix || select));
      if (suffix) suffix.hidden = !service;
      if (select) select.hidden = !service;
      const full = fullHandle();
      help.replaceChildren(...(service
        ? full && input.value.trim() ? ['Your handle will be ', h('span', { class: 'mono strong' }, full), '.'] : ['Letters, digits and hyphens. Your server adds the domain.']
        : ['The whole domain name, without “https://” or “@”.']));
    };
    const invalidate = () => {
      plan = null;
      planSlot.replaceChildren();
      submitError.replaceChildren();
      errorSlot.replaceChildren();
      updateSubmit();
      sync();
    };
    input.addEventListener('input', invalidate);
    select?.addEventListener('change', invalidate);
    form.addEventListener('change', (e) => {
      if (e.target.name !== 'handleKind') return;
      mode = e.target.value;
      invalidate();
      input.focus();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      runCheck();
    });

    els = { form, input, select, errorSlot, check, sync };
    formSlot.replaceChildren(form);
    formSlot.removeAttribute('aria-busy');
    sync();
  }

  function fullHandle() {
    if (!els) return '';
    const value = norm(els.input.value);
    if (!value || mode !== 'service') return value;
    if (domains.some((d) => value.endsWith(d))) return value;
    return `${value}${els.select ? els.select.value : domains[0] || ''}`;
  }

  async function runCheck() {
    const { input, errorSlot, check, form } = els;
    errorSlot.replaceChildren();
    submitError.replaceChildren();
    doneSlot.replaceChildren();
    if (!norm(input.value)) {
      return fieldError(input, errorSlot, mode === 'service' ? 'Enter the name you want.' : 'Enter your domain, for example alice.example.com.');
    }
    const handle = fullHandle();
    if (/^https?:\/\//i.test(input.value.trim()) || handle.includes('/')) {
      return fieldError(input, errorSlot, 'Enter just the domain name, without “https://” or a path.');
    }
    if (!handle.includes('.')) {
      return fieldError(input, errorSlot, 'A handle on your own domain needs a full domain name, such as alice.example.com.');
    }
    plan = null;
    updateSubmit();
    setBusy(check, true, 'Checking…');
    form.classList.add('is-busy');
    planSlot.setAttribute('aria-busy', 'true');
    planSlot.classList.add('is-stale');
    try {
      const result = await api.handlePlan(did, handle);
      if (ctx.signal.aborted) return;
      if (fullHandle() !== handle) return; // typed on while checking: the answer is out of date
      plan = result;
      renderPlan(result);
    } catch (err) {
      if (ctx.signal.aborted) return;
      planSlot.replaceChildren();
      errorSlot.replaceChildren(errorBox(err));
      if (/handle|invalid|bad_input|taken|unavailable/.test(err.code || '')) {
        input.setAttribute('aria-invalid', 'true');
        input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
      }
    } finally {
      if (!ctx.signal.aborted) {
        setBusy(check, false);
        form.classList.remove('is-busy');
        planSlot.removeAttribute('aria-busy');
        planSlot.classList.remove('is-stale');
        updateSubmit();
      }
    }
  }

  const isCurrent = (handle) => !!handle && handle.toLowerCase() === (currentHandle() || '').toLowerCase();

  function updateSubmit() {
    const ready = !!plan?.ready && !isCurrent(plan.handle);
    submit.disabled = !ready;
    const note = actions.querySelector('.handle-actions-note');
    note.textContent = ready ? `Changes your handle to ${plan.handle}.`
      : plan && isCurrent(plan.handle) ? 'That is already your handle.'
        : plan ? 'Publish the record, then check again.' : 'Check the new handle first.';
  }

  function renderPlan(p) {
    const handle = p.handle;
    const custom = !p.serviceDomain;
    const c = p.current || {};
    const asked = (a) => a && a.outcome !== 'skipped';
    const answerRow = (label, answer, testid, title) => h('div', {
      class: 'row', 'data-testid': testid, 'data-outcome': answer.outcome, title: title || null,
    }, h('dt', {}, label), h('dd', {}, answerMark(answer, p.did || did)));

    const copyRow = (label, value, copyLabel, testid) => h('div', { class: 'row record-row', 'data-testid': testid },
      h('dt', {}, label),
      h('dd', { class: 'record-value' }, h('span', { class: 'mono selectable' }, value),
        value ? copyButton(() => value, { label: copyLabel }) : null));

    const dnsName = p.dns?.name || `_atproto.${handle}`;
    const dnsValue = p.dns?.value || `did=${p.did || did}`;
    const httpsUrl = p.https?.url || `https://${handle}/.well-known/atproto-did`;
    const httpsBody = p.https?.body || p.did || did;

    const publish = custom ? h('div', { class: 'publish' },
      h('h3', { class: 'sub-title' }, 'Prove you own ', h('span', { class: 'mono' }, handle)),
      h('p', { class: 'field-help' }, 'Publish one of these. Either is enough.'),
      h('div', { class: 'method-block', 'data-testid': 'handle-dns-record' },
        h('p', { class: 'method-block-title' }, icon('globe'), 'DNS record', h('span', { class: 'tag tag--accent' }, 'Recommended')),
        h('dl', { class: 'rows' },
          copyRow('Name', dnsName, 'Copy record name', 'handle-dns-name'),
          h('div', { class: 'row' }, h('dt', {}, 'Type'), h('dd', { class: 'mono' }, p.dns?.recordType || 'TXT')),
          copyRow('Value', dnsValue, 'Copy record value', 'handle-dns-value')),
        h('p', { class: 'field-help method-block-note' }, 'Add it at the company that runs DNS for your domain. Changes can take a few minutes to show up.')),
      h('div', { class: 'method-block', 'data-testid': 'handle-https-file' },
        h('p', { class: 'method-block-title' }, icon('link'), 'Or a file on your website'),
        h('dl', { class: 'rows' },
          copyRow('Address', httpsUrl, 'Copy file address', 'handle-https-url'),
          copyRow('Contents', httpsBody, 'Copy file contents', 'handle-https-body')),
        h('p', { class: 'field-help method-block-note' }, 'Serve exactly this text, and nothing else, over HTTPS.')))
      : h('p', { class: 'plan-service' }, icon('info'),
        h('span', {}, h('span', { class: 'mono strong' }, handle), ' is on your server’s domain ',
          h('span', { class: 'mono' }, p.serviceDomain), ', so there is nothing to publish.'));

    const rows = [
      asked(c.dns) ? answerRow('DNS TXT record', c.dns, 'handle-check-dns', dnsName) : null,
      asked(c.https) ? answerRow('HTTPS file', c.https, 'handle-check-https', httpsUrl) : null,
      asked(c.service) ? answerRow('Resolver service', c.service, 'handle-check-service', null) : null,
    ].filter(Boolean);

    let verdict;
    const same = isCurrent(handle);
    if (same) {
      verdict = callout('info', 'That is already your handle', null, { 'data-testid': 'handle-ready', 'data-ready': 'false' });
    } else if (p.ready) {
      verdict = h('div', { class: 'callout callout--success', 'data-testid': 'handle-ready', 'data-ready': 'true' },
        icon('check', 'callout-icon'),
        h('div', { class: 'callout-body' },
          h('p', { class: 'callout-title' }, 'Ready'),
          h('p', { class: 'callout-text' }, custom
            ? `${handle} already points to this account. You can change your handle now.`
            : 'You can change your handle now. Your server checks the name is free when you do.')));
    } else {
      const again = button('Check again', { iconName: 'refresh', 'data-testid': 'handle-recheck', onclick: () => runCheck() });
      verdict = h('div', { class: 'callout callout--warning', 'data-testid': 'handle-ready', 'data-ready': 'false' },
        icon('alert', 'callout-icon'),
        h('div', { class: 'callout-body' },
          h('p', { class: 'callout-title' }, 'Not ready yet'),
          h('p', { class: 'callout-text' }, custom
            ? `${handle} does not point to this account yet. Publish the DNS record or the file, then check again.`
            : 'Your server cannot give this handle right now.'),
          h('div', { class: 'callout-actions' }, again)));
    }

    planSlot.replaceChildren(h('div', { class: 'plan', 'data-testid': 'handle-plan', 'data-handle': handle },
      publish,
      rows.length ? h('div', { class: 'plan-answers' },
        h('h3', { class: 'sub-title' }, 'What it answers now'),
        h('dl', { class: 'rows' }, rows)) : null,
      verdict));
  }

  submit.addEventListener('click', async () => {
    if (!plan?.ready) return;
    const handle = plan.handle;
    submitError.replaceChildren();
    setBusy(submit, true, 'Changing…');
    els?.form.classList.add('is-busy');
    els?.check && (els.check.disabled = true);
    try {
      const result = await api.handleUpdate(did, handle);
      if (ctx.signal.aborted) return;
      plan = null;
      planSlot.replaceChildren();
      if (els) els.input.value = '';
      const now = result?.handle || handle;
      current.textContent = now;
      const title = h('p', { class: 'callout-title', tabindex: '-1' }, `Your handle is now ${now}, verified both ways`);
      doneSlot.replaceChildren(h('div', { class: 'callout callout--success', role: 'status', 'data-testid': 'handle-done', 'data-handle': now },
        icon('check', 'callout-icon'),
        h('div', { class: 'callout-body' }, title,
          h('p', { class: 'callout-text' },
            `${now} points to `, h('span', { class: 'mono' }, result?.resolvesTo || did),
            result?.docHandle ? `, and your DID document lists ${result.docHandle}.` : '.'))));
      title.focus();
      acct.setHandle(now);
      ctx.actions.reloadAccounts().catch(() => {});
      acct.reloadOverview();
    } catch (err) {
      if (ctx.signal.aborted) return;
      const action = err.code === 'oauth_scope_missing'
        ? button('Sign in again', { variant: 'primary', iconName: 'key', onclick: () => acct.signInAgain() })
        : null;
      submitError.replaceChildren(errorBox(err, { action }));
      submit.focus();
    } finally {
      if (!ctx.signal.aborted) {
        setBusy(submit, false);
        els?.form.classList.remove('is-busy');
        if (els?.check) els.check.disabled = false;
        updateSubmit();
        els?.sync();
      }
    }
  });

  loadDomains();

  return {
    accountsChanged() {
      const now = currentHandle();
      if (now) current.textContent = now;
    },
    overviewChanged() {
      const now = currentHandle();
      if (now) current.textContent = now;
    },
  };
}
