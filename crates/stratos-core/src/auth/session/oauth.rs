//! OAuth sessions: DPoP-bound access tokens, single-flight refresh, revocation with a proof.

use std::sync::Arc;

use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::xrpc::XrpcRequest;
use jacquard_oauth::request::{OAuthMetadata, RequestErrorKind};
use jacquard_oauth::resolver::OAuthResolver;
use jacquard_oauth::session::ClientSessionData;
use jacquard_oauth::types::OAuthClientMetadata;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

use super::{RefreshLock, SessionError, StoredSecrets, load_secrets_async, save_secrets};
use crate::auth::oauth::describe;
use crate::auth::oauth::net::Net;
use crate::net::xrpc::{DpopAuth, Output, Xrpc, XrpcError};
use crate::store::keychain::SecretStore;

/// Refresh this long before the access token expires.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// An OAuth session as stored in the keychain: tokens, DPoP private key, and the client the
/// tokens were issued to (refresh and revocation must present the same client).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSecrets {
    /// The client metadata used at sign-in.
    pub client: OAuthClientMetadata<SmolStr>,
    /// jacquard-oauth's session data (tokens, DPoP key and nonces, endpoints).
    pub session: ClientSessionData,
}

struct State {
    secrets: OAuthSecrets,
    dead: bool,
}

/// Authorises requests with an OAuth session; same locking discipline as password sessions.
pub(crate) struct OAuthAuth {
    did: String,
    state: Mutex<State>,
    host_nonce: std::sync::Mutex<Option<String>>,
    store: Arc<dyn SecretStore>,
    net: Arc<Net>,
    lock: RefreshLock,
}

impl OAuthAuth {
    pub(crate) fn new(
        did: &str,
        secrets: OAuthSecrets,
        store: Arc<dyn SecretStore>,
        net: Arc<Net>,
        lock: RefreshLock,
    ) -> Self {
        let nonce =
            Some(secrets.session.dpop_data.dpop_host_nonce.to_string()).filter(|n| !n.is_empty());
        Self {
            did: did.to_owned(),
            state: Mutex::new(State {
                secrets,
                dead: false,
            }),
            host_nonce: std::sync::Mutex::new(nonce),
            store,
            net,
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
        let (token, key) = self.fresh_access().await?;
        let dpop = DpopAuth {
            token: &token,
            key: &key,
            nonce: &self.host_nonce,
        };
        match xrpc.send_dpop(pds, req, &dpop).await {
            Err(e) if e.is_expired_token() => {
                let (token, key) = self.refresh_after(&token).await?;
                let dpop = DpopAuth {
                    token: &token,
                    key: &key,
                    nonce: &self.host_nonce,
                };
                Ok(xrpc.send_dpop(pds, req, &dpop).await?)
            }
            other => Ok(other?),
        }
    }

    /// The DPoP authorization for `token`, sharing this session's resource-server nonce.
    pub(super) fn dpop<'a>(&'a self, token: &'a str, key: &'a jose_jwk::Key) -> DpopAuth<'a> {
        DpopAuth {
            token,
            key,
            nonce: &self.host_nonce,
        }
    }

    /// Revokes the refresh token (which ends the whole session) with a DPoP proof.
    pub(crate) async fn revoke(&self) -> Result<(), SessionError> {
        let state = self.state.lock().await;
        let mut session = state.secrets.session.clone();
        let Some(token) = session
            .token_set
            .refresh_token
            .clone()
            .or(Some(session.token_set.access_token.clone()))
        else {
            return Ok(());
        };
        let metadata = self.metadata(&state.secrets).await?;
        match jacquard_oauth::request::revoke(
            self.net.as_ref(),
            &mut session.dpop_data,
            token.as_str(),
            &metadata,
        )
        .await
        {
            Ok(()) => Ok(()),
            // The reference server answers 200 `{}` where jacquard expects 204: both mean done.
            Err(e) if matches!(e.kind(), RequestErrorKind::HttpStatus(s) if s.is_success()) => {
                Ok(())
            }
            Err(e) => Err(oauth_failure(&self.did, "revoke", &e)),
        }
    }

    /// The granted scope string.
    pub(crate) async fn scope(&self) -> Option<String> {
        self.state
            .lock()
            .await
            .secrets
            .session
            .token_set
            .scope
            .as_ref()
            .map(|s| s.to_string())
    }

    async fn metadata(
        &self,
        secrets: &OAuthSecrets,
    ) -> Result<OAuthMetadata<SmolStr>, SessionError> {
        let server_metadata = self
            .net
            .get_authorization_server_metadata(secrets.session.authserver_url.as_str())
            .await
            .map_err(|e| oauth_failure(&self.did, "reach the sign-in server", &e))?;
        Ok(OAuthMetadata {
            server_metadata,
            client_metadata: secrets.client.clone(),
            keyset: None,
        })
    }

    pub(super) async fn fresh_access(&self) -> Result<(String, jose_jwk::Key), SessionError> {
        let mut state = self.state.lock().await;
        if state.dead {
            return Err(SessionError::Expired {
                did: self.did.clone(),
            });
        }
        if expires_soon(&state.secrets.session) {
            self.refresh_locked(&mut state).await?;
        }
        Ok(current(&state))
    }

    pub(super) async fn refresh_after(
        &self,
        used: &str,
    ) -> Result<(String, jose_jwk::Key), SessionError> {
        let mut state = self.state.lock().await;
        if state.dead {
            return Err(SessionError::Expired {
                did: self.did.clone(),
            });
        }
        if state.secrets.session.token_set.access_token.as_str() == used {
            self.refresh_locked(&mut state).await?;
        }
        Ok(current(&state))
    }

    async fn refresh_locked(&self, state: &mut State) -> Result<(), SessionError> {
        // Another process (the app, the CLI) may have refreshed already: use its tokens.
        let _guard = self.lock.acquire().await?;
        if let Some(StoredSecrets::Oauth(stored)) =
            load_secrets_async(self.store.clone(), &self.did).await?
            && stored.session.token_set.refresh_token
                != state.secrets.session.token_set.refresh_token
        {
            log::info!(
                "using the OAuth session of {} refreshed by another Stratos process",
                self.did
            );
            state.secrets = *stored;
            return Ok(());
        }
        log::info!("refreshing the OAuth session of {}", self.did);
        let metadata = self.metadata(&state.secrets).await?;
        let refreshed = match jacquard_oauth::request::refresh(
            self.net.as_ref(),
            state.secrets.session.clone(),
            &metadata,
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                let refused = matches!(e.kind(), RequestErrorKind::HttpStatus(s) if s.is_client_error())
                    || matches!(e.kind(), RequestErrorKind::HttpStatusWithBody { status, .. } if status.is_client_error())
                    || matches!(e.kind(), RequestErrorKind::NoRefreshToken);
                if refused {
                    log::warn!(
                        "OAuth session of {} can no longer be refreshed: {}",
                        self.did,
                        describe(&e)
                    );
                    state.dead = true;
                    return Err(SessionError::Expired {
                        did: self.did.clone(),
                    });
                }
                return Err(oauth_failure(&self.did, "refresh", &e));
            }
        };
        let secrets = OAuthSecrets {
            client: state.secrets.client.clone(),
            session: refreshed,
        };
        let store = self.store.clone();
        let did = self.did.clone();
        let stored = StoredSecrets::Oauth(Box::new(secrets.clone()));
        tokio::task::spawn_blocking(move || save_secrets(store.as_ref(), &did, &stored))
            .await
            .expect("keychain writer does not panic")?;
        state.secrets = secrets;
        Ok(())
    }
}

fn current(state: &State) -> (String, jose_jwk::Key) {
    let s = &state.secrets.session;
    (
        s.token_set.access_token.to_string(),
        s.dpop_data.dpop_key.clone(),
    )
}

fn expires_soon(session: &ClientSessionData) -> bool {
    session.token_set.expires_at.as_ref().is_some_and(|at| {
        at.as_ref().timestamp() - EXPIRY_MARGIN_SECS <= chrono::Utc::now().timestamp()
    })
}

fn oauth_failure(did: &str, action: &str, e: &(dyn std::error::Error + 'static)) -> SessionError {
    SessionError::Xrpc(XrpcError::Unreachable {
        service: format!("the sign-in server of {did}"),
        reason: crate::base::plain::connection(e),
        detail: format!("could not {action}: {}", describe(e)),
    })
}
