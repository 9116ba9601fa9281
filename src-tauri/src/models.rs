//! What the UI is sent (command results and event payloads) and the structured input it sends:
//! display data only, never a token or password. One place, so the wire contract with `ui/` is
//! read in one file; core types the UI gets unchanged are not repeated here.

use serde::{Deserialize, Serialize};
use stratos_core::Problem;
use stratos_core::attention::{self, Attention};
use stratos_core::base::health::Health;
use stratos_core::config::oauth_client::{Access, RedirectChoice, ScopeWords, describe_scopes};
use stratos_core::devices::App;
use stratos_core::keys::KeyRecord;
use stratos_core::migrate::{Event, Plan};
use stratos_core::plc::guard::Check;
use stratos_core::plc::history::{History, SignerKind};
use stratos_core::status::AccountStatus;
use stratos_core::store::state::{AccountRecord, AuthKind, IdentityWatch, LogLevel, State};

/// One row of the account list and the tray.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// The account's DID.
    pub did: String,
    /// Its handle.
    pub handle: String,
    /// Its PDS.
    pub pds_url: String,
    /// How it is signed in.
    pub auth_kind: AuthKind,
    /// The one-word state.
    pub health: Health,
    /// The state in words.
    pub health_label: &'static str,
    /// When the state was determined (RFC 3339).
    pub checked_at: Option<String>,
    /// For browser sign-ins: granted scopes and how long the session can last.
    pub oauth: Option<OAuthView>,
    /// What needs attention on this account, worst first (decided by the core).
    pub attention: Vec<Attention>,
    /// The identity watch's last finding.
    pub identity: Option<IdentityWatch>,
    /// When the last verified backup finished (RFC 3339).
    pub last_backup_at: Option<String>,
}

impl AccountSummary {
    /// The row of `a`, its attention list judged with the backup schedule `backup_every`.
    fn new(a: &AccountRecord, backup_every: Option<chrono::Duration>) -> Self {
        let health = a.health.unwrap_or(Health::Unknown);
        Self {
            did: a.did.clone(),
            handle: a.handle.clone(),
            pds_url: a.pds_url.clone(),
            auth_kind: a.auth_kind,
            health,
            health_label: health.label(),
            checked_at: a.checked_at.map(|t| t.to_rfc3339()),
            oauth: a.oauth.as_ref().map(|o| OAuthView {
                scope: o.scope.clone(),
                scope_words: describe_scopes(&o.scope),
                issuer: o.issuer.clone(),
                signed_in_at: o.signed_in_at.to_rfc3339(),
                access_expires_at: o.access_expires_at.map(|t| t.to_rfc3339()),
                session_ends_by: o.session_ends_by().to_rfc3339(),
            }),
            attention: attention::of_account(a, backup_every, chrono::Utc::now()),
            identity: a.identity.clone(),
            last_backup_at: a.last_backup_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// An OAuth session's non-secret facts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthView {
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The granted scopes in words, decided by the core so every front end words them alike.
    pub scope_words: Vec<ScopeWords>,
    /// The authorization server.
    pub issuer: String,
    /// When the person signed in (RFC 3339).
    pub signed_in_at: String,
    /// When the current access token expires; it refreshes by itself.
    pub access_expires_at: Option<String>,
    /// The latest end of the session (public clients: two weeks).
    pub session_ends_by: String,
}

impl From<&AccountRecord> for AccountSummary {
    /// A single row (a sign-in's result); the list ([`AccountList`]) judges backups with the
    /// saved schedule.
    fn from(a: &AccountRecord) -> Self {
        AccountSummary::new(a, None)
    }
}

/// The account list with the selection, for the sidebar and the `accounts-changed` event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountList {
    /// All signed-in accounts.
    pub accounts: Vec<AccountSummary>,
    /// The DID shown in the window.
    pub selected: Option<String>,
}

impl From<&State> for AccountList {
    fn from(s: &State) -> Self {
        Self {
            accounts: s
                .accounts
                .iter()
                .map(|a| AccountSummary::new(a, s.settings.backup_every()))
                .collect(),
            selected: s.selected.clone(),
        }
    }
}

/// A status report (an account's overview or a look-up) with the core's verdict on it, so the
/// window shows the same state the account list does.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// The report itself.
    #[serde(flatten)]
    pub status: AccountStatus,
    /// The one-word state, as in the account list.
    pub health: Health,
    /// The state in words.
    pub health_label: &'static str,
}

impl From<AccountStatus> for StatusView {
    fn from(status: AccountStatus) -> Self {
        let health = status.health();
        Self {
            status,
            health,
            health_label: health.label(),
        }
    }
}

/// An app with access to an account, with what the core decides about it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    /// The app as the server lists it.
    #[serde(flatten)]
    pub app: App,
    /// Its granted scopes in words.
    pub scope_words: Vec<ScopeWords>,
    /// Whether the grant is Stratos's own sign-in (revoking it signs Stratos out).
    pub is_stratos: bool,
}

impl AppView {
    /// The view of `app` on an account signed in as `account`.
    pub fn new(app: App, account: AuthKind) -> Self {
        Self {
            scope_words: describe_scopes(app.scope.as_deref().unwrap_or_default()),
            is_stratos: app.is_stratos(account),
            app,
        }
    }
}

/// The settings screen's content.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Minutes between background checks.
    pub refresh_interval_minutes: u32,
    /// Whether new devices and apps are notified.
    pub notify_on_new_devices: bool,
    /// Where non-secret state lives.
    pub data_dir: String,
    /// The keychain service name holding secrets.
    pub keyring_service: String,
    /// How the browser returns after sign-in (effective choice).
    pub oauth_redirect: RedirectChoice,
    /// How much access browser sign-ins ask for (`full` or `basic`).
    pub oauth_access: Access,
    /// Minutes a step-up password stays usable in memory (0: asked every time).
    pub step_up_minutes: u32,
    /// `loopback` (built-in development client) or `hosted`.
    pub oauth_client_kind: &'static str,
    /// The PLC directory in use.
    pub plc_url: String,
    /// The PLC directory saved in the settings (empty: the default).
    pub plc_url_setting: String,
    /// The hosted OAuth client id saved in the settings (empty: the built-in client).
    pub oauth_client_id_setting: String,
    /// Environment variables that override the settings above (`STRATOS_PLC_URL`, ...).
    pub set_by_env: Vec<&'static str>,
    /// How much is logged.
    pub log_level: LogLevel,
    /// Whether Stratos starts at login.
    pub start_at_login: bool,
    /// Where the log files are.
    pub log_dir: String,
    /// Hours between scheduled backups (0: off).
    pub backup_every_hours: u32,
    /// The backup folder saved in the settings (empty: the default).
    pub backup_folder_setting: String,
    /// The backup folder in use.
    pub backup_folder: String,
    /// Snapshots kept per account.
    pub backup_keep: u32,
    /// Whether Stratos looks for updates at start and daily.
    pub check_for_updates: bool,
}

/// One right Stratos asks for, in plain words.
#[derive(Debug, Serialize)]
pub struct ScopeView {
    /// The scope as sent to the server.
    pub scope: &'static str,
    /// Why Stratos asks for it.
    pub why: &'static str,
}

/// What the sign-in and settings screens show about browser sign-in.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthInfoView {
    /// `loopback` or `hosted`.
    pub client_kind: &'static str,
    /// The hosted client's id.
    pub client_id: Option<String>,
    /// The URL scheme of the deep-link redirect, with a hosted client.
    pub deep_link_scheme: Option<String>,
    /// The redirect a sign-in uses unless it asks for another.
    pub redirect: RedirectChoice,
    /// What Stratos asks for, and why.
    pub scopes: Vec<ScopeView>,
}

/// A started sign-in, for the waiting panel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartView {
    /// The sign-in's `state`, which `oauth-finished` and `oauth_cancel` name.
    pub state: String,
    /// The page opened in the browser, shown in case it did not open.
    pub authorize_url: String,
    /// The authorization server.
    pub issuer: String,
}

/// The `oauth-finished` event: how a sign-in ended.
#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    /// The sign-in's `state`, when the callback carried one.
    pub state: Option<String>,
    /// The signed-in account.
    pub account: Option<AccountSummary>,
    /// Why it failed.
    pub error: Option<Problem>,
}

/// Whether a code was emailed for a change of address or of the sign-in code setting.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRequested {
    /// True when the server emailed a code to the current address.
    pub token_required: bool,
}

/// The new account as the window shows it, with its recovery key (public part) if one was made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedView {
    /// The signed-in account.
    pub account: AccountSummary,
    /// The recovery key made with it.
    pub recovery_key: Option<KeyRecord>,
}

/// The `job-progress` event: one progress report of a long job.
#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    /// The client-made id the job was started with.
    pub job_id: String,
    /// What it is doing (`blobs`, or a backup's step).
    pub step: String,
    /// Items done.
    pub done: u64,
    /// Items in all, when known.
    pub total: Option<u64>,
}

/// The `migration-progress` event: one of the core's migration events, for an account.
#[derive(Debug, Serialize, Clone)]
pub struct MigrationProgress<'a> {
    /// The account being moved.
    pub did: &'a str,
    /// What happened.
    pub event: &'a Event,
}

/// The `navigate` event: which screen the window should show (tray menu actions).
#[derive(Debug, Serialize, Clone)]
pub struct Navigate<'a> {
    /// The screen's name.
    pub screen: &'a str,
    /// The account it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did: Option<&'a str>,
}

/// What the migration wizard's first page collects. The password goes to the core and nowhere
/// else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    /// The account to move.
    pub did: String,
    /// The server to move it to.
    pub target_pds: String,
    /// Its handle there.
    pub handle: String,
    /// Its email address there.
    pub email: String,
    /// Its password there.
    pub password: String,
    /// The new server's invite code, when it asks for one.
    pub invite_code: Option<String>,
    /// Whether to deactivate the old account at the end.
    pub deactivate_source: bool,
}

impl From<PlanInput> for Plan {
    fn from(p: PlanInput) -> Self {
        Plan {
            account: p.did,
            target_pds: p.target_pds,
            handle: p.handle,
            email: p.email,
            password: p.password,
            invite_code: p.invite_code,
            deactivate_source: p.deactivate_source,
        }
    }
}

/// What a migration's continuation may bring: the new server's password (only when asked), the
/// emailed code, the agreement, the old account's password (OAuth accounts, to deactivate it).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ContinueInput {
    /// The new server's password.
    pub password: Option<String>,
    /// The code the PLC directory's operator emailed.
    pub plc_token: Option<String>,
    /// Whether the person agreed to the identity step.
    pub confirmed: bool,
    /// The old account's password.
    pub source_password: Option<String>,
}

/// The Identity section: the DID document's PLC fields in words, with who holds each rotation
/// key, the checked history and the identity watch's finding.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView {
    /// The DID.
    pub did: String,
    /// The handle the document names.
    pub handle: Option<String>,
    /// The PDS the document names.
    pub pds: Option<String>,
    /// The repository signing key.
    pub signing_key: Option<String>,
    /// The rotation keys, highest priority first.
    pub rotation_keys: Vec<RotationKeyView>,
    /// Whether a key of this keychain stands above the PDS's.
    pub holds_key_above_pds: bool,
    /// Every operation, oldest first, with the verdict.
    pub history: History,
    /// What is unexpected, and whether it can be undone.
    pub check: Check,
    /// When this was read (RFC 3339).
    pub checked_at: String,
}

/// One rotation key and who holds it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationKeyView {
    /// The `did:key`.
    pub key: String,
    /// Its priority, 1 = highest.
    pub position: usize,
    /// This PDS, the person (this keychain), or someone else.
    pub holder: SignerKind,
}

/// The end of one account's scheduled or requested backup (`backup-finished`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupFinished {
    /// The account.
    pub did: String,
    /// Why it failed; `None` when the snapshot was stored and verified.
    pub error: Option<Problem>,
}

/// The Backups section: where backups go and an account's snapshots.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupsView {
    /// The backup folder in use.
    pub folder: String,
    /// The account's snapshots, oldest first.
    pub snapshots: Vec<stratos_core::backup::store::Listed>,
}

/// The updates section of the settings screen.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatesView {
    /// Whether this build has an update feed; without one nothing is ever checked.
    pub built_in: bool,
    /// The running version.
    pub current_version: String,
    /// The setting: check at start and daily.
    pub check_for_updates: bool,
    /// When the feed was last asked (this run).
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What the last check found.
    pub finding: Option<stratos_core::updates::Finding>,
    /// That finding in a sentence.
    pub message: Option<String>,
    /// Why the last check failed, when it did.
    pub problem: Option<stratos_core::Problem>,
    /// The version downloaded with a good signature, ready to install.
    pub verified: Option<String>,
    /// What an update keeps (accounts, settings), in a sentence.
    pub kept: &'static str,
}

/// The `recover-progress` event: one of the core's recovery events, for an account.
#[derive(Debug, Serialize, Clone)]
pub struct RecoverProgress<'a> {
    /// The account being recovered.
    pub did: &'a str,
    /// What happened.
    pub event: &'a stratos_core::recover::Event,
}

/// What the recovery wizard collects about the new server. The password goes to the core and
/// nowhere else (no `Debug`, so it cannot be logged by accident).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoverInput {
    /// The account to recover.
    pub did: String,
    /// The new server.
    pub pds: String,
    /// The handle there.
    pub handle: String,
    /// The email address there.
    pub email: String,
    /// The password there.
    pub password: String,
    /// The new server's invite code, when it asks for one.
    pub invite_code: Option<String>,
}
