//! Non-secret state on disk: the account list, the selected account and settings.
//!
//! The app and the CLI share this file, so every change is a locked read-modify-write followed by
//! an atomic rename: a crash or a concurrent writer can never leave a torn file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::base::health::Health;
use crate::config::oauth_client::ClientKind;
use crate::config::oauth_client::{Access, RedirectChoice};
use crate::config::{Config, OAUTH_CLIENT_ID_VAR, PLC_URL_VAR, check_plc_url};

/// How an account is signed in; decides which credential type its secrets hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// `com.atproto.server.createSession` with the account password.
    Password,
    /// atproto OAuth (DPoP-bound tokens).
    Oauth,
}

/// One signed-in account, as remembered between runs (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    /// The account's DID: its permanent key.
    pub did: String,
    /// The handle when last seen.
    pub handle: String,
    /// The PDS the session belongs to.
    pub pds_url: String,
    /// How the account is signed in.
    pub auth_kind: AuthKind,
    /// When it was added.
    pub added_at: DateTime<Utc>,
    /// The last known state, shown at once on start before a fresh check completes.
    #[serde(default)]
    pub health: Option<Health>,
    /// When `health` was determined.
    #[serde(default)]
    pub checked_at: Option<DateTime<Utc>>,
    /// For OAuth sessions: what was granted and when, for display (the tokens are in the keychain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthInfo>,
    /// Whether the account's email address was confirmed at the last full check (`None`: not
    /// known yet), so "confirm your email" can be shown before the next check completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_confirmed: Option<bool>,
    /// The identity watch's last finding, kept so the tray and the overview show an unexpected
    /// identity change from the moment Stratos starts, before the next check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityWatch>,
    /// When the last backup of this account that verified finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup_at: Option<DateTime<Utc>>,
}

/// What the identity watch last found for an account (see `plc::guard`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdentityWatch {
    /// When the PLC history was last read and checked.
    pub checked_at: Option<DateTime<Utc>>,
    /// The operations nobody here made or acknowledged, by CID.
    pub unexpected: Vec<String>,
    /// Each unexpected change in words, for a notification or the tray.
    pub summary: Vec<String>,
    /// Until when the unexpected change can be undone from this computer, when it can.
    pub undo_until: Option<DateTime<Utc>>,
    /// Why the history did not verify, when it did not (a directory serving a forged log).
    pub failed: Option<String>,
    /// Whether a key in this keychain stands above the PDS's key in the rotation keys.
    pub holds_key_above_pds: Option<bool>,
}

/// What a person should know about an OAuth session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthInfo {
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The authorization server.
    pub issuer: String,
    /// When the person signed in: public clients' sessions end two weeks later at most.
    pub signed_in_at: DateTime<Utc>,
    /// When the current access token expires (it is refreshed automatically).
    pub access_expires_at: Option<DateTime<Utc>>,
}

impl OAuthInfo {
    /// The latest moment the session can last: the server caps public clients at two weeks.
    pub fn session_ends_by(&self) -> DateTime<Utc> {
        self.signed_in_at + chrono::Duration::days(14)
    }
}

/// User preferences that both the app and CLI honour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// How often the tray re-checks every account, in minutes.
    pub refresh_interval_minutes: u32,
    /// Whether to notify about new devices and apps on an account.
    pub notify_on_new_devices: bool,
    /// How the browser returns after OAuth sign-in; `None` follows the client (deep link with a
    /// hosted client, loopback otherwise).
    pub oauth_redirect: Option<RedirectChoice>,
    /// How much access browser sign-ins ask for.
    pub oauth_access: Access,
    /// Minutes a password typed for a password-only action on a browser sign-in stays usable (in
    /// memory only); 0 asks every time.
    pub step_up_minutes: u32,
    /// The PLC directory to use instead of `https://plc.directory` (private or test networks);
    /// `STRATOS_PLC_URL` wins when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plc_url: Option<String>,
    /// A hosted OAuth client-metadata URL to sign in as, instead of the built-in client;
    /// `STRATOS_OAUTH_CLIENT_ID` wins when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    /// How much the app writes to its log files.
    pub log_level: LogLevel,
    /// Whether the desktop app starts (into the tray) when the person logs in to the computer.
    pub start_at_login: bool,
    /// Hours between scheduled backups of every account; 0 turns scheduled backups off.
    pub backup_every_hours: u32,
    /// Where scheduled backups go; `None`: the `backups` folder in the data folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_folder: Option<String>,
    /// How many snapshots of each account scheduled backups keep (the oldest are pruned).
    pub backup_keep: u32,
}

/// How much is logged, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Only failures.
    Error,
    /// Failures and things that look wrong.
    Warn,
    /// What Stratos does, one line per action (the default).
    #[default]
    Info,
    /// Details for a bug report.
    Debug,
    /// Everything, request by request.
    Trace,
}

impl LogLevel {
    /// The `log` crate's filter for this level.
    pub fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            refresh_interval_minutes: 5,
            notify_on_new_devices: true,
            oauth_redirect: None,
            oauth_access: Access::Full,
            step_up_minutes: 10,
            plc_url: None,
            oauth_client_id: None,
            log_level: LogLevel::Info,
            start_at_login: false,
            backup_every_hours: 0,
            backup_folder: None,
            backup_keep: 10,
        }
    }
}

impl Settings {
    /// The interval of scheduled backups, `None` when they are off.
    pub fn backup_every(&self) -> Option<chrono::Duration> {
        (self.backup_every_hours > 0)
            .then(|| chrono::Duration::hours(i64::from(self.backup_every_hours)))
    }

    /// The configuration with these settings applied where the environment did not decide: the PLC directory and
    /// the OAuth client. A saved value that no longer parses is skipped with a warning, so a bad
    /// setting can never keep the app from starting (the settings screen validates on save).
    pub fn configure(&self, mut config: Config) -> Config {
        if !config.set_by_env.contains(&PLC_URL_VAR)
            && let Some(value) = self.plc_url.as_deref()
        {
            match check_plc_url(value) {
                Ok(url) => config.plc_url = url,
                Err(e) => log::warn!("ignoring the saved PLC directory: {e}"),
            }
        }
        if !config.set_by_env.contains(&OAUTH_CLIENT_ID_VAR)
            && let Some(value) = self.oauth_client_id.as_deref()
        {
            match ClientKind::from_client_id(Some(value)) {
                Ok(client) => config.oauth_client = client,
                Err(e) => log::warn!("ignoring the saved OAuth client: {e}"),
            }
        }
        config
    }
}

/// A change to the settings as a settings screen sends it: each field given replaces the saved
/// one, each field left out keeps it. An empty `plcUrl` or `oauthClientId` means "back to the
/// default" (the store blanks it when saving), which is why those are not simply cleared when
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsUpdate {
    /// Minutes between background checks (the store keeps it within 1–1440).
    pub refresh_interval_minutes: Option<u32>,
    /// Whether new devices and apps are notified.
    pub notify_on_new_devices: Option<bool>,
    /// How the browser returns after sign-in.
    pub oauth_redirect: Option<RedirectChoice>,
    /// How much access browser sign-ins ask for.
    pub oauth_access: Option<Access>,
    /// Minutes a step-up password stays usable.
    pub step_up_minutes: Option<u32>,
    /// The PLC directory; empty for the default.
    pub plc_url: Option<String>,
    /// A hosted OAuth client id; empty for the built-in client.
    pub oauth_client_id: Option<String>,
    /// How much is logged.
    pub log_level: Option<LogLevel>,
    /// Whether Stratos starts at login.
    pub start_at_login: Option<bool>,
    /// Hours between scheduled backups; 0 for off.
    pub backup_every_hours: Option<u32>,
    /// The backup folder; empty for the default.
    pub backup_folder: Option<String>,
    /// Snapshots kept per account.
    pub backup_keep: Option<u32>,
}

impl Settings {
    /// These settings with `update` applied; what the update leaves out stays as it is.
    pub fn apply(self, update: SettingsUpdate) -> Settings {
        Settings {
            refresh_interval_minutes: update
                .refresh_interval_minutes
                .unwrap_or(self.refresh_interval_minutes),
            notify_on_new_devices: update
                .notify_on_new_devices
                .unwrap_or(self.notify_on_new_devices),
            oauth_redirect: update.oauth_redirect.or(self.oauth_redirect),
            oauth_access: update.oauth_access.unwrap_or(self.oauth_access),
            step_up_minutes: update.step_up_minutes.unwrap_or(self.step_up_minutes),
            plc_url: update.plc_url.or(self.plc_url),
            oauth_client_id: update.oauth_client_id.or(self.oauth_client_id),
            log_level: update.log_level.unwrap_or(self.log_level),
            start_at_login: update.start_at_login.unwrap_or(self.start_at_login),
            backup_every_hours: update.backup_every_hours.unwrap_or(self.backup_every_hours),
            backup_folder: update.backup_folder.or(self.backup_folder),
            backup_keep: update.backup_keep.unwrap_or(self.backup_keep),
        }
    }
}

/// Everything in the state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct State {
    /// Signed-in accounts in the order they were added.
    pub accounts: Vec<AccountRecord>,
    /// The DID of the account shown in the window.
    pub selected: Option<String>,
    /// Preferences.
    pub settings: Settings,
    /// Device and app ids last seen per account (by DID), to notice new ones.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub known_sessions: std::collections::BTreeMap<String, KnownSessions>,
    /// The PLC operations (CIDs) per DID that Stratos made or the person acknowledged; an
    /// operation of the DID's history outside this set is unexpected. A DID not listed has not
    /// been looked at yet: its whole history is taken as known then.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub known_plc_operations:
        std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Keys held in the keychain (public part only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyRecord>,
    /// Whether the desktop app has already explained that closing its window keeps it running in
    /// the tray (said once, on the first close).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub close_to_tray_explained: bool,
}

/// The devices and apps an account had at the last check (ids only, no secrets).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KnownSessions {
    /// Device ids from the account-manager API.
    pub devices: std::collections::BTreeSet<String>,
    /// OAuth session (token) ids of apps with access.
    pub apps: std::collections::BTreeSet<String>,
}

impl State {
    /// The account with this DID or handle.
    pub fn find(&self, id: &str) -> Option<&AccountRecord> {
        let id = id.trim().trim_start_matches('@');
        self.accounts
            .iter()
            .find(|a| a.did == id || a.handle.eq_ignore_ascii_case(id))
    }
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A filesystem operation failed.
    #[error("could not {action} {path}: {}", crate::base::plain::io(source))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file exists but is not valid; it is left untouched so nothing is lost.
    #[error(
        "{path} is damaged ({detail}); nothing was changed. The copy from before the last change is {}: move the damaged file aside and rename that copy to state.json to go back to it",
        previous.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The parse error.
        detail: String,
        /// The good copy kept at the last change ([`StateFile::previous_path`]).
        previous: PathBuf,
    },
}

/// The state file in a data folder.
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
}

impl StateFile {
    /// Uses `state.json` in `dir`, creating the folder on first write.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// Path of the JSON file, for messages and the settings screen.
    pub fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Where the state as it was before the last change is kept: a good copy to go back to if
    /// `state.json` is ever damaged (a disk error, an editor, a bug).
    pub fn previous_path(&self) -> PathBuf {
        self.dir.join("state.previous.json")
    }

    /// Reads the current state; a missing file is an empty state.
    pub fn load(&self) -> Result<State, StateError> {
        let path = self.path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Damaged {
                path,
                detail: e.to_string(),
                previous: self.previous_path(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(source) => Err(StateError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Applies `change` under an exclusive lock and writes the result atomically.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut State) -> T,
    ) -> Result<(State, T), StateError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let lock_path = self.dir.join("state.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open", &lock_path))?;
        lock.lock().map_err(io("lock", &lock_path))?;
        let mut state = self.load()?;
        // The file just read is whole: keep it as the previous good copy before replacing it.
        match fs::copy(self.path(), self.previous_path()) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StateError::Io {
                    action: "copy",
                    path: self.previous_path(),
                    source,
                });
            }
        }
        let out = change(&mut state);
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io("write", &self.dir))?;
        let json = serde_json::to_vec_pretty(&state).expect("state always serialises");
        tmp.write_all(&json).map_err(io("write", tmp.path()))?;
        tmp.as_file().sync_all().map_err(io("write", tmp.path()))?;
        tmp.persist(self.path()).map_err(|e| StateError::Io {
            action: "replace",
            path: self.path(),
            source: e.error,
        })?;
        drop(lock);
        Ok((state, out))
    }
}

/// The two curves atproto uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// secp256k1 (`ES256K`), the reference PDS's choice.
    K256,
    /// NIST P-256 (`ES256`), which hardware keystores support.
    P256,
}

/// A key held in the keychain, as listed (public data only; the private key is in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// The public key.
    pub did_key: String,
    /// Its curve.
    #[serde(rename = "type")]
    pub kind: KeyType,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_state_file_is_left_alone_and_the_previous_good_copy_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path());
        file.update(|s| s.selected = Some("did:plc:first".into()))
            .unwrap();
        file.update(|s| s.selected = Some("did:plc:second".into()))
            .unwrap();
        // A torn or edited file: reading it fails, naming it and the good copy.
        fs::write(file.path(), b"{\"accounts\": [").unwrap();
        let err = file.load().unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, StateError::Damaged { .. })
                && message.contains("state.json")
                && message.contains("state.previous.json"),
            "{message}"
        );
        // A change is refused rather than written over the damaged file.
        assert!(file.update(|s| s.selected = None).is_err());
        assert_eq!(fs::read(file.path()).unwrap(), b"{\"accounts\": [");
        // The previous copy is whole and holds the state before the last change.
        let previous: State =
            serde_json::from_slice(&fs::read(file.previous_path()).unwrap()).unwrap();
        assert_eq!(previous.selected.as_deref(), Some("did:plc:first"));
    }

    #[test]
    fn a_settings_update_replaces_what_it_names_and_keeps_the_rest() {
        let saved = Settings {
            oauth_redirect: Some(RedirectChoice::DeepLink),
            plc_url: Some("https://plc.example.com".into()),
            oauth_client_id: Some("https://app.example.com/client.json".into()),
            start_at_login: true,
            ..Settings::default()
        };
        // What the settings screen sends today.
        let update: SettingsUpdate = serde_json::from_value(serde_json::json!({
            "refreshIntervalMinutes": 15,
            "notifyOnNewDevices": false,
            "oauthAccess": "basic",
            "plcUrl": "",
            "logLevel": "debug",
        }))
        .unwrap();
        let applied = saved.clone().apply(update);
        assert_eq!(
            applied,
            Settings {
                refresh_interval_minutes: 15,
                notify_on_new_devices: false,
                oauth_access: Access::Basic,
                plc_url: Some(String::new()),
                log_level: LogLevel::Debug,
                ..saved.clone()
            }
        );
        assert_eq!(saved.clone().apply(SettingsUpdate::default()), saved);
    }

    fn record(did: &str, handle: &str) -> AccountRecord {
        AccountRecord {
            did: did.into(),
            handle: handle.into(),
            pds_url: "http://localhost:1".into(),
            auth_kind: AuthKind::Password,
            added_at: Utc::now(),
            health: None,
            checked_at: None,
            oauth: None,
            email_confirmed: None,
            identity: None,
            last_backup_at: None,
        }
    }

    #[test]
    fn round_trips_and_finds_by_handle_or_did() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(&dir.path().join("nested"));
        assert_eq!(file.load().unwrap(), State::default());
        file.update(|s| s.accounts.push(record("did:plc:abc", "alice.test")))
            .unwrap();
        let s = file.load().unwrap();
        assert_eq!(s.find("@Alice.test").unwrap().did, "did:plc:abc");
        assert_eq!(s.find("did:plc:abc").unwrap().handle, "alice.test");
        assert!(s.find("bob.test").is_none());
    }

    #[test]
    fn damaged_file_is_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path());
        fs::write(file.path(), b"{not json").unwrap();
        assert!(matches!(file.load(), Err(StateError::Damaged { .. })));
        assert!(file.update(|s| s.selected = None).is_err());
        assert_eq!(fs::read(file.path()).unwrap(), b"{not json");
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path());
        std::thread::scope(|s| {
            for i in 0..8 {
                let file = file.clone();
                s.spawn(move || {
                    file.update(|st| st.accounts.push(record(&format!("did:plc:{i}"), "x.test")))
                        .unwrap()
                });
            }
        });
        assert_eq!(file.load().unwrap().accounts.len(), 8);
    }

    #[test]
    fn settings_apply_unless_the_environment_decided() {
        let saved = Settings {
            plc_url: Some("http://localhost:2582".into()),
            oauth_client_id: Some("https://stratos.example.org/client-metadata.json".into()),
            ..Settings::default()
        };
        let c = saved.configure(
            Config::from_lookup(|k| (k == "STRATOS_DATA_DIR").then(|| "/tmp/x".into())).unwrap(),
        );
        assert_eq!(c.plc_url.as_str(), "http://localhost:2582/");
        assert!(matches!(c.oauth_client, ClientKind::Hosted { .. }));

        let c = saved.configure(
            Config::from_lookup(|k| match k {
                "STRATOS_DATA_DIR" => Some("/tmp/x".into()),
                PLC_URL_VAR => Some("http://127.0.0.1:9".into()),
                _ => None,
            })
            .unwrap(),
        );
        assert_eq!(c.plc_url.as_str(), "http://127.0.0.1:9/");
        assert_eq!(c.set_by_env, vec![PLC_URL_VAR]);
        assert!(matches!(c.oauth_client, ClientKind::Hosted { .. }));

        let broken = Settings {
            plc_url: Some("plc.example".into()),
            oauth_client_id: Some("http://not-https.example/x".into()),
            ..Settings::default()
        };
        let plain =
            Config::from_lookup(|k| (k == "STRATOS_DATA_DIR").then(|| "/tmp/x".into())).unwrap();
        let c = broken.configure(plain.clone());
        assert_eq!(c.plc_url.as_str(), "https://plc.directory/");
        assert_eq!(c.oauth_client, plain.oauth_client);
        assert!(check_plc_url("plc.example").is_err());
    }
}
