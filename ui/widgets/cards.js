// Rendering of an account's Overview: the header (avatar, handle, DID, health), the cards
// (identity, PDS, repository, session), their loading skeleton, and a notice box carried over from
// another screen. Used by the account screen, the status look-up and the welcome screen.
import {
  h, icon, avatar, pill, tonePill, hostOf, relativeTime, fullTime, button, callout, copyButton, skeleton, nextId, mono, muted, row,
} from './dom.js';
import { scopeList } from './scopes.js';

const REPO_STATUS = {
  active: 'Active',
  deactivated: 'Deactivated',
  takendown: 'Taken down',
  suspended: 'Suspended',
  deleted: 'Deleted',
  desynchronized: 'Desynchronized',
  throttled: 'Throttled',
};

function statusText(status) {
  if (!status) return null;
  return REPO_STATUS[status] || status.charAt(0).toUpperCase() + status.slice(1);
}

const sameHandle = (a, b) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** ✓ / ✗ / – followed by text. */
function mark(kind, text, extra = null) {
  const iconName = { ok: 'check', bad: 'x', warn: 'alert', none: 'minus' }[kind];
  return h('span', { class: `mark mark--${kind}` }, icon(iconName, 'mark-icon'), h('span', {}, text), extra);
}

function card({ title, iconName, badge = null, testid, children }) {
  const id = nextId('card');
  return h('section', { class: 'card', 'aria-labelledby': id, 'data-testid': testid },
    h('header', { class: 'card-header' },
      h('span', { class: 'card-icon' }, icon(iconName)),
      h('h2', { id, class: 'card-title' }, title),
      badge),
    ...children);
}

// One handle-resolution method's answer: {outcome: "found", did} | {outcome: "notFound", reason} | {outcome: "skipped"}.
function resolvesTo(answer, did) {
  if (!answer || answer.outcome === 'notFound') return mark('none', answer?.reason || 'No record');
  if (answer.did === did) return mark('ok', 'Points to this DID');
  return mark('bad', 'Points to ', mono(answer.did));
}

const asked = (answer) => answer && answer.outcome !== 'skipped';

function identityCard(ov) {
  const c = ov.handleCheck || {};
  const docOk = sameHandle(c.docHandle, ov.handle);
  let docValue;
  if (!c.docHandle) docValue = mark('bad', 'No handle listed');
  else if (docOk) docValue = mark('ok', 'Lists this handle');
  else docValue = mark('bad', 'Lists ', mono(c.docHandle));

  return card({
    title: 'Identity',
    iconName: 'at',
    testid: 'card-identity',
    badge: c.verified
      ? tonePill('success', 'Verified', { 'data-testid': 'handle-verified', 'data-verified': 'true' })
      : tonePill('danger', 'Not verified', { 'data-testid': 'handle-verified', 'data-verified': 'false' }),
    children: [
      h('dl', { class: 'rows' },
        row('Handle', ov.handle ? mono(ov.handle) : muted('No handle')),
        row('DID', mono(ov.did))),
      h('h3', { class: 'rows-heading' }, 'Handle → DID'),
      h('dl', { class: 'rows' },
        asked(c.dns) ? row('DNS TXT record', resolvesTo(c.dns, ov.did), { title: ov.handle ? `_atproto.${ov.handle}` : null }) : null,
        asked(c.https) ? row('HTTPS well-known', resolvesTo(c.https, ov.did), { title: ov.handle ? `https://${ov.handle}/.well-known/atproto-did` : null }) : null,
        asked(c.service) ? row('Resolver service', resolvesTo(c.service, ov.did), { 'data-testid': 'handle-resolver-row' }) : null),
      h('h3', { class: 'rows-heading' }, 'DID → handle'),
      h('dl', { class: 'rows' }, row('DID document', docValue)),
      c.problem ? callout('warning', null, c.problem, { 'data-testid': 'handle-problem' }) : null,
    ],
  });
}

function pdsCard(ov) {
  const p = ov.pds || {};
  const domains = p.availableUserDomains || [];
  return card({
    title: 'PDS',
    iconName: 'server',
    testid: 'card-pds',
    badge: !p.url ? tonePill('neutral', 'Unknown')
      : p.reachable ? tonePill('success', 'Online', { 'data-testid': 'pds-reachable', 'data-reachable': 'true' })
        : tonePill('danger', 'Unreachable', { 'data-testid': 'pds-reachable', 'data-reachable': 'false' }),
    children: [
      h('dl', { class: 'rows' },
        row('Address', p.url ? mono(p.url) : muted('Not found in DID document')),
        row('Reachable', !p.url ? muted('—') : p.reachable ? mark('ok', 'Yes') : mark('bad', 'No')),
        row('Version', p.version ? mono(p.version) : muted('Not reported')),
        row('Server DID', p.serverDid ? mono(p.serverDid) : muted('Not reported')),
        row('User domains', domains.length
          ? h('span', { class: 'chips' }, domains.map((d) => h('span', { class: 'chip mono' }, d)))
          : muted('None')),
        row('Invite code', p.inviteCodeRequired === true ? 'Required to sign up'
          : p.inviteCodeRequired === false ? 'Not required' : muted('Unknown')),
        row('Contact', p.contactEmail ? h('span', { class: 'selectable' }, p.contactEmail) : muted('Not listed')),
        row('Privacy policy', p.privacyPolicy ? h('span', { class: 'selectable url' }, p.privacyPolicy) : muted('Not listed')),
        row('Terms of service', p.termsOfService ? h('span', { class: 'selectable url' }, p.termsOfService) : muted('Not listed'))),
      p.error ? callout('danger', 'Could not reach the PDS', p.error, { 'data-testid': 'pds-error' }) : null,
    ],
  });
}

function repoCard(ov) {
  const r = ov.repo || {};
  const raw = r.status || (r.active === true ? 'active' : r.active === false ? 'inactive' : 'unknown');
  const text = r.status ? statusText(r.status) : r.active === true ? 'Active' : r.active === false ? 'Inactive' : 'Unknown';
  const tone = raw === 'active' ? 'success' : ['takendown', 'suspended', 'deleted'].includes(raw) ? 'danger'
    : raw === 'unknown' ? 'neutral' : 'warning';
  return card({
    title: 'Repository',
    iconName: 'database',
    testid: 'card-repo',
    badge: tonePill(tone, text),
    children: [
      h('dl', { class: 'rows' },
        row('Status', h('span', { class: `tone-text-${tone} strong`, 'data-testid': 'overview-repo-status', 'data-status': raw }, text)),
        row('Active', r.active === true ? mark('ok', 'Yes') : r.active === false ? mark('bad', 'No') : muted('Unknown')),
        row('Revision', r.rev ? mono(r.rev) : muted('—')),
        typeof r.records === 'number' ? row('Records', h('span', { 'data-testid': 'overview-records' }, r.records.toLocaleString())) : null,
        typeof r.blobs === 'number' ? row('Blobs (media)', r.blobs.toLocaleString()) : null,
        typeof r.blocks === 'number' ? row('Size', `${r.blocks.toLocaleString()} blocks`) : null),
      r.error ? callout('danger', 'Could not check the repository', r.error, { 'data-testid': 'repo-error' }) : null,
    ],
  });
}

function sessionEnds(iso) {
  const rel = relativeTime(iso);
  const full = fullTime(iso);
  if (!full) return muted('Unknown');
  const soon = new Date(iso).getTime() - Date.now() < 2 * 86400 * 1000;
  return h('span', { class: soon ? 'tone-text-warning' : null, 'data-testid': 'session-ends', 'data-ends': iso, title: rel || null },
    full, rel ? h('span', { class: 'muted' }, ` (${rel})`) : null);
}

function sessionCard(ov, { onSignInAgain, account = null }) {
  const s = ov.session;
  if (!s) {
    return card({
      title: 'Session',
      iconName: 'key',
      testid: 'card-session',
      badge: tonePill('warning', 'Not signed in'),
      children: [
        h('p', { class: 'card-text' }, 'Stratos has no working session for this account, so private details like your email are not shown.'),
        onSignInAgain ? h('div', { class: 'card-actions' }, button('Sign in again', { variant: 'primary', iconName: 'key', onclick: onSignInAgain })) : null,
      ],
    });
  }
  const oauthKind = s.authKind === 'oauth' || (!s.authKind && account?.authKind === 'oauth');
  const grant = oauthKind ? account?.oauth || null : null;
  // Browser sign-in only shares the email when Stratos asked for it.
  const emailHidden = oauthKind && !s.email;
  return card({
    title: 'Session',
    iconName: 'key',
    testid: 'card-session',
    badge: s.active ? tonePill('success', 'Signed in') : tonePill('warning', statusText(s.status) || 'Inactive'),
    children: [
      h('dl', { class: 'rows' },
        row('Email', s.email ? h('span', { class: 'selectable' }, s.email)
          : emailHidden ? muted('Not shared with Stratos') : muted('Not available')),
        emailHidden ? null : row('Email confirmed', s.emailConfirmed ? mark('ok', 'Confirmed') : mark('warn', 'Not confirmed')),
        emailHidden ? null : row('Email sign-in codes', s.emailAuthFactor ? mark('ok', 'On') : mark('none', 'Off')),
        row('Signed in with', oauthKind ? 'your browser (OAuth)' : 'Password', { 'data-testid': 'session-auth-kind', 'data-auth-kind': oauthKind ? 'oauth' : 'password' }),
        grant?.issuer ? row('Approved on', mono(hostOf(grant.issuer) || grant.issuer), { title: grant.issuer }) : null,
        grant?.signedInAt ? row('Signed in', h('span', { title: fullTime(grant.signedInAt) }, relativeTime(grant.signedInAt) || fullTime(grant.signedInAt))) : null,
        grant ? row('Session ends by', sessionEnds(grant.sessionEndsBy)) : null,
        row('Account state', s.active ? mark('ok', 'Active') : mark('warn', statusText(s.status) || 'Inactive'))),
      grant ? h('h3', { class: 'rows-heading' }, 'What Stratos may do') : null,
      grant ? h('div', { class: 'granted' }, scopeList(grant.scopeWords)) : null,
      grant ? h('p', { class: 'card-note' }, icon('clock'),
        h('span', {}, 'Browser sign-ins last at most two weeks. Stratos will ask you to sign in again after that.')) : null,
    ],
  });
}

/** The grid of cards for an Overview. `session: false` omits the Session card (look-ups). */
export function renderCards(ov, { session = true, onSignInAgain = null, account = null } = {}) {
  return h('div', { class: 'cards' },
    identityCard(ov),
    pdsCard(ov),
    repoCard(ov),
    session ? sessionCard(ov, { onSignInAgain, account }) : null);
}

export function skeletonCards(count = 4) {
  const one = () => h('div', { class: 'card card--skeleton', 'aria-hidden': 'true' },
    h('div', { class: 'card-header' }, skeleton('skeleton--icon'), skeleton('skeleton--title')),
    ...[0, 1, 2, 3].map(() => h('div', { class: 'row' }, skeleton('skeleton--label'), skeleton('skeleton--value'))));
  return h('div', { class: 'cards' }, Array.from({ length: count }, one));
}

/**
 * Header: avatar, handle, DID with copy button, health pill and "checked" time.
 * Returns {el, setHealth(info), setChecked(iso), actions} — actions is a slot for buttons.
 */
export function renderHeader({ did, handle, health, checkedAt, host, level = 'h1' }) {
  const pillSlot = h('span', { class: 'pill-slot' });
  const checked = h('span', { class: 'meta-item' });
  const actions = h('div', { class: 'header-actions' });
  checked.classList.add('checked-at');
  const setHealth = (info) => pillSlot.replaceChildren(pill(info.health, info.label, { 'data-testid': 'overview-health' }));
  const setChecked = (iso) => {
    const rel = relativeTime(iso);
    checked.replaceChildren(...(rel ? [icon('clock'), `Checked ${rel}`] : []));
    checked.title = fullTime(iso);
    checked.hidden = !rel;
  };
  const hostItem = h('span', { class: 'meta-item meta-host', title: host || '' }, icon('globe'), h('span', {}, host || 'No PDS'));
  let avatarEl = avatar(did, handle, 'lg');
  let photo = null;
  const nameEl = h('p', { class: 'overview-name', 'data-testid': 'overview-name', hidden: true });
  const el = h('header', { class: 'overview-header' },
    avatarEl,
    h('div', { class: 'overview-title' },
      h(level, { class: 'overview-handle selectable', 'data-testid': 'overview-handle', tabindex: '-1' }, handle || did),
      nameEl,
      h('div', { class: 'overview-did' },
        h('span', { class: 'mono selectable', 'data-testid': 'overview-did' }, did),
        copyButton(() => did, { label: 'Copy DID', 'data-testid': 'copy-did' })),
      h('div', { class: 'overview-meta' }, pillSlot, hostItem)),
    h('div', { class: 'header-side' }, actions, checked));
  setHealth(health);
  setChecked(checkedAt);
  return {
    el, actions, setHealth, setChecked,
    setHost: (value) => {
      hostItem.replaceChildren(icon('globe'), h('span', {}, value || 'No PDS'));
      hostItem.title = value || '';
    },
    /** A new handle (changed here, or moved to another server): the title and the avatar's letter. */
    setHandle: (value) => {
      if (!value) return;
      el.querySelector('.overview-handle').textContent = value;
      const next = avatar(did, value, 'lg', photo);
      avatarEl.replaceWith(next);
      avatarEl = next;
    },
    /** The public profile (display name, avatar) once the overview has it. */
    setProfile: (profile) => {
      const name = profile?.displayName || '';
      nameEl.textContent = name;
      nameEl.hidden = !name;
      photo = profile?.avatar || null;
      const next = avatar(did, el.querySelector('.overview-handle').textContent, 'lg', photo);
      avatarEl.replaceWith(next);
      avatarEl = next;
    },
  };
}

/** A notice carried over from another screen (e.g. "alice.test was deleted"). */
export function noticeBox(notice) {
  const box = callout(notice.tone || 'success', notice.title, notice.text || null, {
    iconName: notice.tone === 'warning' ? 'alert' : 'check', role: 'status', 'data-testid': notice.testid || 'notice', tabindex: '-1',
  });
  box.append(h('button', {
    type: 'button', class: 'icon-btn icon-btn--sm callout-close', 'aria-label': 'Dismiss', title: 'Dismiss',
    onclick: () => box.remove(),
  }, icon('x')));
  return box;
}


/**
 * What needs attention on an account, worst first, as the core decided it (`account.attention`).
 * `onOpen(kind)` takes the person to the section that fixes an item. Session expiry is left out
 * when the screen already shows its own banner for it.
 */
export function attentionList(items, { onOpen = null, skip = [] } = {}) {
  const shown = (items || []).filter((i) => !skip.includes(i.kind));
  if (!shown.length) return null;
  const tone = { error: 'danger', warning: 'warning', advice: 'info' };
  return h('section', { class: 'attention', 'aria-label': 'Needs attention', 'data-testid': 'attention' },
    h('h2', { class: 'attention-heading' }, 'Needs attention'),
    h('ul', { class: 'attention-list' }, ...shown.map((item) => h('li', {
      class: `attention-item attention-item--${tone[item.level] || 'info'}`,
      'data-testid': 'attention-item', 'data-kind': item.kind, 'data-level': item.level,
    },
    icon(item.level === 'advice' ? 'info' : 'alert', 'attention-icon'),
    h('div', { class: 'attention-body' },
      h('p', { class: 'attention-title' }, item.title),
      h('p', { class: 'attention-action' }, item.action)),
    onOpen ? button('Open', { variant: 'ghost', 'data-testid': `attention-open-${item.kind}`, onclick: () => onOpen(item.kind) }) : null))));
}
