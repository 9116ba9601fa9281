//! Password sessions: `createSession`, single-flight `refreshSession`, `deleteSession`.

use std::sync::Arc;

use base64::Engine;
use jacquard_api::com_atproto::server::create_session::CreateSession;
use jacquard_api::com_atproto::server::delete_session::DeleteSession;
use jacquard_api::com_atproto::server::refresh_session::RefreshSession;
use jacquard_common::xrpc::XrpcRequest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

use super::{RefreshLock, SessionError, StoredSecrets, load_secrets_async, save_secrets};
use crate::base::redact;
use crate::net::xrpc::{Output, Xrpc, XrpcError};
use crate::store::keychain::SecretStore;

/// Refresh this long before the access token's `exp`, so a request never races the expiry.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// A password session's tokens (secrets: keychain only).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSecrets {
    /// The short-lived access JWT.
    pub access_jwt: String,
    /// The single-use refresh JWT.
    pub refresh_jwt: String,
}

impl std::fmt::Debug for PasswordSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordSecrets")
            .field("access_jwt", &redact::secret(&self.access_jwt))
            .field("refresh_jwt", &redact::secret(&self.refresh_jwt))
            .finish()
    }
}

/// The result of a successful `createSession`.
#[derive(Debug, Clone)]
pub struct PasswordLogin {
    /// The account's DID as the PDS reports it.
    pub did: String,
    /// The account's handle.
    pub handle: String,
    /// The new tokens.
    pub secrets: PasswordSecrets,
    /// Whether the account is active.
    pub active: bool,
    /// The inactive status, if any (`deactivated`, `takendown`...).
    pub status: Option<String>,
}

/// Signs in with a password (and an emailed code when the account has email 2FA on).
pub async fn create_session(
    xrpc: &Xrpc,
    pds: &Url,
    identifier: &str,
    password: &str,
    auth_factor_token: Option<&str>,
) -> Result<PasswordLogin, XrpcError> {
    let req: CreateSession = CreateSession {
        identifier: identifier.into(),
        password: password.into(),
        auth_factor_token: auth_factor_token.map(Into::into),
        ..Default::default()
    };
    let out = xrpc.send(pds, &req, None).await?;
    Ok(PasswordLogin {
        did: out.did.as_str().to_owned(),
        handle: out.handle.as_str().to_owned(),
        secrets: PasswordSecrets {
            access_jwt: out.access_jwt.to_string(),
            refresh_jwt: out.refresh_jwt.to_string(),
        },
        active: out.active.unwrap_or(true),
        status: out.status.map(|s| s.as_str().to_owned()),
    })
}

struct Tokens {
    secrets: PasswordSecrets,
    /// Set once a refresh was refused: the session is over and must not be retried in a loop.
    dead: bool,
}

/// Authorises requests with a password session's tokens.
///
/// All token reads and refreshes go through one async mutex. A caller whose token was refused
/// refreshes only if the token it used is still the current one; otherwise somebody else already
/// refreshed and it simply retries with the new token. So any number of concurrent callers share
/// a single `refreshSession`, which matters because refresh tokens are single-use.
pub(crate) struct PasswordAuth {
    did: String,
    tokens: Mutex<Tokens>,
    store: Arc<dyn SecretStore>,
    lock: RefreshLock,
}

impl PasswordAuth {
    pub(crate) fn new(
        did: &str,
        secrets: PasswordSecrets,
        store: Arc<dyn SecretStore>,
        lock: RefreshLock,
    ) -> Self {
        Self {
            did: did.to_owned(),
            tokens: Mutex::new(Tokens {
                secrets,
                dead: false,
            }),
            store,
            lock,
        }
    }

    pub(crate) async fn call<R>(
        &self,
        xrpc: &Xrpc,
        pds: &Url,
        req: &R,
    ) -> Result<Output<R>, SessionError>
    where
        R: XrpcRequest + Serialize,
        Output<R>: DeserializeOwned,
    {
        let token = self.fresh_access(xrpc, pds).await?;
        match xrpc.send(pds, req, Some(&token)).await {
            Err(e) if e.is_expired_token() => {
                let token = self.refresh_after(&token, xrpc, pds).await?;
                Ok(xrpc.send(pds, req, Some(&token)).await?)
            }
            other => Ok(other?),
        }
    }

    pub(crate) async fn revoke(&self, xrpc: &Xrpc, pds: &Url) -> Result<(), SessionError> {
        let tokens = self.tokens.lock().await;
        match xrpc
            .send(pds, &DeleteSession, Some(&tokens.secrets.refresh_jwt))
            .await
        {
            Ok(()) => Ok(()),
            // Already expired or revoked on the server: the goal is reached.
            Err(e) if e.is_expired_token() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The current access token, refreshed first when it is about to expire.
    pub(super) async fn fresh_access(
        &self,
        xrpc: &Xrpc,
        pds: &Url,
    ) -> Result<String, SessionError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.dead {
            return Err(SessionError::Expired {
                did: self.did.clone(),
            });
        }
        if expires_soon(&tokens.secrets.access_jwt) {
            self.refresh_locked(&mut tokens, xrpc, pds).await?;
        }
        Ok(tokens.secrets.access_jwt.clone())
    }

    /// Refreshes unless another caller already replaced the token `used`.
    pub(super) async fn refresh_after(
        &self,
        used: &str,
        xrpc: &Xrpc,
        pds: &Url,
    ) -> Result<String, SessionError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.dead {
            return Err(SessionError::Expired {
                did: self.did.clone(),
            });
        }
        if tokens.secrets.access_jwt == used {
            self.refresh_locked(&mut tokens, xrpc, pds).await?;
        }
        Ok(tokens.secrets.access_jwt.clone())
    }

    async fn refresh_locked(
        &self,
        tokens: &mut Tokens,
        xrpc: &Xrpc,
        pds: &Url,
    ) -> Result<(), SessionError> {
        // Another process (the app, the CLI) may have refreshed already: use its tokens.
        let _guard = self.lock.acquire().await?;
        if let Some(StoredSecrets::Password(stored)) =
            load_secrets_async(self.store.clone(), &self.did).await?
            && stored.refresh_jwt != tokens.secrets.refresh_jwt
        {
            log::info!(
                "using the session of {} refreshed by another Stratos process",
                self.did
            );
            tokens.secrets = stored;
            return Ok(());
        }
        log::info!("refreshing the password session of {}", self.did);
        let out = match xrpc
            .send(pds, &RefreshSession, Some(&tokens.secrets.refresh_jwt))
            .await
        {
            Ok(out) => out,
            Err(e) if e.is_expired_token() || e.error_name() == Some("AuthenticationRequired") => {
                log::warn!("session of {} can no longer be refreshed: {e}", self.did);
                tokens.dead = true;
                return Err(SessionError::Expired {
                    did: self.did.clone(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let secrets = PasswordSecrets {
            access_jwt: out.access_jwt.to_string(),
            refresh_jwt: out.refresh_jwt.to_string(),
        };
        let store = self.store.clone();
        let did = self.did.clone();
        let stored = StoredSecrets::Password(secrets.clone());
        tokio::task::spawn_blocking(move || save_secrets(store.as_ref(), &did, &stored))
            .await
            .expect("keychain writer does not panic")?;
        tokens.secrets = secrets;
        Ok(())
    }
}

/// Reads `exp` from a JWT without verifying it (the server verifies; this only schedules a
/// refresh). Unreadable tokens count as fresh and are refreshed when the server refuses them.
fn expires_soon(jwt: &str) -> bool {
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<i64>,
    }
    let exp = jwt
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Claims>(&b).ok())
        .and_then(|c| c.exp);
    match exp {
        Some(exp) => exp - EXPIRY_MARGIN_SECS <= chrono::Utc::now().timestamp(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: i64) -> String {
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg":"HS256"})),
            enc(serde_json::json!({"exp": exp}))
        )
    }

    #[test]
    fn expiry_detection() {
        let now = chrono::Utc::now().timestamp();
        assert!(expires_soon(&jwt(now - 10)));
        assert!(expires_soon(&jwt(now + 30)), "inside the margin");
        assert!(!expires_soon(&jwt(now + 3600)));
        assert!(!expires_soon("not-a-jwt"));
    }

    #[test]
    fn secrets_debug_is_redacted() {
        let s = PasswordSecrets {
            access_jwt: "AAA.secret-access".into(),
            refresh_jwt: "RRR.secret-refresh".into(),
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("secret-access") && !shown.contains("secret-refresh"),
            "{shown}"
        );
    }
}
