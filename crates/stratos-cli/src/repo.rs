//! `stratos repo export|import`, as goat names them: a signed-in account's whole repository
//! downloaded to one CAR file, and a CAR sent back to the account's own PDS.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Subcommand;
use stratos_core::backup::{CancellationToken, export};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// Repository verbs.
#[derive(Subcommand)]
pub enum RepoCommand {
    /// Download the repository as a CAR file (`<handle>.<YYYYMMDDHHMMSS>.car` by default).
    Export {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// The CAR file to write.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Upload a CAR file into the account's own PDS (`com.atproto.repo.importRepo`).
    Import {
        /// The CAR file.
        path: PathBuf,
        /// Handle or DID; the selected account when omitted.
        #[arg(long)]
        account: Option<String>,
    },
}

/// Runs a `repo` verb.
pub async fn run(cmd: RepoCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    match cmd {
        RepoCommand::Export { id, output } => {
            let cancel = CancellationToken::new();
            let on_signal = cancel.clone();
            let watcher = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_signal.cancel();
                }
            });
            let show = !out.json && !std::io::stderr().is_terminal();
            if show {
                eprintln!("Downloading the repository…");
            }
            let result = export::repo_from_pds(
                &accounts,
                id.as_deref(),
                output.as_deref(),
                &|_| {},
                &cancel,
            )
            .await;
            watcher.abort();
            let summary = result.map_err(|e| e.explain())?;
            out.emit(&summary, || {
                format!(
                    "Wrote the repository of {} to {} ({} bytes).",
                    summary.did,
                    summary.path.display(),
                    summary.bytes
                )
            });
        }
        RepoCommand::Import { path, account } => {
            let summary = export::import_repo(&accounts, account.as_deref(), &path)
                .await
                .map_err(|e| e.explain())?;
            out.emit(&summary, || {
                format!(
                    "Imported {} ({} bytes) into {}. Upload its blobs too if the PDS lacks them (`stratos account missing-blobs`).",
                    summary.path.display(),
                    summary.bytes,
                    summary.did
                )
            });
        }
    }
    Ok(())
}
