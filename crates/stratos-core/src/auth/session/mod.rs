//! Authenticated access to one account's PDS, whatever kind of session it has.
//!
//! Every feature calls [`AccountSession::call`]; the session decides how to authorise the request,
//! refreshes tokens when needed (once, however many callers are waiting) and persists new tokens
//! to the keychain. Password sessions live in [`password`]; OAuth sessions plug in beside them as
//! another [`Credentials`] kind.

pub mod oauth;
pub mod password;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::{Auth, Output, Raw, Xrpc, XrpcError};
use crate::store::keychain::{KeychainError, SecretStore, Slot};
use jacquard_common::xrpc::XrpcRequest;

pub use password::{PasswordLogin, PasswordSecrets};

/// Why an authenticated call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionError {
    /// The session can no longer be refreshed; the person has to sign in again.
    #[error("the session for {did} has expired or was revoked; sign in again")]
    Expired {
        /// The account.
        did: String,
    },
    /// No secrets are stored for this account.
    #[error("no saved session for {did} in the keychain; sign in again")]
    NotSignedIn {
        /// The account.
        did: String,
    },
    /// The call reached the server and failed, or could not reach it.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The keychain could not be read or written.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The refresh lock file could not be used.
    #[error("could not lock {path} to refresh the session: {reason}")]
    Lock {
        /// The lock file.
        path: String,
        /// Why, in plain words ([`crate::base::plain::io`]).
        reason: &'static str,
        /// The system's own words, for the log and "Details".
        detail: String,
    },
}

/// Serialises token refreshes of one account across processes: the app and the CLI share the
/// keychain, refresh tokens are single-use, and two processes refreshing at once would end the
/// session. Whoever gets the lock second finds new tokens in the keychain and uses them.
#[derive(Clone, Debug)]
pub struct RefreshLock {
    path: Option<std::path::PathBuf>,
}

impl RefreshLock {
    /// A lock file for `did` under `dir/locks/`.
    pub fn in_dir(dir: &std::path::Path, did: &str) -> Self {
        let name: String = did
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Self {
            path: Some(dir.join("locks").join(format!("{name}.lock"))),
        }
    }

    /// No cross-process lock (sessions that live only in memory).
    pub fn none() -> Self {
        Self { path: None }
    }

    /// Takes the lock (waiting for another process to finish its refresh); released on drop.
    pub(crate) async fn acquire(&self) -> Result<Option<std::fs::File>, SessionError> {
        let Some(path) = self.path.clone() else {
            return Ok(None);
        };
        let failed = |e: std::io::Error, path: &std::path::Path| SessionError::Lock {
            path: path.display().to_string(),
            reason: crate::base::plain::io(&e),
            detail: e.to_string(),
        };
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| failed(e, &path))?;
            }
            let file = std::fs::File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| failed(e, &path))?;
            file.lock().map_err(|e| failed(e, &path))?;
            Ok(Some(file))
        })
        .await
        .expect("the lock task does not panic")
    }
}

/// Reads an account's secrets on a blocking thread (keychain calls block).
pub(crate) async fn load_secrets_async(
    store: Arc<dyn SecretStore>,
    did: &str,
) -> Result<Option<StoredSecrets>, KeychainError> {
    let did = did.to_owned();
    tokio::task::spawn_blocking(move || load_secrets(store.as_ref(), &did))
        .await
        .expect("keychain reader does not panic")
}

/// The secrets of one account, exactly as stored in the keychain.
#[derive(Clone, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StoredSecrets {
    /// A password session's tokens.
    Password(PasswordSecrets),
    /// An OAuth session: tokens, DPoP key, client.
    Oauth(Box<oauth::OAuthSecrets>),
}

impl std::fmt::Debug for StoredSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredSecrets::Password(_) => f.write_str("StoredSecrets::Password(<redacted>)"),
            StoredSecrets::Oauth(_) => f.write_str("StoredSecrets::Oauth(<redacted>)"),
        }
    }
}

/// Reads an account's secrets from the keychain.
pub fn load_secrets(
    store: &dyn SecretStore,
    did: &str,
) -> Result<Option<StoredSecrets>, KeychainError> {
    match store.get(&Slot::Session(did).name())? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|_| KeychainError::Damaged(did.to_owned())),
    }
}

/// Writes an account's secrets to the keychain in one replace.
pub fn save_secrets(
    store: &dyn SecretStore,
    did: &str,
    secrets: &StoredSecrets,
) -> Result<(), KeychainError> {
    let json = serde_json::to_string(secrets).expect("secrets always serialise");
    store.set(&Slot::Session(did).name(), &json)
}

/// How a session authorises requests.
enum Credentials {
    Password(password::PasswordAuth),
    Oauth(Box<oauth::OAuthAuth>),
}

/// A signed-in account: its PDS and the credentials to call it.
pub struct AccountSession {
    did: String,
    pds: Url,
    xrpc: Xrpc,
    credentials: Credentials,
}

impl AccountSession {
    /// Restores a session from the keychain; fails with `NotSignedIn` when nothing is stored.
    pub fn restore(
        did: &str,
        pds: Url,
        xrpc: Xrpc,
        store: Arc<dyn SecretStore>,
        net: Arc<crate::auth::oauth::net::Net>,
        lock: RefreshLock,
    ) -> Result<Self, SessionError> {
        let secrets =
            load_secrets(store.as_ref(), did)?.ok_or_else(|| SessionError::NotSignedIn {
                did: did.to_owned(),
            })?;
        let credentials = match secrets {
            StoredSecrets::Password(p) => {
                Credentials::Password(password::PasswordAuth::new(did, p, store, lock))
            }
            StoredSecrets::Oauth(o) => {
                Credentials::Oauth(Box::new(oauth::OAuthAuth::new(did, *o, store, net, lock)))
            }
        };
        Ok(Self {
            did: did.to_owned(),
            pds,
            xrpc,
            credentials,
        })
    }

    /// A password session held only in memory (step-up for an OAuth account): never written to
    /// the keychain, gone when dropped.
    pub fn in_memory(did: &str, pds: Url, xrpc: Xrpc, secrets: PasswordSecrets) -> Self {
        let store: Arc<dyn SecretStore> = Arc::new(crate::store::keychain::NothingStored);
        let credentials = Credentials::Password(password::PasswordAuth::new(
            did,
            secrets,
            store,
            RefreshLock::none(),
        ));
        Self {
            did: did.to_owned(),
            pds,
            xrpc,
            credentials,
        }
    }

    /// Whether this session can do what only a full password session can (app passwords,
    /// activation, email change, deletion).
    pub fn is_password(&self) -> bool {
        matches!(self.credentials, Credentials::Password(_))
    }

    /// The account's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The PDS this session talks to.
    pub fn pds(&self) -> &Url {
        &self.pds
    }

    /// Calls `req` on the account's PDS, refreshing the session once if the token is stale.
    pub async fn call<R>(&self, req: &R) -> Result<Output<R>, SessionError>
    where
        R: XrpcRequest + Serialize,
        Output<R>: DeserializeOwned,
    {
        match &self.credentials {
            Credentials::Password(auth) => auth.call(&self.xrpc, &self.pds, req).await,
            Credentials::Oauth(auth) => auth.call(&self.xrpc, &self.pds, req).await,
        }
    }

    /// Calls procedure `nsid` with a body streamed from `open` (a download from another server,
    /// a file), so nothing the size of a repo or a video is held in memory.
    ///
    /// A stream cannot be sent twice, so when the server wants a fresh token or a new DPoP nonce
    /// the body is opened again and sent once more (at most three sends in all).
    pub async fn procedure_stream<F, Fut>(
        &self,
        nsid: &str,
        content_type: &str,
        open: F,
    ) -> Result<serde_json::Value, SessionError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<reqwest::Body, XrpcError>>,
    {
        self.raw(reqwest::Method::POST, nsid, &[], || async {
            Ok(Some((content_type, open().await?)))
        })
        .await
    }

    /// Calls query `nsid` (one with no typed lexicon here, such as `app.bsky.*`) and returns its
    /// JSON output.
    pub async fn query_json(
        &self,
        nsid: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, SessionError> {
        self.raw(reqwest::Method::GET, nsid, query, || async { Ok(None) })
            .await
    }

    /// Calls procedure `nsid` with a JSON `input` and returns its JSON output (`null` if none).
    pub async fn procedure_json(
        &self,
        nsid: &str,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, SessionError> {
        let bytes = serde_json::to_vec(input).expect("a JSON value always serialises");
        self.raw(reqwest::Method::POST, nsid, &[], || async {
            Ok(Some((
                "application/json",
                reqwest::Body::from(bytes.clone()),
            )))
        })
        .await
    }

    /// Calls query `nsid` and hands back the answer unread, to stream a large one (a
    /// repository export).
    pub async fn query_stream(
        &self,
        nsid: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, SessionError> {
        self.raw_response(reqwest::Method::GET, nsid, query, || async { Ok(None) })
            .await
    }

    /// Sends a raw request with this session's credentials and reads its JSON answer.
    async fn raw<'c, F, Fut>(
        &self,
        method: reqwest::Method,
        nsid: &str,
        query: &[(&str, &str)],
        body: F,
    ) -> Result<serde_json::Value, SessionError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<(&'c str, reqwest::Body)>, XrpcError>>,
    {
        let response = self.raw_response(method, nsid, query, body).await?;
        Ok(crate::net::xrpc::json_of(&self.pds, nsid, response).await?)
    }

    /// Sends a raw request with this session's credentials: a fresh token or a new DPoP nonce
    /// when the server asks, the body made anew by `body` for each send.
    async fn raw_response<'c, F, Fut>(
        &self,
        method: reqwest::Method,
        nsid: &str,
        query: &[(&str, &str)],
        body: F,
    ) -> Result<reqwest::Response, SessionError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<(&'c str, reqwest::Body)>, XrpcError>>,
    {
        let mut last: Option<String> = None;
        let mut failure = None;
        for _ in 0..3 {
            let raw = Raw {
                method: method.clone(),
                nsid,
                query,
                body: body().await?,
            };
            let (sent, token) = match &self.credentials {
                Credentials::Password(auth) => {
                    let token = match last.take() {
                        Some(used) => auth.refresh_after(&used, &self.xrpc, &self.pds).await?,
                        None => auth.fresh_access(&self.xrpc, &self.pds).await?,
                    };
                    let sent = self
                        .xrpc
                        .send_raw_response(&self.pds, raw, Auth::Bearer(&token))
                        .await;
                    (sent, token)
                }
                Credentials::Oauth(auth) => {
                    let (token, key) = match last.take() {
                        Some(used) => auth.refresh_after(&used).await?,
                        None => auth.fresh_access().await?,
                    };
                    let dpop = auth.dpop(&token, &key);
                    let sent = self
                        .xrpc
                        .send_raw_response(&self.pds, raw, Auth::Dpop(&dpop))
                        .await;
                    (sent, token)
                }
            };
            match sent {
                Err(e) if e.is_expired_token() => {
                    last = Some(token);
                    failure = Some(e);
                }
                Err(e) if e.wants_dpop_nonce() => failure = Some(e),
                other => return Ok(other?),
            }
        }
        Err(failure
            .map(SessionError::Xrpc)
            .unwrap_or_else(|| SessionError::Expired {
                did: self.did.clone(),
            }))
    }

    /// Ends the session on the server. Local secrets are removed by the caller afterwards.
    pub async fn revoke(&self) -> Result<(), SessionError> {
        match &self.credentials {
            Credentials::Password(auth) => auth.revoke(&self.xrpc, &self.pds).await,
            Credentials::Oauth(auth) => auth.revoke().await,
        }
    }

    /// The OAuth scopes granted to this session; `None` for password sessions.
    pub async fn granted_scope(&self) -> Option<String> {
        match &self.credentials {
            Credentials::Password(_) => None,
            Credentials::Oauth(auth) => auth.scope().await,
        }
    }
}

impl Explain for SessionError {
    fn explain(&self) -> Problem {
        match self {
            SessionError::Expired { .. } => Problem::new(
                "session_expired",
                self,
                Some("Sign in to this account again."),
            ),
            SessionError::NotSignedIn { .. } => Problem::new(
                "not_signed_in",
                self,
                Some("Sign in to this account again."),
            ),
            SessionError::Xrpc(e) => e.explain(),
            SessionError::Keychain(e) => e.explain(),
            SessionError::Lock { .. } => Problem::new(
                "state_file",
                self,
                Some("Check that the Stratos data folder is writable."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keychain::memory::MemoryStore;

    #[test]
    fn secrets_round_trip_and_damage_is_detected() {
        let store = MemoryStore::default();
        assert!(load_secrets(&store, "did:plc:x").unwrap().is_none());
        let secrets = StoredSecrets::Password(PasswordSecrets {
            access_jwt: "a".into(),
            refresh_jwt: "r".into(),
        });
        save_secrets(&store, "did:plc:x", &secrets).unwrap();
        match load_secrets(&store, "did:plc:x").unwrap() {
            Some(StoredSecrets::Password(p)) => {
                assert_eq!((p.access_jwt.as_str(), p.refresh_jwt.as_str()), ("a", "r"))
            }
            other => panic!("unexpected {other:?}"),
        }
        store.set("did:plc:y", "garbage").unwrap();
        assert!(matches!(
            load_secrets(&store, "did:plc:y"),
            Err(KeychainError::Damaged(_))
        ));
    }
}
