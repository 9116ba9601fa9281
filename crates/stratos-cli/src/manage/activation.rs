//! `stratos account activate|deactivate`: pause an account or bring it back (see
//! `stratos_core::activation` for what each does), plus the password arguments every verb that
//! needs a full password session shares.

use stratos_core::activation::{self, ActivationOutcome};
use stratos_core::{Accounts, Explain, Problem};

use crate::render::Output;

/// The account password for verbs only a password session may do. Password accounts use their
/// saved session and ignore it; browser (OAuth) accounts sign in with it for this command only.
#[derive(clap::Args, Clone, Default)]
pub struct PasswordArgs {
    /// Account password (not an app password), needed when signed in through the browser.
    #[arg(long, env = "ATP_AUTH_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The code from the sign-in email, when email 2FA is on.
    #[arg(long)]
    pub auth_factor_token: Option<String>,
}

/// The DID of the named (or selected) signed-in account.
pub fn account_did(accounts: &Accounts, id: Option<&str>) -> Result<String, Problem> {
    accounts.find(id).map(|r| r.did).map_err(|e| e.explain())
}

/// `activate [<id>]`.
pub async fn activate(
    accounts: &Accounts,
    id: Option<&str>,
    auth: &PasswordArgs,
    out: &Output,
) -> Result<(), Problem> {
    let did = account_did(accounts, id)?;
    let outcome = activation::activate(
        accounts,
        &did,
        auth.password.as_deref(),
        auth.auth_factor_token.as_deref(),
    )
    .await
    .map_err(|e| e.explain())?;
    out.emit(&outcome, || describe("Activated", &outcome));
    Ok(())
}

/// `deactivate [<id>] [--delete-after <RFC 3339 time>]`.
pub async fn deactivate(
    accounts: &Accounts,
    id: Option<&str>,
    delete_after: Option<&str>,
    auth: &PasswordArgs,
    out: &Output,
) -> Result<(), Problem> {
    let did = account_did(accounts, id)?;
    let delete_after = match delete_after {
        Some(s) => Some(s.trim().parse().map_err(|e| Problem {
            code: "bad_delete_after",
            message: format!("{s:?} is not a date and time: {e}"),
            hint: Some("Use RFC 3339, like 2030-01-31T12:00:00Z.".into()),
        })?),
        None => None,
    };
    let outcome = activation::deactivate(
        accounts,
        &did,
        delete_after,
        auth.password.as_deref(),
        auth.auth_factor_token.as_deref(),
    )
    .await
    .map_err(|e| e.explain())?;
    out.emit(&outcome, || {
        let mut text = describe("Deactivated", &outcome);
        if let Some(at) = outcome.delete_after {
            text.push_str(&format!("\nThe PDS may delete it for good after {at}."));
        }
        text.push_str("\nRun `stratos account activate` to bring it back.");
        text
    });
    Ok(())
}

fn describe(verb: &str, o: &ActivationOutcome) -> String {
    let state = if o.active {
        "active".to_owned()
    } else {
        o.status.clone().unwrap_or_else(|| "inactive".into())
    };
    format!("{verb} {}; its repository is now {state}.", o.did)
}
