// The only module that talks to the Rust side.
// Every command rejects with {code, message, hint, detail?}; anything else is normalised to that
// shape. `detail` is the technical cause, shown only under "Details".

function tauri() {
  return window.__TAURI__;
}

function toError(err) {
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    return { code: err.code || 'error', message: err.message, hint: err.hint ?? null, detail: err.detail ?? null };
  }
  if (typeof err === 'string' && err) {
    return { code: 'error', message: err, hint: null };
  }
  return { code: 'error', message: 'Something went wrong.', hint: null };
}

async function invoke(cmd, args) {
  const t = tauri();
  if (!t || !t.core || typeof t.core.invoke !== 'function') {
    throw {
      code: 'no_backend',
      message: 'The Stratos backend is not available.',
      hint: 'Open Stratos as a desktop app rather than in a web browser.',
    };
  }
  try {
    return await t.core.invoke(cmd, args);
  } catch (err) {
    throw toError(err);
  }
}

export const listAccounts = () => invoke('list_accounts');
export const refreshAccounts = () => invoke('refresh_accounts');
export const accountOverview = (did) => invoke('account_overview', { did });
export const lookupStatus = (identifier) => invoke('lookup_status', { identifier });
export const selectAccount = (did) => invoke('select_account', { did });
export const logout = (did) => invoke('logout', { did });
export const getSettings = () => invoke('get_settings');
export const setSettings = (settings) => invoke('set_settings', { settings });
/** Plain-text versions, system and account states for a bug report (never a secret). */
export const diagnostics = () => invoke('diagnostics');
export const openLogsFolder = () => invoke('open_logs_folder');
/** Tells the backend the first screen is painted (the start-up benchmark times this). */
export const firstPaint = () => invoke('first_paint');

/** How browser sign-in is set up: client kind, effective redirect and the scopes asked for (each with a `why`). */
export const oauthInfo = () => invoke('oauth_info');
/**
 * Start a browser (atproto OAuth) sign-in. The backend opens the system browser itself and later
 * emits `oauth-finished` with the same `state`. `redirect` null means the saved choice.
 * With `signUp`, `account` is a server address and the server's own sign-up page opens; the new
 * account arrives the same way.
 */
export const oauthStart = ({ account, redirect = null, signUp = false }) => invoke('oauth_start', { account, redirect, signUp });
/** Stops a browser sign-in under way; `stateId` is the `state` that oauthStart resolved to. */
export const oauthCancel = (stateId) => invoke('oauth_cancel', { stateId });

/**
 * The system's file or folder dialog: `kind` 'folder' or 'saveFile'. Resolves to the chosen path,
 * or null when the person closed the dialog.
 */
export const pickPath = ({ kind, title, suggestedName = null, startIn = null }) =>
  invoke('pick_path', { kind, title, suggestedName, startIn });

export function loginPassword({ identifier, password, authFactorToken = null, pdsHost = null }) {
  return invoke('login_password', { identifier, password, authFactorToken, pdsHost });
}

/**
 * Subscribe to a backend event, until `signal` aborts when one is given (a screen's lifetime);
 * resolves to an unlisten function (a no-op without a backend).
 */
export async function on(event, handler, { signal } = {}) {
  const t = tauri();
  if (!t || !t.event || typeof t.event.listen !== 'function' || signal?.aborted) return () => {};
  const unlisten = await t.event.listen(event, (e) => handler(e.payload));
  // With a screen's signal, the listener lives as long as the screen.
  if (signal?.aborted) unlisten();
  else signal?.addEventListener('abort', unlisten, { once: true });
  return unlisten;
}

/* ---------- Account management ----------
 * `password`/`authFactorToken` are null normally. A browser (OAuth) account is refused with
 * `password_needed`: the call is then repeated once with the account password (a "step-up"),
 * and with the emailed code when the server answers `auth_factor_required`.
 */
const stepUp = ({ password = null, authFactorToken = null } = {}) => ({ password, authFactorToken });

export const appPasswordsList = (did, creds) => invoke('app_passwords_list', { did, ...stepUp(creds) });
export const appPasswordCreate = (did, { name, privileged }, creds) =>
  invoke('app_password_create', { did, name, privileged: !!privileged, ...stepUp(creds) });
export const appPasswordRevoke = (did, name, creds) => invoke('app_password_revoke', { did, name, ...stepUp(creds) });

export const accountDeactivate = (did, creds) => invoke('account_deactivate', { did, ...stepUp(creds) });
export const accountActivate = (did, creds) => invoke('account_activate', { did, ...stepUp(creds) });

export const handleDomains = (did) => invoke('handle_domains', { did });
export const handlePlan = (did, handle) => invoke('handle_plan', { did, handle });
export const handleUpdate = (did, handle) => invoke('handle_update', { did, handle });

export const accountDeleteRequest = (did, creds) => invoke('account_delete_request', { did, ...stepUp(creds) });
export function accountDelete({ did, confirmHandle, password, token }) {
  return invoke('account_delete', { did, confirmHandle, password, token });
}

/* ---------- Devices and apps (the server's account page API) ----------
 * Listing needs a one-time sign-in (`devices_sign_in_needed`); servers without the API answer
 * `devices_unsupported`, whose hint names the account page to open instead.
 */
export const devicesList = (did) => invoke('devices_list', { did });
export const deviceRevoke = (did, deviceId) => invoke('device_revoke', { did, deviceId });
export const appsList = (did) => invoke('apps_list', { did });
export const appRevoke = (did, tokenId) => invoke('app_revoke', { did, tokenId });
export const devicesSignIn = (did, { password, emailCode = null }) => invoke('devices_sign_in', { did, password, emailCode });
/** Opens the server's account page in the browser; resolves to its URL. */
export const openAccountPage = (did) => invoke('open_account_page', { did });

/* ---------- Security: email address, emailed sign-in code, password ----------
 * Changing the address or the sign-in code setting takes the same step-up credentials as above
 * (`password_needed` → ask for the account password and retry). Codes are the ones the server
 * emails (ABCDE-FGHIJ); `code` is null when the server did not ask for one.
 */
export const emailInfo = (did) => invoke('email_info', { did });
export const emailRequestConfirmation = (did) => invoke('email_request_confirmation', { did });
export const emailConfirm = (did, code) => invoke('email_confirm', { did, code });
/** Resolves to {tokenRequired}: when true the server emailed a code to the current address. */
export const emailRequestUpdate = (did, creds) => invoke('email_request_update', { did, ...stepUp(creds) });
export const emailUpdate = (did, { email, code = null }, creds) =>
  invoke('email_update', { did, email, code, ...stepUp(creds) });
export const emailTwoFactor = (did, { enabled, code = null }, creds) =>
  invoke('email_two_factor', { did, enabled: !!enabled, code, ...stepUp(creds) });
/** {score: 0..4, feedback: [string]} for the strength meter; nothing is sent anywhere. */
export const passwordStrength = (password) => invoke('password_strength', { password });
/** Emails a reset code to the account's address; resolves to {pdsUrl, email}. */
export const passwordResetRequest = (did) => invoke('password_reset_request', { did });
export const passwordReset = (did, { code, newPassword }) => invoke('password_reset', { did, code, newPassword });

/* ---------- Tools: service auth tokens, missing blobs, backups ----------
 * Long jobs (`repair_blobs`, `backup_account`) take a client-made `jobId`; while they run the
 * backend emits `job-progress` {jobId, step, done, total|null}. `cancel_job` makes the running
 * call reject with code `cancelled` (a backup resumes when started again into the same folder).
 */
export const serviceAuthOnline = (did, { aud, lxm = null, durationSec }) =>
  invoke('service_auth_online', { did, aud, lxm, durationSec });
/**
 * Signs the token here: with `storedKey` (the did:key of a key in the keychain), or with
 * `signingKey` (a pasted multibase private key, used for this call only).
 */
export const serviceAuthOffline = ({ signingKey = null, storedKey = null, iss, aud, lxm = null, durationSec }) =>
  invoke('service_auth_offline', { signingKey, storedKey, iss, aud, lxm, durationSec });
/** Keys held in the keychain: [{didKey, type: 'k256'|'p256', createdAt}] (public data only). */
export const keysList = () => invoke('keys_list');
export const missingBlobs = (did) => invoke('missing_blobs', { did });
export const repairBlobs = (did, { sourcePds, sourceDid = null, jobId }) =>
  invoke('repair_blobs', { did, sourcePds, sourceDid, jobId });
export const backupAccount = (did, { folder, jobId }) => invoke('backup_account', { did, folder, jobId });
export const cancelJob = (jobId) => invoke('cancel_job', { jobId });
/* Snapshots in the backup folder (settings: backupEveryHours, backupFolder, backupKeep).
 * `backupsList` → {folder, snapshots: [{id, manifest: {createdAt, rev, records, blobs, newBlockBytes, newBlobBytes}|null, error}]};
 * `backupNow` reports `job-progress` and resolves to {did, manifest, pruned}; scheduled runs end
 * with a `backup-finished` {did, error} event. */
export const backupsList = (did) => invoke('backups_list', { did });
export const backupNow = (did, jobId) => invoke('backup_now', { did, jobId });
export const backupVerify = (did, snapshot = null) => invoke('backup_verify', { did, snapshot });
export const backupExport = (did, snapshot, out) => invoke('backup_export', { did, snapshot, out });

/* Moving an account to another server (the migration wizard). Progress arrives as
   `migration-progress` {did, event}; the plan's password goes to the backend only. */
export const migrationJournal = (did) => invoke('migration_journal', { did });
export const migrationPreflight = (plan) => invoke('migration_preflight', { plan });
export const migrationStart = (plan) => invoke('migration_start', { plan });
export const migrationContinue = (did, input = {}) => invoke('migration_continue', { did, input });
export const migrationPause = (did) => invoke('migration_pause', { did });
export const migrationCancel = (did) => invoke('migration_cancel', { did });

/* ---------- Create account ----------
 * `signupForm` describes the server: {pdsUrl, serverDid, domains: ['.bsky.social'],
 * inviteCodeRequired, phoneVerificationRequired, termsOfService, privacyPolicy, contactEmail}.
 * `createAccount` signs the new account in and resolves to {account, recoveryKey|null}, where
 * recoveryKey is {didKey, type, createdAt}: its private half is in the keychain only, until
 * `keyExport` writes it to a new file the person named.
 */
export const signupForm = (pdsHost) => invoke('signup_form', { pdsHost });
/** {handle, available, reason|null, suggestions: []} */
export const signupCheckHandle = (pdsHost, handle) => invoke('signup_check_handle', { pdsHost, handle });
export const createAccount = ({ pdsHost, handle, email, password, inviteCode = null, recoveryKey = null }) =>
  invoke('create_account', { pdsHost, handle, email, password, inviteCode, recoveryKey });
/** Resolves to {didKey, path}. */
export const keyExport = (didKey, path) => invoke('key_export', { didKey, path });
/** The same key as its 24 recovery words (secp256k1), written to a new file. Resolves to {didKey, path}. */
export const keyExportWords = (didKey, path) => invoke('key_export_words', { didKey, path });

/* ---------- Identity (did:plc) ----------
 * `plcIdentity` reads and checks the identity now: {did, handle, pds, signingKey,
 * rotationKeys: [{key, position, holder: 'pds'|'mine'|'unknown'}], holdsKeyAbovePds,
 * history: {entries: [{cid, createdAt, nullified, tombstone, signer, changes: [{description}]}], problem},
 * check: {problem, unexpected: [{cid, createdAt, signer, changes, tombstone}], undo: {possible, deadline, reason}|null},
 * checkedAt}. The recovery-key flow: create (a key in the keychain), save a copy (keyExport),
 * request the emailed code, add it first in the rotation keys.
 */
export const plcIdentity = (did) => invoke('plc_identity', { did });
export const plcAcknowledge = (did, cids) => invoke('plc_acknowledge', { did, cids });
export const plcUndo = (did) => invoke('plc_undo', { did });
export const plcRecoveryKeyCreate = () => invoke('plc_recovery_key_create');
export const plcRecoveryKeyRequest = (did) => invoke('plc_recovery_key_request', { did });
export const plcRecoveryKeyAdd = (did, didKey, token) => invoke('plc_recovery_key_add', { did, didKey, token });

/* Signed updates (Settings › Updates). Each returns the updates view: {builtIn, currentVersion,
 * checkForUpdates, checkedAt, finding: {kind: upToDate|available|older, …}, message, problem,
 * verified (the version downloaded with a good signature), kept}. */
export const updatesStatus = () => invoke('updates_status');
export const updatesCheck = () => invoke('updates_check');
/** Downloads and verifies the offered update as job `jobId` (`job-progress`, `cancel_job`). */
export const updatesDownload = (jobId) => invoke('updates_download', { jobId });
/** Installs the verified download and restarts Stratos. */
export const updatesInstall = () => invoke('updates_install');

/* ---------- Recovery (the account's PDS is gone) ----------
 * `recoverPreview(did, pds)` → {did, rotationKey: {key|null, held, problem|null},
 * backup: {folder, snapshot|null, createdAt|null, records: {nsid: n}, blobs, problems: []},
 * server: {url, availableDomains, inviteCodeRequired, problem|null}|null,
 * identity: {pdsBefore, pdsAfter, handleBefore, signingKeyBefore, rotationKeysBefore: [],
 * rotationKeysAfter: [{key|null, holder: 'you'|'newServer'|'keychain'}], dropped: []}}; changes nothing.
 * `recoverStart` and `recoverResume` run to the end and resolve to the journal {did, pds, handle,
 * done: [step], records: {nsid: n}, expectedRecords, blobsUploaded, expectedBlobs, notes};
 * progress arrives as `recover-progress` {did, event: {kind: 'stepStarted'|'stepDone', step} |
 * {kind: 'blobs', done, total}}; `recoverCancel` makes the run reject with `cancelled`.
 * The password goes to the backend only, and to `recoverResume` only while the account is not made. */
export const recoverPreview = (did, pds = null) => invoke('recover_preview', { did, pds });
export const recoverJournal = (did) => invoke('recover_journal', { did });
export const recoverStart = (plan, confirmed) => invoke('recover_start', { plan, confirmed });
export const recoverResume = (did, password = null) => invoke('recover_resume', { did, password });
export const recoverCancel = (did) => invoke('recover_cancel', { did });
