//! `stratos blob export`, as goat names it: every blob of a signed-in account into a folder,
//! one file per CID (`<handle>_blobs` by default); a rerun skips what is there.

use std::path::PathBuf;

use clap::Subcommand;
use stratos_core::backup::{BackupProgress, BackupStep, CancellationToken, export};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// Blob verbs.
#[derive(Subcommand)]
pub enum BlobCommand {
    /// Download every blob into a folder, one file per CID.
    Export {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// The folder.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

/// Runs a `blob` verb.
pub async fn run(cmd: BlobCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let BlobCommand::Export { id, output } = cmd;
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let json = out.json;
    let progress = move |p: BackupProgress| {
        if !json && p.step == BackupStep::Blobs {
            eprintln!("Blobs: {}/{}", p.done, p.total.unwrap_or(0));
        }
    };
    let result = export::blobs_from_pds(
        &accounts,
        id.as_deref(),
        output.as_deref(),
        &progress,
        &cancel,
    )
    .await;
    watcher.abort();
    let summary = result.map_err(|e| e.explain())?;
    out.emit(&summary, || {
        format!(
            "{} blobs of {} in {} ({} downloaded, {} already there).",
            summary.total,
            summary.did,
            summary.dir.display(),
            summary.downloaded,
            summary.skipped
        )
    });
    Ok(())
}
