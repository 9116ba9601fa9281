//! `stratos account backup`: the repository (CAR) and every blob copied into a folder; a rerun
//! resumes.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use stratos_core::backup::{self, BackupProgress, BackupStep, CancellationToken};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// `account backup` arguments.
#[derive(Args)]
pub struct BackupArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The folder to write `repo.car` and `blobs/` into (created; a rerun resumes).
    #[arg(long)]
    pub to: PathBuf,
}

/// Runs `account backup`: progress on stderr (when it is a terminal or in text mode), Ctrl-C
/// cancels (a rerun into the same folder resumes).
pub async fn run(args: BackupArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
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
