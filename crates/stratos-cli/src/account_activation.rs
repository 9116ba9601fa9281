//! `stratos account activate|deactivate`: pause an account or bring it back (see
//! `stratos_core::activation` for what each does).

use stratos_core::activation::{self, ActivationOutcome};
use stratos_core::{Config, Explain, Problem};

use crate::input::{self, PasswordArgs};
use crate::render::Output;
use crate::store;

/// `account activate` arguments.
#[derive(clap::Args)]
pub struct ActivateArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    #[command(flatten)]
    pub auth: PasswordArgs,
}

/// `account deactivate` arguments.
#[derive(clap::Args)]
pub struct DeactivateArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// Let the PDS delete the account for good after this time (RFC 3339).
    #[arg(long)]
    pub delete_after: Option<String>,
    #[command(flatten)]
    pub auth: PasswordArgs,
}

/// `activate [<id>]`.
pub async fn activate(args: ActivateArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let did = store::account_did(&accounts, args.id.as_deref())?;
    let outcome = input::with_step_up(&args.auth, async |step_up| {
        activation::activate(&accounts, &did, step_up)
            .await
            .map_err(|e| e.explain())
    })
    .await?;
    out.emit(&outcome, || describe("Activated", &outcome));
    Ok(())
}

/// `deactivate [<id>] [--delete-after <RFC 3339 time>]`.
pub async fn deactivate(args: DeactivateArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let did = store::account_did(&accounts, args.id.as_deref())?;
    let delete_after = match args.delete_after.as_deref() {
        Some(s) => Some(s.trim().parse().map_err(|e| Problem {
            detail: None,
            code: "bad_delete_after",
            message: format!("{s:?} is not a date and time: {e}"),
            hint: Some("Use RFC 3339, like 2030-01-31T12:00:00Z.".into()),
        })?),
        None => None,
    };
    let outcome = input::with_step_up(&args.auth, async |step_up| {
        activation::deactivate(&accounts, &did, delete_after, step_up)
            .await
            .map_err(|e| e.explain())
    })
    .await?;
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
