//! `stratos account app-password list|create|revoke`: passwords for other apps.

use clap::Subcommand;
use stratos_core::app_passwords;
use stratos_core::{Config, Explain, Problem};

use crate::input::{self, PasswordArgs};
use crate::render::Output;
use crate::store::{self, account_did};

/// App-password verbs, as goat names them.
#[derive(Subcommand)]
pub enum AppPasswordCommand {
    /// List the account's app passwords (names, dates, privileged or not).
    List {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        #[command(flatten)]
        auth: PasswordArgs,
    },
    /// Create an app password; it is shown once, here.
    Create {
        /// A name to recognise it by, such as the app it is for.
        name: String,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// Allow access to sensitive account state (direct messages); only for trusted apps.
        #[arg(long)]
        privileged: bool,
        #[command(flatten)]
        auth: PasswordArgs,
    },
    /// Revoke an app password by name: apps using it are signed out.
    Revoke {
        /// Its name, as listed.
        name: String,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        #[command(flatten)]
        auth: PasswordArgs,
    },
}

/// Runs one app-password verb.
pub async fn run(cmd: AppPasswordCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    match cmd {
        AppPasswordCommand::List { id, auth } => {
            let did = account_did(accounts, id.as_deref())?;
            let list = input::with_step_up(&auth, async |step_up| {
                app_passwords::list(accounts, &did, step_up)
                    .await
                    .map_err(|e| e.explain())
            })
            .await?;
            let doc = serde_json::json!({ "did": did, "passwords": list });
            out.emit(&doc, || {
                if list.is_empty() {
                    return format!("{did} has no app passwords.");
                }
                list.iter()
                    .map(|p| {
                        format!(
                            "{:<24} created {}{}",
                            p.name,
                            p.created_at,
                            if p.privileged { "  (privileged)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        AppPasswordCommand::Create {
            name,
            id,
            privileged,
            auth,
        } => {
            let did = account_did(accounts, id.as_deref())?;
            let created = input::with_step_up(&auth, async |step_up| {
                app_passwords::create(accounts, &did, &name, privileged, step_up)
                    .await
                    .map_err(|e| e.explain())
            })
            .await?;
            out.emit(&created, || {
                format!(
                    "Created {}app password {:?}: {}\nCopy it now; it cannot be shown again.",
                    if created.privileged {
                        "privileged "
                    } else {
                        ""
                    },
                    created.name,
                    created.password
                )
            });
            Ok(())
        }
        AppPasswordCommand::Revoke { name, id, auth } => {
            let did = account_did(accounts, id.as_deref())?;
            input::with_step_up(&auth, async |step_up| {
                app_passwords::revoke(accounts, &did, &name, step_up)
                    .await
                    .map_err(|e| e.explain())
            })
            .await?;
            let doc = serde_json::json!({ "did": did, "revoked": name.trim() });
            out.emit(&doc, || {
                format!(
                    "Revoked app password {:?}; apps using it are signed out.",
                    name.trim()
                )
            });
            Ok(())
        }
    }
}
