//! Sign-in through the browser with atproto OAuth: discovery, PAR with PKCE and DPoP, the
//! callback checks, and the token exchange.
//!
//! The protocol steps (discovery, PAR, token exchange, refresh, revocation, DPoP proofs) come from
//! jacquard-oauth's request layer. Stratos adds what that layer leaves to the caller: the
//! `state`/`iss` checks on the callback, `sub` against the account that was asked for, the
//! `atproto` scope, cancellation and error redirects, and a loopback client_id that stays the same
//! between sign-ins.

pub mod callback;

pub mod net;

use std::time::{Duration, Instant};

use jacquard_common::deps::fluent_uri::Uri;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_oauth::request::{OAuthMetadata, exchange_code, par};
use jacquard_oauth::resolver::OAuthResolver;
use jacquard_oauth::scopes::Scopes;
use jacquard_oauth::session::{AuthRequestData, ClientSessionData, DpopClientData};
use jacquard_oauth::types::OAuthClientMetadata;
use url::Url;

use crate::base::identifier::{Identifier, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::identity::{IdentityError, Resolver};
use callback::Callback;
use net::Net;

/// How long a started sign-in may wait for its callback (the server's request_uri lives shorter).
pub const PENDING_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Why a browser sign-in failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// The account or server could not be resolved.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The server's OAuth metadata could not be found or is invalid (including an `issuer` that
    /// does not match the server).
    #[error("could not find a valid sign-in server for {input}: {reason}")]
    Discovery {
        /// What was typed.
        input: String,
        /// Why.
        reason: String,
    },
    /// The pushed authorization request was refused.
    #[error("the sign-in server refused to start the sign-in: {0}")]
    Par(String),
    /// The callback's `state` belongs to no sign-in in progress (forged, replayed or expired).
    #[error("the server did not recognise this sign-in (state mismatch)")]
    StateMismatch,
    /// The callback names another issuer than the one the sign-in started with.
    #[error("the sign-in answer came from {got}, not from {expected} (issuer mismatch)")]
    IssuerMismatch {
        /// The issuer the sign-in started with.
        expected: String,
        /// The `iss` in the callback.
        got: String,
    },
    /// The person cancelled or refused in the browser.
    #[error("the sign-in was cancelled in the browser")]
    Cancelled,
    /// The person cancelled the sign-in in Stratos, and the browser approved it afterwards.
    #[error("this sign-in was cancelled in Stratos, so its approval in the browser was refused")]
    CancelledHere,
    /// The server answered the authorization with an error.
    #[error("the sign-in server refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The OAuth error code.
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The code could not be exchanged for tokens (expired, used, or a server problem).
    #[error("the sign-in could not be completed: {0}")]
    TokenExchange(String),
    /// The tokens belong to another account than the one asked for.
    #[error("the server signed in {got}, but {expected} was asked for")]
    SubjectMismatch {
        /// The DID asked for.
        expected: String,
        /// The DID in the token response.
        got: String,
    },
    /// The granted scope lacks `atproto`.
    #[error("the server did not grant the atproto scope (granted: {0})")]
    MissingAtprotoScope(String),
    /// Client configuration problem.
    #[error(transparent)]
    Client(#[from] crate::config::oauth_client::ClientError),
    /// Callback problem.
    #[error(transparent)]
    Callback(#[from] callback::CallbackError),
}

/// A sign-in waiting for its callback. Holds the PKCE verifier and DPoP key: memory only.
pub struct Pending {
    auth: AuthRequestData,
    metadata: OAuthMetadata<SmolStr>,
    expected_did: Option<String>,
    started: Instant,
}

impl Pending {
    /// The `state` that identifies this sign-in.
    pub fn state(&self) -> &str {
        self.auth.state.as_str()
    }

    /// Whether the sign-in is too old to complete.
    pub fn expired(&self) -> bool {
        self.started.elapsed() > PENDING_LIFETIME
    }
}

/// What the person must open in their browser.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// The authorization page to open.
    pub authorize_url: String,
    /// The `state` of this sign-in, to cancel it.
    pub state: String,
    /// The authorization server.
    pub issuer: String,
}

/// Non-secret facts about a finished sign-in, for the account list.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The session, including tokens and the DPoP key (keychain only).
    pub session: ClientSessionData,
    /// The client metadata the tokens were issued to (needed to refresh and revoke).
    pub client: OAuthClientMetadata<SmolStr>,
    /// The PDS.
    pub pds: Url,
}

fn discovery(input: &str, e: impl std::fmt::Display) -> OAuthError {
    let text = e.to_string();
    // The OAuth library's words when the resolver found nothing, said as a person would.
    let reason = if text.contains("handle resolution exhausted") {
        log::debug!("sign-in discovery for {input}: {text}");
        "the handle does not resolve to any account".to_owned()
    } else {
        text
    };
    OAuthError::Discovery {
        input: input.to_owned(),
        reason,
    }
}

/// Starts a sign-in for a handle, DID, or PDS/entryway URL: discovery, then PAR. With
/// `sign_up`, the server shows its account-creation form (`prompt=create`) and the callback
/// signs in the new account.
pub async fn start(
    net: &Net,
    resolver: &Resolver,
    input: &str,
    client: OAuthClientMetadata<SmolStr>,
    sign_up: bool,
) -> Result<(Started, Pending), OAuthError> {
    let typed = input.trim();
    let (server_metadata, expected_did, login_hint) =
        if typed.starts_with("http://") || typed.starts_with("https://") {
            let url = parse_service_url(typed).map_err(|e| discovery(typed, e))?;
            let base = url.as_str().trim_end_matches('/');
            // A PDS names its authorization server; an entryway is one itself.
            let metadata = match net.get_resource_server_metadata(base).await {
                Ok(m) => m,
                Err(_) => net
                    .get_authorization_server_metadata(base)
                    .await
                    .map_err(|e| discovery(typed, e))?,
            };
            (metadata, None, None)
        } else {
            let id: Identifier = typed.parse().map_err(|e| discovery(typed, e))?;
            let identity = resolver.resolve(&id).await?;
            let pds = identity.pds.ok_or_else(|| IdentityError::NoPdsInDocument {
                did: identity.did.as_str().to_owned(),
            })?;
            let metadata = net
                .get_resource_server_metadata(pds.as_str().trim_end_matches('/'))
                .await
                .map_err(|e| discovery(typed, e))?;
            (
                metadata,
                Some(identity.did.as_str().to_owned()),
                Some(SmolStr::from(id.to_string())),
            )
        };
    let mut metadata = OAuthMetadata {
        server_metadata,
        client_metadata: client,
        keyset: None,
    };
    let par_endpoint = metadata
        .server_metadata
        .pushed_authorization_request_endpoint
        .as_ref()
        .map(|u| u.to_string());
    let auth = match par_endpoint.filter(|_| sign_up) {
        Some(endpoint) => par(&net.for_sign_up(&endpoint), None, None, &mut metadata, None).await,
        None => par(net, login_hint, None, &mut metadata, None).await,
    }
    .map_err(|e| OAuthError::Par(describe(&e)))?;
    let mut authorize = Url::parse(metadata.server_metadata.authorization_endpoint.as_str())
        .map_err(|e| discovery(typed, e))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", metadata.client_metadata.client_id.as_str())
        .append_pair("request_uri", auth.request_uri.as_str());
    let started = Started {
        authorize_url: authorize.to_string(),
        state: auth.state.to_string(),
        issuer: metadata.server_metadata.issuer.to_string(),
    };
    log::info!("browser sign-in started for {typed} at {}", started.issuer);
    Ok((
        started,
        Pending {
            auth,
            metadata,
            expected_did,
            started: Instant::now(),
        },
    ))
}

/// Completes a sign-in from its callback: checks `iss`, exchanges the code, checks `sub` and
/// the scope. The caller has already matched `state` to `pending`.
pub async fn finish(
    net: &Net,
    pending: Pending,
    callback: &Callback,
) -> Result<Finished, OAuthError> {
    let issuer = pending.metadata.server_metadata.issuer.to_string();
    if let Some(error) = &callback.error {
        return Err(if error == "access_denied" {
            OAuthError::Cancelled
        } else {
            OAuthError::Refused {
                error: error.clone(),
                description: callback.error_description.clone(),
            }
        });
    }
    match &callback.iss {
        Some(iss) if *iss == issuer => {}
        other => {
            return Err(OAuthError::IssuerMismatch {
                expected: issuer,
                got: other.clone().unwrap_or_else(|| "(none)".into()),
            });
        }
    }
    let code = callback
        .code
        .as_deref()
        .ok_or(callback::CallbackError::NotACallback)?;
    let mut dpop = pending.auth.dpop_data.clone();
    let tokens = exchange_code(
        net,
        &mut dpop,
        code,
        pending.auth.pkce_verifier.as_str(),
        &pending.metadata,
    )
    .await
    .map_err(|e| OAuthError::TokenExchange(describe(&e)))?;
    if let Some(expected) = &pending.expected_did
        && tokens.sub.as_str() != expected
    {
        return Err(OAuthError::SubjectMismatch {
            expected: expected.clone(),
            got: tokens.sub.as_str().to_owned(),
        });
    }
    let granted = tokens.scope.as_deref().unwrap_or("").to_owned();
    if !granted.split_whitespace().any(|s| s == "atproto") {
        return Err(OAuthError::MissingAtprotoScope(granted));
    }
    let pds = Url::parse(tokens.aud.as_str())
        .map_err(|e| OAuthError::TokenExchange(format!("bad audience: {e}")))?;
    let host_url = Uri::parse(tokens.aud.to_string())
        .map_err(|(e, _)| OAuthError::TokenExchange(format!("bad audience: {e}")))?;
    let scopes = Scopes::new(SmolStr::from(granted.as_str()))
        .unwrap_or_else(|_| pending.auth.scopes.clone());
    let session = ClientSessionData {
        account_did: tokens.sub.clone(),
        session_id: pending.auth.state.clone(),
        host_url,
        authserver_url: pending.auth.authserver_url.clone(),
        authserver_token_endpoint: pending.auth.authserver_token_endpoint.clone(),
        authserver_revocation_endpoint: pending.auth.authserver_revocation_endpoint.clone(),
        scopes,
        dpop_data: DpopClientData {
            dpop_key: dpop.dpop_key.clone(),
            dpop_authserver_nonce: dpop.dpop_authserver_nonce.clone().unwrap_or_default(),
            dpop_host_nonce: SmolStr::default(),
        },
        token_set: tokens,
        resolved_scopes: None,
    };
    log::info!(
        "browser sign-in finished for {}",
        session.account_did.as_str()
    );
    Ok(Finished {
        session,
        client: pending.metadata.client_metadata,
        pds,
    })
}

/// A jacquard-oauth error with its causes, for messages.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let next = s.to_string();
        if !msg.contains(&next) {
            msg = format!("{msg}: {next}");
        }
        src = s.source();
    }
    msg
}

impl Explain for OAuthError {
    fn explain(&self) -> Problem {
        let again = Some("Please try again.");
        match self {
            OAuthError::Identity(e) => e.explain(),
            OAuthError::Discovery { .. } => Problem::new(
                "oauth_discovery",
                self,
                Some("This server may not support browser sign-in; use a password instead."),
            ),
            OAuthError::Par(_) => Problem::new("oauth_refused", self, again),
            OAuthError::StateMismatch => Problem::new("oauth_state_mismatch", self, again),
            OAuthError::IssuerMismatch { .. } => Problem::new("oauth_issuer_mismatch", self, again),
            OAuthError::Cancelled => Problem::new("oauth_cancelled", self, None),
            OAuthError::CancelledHere => Problem::new(
                "oauth_cancelled_here",
                self,
                Some("No account was added. Start the sign-in again to add it."),
            ),
            OAuthError::Refused { .. } => Problem::new("oauth_refused", self, again),
            OAuthError::TokenExchange(_) => Problem::new(
                "oauth_token_exchange",
                self,
                Some("The sign-in may have expired in the browser. Please try again."),
            ),
            OAuthError::SubjectMismatch { .. } => Problem::new(
                "oauth_wrong_account",
                self,
                Some(
                    "Sign in with the account you entered, or enter the account you signed in with.",
                ),
            ),
            OAuthError::MissingAtprotoScope(_) => Problem::new("oauth_scope", self, None),
            OAuthError::Client(_) => Problem::new("oauth_client", self, None),
            OAuthError::Callback(callback::CallbackError::TimedOut(_)) => {
                Problem::new("oauth_timeout", self, again)
            }
            OAuthError::Callback(_) => Problem::new("oauth_bad_callback", self, None),
        }
    }
}
