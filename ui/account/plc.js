// Account section "Identity" (its own tab): the did:plc document with who holds each rotation key,
// the identity watch's finding (a banner with "This was me" and Undo), adding a recovery key of the
// person's own above the PDS's, and the checked history as a timeline. Everything is decided by the
// core (plc_identity); this renders it.
import * as api from '../api.js';
import { pickButton } from '../widgets/pick.js';
import { h, button, setBusy, errorBox, callout, copyButton, tonePill, fullTime, relativeTime, mono, muted, row, skeleton } from '../widgets/dom.js';
import { panelCard, codeInput, field } from '../widgets/forms.js';

const HOLDER = {
  mine: ['success', 'Your key (this computer)'],
  pds: ['neutral', 'Your PDS'],
  unknown: ['warning', 'Someone else'],
};

const SIGNER_WORDS = { mine: 'your key', pds: 'your PDS', unknown: 'a key Stratos does not know' };

/** "in 2 days, 3 hours" until `iso`. */
function timeLeft(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  if (!(ms > 0)) return 'no time';
  const hours = Math.floor(ms / 3600000);
  const days = Math.floor(hours / 24);
  if (days) return `${days} day${days === 1 ? '' : 's'}, ${hours % 24} hour${hours % 24 === 1 ? '' : 's'}`;
  const minutes = Math.floor(ms / 60000) % 60;
  return hours ? `${hours} hour${hours === 1 ? '' : 's'}, ${minutes} min` : `${minutes} min`;
}

const changeList = (changes, testid) => h('ul', { class: 'plc-changes', 'data-testid': testid },
  ...(changes || []).map((c) => h('li', { class: 'plc-change', title: c.description }, c.plain || c.description)));

export function mount(parent, ctx, acct) {
  const { did } = acct;
  const bannerSlot = h('div', { class: 'banner-slot', 'data-testid': 'identity-banner-slot' });
  const errorSlot = h('div', { class: 'error-slot' });
  const docSlot = h('div', { 'aria-busy': 'true' }, skeleton('skeleton--title'), skeleton('skeleton--value'));
  const recoverySlot = h('div', { class: 'recovery-slot' });
  const historySlot = h('div', { 'aria-busy': 'true' }, skeleton('skeleton--value'));
  const checked = h('p', { class: 'muted identity-checked', 'data-testid': 'identity-checked' });

  if (!did.startsWith('did:plc:')) {
    parent.append(panelCard({
      iconName: 'shield', title: 'Identity', testid: 'identity-section',
      text: 'This account’s identity is a did:web: its domain’s owner controls it, and there is no PLC history to watch.',
    }));
    return {};
  }

  parent.append(
    bannerSlot,
    errorSlot,
    panelCard({
      iconName: 'shield', title: 'Identity', testid: 'identity-section',
      text: 'Who may change your identity (handle, server, keys), as the PLC directory says, checked on this computer.',
      children: [docSlot, recoverySlot, checked],
    }),
    panelCard({
      iconName: 'clock', title: 'History', testid: 'identity-history',
      text: 'Every change to your identity, newest first, with who signed it. Stratos verifies each signature itself.',
      children: [historySlot],
    }),
  );

  let view = null;
  let loading = null;

  async function load() {
    errorSlot.replaceChildren();
    try {
      const result = await api.plcIdentity(did);
      if (ctx.signal.aborted) return;
      view = result;
      render();
    } catch (err) {
      if (ctx.signal.aborted) return;
      errorSlot.replaceChildren(errorBox(err, { testid: 'identity-error', action: button('Try again', { iconName: 'refresh', onclick: refresh }) }));
      docSlot.replaceChildren();
      historySlot.replaceChildren();
    } finally {
      docSlot.removeAttribute('aria-busy');
      historySlot.removeAttribute('aria-busy');
    }
  }

  function refresh() {
    loading = loading || load().finally(() => { loading = null; });
    return loading;
  }

  function render() {
    renderBanner();
    docSlot.replaceChildren(h('dl', { class: 'rows' },
      row('Handle', view.handle ? mono(view.handle) : muted('None')),
      row('Server (PDS)', view.pds ? mono(view.pds) : muted('None')),
      row('Signing key', view.signingKey ? h('span', { class: 'key-line' }, mono(view.signingKey), copyButton(() => view.signingKey, { label: 'Copy signing key' })) : muted('None')),
      row('Rotation keys', h('ol', { class: 'rotation-keys', 'data-testid': 'rotation-keys' },
        ...view.rotationKeys.map((k) => {
          const [tone, words] = HOLDER[k.holder] || HOLDER.unknown;
          return h('li', { class: 'rotation-key', 'data-holder': k.holder },
            mono(k.key), tonePill(tone, words));
        }))),
    ));
    renderRecovery();
    checked.textContent = `Checked ${relativeTime(view.checkedAt) || 'just now'}. The background check repeats this while Stratos runs.`;
    const entries = [...(view.history?.entries || [])].reverse();
    historySlot.replaceChildren(...[
      view.history?.problem ? callout('danger', 'This history does not verify', view.history.problem.message || String(view.history.problem), { 'data-testid': 'history-problem' }) : null,
      h('ol', { class: 'timeline', 'data-testid': 'history-list' }, ...entries.map((e) => h('li', {
        class: `timeline-item${e.nullified ? ' is-nullified' : ''}`, 'data-testid': 'history-entry', 'data-cid': e.cid, 'data-nullified': String(e.nullified),
      },
      h('p', { class: 'timeline-head' },
        h('time', { datetime: e.createdAt, title: e.createdAt }, fullTime(e.createdAt)),
        ' · signed by ', SIGNER_WORDS[e.signer?.kind] || SIGNER_WORDS.unknown,
        e.nullified ? tonePill('neutral', 'Undone') : null,
        e.tombstone ? tonePill('danger', 'Identity ended') : null),
      changeList(e.changes, 'history-changes')))),
    ].filter(Boolean));
  }

  function renderBanner() {
    const c = view.check;
    if (c?.problem) {
      bannerSlot.replaceChildren(callout('danger', 'Your identity’s history does not verify',
        `${c.problem.message || c.problem} The PLC directory may be serving a forged history: do not act on what it says until this is explained.`,
        { 'data-testid': 'identity-unverified' }));
      return;
    }
    if (!c?.unexpected?.length) {
      bannerSlot.replaceChildren();
      return;
    }
    const undo = c.undo;
    const errSlot = h('div');
    const ack = button('This was me', { 'data-testid': 'identity-ack' });
    const undoBtn = undo?.possible
      ? button(`Undo (${timeLeft(undo.deadline)} left)`, { variant: 'danger', 'data-testid': 'identity-undo' })
      : null;
    ack.addEventListener('click', () => act(ack, 'Saving…', () => api.plcAcknowledge(did, c.unexpected.map((u) => u.cid))));
    undoBtn?.addEventListener('click', () => act(undoBtn, 'Undoing…', () => api.plcUndo(did)));
    async function act(btn, label, call) {
      errSlot.replaceChildren();
      setBusy(btn, true, label);
      try {
        await call();
        if (ctx.signal.aborted) return;
        await load();
      } catch (err) {
        if (ctx.signal.aborted) return;
        setBusy(btn, false);
        errSlot.replaceChildren(errorBox(err, { testid: 'identity-action-error' }));
      }
    }
    const signer = c.unexpected[0].signer?.kind;
    const why = undo?.possible
      ? `If you did not make it, undo it: your own key outranks the one that signed it. The directory allows this until ${fullTime(undo.deadline)}.`
      : `${undo?.reason || 'It cannot be undone from this computer.'} If you did not make this change, contact your PDS’s operator, and add a recovery key so that next time you can undo it yourself.`;
    bannerSlot.replaceChildren(h('div', { class: 'callout callout--danger identity-banner', role: 'alert', 'data-testid': 'identity-banner' },
      h('div', { class: 'callout-body' },
        h('p', { class: 'callout-title' }, 'Your identity changed, and Stratos did not make the change'),
        h('p', { class: 'callout-text' }, `Signed by ${SIGNER_WORDS[signer] || SIGNER_WORDS.unknown}, ${relativeTime(c.unexpected[0].createdAt) || ''}:`),
        ...c.unexpected.map((u) => changeList(u.changes, 'identity-banner-changes')),
        h('p', { class: 'callout-text' }, why),
        errSlot,
        h('div', { class: 'callout-actions' }, ack, undoBtn))));
  }

  /* The recovery key: say whether one is in place; else offer the flow. */
  function renderRecovery() {
    if (view.holdsKeyAbovePds) {
      recoverySlot.replaceChildren(callout('success', 'You hold a recovery key',
        'A key in this computer’s keychain stands above your PDS’s: you can undo a change you did not make, and move the account if its server disappears. Keep its saved copy somewhere safe.',
        { iconName: 'check', 'data-testid': 'recovery-key-held' }));
      return;
    }
    const start = button('Add a recovery key', { variant: 'primary', iconName: 'key', 'data-testid': 'recovery-key-start' });
    start.addEventListener('click', () => recoveryFlow());
    recoverySlot.replaceChildren(callout('warning', 'Only your PDS can change your identity',
      'Add a recovery key of your own above your PDS’s key. With it you can undo a change you did not make within 72 hours, and move your account even if your server disappears.',
      { action: start, 'data-testid': 'recovery-key-missing' }));
  }

  async function recoveryFlow() {
    const errSlot = h('div');
    const body = h('div', { class: 'recovery-flow', 'data-testid': 'recovery-flow' }, errSlot);
    recoverySlot.replaceChildren(body);
    let key;
    try {
      key = await api.plcRecoveryKeyCreate();
    } catch (err) {
      errSlot.replaceChildren(errorBox(err));
      return;
    }
    if (ctx.signal.aborted) return;
    // 1. Save a copy: the key's private half goes from the keychain to files, never to this window:
    //    the key file, and the 24 words to print or copy by hand.
    const name = acct.account()?.handle || 'account';
    const path = h('input', { name: 'path', type: 'text', class: 'input', value: `~/stratos-recovery-key-${name}.txt`, 'aria-label': 'Key file', 'data-testid': 'recovery-key-path' });
    const save = button('Save the key file', { iconName: 'download', 'data-testid': 'recovery-key-save' });
    const wordsPath = h('input', { name: 'wordsPath', type: 'text', class: 'input', value: `~/stratos-recovery-words-${name}.txt`, 'aria-label': 'Words file', 'data-testid': 'recovery-words-path' });
    const saveWords = button('Save the 24 words', { iconName: 'download', 'data-testid': 'recovery-words-save' });
    const saved = h('p', { class: 'muted', 'data-testid': 'recovery-key-saved', 'aria-live': 'polite' });
    const savedLines = [];
    const saveTo = (btn, input, call) => btn.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(btn, true, 'Saving…');
      try {
        const out = await call(key.didKey, input.value);
        savedLines.push(`Saved to ${out.path}.`);
        saved.textContent = `${savedLines.join(' ')} Keep the copies offline (a USB stick, or the words on paper), never with your password.`;
        kept.disabled = false;
      } catch (err) {
        errSlot.replaceChildren(errorBox(err));
      } finally {
        setBusy(btn, false);
      }
    });
    const kept = h('input', { type: 'checkbox', name: 'kept', disabled: true, 'data-testid': 'recovery-key-kept' });
    const send = button('Email me the code', { variant: 'primary', 'data-testid': 'recovery-key-send', disabled: true });
    const code = codeInput('code', { 'data-testid': 'recovery-key-code', disabled: true });
    const add = button('Add the recovery key', { variant: 'primary', iconName: 'key', 'data-testid': 'recovery-key-add', disabled: true });
    kept.addEventListener('change', () => { send.disabled = !kept.checked; });
    saveTo(save, path, api.keyExport);
    saveTo(saveWords, wordsPath, api.keyExportWords);
    send.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(send, true, 'Sending…');
      try {
        await api.plcRecoveryKeyRequest(did);
        code.disabled = false;
        add.disabled = false;
        code.focus();
      } catch (err) {
        errSlot.replaceChildren(errorBox(err));
      } finally {
        setBusy(send, false);
      }
    });
    add.addEventListener('click', async () => {
      errSlot.replaceChildren();
      setBusy(add, true, 'Adding…');
      try {
        await api.plcRecoveryKeyAdd(did, key.didKey, code.value);
        if (ctx.signal.aborted) return;
        await load();
      } catch (err) {
        setBusy(add, false);
        errSlot.replaceChildren(errorBox(err, { testid: 'recovery-key-error' }));
      }
    });
    body.prepend(
      h('p', {}, 'A new key was made in your keychain: ', mono(key.didKey)),
      h('p', { class: 'step-text' }, '1. Save a copy you keep offline: the key file, the 24 words (they type back into `stratos key import --words`), or both. Without a copy, a lost computer means a lost key.'),
      h('div', { class: 'inline-form' }, path,
        pickButton(path, { kind: 'saveFile', title: 'Save the recovery key file', label: 'Save as…', suggestedName: () => path.value.split('/').pop(), testid: 'recovery-key-pick', onError: (err) => errSlot.replaceChildren(errorBox(err)) }),
        save),
      h('div', { class: 'inline-form' }, wordsPath,
        pickButton(wordsPath, { kind: 'saveFile', title: 'Save the 24 recovery words', label: 'Save as…', suggestedName: () => wordsPath.value.split('/').pop(), testid: 'recovery-words-pick', onError: (err) => errSlot.replaceChildren(errorBox(err)) }),
        saveWords), saved,
      h('label', { class: 'check-line' }, kept, ' I have kept the copy somewhere safe'),
      h('p', { class: 'step-text' }, '2. Your PDS signs the change: it emails you a code.'),
      h('div', { class: 'inline-form' }, send),
      field({ label: 'Emailed code', input: code }),
      h('div', { class: 'form-actions' }, add));
  }

  refresh();
  return {
    refresh,
    accountsChanged() {
      // A background check found something new: read it again so the banner follows.
      const watch = acct.account()?.identity;
      if (view && watch && (watch.unexpected || []).join() !== (view.check?.unexpected || []).map((u) => u.cid).join()) refresh();
    },
  };
}
