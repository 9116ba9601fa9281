// Account section "Deactivate or reactivate" (Danger zone tab): hide the account from the network
// for a while without losing anything, and bring it back.
import * as api from '../api.js';
import { h, icon, button, setBusy, errorBox, callout, tonePill, nextId, skeleton, fullTime, hostOf } from '../widgets/dom.js';
import { panelCard } from '../widgets/forms.js';
import { withStepUp, CANCELLED } from '../widgets/step_up.js';

const DEACTIVATE_TEXT = 'Your account disappears from the network until you reactivate it. Nothing is deleted; you can reactivate at any time.';
const REACTIVATE_TEXT = 'Makes your account visible again.';
const SERVER_HOLD = { takendown: 'taken down', suspended: 'suspended' };

export function mount(parent, ctx, acct) {
  const { did } = acct;
  let override = null; // {active, status, deleteAfter} from the last (de)activation

  const activationBody = h('div', { class: 'activation-body' });
  const host = () => hostOf(acct.overview()?.pds?.url || acct.account()?.pdsUrl) || 'your server';

  parent.append(panelCard({
    iconName: 'eyeOff',
    title: 'Deactivate or reactivate',
    text: 'Hide your account from the network for a while, without losing anything.',
    tone: 'warning',
    testid: 'activation-card',
    children: [activationBody],
  }));

  /** {active: bool|null, status} from the last action, else the overview, else the sidebar summary. */
  function state() {
    if (override) return override;
    const repo = acct.overview()?.repo;
    if (repo && typeof repo.active === 'boolean') return { active: repo.active, status: repo.status || null };
    const health = acct.account()?.health;
    if (health === 'deactivated') return { active: false, status: 'deactivated' };
    if (health === 'active') return { active: true, status: null };
    if (health === 'takendown' || health === 'suspended') return { active: false, status: health };
    return null;
  }

  function renderActivation({ message = null, focus = false } = {}) {
    const s = state();
    if (!s) {
      if (!acct.overviewSettled()) {
        activationBody.replaceChildren(h('div', { class: 'rows', 'aria-hidden': 'true' },
          h('div', { class: 'row' }, skeleton('skeleton--label'), skeleton('skeleton--value'))));
        return;
      }
    }
    const active = s ? s.active : null;
    const held = s && SERVER_HOLD[s.status];
    const stateText = active === true ? 'Active' : held ? `${held[0].toUpperCase()}${held.slice(1)} by ${host()}` : active === false ? 'Deactivated' : 'Unknown';
    const stateEl = h('span', {
      'data-testid': 'activation-state', 'data-active': active === null ? 'unknown' : String(active), 'data-status': s?.status || '', tabindex: '-1',
    }, tonePill(active === true ? 'success' : held ? 'danger' : active === false ? 'warning' : 'neutral', stateText));

    const errSlot = h('div', { class: 'error-slot' });
    const stepSlot = h('div', { class: 'step-slot' });
    const confirmSlot = h('div', { class: 'confirm-slot' });
    const deactivate = button('Deactivate account', { variant: 'danger-ghost', iconName: 'eyeOff', 'data-testid': 'deactivate' });
    const activate = button('Reactivate account', { variant: 'primary', iconName: 'eye', 'data-testid': 'activate' });

    const explain = active === false && !held ? REACTIVATE_TEXT : DEACTIVATE_TEXT;
    const deleteAfter = override?.deleteAfter && active === false ? fullTime(override.deleteAfter) : '';

    activationBody.replaceChildren(...[
      h('dl', { class: 'rows' }, h('div', { class: 'row' }, h('dt', {}, 'Current state'), h('dd', {}, stateEl))),
      message ? h('div', { class: 'panel-pad' }, message) : null,
      held
        ? h('div', { class: 'panel-pad' }, callout('danger', `Your account is ${held} by ${host()}`,
          'Only the server’s operators can change this. Contact them if you think it is a mistake.'))
        : h('div', { class: 'panel-pad' },
          h('p', { class: 'panel-text' }, explain),
          deleteAfter ? h('p', { class: 'panel-text tone-text-warning' }, `Your server may delete it after ${deleteAfter} unless you reactivate it.`) : null,
          confirmSlot,
          stepSlot,
          errSlot,
          h('div', { class: 'btn-row panel-actions' },
            active !== true ? activate : null,
            active !== false ? deactivate : null)),
    ].filter(Boolean));

    deactivate.addEventListener('click', () => openDeactivate(deactivate, confirmSlot, stepSlot, errSlot));
    activate.addEventListener('click', () => run(activate, 'activate', stepSlot, errSlot));
    if (focus) stateEl.focus();
  }

  function openDeactivate(trigger, confirmSlot, stepSlot, errSlot) {
    const name = acct.account()?.handle || did;
    const close = () => {
      confirmSlot.replaceChildren();
      trigger.hidden = false;
      trigger.focus();
    };
    const cancel = button('Cancel', { 'data-testid': 'deactivate-cancel', onclick: close });
    const confirm = button('Deactivate', { variant: 'danger', iconName: 'eyeOff', 'data-testid': 'deactivate-confirm' });
    confirm.addEventListener('click', () => run(confirm, 'deactivate', stepSlot, errSlot, cancel));
    const titleId = nextId('confirm');
    confirmSlot.replaceChildren(h('div', {
      class: 'confirm', role: 'alertdialog', 'aria-labelledby': titleId, 'aria-describedby': `${titleId}-text`, 'data-testid': 'deactivate-confirmation',
      onkeydown: (e) => { if (e.key === 'Escape' && !cancel.disabled && !stepSlot.contains(e.target)) close(); },
    },
    icon('eyeOff', 'confirm-icon'),
    h('div', { class: 'confirm-body' },
      h('p', { class: 'confirm-title', id: titleId }, `Deactivate ${name}?`),
      h('p', { class: 'confirm-text', id: `${titleId}-text` }, DEACTIVATE_TEXT)),
    h('div', { class: 'confirm-actions' }, cancel, confirm)));
    trigger.hidden = true;
    cancel.focus();
  }

  async function run(btn, which, stepSlot, errSlot, cancel = null) {
    errSlot.replaceChildren();
    setBusy(btn, true, which === 'activate' ? 'Reactivating…' : 'Deactivating…');
    if (cancel) cancel.disabled = true;
    try {
      const call = which === 'activate' ? api.accountActivate : api.accountDeactivate;
      const result = await withStepUp(stepSlot, (creds) => call(did, creds), { trigger: btn, signal: ctx.signal });
      if (ctx.signal.aborted) return;
      const active = typeof result?.active === 'boolean' ? result.active : which === 'activate';
      override = { active, status: result?.status || (active ? null : 'deactivated'), deleteAfter: result?.deleteAfter || null };
      const message = callout('success', active ? 'Your account is active again' : 'Your account is deactivated',
        active ? 'It is visible on the network again.' : 'It no longer shows up on the network. Reactivate it here whenever you like.',
        { iconName: 'check', role: 'status', 'data-testid': 'activation-done' });
      renderActivation({ message, focus: true });
      ctx.actions.reloadAccounts().catch(() => {});
      acct.reloadOverview();
    } catch (err) {
      if (ctx.signal.aborted) return;
      setBusy(btn, false);
      if (cancel) cancel.disabled = false;
      if (err.code === CANCELLED) btn.focus();
      else {
        errSlot.replaceChildren(errorBox(err));
        btn.focus();
      }
    }
  }

  renderActivation();

  return {
    overviewChanged() {
      if (!override && !activationBody.querySelector('.confirm, .step-up')) renderActivation();
    },
    accountsChanged() {
      if (!override && !acct.overview() && !activationBody.querySelector('.confirm, .step-up')) renderActivation();
    },
  };
}
