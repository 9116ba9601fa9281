//! The account's email address: see it, confirm it, change it, and turn the emailed sign-in code
//! (email 2FA) on or off.
//!
//! Confirmation works with any session that may see the email (password, or OAuth with
//! `account:email?action=manage`). Changing the address or the 2FA setting needs a full password
//! session on the reference PDS, so those go through [`Accounts::password_session`].

use jacquard_api::com_atproto::server::confirm_email::ConfirmEmail;
use jacquard_api::com_atproto::server::get_session::GetSession;
use jacquard_api::com_atproto::server::request_email_confirmation::RequestEmailConfirmation;
use jacquard_api::com_atproto::server::request_email_update::RequestEmailUpdate;
use jacquard_api::com_atproto::server::update_email::UpdateEmail;
use jacquard_common::deps::smol_str::SmolStr;
use serde::Serialize;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::{AccountSession, SessionError};
use crate::auth::step_up::StepUp;
use crate::base::problem::{Explain, Problem};

/// Why an email operation failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Finding the account or its session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The call to the PDS failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The session may not read the email address (an OAuth grant without `account:email`).
    #[error("this sign-in cannot see the account's email address")]
    Hidden,
    /// The emailed code was wrong or has expired.
    #[error("the emailed code is wrong or has expired")]
    WrongCode,
    /// The server wants the emailed code before it changes anything.
    #[error("the server needs the code it emailed to make this change")]
    CodeNeeded,
    /// The new address was empty or not an address.
    #[error("{input:?} is not an email address")]
    BadAddress {
        /// What was typed.
        input: String,
    },
    /// The new address is already used by another account on this server.
    #[error("{email} is already used by another account on this server")]
    AddressTaken {
        /// The refused address.
        email: String,
    },
}

impl Explain for EmailError {
    fn explain(&self) -> Problem {
        let p = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            EmailError::Accounts(e) => e.explain(),
            EmailError::Session(e) => e.explain(),
            EmailError::Hidden => p(
                "email_hidden",
                Some("Sign in with your password, or through the browser granting email access."),
            ),
            EmailError::WrongCode => p(
                "wrong_code",
                Some("Copy the newest code from the email exactly, or request a new one."),
            ),
            EmailError::CodeNeeded => p(
                "code_needed",
                Some("Request a code first (it goes to the current address), then pass it."),
            ),
            EmailError::BadAddress { .. } => p(
                "bad_email",
                Some("Enter an address like alice@example.com."),
            ),
            EmailError::AddressTaken { .. } => p("email_taken", Some("Choose another address.")),
        }
    }
}

/// The account's email settings as the server reports them; shown in the app and the CLI.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailInfo {
    /// The account's DID.
    pub did: String,
    /// The address.
    pub email: String,
    /// Whether the address was confirmed with an emailed code.
    pub confirmed: bool,
    /// Whether sign-in with the password also needs an emailed code.
    pub two_factor: bool,
}

async fn info_of(session: &AccountSession) -> Result<EmailInfo, EmailError> {
    let s = session.call(&GetSession).await?;
    Ok(EmailInfo {
        did: s.did.as_str().to_owned(),
        email: s.email.map(|e| e.to_string()).ok_or(EmailError::Hidden)?,
        confirmed: s.email_confirmed.unwrap_or(false),
        two_factor: s.email_auth_factor.unwrap_or(false),
    })
}

/// Maps the PDS's refusals of email methods to what the person did wrong.
fn refusal(e: SessionError, email: &str) -> EmailError {
    if let SessionError::Xrpc(x) = &e {
        match x.error_name() {
            Some("InvalidToken" | "ExpiredToken") => return EmailError::WrongCode,
            Some("TokenRequired") => return EmailError::CodeNeeded,
            Some("InvalidEmail") => {
                return EmailError::BadAddress {
                    input: email.to_owned(),
                };
            }
            _ => {}
        }
        if x.to_string().contains("already in use") {
            return EmailError::AddressTaken {
                email: email.to_owned(),
            };
        }
    }
    EmailError::Session(e)
}

/// Shows the address, whether it is confirmed, and whether email 2FA is on.
pub async fn show(accounts: &Accounts, id: Option<&str>) -> Result<EmailInfo, EmailError> {
    let record = accounts.find(id)?;
    info_of(&*accounts.session(&record.did).await?).await
}

/// Emails a confirmation code to the current address (step one of confirming it).
pub async fn request_confirmation(
    accounts: &Accounts,
    id: Option<&str>,
) -> Result<EmailInfo, EmailError> {
    let record = accounts.find(id)?;
    let session = accounts.session(&record.did).await?;
    let info = info_of(&session).await?;
    session.call(&RequestEmailConfirmation).await?;
    log::info!("requested an email confirmation code for {}", record.did);
    Ok(info)
}

/// Confirms the current address with the emailed code (step two).
pub async fn confirm(
    accounts: &Accounts,
    id: Option<&str>,
    code: &str,
) -> Result<EmailInfo, EmailError> {
    let record = accounts.find(id)?;
    let session = accounts.session(&record.did).await?;
    let info = info_of(&session).await?;
    let req = ConfirmEmail {
        email: SmolStr::new(&info.email),
        token: SmolStr::new(code.trim()),
        extra_data: None,
    };
    session
        .call(&req)
        .await
        .map_err(|e| refusal(e, &info.email))?;
    log::info!("confirmed the email address of {}", record.did);
    info_of(&session).await
}

/// Asks to change the address or the 2FA setting. Returns whether a code was emailed (to the
/// current address) that [`update`] or [`set_two_factor`] then needs: servers ask for one once
/// the address is confirmed.
pub async fn request_update(
    accounts: &Accounts,
    id: Option<&str>,
    step_up: StepUp<'_>,
) -> Result<bool, EmailError> {
    let record = accounts.find(id)?;
    let session = accounts.password_session(&record.did, step_up).await?;
    let out = session.call(&RequestEmailUpdate).await?;
    log::info!(
        "requested an email update for {} (code mailed: {})",
        record.did,
        out.token_required
    );
    Ok(out.token_required)
}

/// Changes the address; `code` is the one [`request_update`] had emailed, when it said so.
/// A changed address is unconfirmed until confirmed again.
pub async fn update(
    accounts: &Accounts,
    id: Option<&str>,
    new_email: &str,
    code: Option<&str>,
    step_up: StepUp<'_>,
) -> Result<EmailInfo, EmailError> {
    let new_email = new_email.trim();
    if !looks_like_email(new_email) {
        return Err(EmailError::BadAddress {
            input: new_email.to_owned(),
        });
    }
    let record = accounts.find(id)?;
    let session = accounts.password_session(&record.did, step_up).await?;
    let req = UpdateEmail {
        email: SmolStr::new(new_email),
        email_auth_factor: None,
        token: code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(SmolStr::new),
        extra_data: None,
    };
    session
        .call(&req)
        .await
        .map_err(|e| refusal(e, new_email))?;
    log::info!("changed the email address of {}", record.did);
    info_of(&session).await
}

/// Turns email 2FA on or off (the address stays); `code` is the one [`request_update`] emailed.
pub async fn set_two_factor(
    accounts: &Accounts,
    id: Option<&str>,
    on: bool,
    code: Option<&str>,
    step_up: StepUp<'_>,
) -> Result<EmailInfo, EmailError> {
    let record = accounts.find(id)?;
    let session = accounts.password_session(&record.did, step_up).await?;
    let current = info_of(&session).await?;
    let req = UpdateEmail {
        email: SmolStr::new(&current.email),
        email_auth_factor: Some(on),
        token: code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(SmolStr::new),
        extra_data: None,
    };
    session
        .call(&req)
        .await
        .map_err(|e| refusal(e, &current.email))?;
    log::info!(
        "turned email 2FA {} for {}",
        if on { "on" } else { "off" },
        record.did
    );
    info_of(&session).await
}

/// A cheap sanity check before asking the server: one `@`, something on both sides, a dot in
/// the domain. The server has the final word.
fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn email_shapes() {
        assert!(super::looks_like_email("a@b.co"));
        assert!(!super::looks_like_email("a@b"));
        assert!(!super::looks_like_email("@b.co"));
        assert!(!super::looks_like_email("a b@c.de"));
        assert!(!super::looks_like_email("a@b@c.de"));
    }
}
