//! Deactivating and reactivating an account (`com.atproto.server.deactivateAccount` and
//! `activateAccount`).
//!
//! Deactivating is the reversible "pause": the PDS keeps the repository, blobs and identity, but
//! stops serving the repository and tells the network (relays, app views) the account is
//! deactivated, so posts and profile disappear from apps until it is activated again. The account
//! can still sign in, which is how it comes back. A PDS may honour `deleteAfter` by deleting the
//! account for good after that date. Activating undoes it; the PDS refuses unless the account's
//! DID document names this PDS (after a migration, only the new PDS can activate).
//!
//! Both need a full password session ([`Accounts::password_session`]): OAuth sessions are refused
//! by the reference PDS for reactivation, and app passwords for both. After each call the public
//! repository status is read back, so the caller sees the effect rather than trusting the answer.

use chrono::{DateTime, Utc};
use jacquard_api::com_atproto::server::activate_account::ActivateAccount;
use jacquard_api::com_atproto::server::deactivate_account::DeactivateAccount;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::{Datetime, Did};
use serde::Serialize;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::auth::step_up::StepUp;
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::XrpcError;
use crate::status::{RepoStatus, repo_status};

/// The account's hosting state after an activation change, as the PDS publicly reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationOutcome {
    /// The account.
    pub did: String,
    /// Whether the repository is now active.
    pub active: bool,
    /// The inactive status (`deactivated`…), when not active.
    pub status: Option<String>,
    /// When the PDS may delete a deactivated account, if that was asked for.
    pub delete_after: Option<DateTime<Utc>>,
}

/// Why activation or deactivation failed.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// `activateAccount` was refused because the DID document does not name this PDS and its
    /// signing key (typical mid-migration, before the PLC operation).
    #[error(
        "the PDS refused to activate {did} because its DID document does not match this PDS ({reason})"
    )]
    NotHostedHere {
        /// The account.
        did: String,
        /// The server's words.
        reason: String,
    },
    /// The server accepted the call but the repository status did not change.
    #[error("{did} is still {actual} after the change was accepted")]
    NoEffect {
        /// The account.
        did: String,
        /// What the PDS reports now.
        actual: String,
    },
    /// The deletion date is not in the future.
    #[error("the deletion date {0} is not in the future")]
    DeleteAfterInPast(DateTime<Utc>),
    /// Signing in or reaching the account failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl From<SessionError> for ActivationError {
    fn from(e: SessionError) -> Self {
        ActivationError::Accounts(e.into())
    }
}

impl Explain for ActivationError {
    fn explain(&self) -> Problem {
        match self {
            ActivationError::NotHostedHere { .. } => Problem::new(
                "not_hosted_here",
                self,
                Some(
                    "Activate the account on the PDS its DID document names (after a migration: the new one).",
                ),
            ),
            ActivationError::NoEffect { .. } => Problem::new(
                "activation_no_effect",
                self,
                Some("Check the account status again in a moment; the server may be slow."),
            ),
            ActivationError::DeleteAfterInPast(_) => Problem::new(
                "bad_delete_after",
                self,
                Some("Give a date in the future, or none to keep the account indefinitely."),
            ),
            ActivationError::Accounts(e) => e.explain(),
        }
    }
}

/// Deactivates the account (see the module docs for what that means); `delete_after` asks the
/// PDS to delete it for good after that moment.
pub async fn deactivate(
    accounts: &Accounts,
    did: &str,
    delete_after: Option<DateTime<Utc>>,
    step_up: StepUp<'_>,
) -> Result<ActivationOutcome, ActivationError> {
    if let Some(at) = delete_after
        && at <= Utc::now()
    {
        return Err(ActivationError::DeleteAfterInPast(at));
    }
    let session = accounts.password_session(did, step_up).await?;
    let req = DeactivateAccount::<SmolStr> {
        delete_after: delete_after.map(|t| Datetime::new(t.fixed_offset())),
        ..Default::default()
    };
    session.call(&req).await?;
    log::info!("deactivated {did}");
    let outcome = read_back(accounts, session.did(), session.pds(), false).await?;
    Ok(ActivationOutcome {
        delete_after,
        ..outcome
    })
}

/// Activates the account again (or for the first time, after a migration's `createAccount`).
pub async fn activate(
    accounts: &Accounts,
    did: &str,
    step_up: StepUp<'_>,
) -> Result<ActivationOutcome, ActivationError> {
    let session = accounts.password_session(did, step_up).await?;
    session.call(&ActivateAccount).await.map_err(|e| match &e {
        SessionError::Xrpc(XrpcError::Server {
            message: Some(m), ..
        }) if m.starts_with("DID document") || m.contains("PLC DID data") => {
            ActivationError::NotHostedHere {
                did: session.did().to_owned(),
                reason: m.clone(),
            }
        }
        _ => e.into(),
    })?;
    log::info!("activated {did}");
    read_back(accounts, session.did(), session.pds(), true).await
}

/// Reads the public repository status and checks it shows `want_active`.
async fn read_back(
    accounts: &Accounts,
    did: &str,
    pds: &url::Url,
    want_active: bool,
) -> Result<ActivationOutcome, ActivationError> {
    let parsed = Did::new_owned(did).expect("signed-in accounts have valid DIDs");
    let RepoStatus {
        active,
        status,
        error,
        ..
    } = repo_status(accounts.context().xrpc(), pds, &parsed).await;
    let actual = match (active, &status, &error) {
        (Some(a), _, _) if a == want_active => {
            return Ok(ActivationOutcome {
                did: did.to_owned(),
                active: a,
                status,
                delete_after: None,
            });
        }
        (Some(true), _, _) => "active".to_owned(),
        (Some(false), s, _) => s.clone().unwrap_or_else(|| "inactive".to_owned()),
        (None, _, e) => format!(
            "unknown ({})",
            e.as_deref().unwrap_or("no repository status")
        ),
    };
    Err(ActivationError::NoEffect {
        did: did.to_owned(),
        actual,
    })
}
