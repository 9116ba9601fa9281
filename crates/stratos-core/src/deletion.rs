//! Deleting an account for good: the PDS emails a code, the person types the account's handle to
//! show they mean it, and `deleteAccount` (which also wants the password) removes it. Stratos
//! then forgets the account locally. Offer [`crate::backup`] first: there is no undo.

use jacquard_api::com_atproto::server::delete_account::DeleteAccount;
use jacquard_api::com_atproto::server::request_account_delete::RequestAccountDelete;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::Did;
use serde::Serialize;
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::auth::step_up::StepUp;
use crate::base::identifier::ParseError;
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::XrpcError;
use crate::store::state::AccountRecord;

/// Why deleting failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum DeletionError {
    /// Finding the account or its session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A call to the PDS failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The typed handle is not the account's handle.
    #[error("{typed:?} is not the handle of this account ({handle})")]
    HandleMismatch {
        /// What was typed.
        typed: String,
        /// The account's handle.
        handle: String,
    },
    /// `deleteAccount` needs the account password itself.
    #[error("deleting an account needs its password")]
    PasswordNeeded,
    /// The password was refused.
    #[error("wrong password")]
    WrongPassword,
    /// The emailed code was wrong or has expired.
    #[error("the deletion code is wrong or has expired")]
    WrongCode,
}

impl Explain for DeletionError {
    fn explain(&self) -> Problem {
        let p = |code, hint: &str| Problem::new(code, self, Some(hint));
        match self {
            DeletionError::Accounts(e) => e.explain(),
            DeletionError::Session(e) => e.explain(),
            DeletionError::HandleMismatch { .. } => p(
                "handle_mismatch",
                "Type the account's handle exactly, to confirm which account goes.",
            ),
            DeletionError::PasswordNeeded => p(
                "password_needed",
                "Enter the account password (not an app password); it is not saved.",
            ),
            DeletionError::WrongPassword => p(
                "wrong_password",
                "Use the account password, not an app password. Passwords are case-sensitive.",
            ),
            DeletionError::WrongCode => p(
                "wrong_code",
                "Copy the newest code from the email exactly, or request a new one.",
            ),
        }
    }
}

/// What was deleted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// The deleted account's DID.
    pub did: String,
    /// Its handle.
    pub handle: String,
    /// The PDS it was on.
    pub pds_url: String,
    /// Whether it was also removed from Stratos (it is, unless the local state failed).
    pub forgotten_locally: bool,
}

/// Checks that `typed_handle` is exactly the account's handle (no trimming, no case folding), so
/// a person cannot delete one account while thinking of another. Front ends call it before
/// asking for the code too; [`delete`] checks again.
pub fn confirm_handle(
    accounts: &Accounts,
    id: Option<&str>,
    typed_handle: &str,
) -> Result<AccountRecord, DeletionError> {
    let record = accounts.find(id)?;
    if typed_handle != record.handle {
        return Err(DeletionError::HandleMismatch {
            typed: typed_handle.to_owned(),
            handle: record.handle,
        });
    }
    Ok(record)
}

/// Step one: the PDS emails a deletion code to the account's address. Needs a password session
/// (a browser sign-in passes the password in `step_up`).
pub async fn request(
    accounts: &Accounts,
    id: Option<&str>,
    step_up: StepUp<'_>,
) -> Result<String, DeletionError> {
    let record = accounts.find(id)?;
    let session = accounts.password_session(&record.did, step_up).await?;
    session.call(&RequestAccountDelete).await?;
    log::info!("requested an account deletion code for {}", record.did);
    Ok(record.did)
}

/// Step two: checks `typed_handle` equals the account's handle exactly, deletes the account with
/// the password and emailed `code`, then removes it from Stratos.
pub async fn delete(
    accounts: &Accounts,
    id: Option<&str>,
    typed_handle: &str,
    password: &str,
    code: &str,
) -> Result<Deleted, DeletionError> {
    let record = confirm_handle(accounts, id, typed_handle)?;
    if password.is_empty() {
        return Err(DeletionError::PasswordNeeded);
    }
    let pds = Url::parse(&record.pds_url).map_err(|_| {
        AccountsError::BadInput(ParseError::BadServerUrl {
            input: record.pds_url.clone(),
        })
    })?;
    let req = DeleteAccount {
        did: Did::new_owned(&record.did).map_err(|_| {
            AccountsError::BadInput(ParseError::BadDid {
                input: record.did.clone(),
            })
        })?,
        password: SmolStr::new(password),
        token: SmolStr::new(code.trim()),
        extra_data: None,
    };
    match accounts.context().xrpc().send(&pds, &req, None).await {
        Ok(()) => {}
        Err(e) => return Err(refusal(e)),
    }
    log::info!("deleted account {} ({})", record.handle, record.did);
    // The account is gone, so revoking its session fails on the server; logout still removes
    // the local secrets and record and reports that the server was not told.
    let forgotten_locally = match accounts.logout(Some(&record.did)).await {
        Ok(outcome) => {
            log::info!(
                "forgot {} locally (server told: {})",
                record.did,
                outcome.revoked_on_server
            );
            true
        }
        Err(e) => {
            log::warn!(
                "deleted {} but could not forget it locally: {e}",
                record.did
            );
            false
        }
    };
    Ok(Deleted {
        did: record.did,
        handle: record.handle,
        pds_url: record.pds_url,
        forgotten_locally,
    })
}

fn refusal(e: XrpcError) -> DeletionError {
    match e.error_name() {
        Some("InvalidToken" | "ExpiredToken") => DeletionError::WrongCode,
        Some("AuthenticationRequired") => DeletionError::WrongPassword,
        _ => DeletionError::Session(e.into()),
    }
}
