//! `stratos account password-reset`: without `--token`, the PDS emails a reset code; with
//! `--token` and `--new-password`, the password is changed. No sign-in is needed.

use clap::Args;
use serde_json::json;
use stratos_core::password::{self, PasswordResetError};
use stratos_core::{Config, Explain, Problem};

use crate::input;
use crate::render::Output;
use crate::store;

/// `account password-reset` arguments.
#[derive(Args)]
pub struct PasswordResetArgs {
    /// Handle, DID or email address of the account.
    pub account: String,
    /// The account's PDS (needed with an email address).
    #[arg(long)]
    pub pds_host: Option<String>,
    /// The code from the reset email.
    #[arg(long)]
    pub token: Option<String>,
    /// The new password, with --token; also from $STRATOS_NEW_PASSWORD, else asked for on a
    /// terminal or read as one line of piped stdin.
    #[arg(long, requires = "token")]
    pub new_password: Option<String>,
}

/// Runs `account password-reset`.
pub async fn run(args: PasswordResetArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: PasswordResetError| e.explain();
    let host = args.pds_host.as_deref();
    match args.token.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(token) => {
            let new = input::obtain(args.new_password, &input::NEW_PASSWORD)?;
            let strength = password::estimate(&new);
            let target = password::reset(&accounts, &args.account, host, token, &new)
                .await
                .map_err(e)?;
            let doc = json!({
                "reset": true,
                "pdsUrl": target.pds_url,
                "strength": strength,
            });
            out.emit(&doc, || {
                format!(
                    "Password changed on {}. Password strength: {}/4.",
                    target.pds_url, strength.score
                )
            });
        }
        None => {
            let target = password::request(&accounts, &args.account, host)
                .await
                .map_err(e)?;
            let doc = json!({ "codeSent": true, "pdsUrl": target.pds_url, "sentTo": target.email });
            out.emit(&doc, || {
                format!(
                    "A reset code was emailed to {}. Run again with --token <CODE> --new-password <PASSWORD>.",
                    target.email.as_deref().unwrap_or("the account's address")
                )
            });
        }
    }
    Ok(())
}
