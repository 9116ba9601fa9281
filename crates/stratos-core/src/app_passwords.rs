//! App passwords: list, create and revoke the passwords a person gives to other apps instead of
//! the account password (`com.atproto.server.{list,create,revoke}AppPassword`).
//!
//! The reference PDS lets only a full password session manage them (OAuth sessions are refused
//! outright, app-password sessions may list and revoke but never create), so every call here takes
//! the session from [`Accounts::password_session`]. A new password is shown exactly once: it is
//! returned to the caller and never logged or stored.

use jacquard_api::com_atproto::server::create_app_password::CreateAppPassword;
use jacquard_api::com_atproto::server::list_app_passwords::ListAppPasswords;
use jacquard_api::com_atproto::server::revoke_app_password::RevokeAppPassword;
use jacquard_common::deps::smol_str::SmolStr;
use serde::{Deserialize, Serialize};

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::auth::step_up::StepUp;
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::XrpcError;

/// One app password as the PDS lists it (the password itself is never listed again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPasswordInfo {
    /// The name given at creation; also what revokes it.
    pub name: String,
    /// When it was created (RFC 3339, as the PDS wrote it).
    pub created_at: String,
    /// Whether it may see sensitive account state (direct messages, privileged service auth).
    pub privileged: bool,
}

/// A just-created app password: the only moment the secret is visible.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAppPassword {
    /// Its name.
    pub name: String,
    /// The password to type into the other app (`xxxx-xxxx-xxxx-xxxx`).
    pub password: String,
    /// When it was created.
    pub created_at: String,
    /// Whether it is privileged.
    pub privileged: bool,
}

// The secret never reaches a log line through `{:?}`.
impl std::fmt::Debug for NewAppPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAppPassword")
            .field("name", &self.name)
            .field("password", &crate::base::redact::secret(&self.password))
            .field("created_at", &self.created_at)
            .field("privileged", &self.privileged)
            .finish()
    }
}

/// Why an app-password operation failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AppPasswordError {
    /// The name is empty.
    #[error("the app password name is empty")]
    EmptyName,
    /// The server refused to create one because Stratos is signed in with an app password.
    #[error("an app password session cannot create app passwords")]
    NeedsAccountPassword,
    /// An app password with this name already exists.
    #[error("an app password named {name:?} already exists")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// No app password has this name.
    #[error("there is no app password named {name:?}")]
    NotFound {
        /// The name.
        name: String,
    },
    /// The server answered with something that is not an app password.
    #[error("the server's answer to createAppPassword is not an app password: {0}")]
    BadAnswer(String),
    /// Signing in or reaching the account failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl From<SessionError> for AppPasswordError {
    fn from(e: SessionError) -> Self {
        AppPasswordError::Accounts(e.into())
    }
}

impl Explain for AppPasswordError {
    fn explain(&self) -> Problem {
        let problem = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            AppPasswordError::EmptyName => problem(
                "empty_field",
                Some("Give the app password a name, such as the app it is for."),
            ),
            AppPasswordError::NeedsAccountPassword => problem(
                "app_password_session",
                Some(
                    "Sign in to Stratos with the account password (not an app password) to create app passwords.",
                ),
            ),
            AppPasswordError::NameTaken { .. } => problem(
                "app_password_exists",
                Some("Choose another name, or revoke the old one first."),
            ),
            AppPasswordError::NotFound { .. } => problem(
                "app_password_not_found",
                Some("List the app passwords to see their exact names."),
            ),
            AppPasswordError::BadAnswer(_) => problem(
                "pds_bad_response",
                Some("The server may not be a standard PDS; check its version."),
            ),
            AppPasswordError::Accounts(e) => e.explain(),
        }
    }
}

/// Lists the account's app passwords, newest first as the PDS orders them.
pub async fn list(
    accounts: &Accounts,
    did: &str,
    step_up: StepUp<'_>,
) -> Result<Vec<AppPasswordInfo>, AppPasswordError> {
    let session = accounts.password_session(did, step_up).await?;
    let out = session.call(&ListAppPasswords).await?;
    Ok(out
        .passwords
        .into_iter()
        .map(|p| AppPasswordInfo {
            name: p.name.to_string(),
            created_at: p.created_at.as_str().to_owned(),
            privileged: p.privileged.unwrap_or(false),
        })
        .collect())
}

/// Creates an app password named `name`; the returned value holds the password, shown once.
pub async fn create(
    accounts: &Accounts,
    did: &str,
    name: &str,
    privileged: bool,
    step_up: StepUp<'_>,
) -> Result<NewAppPassword, AppPasswordError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppPasswordError::EmptyName);
    }
    // The reference PDS answers a duplicate name with a bare 500, so look first.
    if list(accounts, did, step_up)
        .await?
        .iter()
        .any(|p| p.name == name)
    {
        return Err(AppPasswordError::NameTaken {
            name: name.to_owned(),
        });
    }
    let session = accounts.password_session(did, step_up).await?;
    let req = CreateAppPassword::<SmolStr> {
        name: name.into(),
        privileged: Some(privileged),
        ..Default::default()
    };
    let out = session
        .call(&req)
        .await
        .map_err(|e| match server_error(&e) {
            // An app-password session lacks the full-access scope the endpoint requires.
            Some(("InvalidToken", m)) if m.contains("scope") => {
                AppPasswordError::NeedsAccountPassword
            }
            _ => e.into(),
        })?;
    let value =
        serde_json::to_value(&out.value).map_err(|e| AppPasswordError::BadAnswer(e.to_string()))?;
    let created: NewAppPassword =
        serde_json::from_value(value).map_err(|e| AppPasswordError::BadAnswer(e.to_string()))?;
    log::info!(
        "created app password {:?} for {did} (privileged: {})",
        created.name,
        created.privileged
    );
    Ok(created)
}

/// Revokes the app password named `name`: sessions signed in with it can no longer refresh.
///
/// The PDS answers success even for a name it does not know, so the list is checked first and an
/// unknown name is an error a person can correct.
pub async fn revoke(
    accounts: &Accounts,
    did: &str,
    name: &str,
    step_up: StepUp<'_>,
) -> Result<(), AppPasswordError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppPasswordError::EmptyName);
    }
    let existing = list(accounts, did, step_up).await?;
    if !existing.iter().any(|p| p.name == name) {
        return Err(AppPasswordError::NotFound {
            name: name.to_owned(),
        });
    }
    let session = accounts.password_session(did, step_up).await?;
    session
        .call(&RevokeAppPassword::<SmolStr> {
            name: name.into(),
            ..Default::default()
        })
        .await?;
    log::info!("revoked app password {name:?} of {did}");
    Ok(())
}

/// The XRPC error name and message of a failed call, when the server gave one.
fn server_error(e: &SessionError) -> Option<(&str, &str)> {
    match e {
        SessionError::Xrpc(XrpcError::Server { error, message, .. }) => {
            Some((error.as_str(), message.as_deref().unwrap_or("")))
        }
        _ => None,
    }
}
