//! `stratos account delete` and `stratos account backup`: a local copy first, then deletion
//! with the emailed code and the handle typed out.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use stratos_core::backup::{self, BackupProgress, BackupStep, CancellationToken};
use stratos_core::deletion::{self, DeletionError};
use stratos_core::email::StepUp;
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;

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

/// `account backup` arguments.
#[derive(Args)]
pub struct BackupArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The folder to write `repo.car` and `blobs/` into (created; a rerun resumes).
    #[arg(long)]
    pub to: PathBuf,
}

/// Runs `account delete`.
pub async fn run_delete(args: DeleteArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = crate::open(config)?;
    let e = |e: DeletionError| e.explain();
    let id = args.id.as_deref();
    let record = deletion::confirm_handle(&accounts, id, &args.confirm_handle).map_err(e)?;
    match args.token.as_deref().filter(|t| !t.trim().is_empty()) {
        None => {
            let step_up = StepUp {
                password: args.password.as_deref(),
                auth_factor_token: args.auth_factor_token.as_deref(),
            };
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

/// Runs `account backup`: progress on stderr (when it is a terminal or in text mode), Ctrl-C
/// cancels (a rerun into the same folder resumes).
pub async fn run_backup(args: BackupArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = crate::open(config)?;
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let show = !out.json || std::io::stderr().is_terminal();
    let last = std::sync::Mutex::new(None::<BackupStep>);
    let progress = |p: BackupProgress| {
        if !show {
            return;
        }
        let mut last = last.lock().expect("progress lock");
        let first = *last != Some(p.step);
        *last = Some(p.step);
        match p.step {
            BackupStep::Repo if first => eprintln!("Downloading the repository…"),
            BackupStep::ListBlobs if first => eprintln!("Listing blobs…"),
            BackupStep::Blobs => {
                if let Some(total) = p.total.filter(|t| *t > 0) {
                    eprintln!("Blobs: {}/{total}", p.done);
                }
            }
            _ => {}
        }
    };
    let result =
        backup::backup_account(&accounts, args.id.as_deref(), &args.to, &progress, &cancel).await;
    watcher.abort();
    let summary = result.map_err(|e| e.explain())?;
    out.emit(&summary, || {
        format!(
            "Backed up {} into {}: repository {} bytes, {} blobs ({} downloaded, {} already there).",
            summary.did,
            summary.folder.display(),
            summary.car_bytes,
            summary.blobs_total,
            summary.blobs_downloaded,
            summary.blobs_skipped
        )
    });
    Ok(())
}
