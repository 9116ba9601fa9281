//! `stratos account delete`: deletion for good, with the emailed code and the handle typed out
//! (`stratos account backup` makes a local copy first).

use clap::Args;
use serde_json::json;
use stratos_core::auth::step_up::StepUp;
use stratos_core::deletion::{self, DeletionError};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// `account delete` arguments.
#[derive(Args)]
pub struct DeleteArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The account's handle, typed out exactly, to confirm which account is deleted.
    #[arg(long)]
    pub confirm_handle: String,
    /// The code from the deletion email; without it, the code is requested.
    #[arg(long)]
    pub token: Option<String>,
    /// The account password (deletion always needs it; asked for when omitted).
    #[arg(short = 'p', long, env = "ATP_AUTH_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The emailed sign-in code, when email 2FA is on and --password is used.
    #[arg(long)]
    pub auth_factor_token: Option<String>,
}

/// Runs `account delete`.
pub async fn run(args: DeleteArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: DeletionError| e.explain();
    let id = args.id.as_deref();
    let record = deletion::confirm_handle(&accounts, id, &args.confirm_handle).map_err(e)?;
    match args.token.as_deref().filter(|t| !t.trim().is_empty()) {
        None => {
            let step_up = StepUp::typed(&args.password, &args.auth_factor_token);
            deletion::request(&accounts, Some(&record.did), step_up)
                .await
                .map_err(e)?;
            let doc = json!({ "did": record.did, "codeSent": true });
            out.emit(&doc, || {
                format!(
                    "A deletion code was emailed for {}. Consider `stratos account backup --to <folder>` first.\nThen run again with --token <CODE> to delete the account for good.",
                    record.handle
                )
            });
        }
        Some(token) => {
            let password = match args.password {
                Some(p) => p,
                None => rpassword::prompt_password("Password: ")
                    .map_err(|_| DeletionError::PasswordNeeded.explain())?,
            };
            let deleted = deletion::delete(
                &accounts,
                Some(&record.did),
                &args.confirm_handle,
                &password,
                token,
            )
            .await
            .map_err(e)?;
            out.emit(&deleted, || {
                format!(
                    "Deleted {} ({}) from {} and from Stratos.",
                    deleted.handle, deleted.did, deleted.pds_url
                )
            });
        }
    }
    Ok(())
}
