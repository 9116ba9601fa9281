//! `stratos account delete`: deletion for good, with the emailed code and the handle typed out
//! (`stratos backup run` makes a local copy first).

use clap::Args;
use serde_json::json;
use stratos_core::deletion::{self, DeletionError};
use stratos_core::{Config, Explain, Problem};

use crate::input::{self, PasswordArgs};
use crate::render::Output;
use crate::store;

/// `account delete` arguments.
#[derive(Args)]
pub struct DeleteArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The account's handle, typed out exactly, to confirm which account is deleted; else asked
    /// for on a terminal or read as one line of piped stdin.
    #[arg(long)]
    pub confirm_handle: Option<String>,
    /// The code from the deletion email; without it, the code is requested.
    #[arg(long)]
    pub token: Option<String>,
    /// The account password (deletion always needs it); also from $ATP_AUTH_PASSWORD (or
    /// $GOAT_PASSWORD, $ATP_PASSWORD), else asked for on a terminal or read from piped stdin
    /// (after the handle).
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// The emailed sign-in code, when email 2FA is on and --password is used; also from
    /// $ATP_AUTH_FACTOR_TOKEN or the next line of piped stdin.
    #[arg(long)]
    pub auth_factor_token: Option<String>,
}

/// Runs `account delete`.
pub async fn run(args: DeleteArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: DeletionError| e.explain();
    let id = args.id.as_deref();
    let typed = input::obtain(args.confirm_handle.clone(), &input::CONFIRM_HANDLE)?;
    let record = deletion::confirm_handle(&accounts, id, &typed).map_err(e)?;
    match args.token.as_deref().filter(|t| !t.trim().is_empty()) {
        None => {
            let auth = PasswordArgs {
                password: args.password,
                auth_factor_token: args.auth_factor_token,
            };
            input::with_step_up(&auth, async |step_up| {
                deletion::request(&accounts, Some(&record.did), step_up)
                    .await
                    .map_err(e)
            })
            .await?;
            let doc = json!({ "did": record.did, "codeSent": true });
            out.emit(&doc, || {
                format!(
                    "A deletion code was emailed for {}. Consider `stratos backup run --to <folder>` first.\nThen run again with --token <CODE> to delete the account for good.",
                    record.handle
                )
            });
        }
        Some(token) => {
            let asked = DeletionError::PasswordNeeded.explain();
            let password = input::obtain_for(asked, args.password, &input::PASSWORD)?;
            let deleted = deletion::delete(&accounts, Some(&record.did), &typed, &password, token)
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
