//! Settings read from the environment, shared by the app and the CLI so both see the same world.

pub mod oauth_client;

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::config::oauth_client::ClientKind;

/// Where Stratos finds the services it depends on and keeps its state.
///
/// Tests point these at the local network; users normally keep the defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// PLC directory used to resolve `did:plc` documents (`STRATOS_PLC_URL`).
    pub plc_url: Url,
    /// An XRPC service answering `com.atproto.identity.resolveHandle`, used instead of DNS and
    /// well-known lookups when set (`STRATOS_HANDLE_RESOLVER`); tests use it for `*.test` handles.
    pub handle_resolver: Option<Url>,
    /// Folder for non-secret state such as the account list (`STRATOS_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Keychain service name under which secrets are stored (`STRATOS_KEYRING_SERVICE`), so tests
    /// never touch a user's real entries.
    pub keyring_service: String,
    /// Upper bound for any single network request.
    pub request_timeout: Duration,
    /// Upper bound for establishing a connection, kept short so an unreachable PDS fails fast.
    pub connect_timeout: Duration,
    /// The OAuth client identity: a hosted client-metadata URL (`STRATOS_OAUTH_CLIENT_ID`, or the
    /// one built in with `STRATOS_DEFAULT_OAUTH_CLIENT_ID` at compile time), else the loopback
    /// development client.
    pub oauth_client: ClientKind,
    /// The variables among `STRATOS_PLC_URL` and `STRATOS_OAUTH_CLIENT_ID` that the environment
    /// set: they win over the saved settings, and the settings screen says so.
    pub set_by_env: Vec<&'static str>,
}

/// Why the environment could not be turned into a [`Config`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A URL variable holds something that is not an http(s) URL.
    #[error("{var} is not a valid http(s) URL: {value:?}")]
    BadUrl {
        /// The environment variable's name.
        var: &'static str,
        /// What it contained.
        value: String,
    },
    /// The OAuth client id is unusable.
    #[error(transparent)]
    OAuthClient(#[from] crate::config::oauth_client::ClientError),
    /// No data folder could be determined for this user.
    #[error("no data folder could be found for this user; set STRATOS_DATA_DIR")]
    NoDataDir,
}

const DEFAULT_PLC: &str = "https://plc.directory";

/// The environment variable that overrides the PLC directory setting.
pub const PLC_URL_VAR: &str = "STRATOS_PLC_URL";
/// The environment variable that overrides the OAuth client setting.
pub const OAUTH_CLIENT_ID_VAR: &str = "STRATOS_OAUTH_CLIENT_ID";

/// Parses a service URL typed by a person or found in the environment: http(s) with a host.
fn service_url(var: &'static str, value: &str) -> Result<Url, ConfigError> {
    Url::parse(value.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or(ConfigError::BadUrl {
            var,
            value: value.to_owned(),
        })
}

/// Checks a PLC directory URL typed on the settings screen.
pub fn check_plc_url(value: &str) -> Result<Url, ConfigError> {
    service_url("the PLC directory", value)
}

impl Config {
    /// Reads the configuration from the process environment, falling back to defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the configuration through `get`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let plc_url = service_url(
            PLC_URL_VAR,
            &get(PLC_URL_VAR).unwrap_or_else(|| DEFAULT_PLC.to_owned()),
        )?;
        let handle_resolver = get("STRATOS_HANDLE_RESOLVER")
            .map(|v| service_url("STRATOS_HANDLE_RESOLVER", &v))
            .transpose()?;
        let set_by_env = [PLC_URL_VAR, OAUTH_CLIENT_ID_VAR]
            .into_iter()
            .filter(|var| get(var).is_some())
            .collect();
        let data_dir = match get("STRATOS_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => directories::ProjectDirs::from("social", "Stratos", "Stratos")
                .map(|d| d.data_dir().to_path_buf())
                .ok_or(ConfigError::NoDataDir)?,
        };
        Ok(Self {
            plc_url,
            handle_resolver,
            data_dir,
            keyring_service: get("STRATOS_KEYRING_SERVICE").unwrap_or_else(|| "stratos".to_owned()),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            oauth_client: ClientKind::from_client_id(
                get(OAUTH_CLIENT_ID_VAR)
                    .as_deref()
                    .or(option_env!("STRATOS_DEFAULT_OAUTH_CLIENT_ID")),
            )?,
            set_by_env,
        })
    }
}

/// `~/x` as the home folder's `x`, as people type paths (a backup folder, an export file); other
/// paths as they are.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c =
            Config::from_lookup(|k| (k == "STRATOS_DATA_DIR").then(|| "/tmp/x".into())).unwrap();
        assert_eq!(c.plc_url.as_str(), "https://plc.directory/");
        assert_eq!(c.keyring_service, "stratos");
        assert!(c.handle_resolver.is_none());
        let c = Config::from_lookup(|k| match k {
            "STRATOS_DATA_DIR" => Some("/tmp/x".into()),
            "STRATOS_HANDLE_RESOLVER" => Some("http://127.0.0.1:9".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.handle_resolver.unwrap().as_str(), "http://127.0.0.1:9/");
    }

    #[test]
    fn rejects_non_http_urls() {
        let err = Config::from_lookup(|k| match k {
            "STRATOS_DATA_DIR" => Some("/tmp/x".into()),
            "STRATOS_PLC_URL" => Some("ftp://plc".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("STRATOS_PLC_URL"), "{err}");
    }
}
