//! What the UI is shown: display data only, never a token or password.

use serde::{Deserialize, Serialize};
use stratos_core::health::Health;
use stratos_core::state::{AccountRecord, AuthKind, State};

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
}

/// An OAuth session's non-secret facts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthView {
    /// Granted scopes, space-separated.
    pub scope: String,
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
    fn from(a: &AccountRecord) -> Self {
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
                issuer: o.issuer.clone(),
                signed_in_at: o.signed_in_at.to_rfc3339(),
                access_expires_at: o.access_expires_at.map(|t| t.to_rfc3339()),
                session_ends_by: o.session_ends_by().to_rfc3339(),
            }),
        }
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
            accounts: s.accounts.iter().map(AccountSummary::from).collect(),
            selected: s.selected.clone(),
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
    pub oauth_redirect: stratos_core::oauth::client::RedirectChoice,
    /// How much access browser sign-ins ask for (`full` or `basic`).
    pub oauth_access: stratos_core::oauth::client::Access,
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
    pub log_level: stratos_core::state::LogLevel,
    /// Whether Stratos starts at login.
    pub start_at_login: bool,
    /// Where the log files are.
    pub log_dir: String,
}

/// What the settings screen may change.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    /// Minutes between background checks (1–1440).
    pub refresh_interval_minutes: u32,
    /// Whether new devices and apps are notified.
    pub notify_on_new_devices: bool,
    /// How the browser returns after sign-in; absent keeps the current choice.
    #[serde(default)]
    pub oauth_redirect: Option<stratos_core::oauth::client::RedirectChoice>,
    /// How much access browser sign-ins ask for; absent keeps the current choice.
    #[serde(default)]
    pub oauth_access: Option<stratos_core::oauth::client::Access>,
    /// Minutes a step-up password stays usable; absent keeps the current value.
    #[serde(default)]
    pub step_up_minutes: Option<u32>,
    /// The PLC directory; empty for the default, absent keeps the current value.
    #[serde(default)]
    pub plc_url: Option<String>,
    /// A hosted OAuth client id; empty for the built-in client, absent keeps the current value.
    #[serde(default)]
    pub oauth_client_id: Option<String>,
    /// How much is logged; absent keeps the current level.
    #[serde(default)]
    pub log_level: Option<stratos_core::state::LogLevel>,
    /// Whether Stratos starts at login; absent keeps the current choice.
    #[serde(default)]
    pub start_at_login: Option<bool>,
}
