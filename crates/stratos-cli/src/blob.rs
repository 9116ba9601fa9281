//! `stratos blob export|ls|download|upload`, as goat names them: every blob of a signed-in
//! account into a folder, one file per CID (`<handle>_blobs` by default; a rerun skips what is
//! there), the list of any account's blobs, one blob to a file, and a file uploaded as a new blob
//! of a signed-in account.

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
    /// List every blob of an account (CIDs); no sign-in needed.
    #[command(visible_alias = "list")]
    Ls {
        /// Handle or DID of any account; the selected account when omitted.
        id: Option<String>,
    },
    /// Download one blob of an account to a file (named by its CID unless --output); never
    /// overwrites; no sign-in needed.
    Download {
        /// Handle or DID of any account.
        id: String,
        /// The blob's CID, as `blob ls` lists it.
        cid: String,
        /// The file to write.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Upload a file as a blob; prints the blob reference to put in a record.
    Upload {
        /// The file.
        path: PathBuf,
        /// Handle or DID; the selected account when omitted.
        #[arg(long)]
        account: Option<String>,
    },
}

/// Runs a `blob` verb.
pub async fn run(cmd: BlobCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let explain = |e: stratos_core::backup::BackupError| e.explain();
    match cmd {
        BlobCommand::Export { id, output } => {
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
            let summary = result.map_err(explain)?;
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
        }
        BlobCommand::Ls { id } => {
            let list = export::blob_list(&accounts, id.as_deref())
                .await
                .map_err(explain)?;
            out.emit(&list, || list.cids.join("\n"));
        }
        BlobCommand::Download { id, cid, output } => {
            let done = export::blob_download(&accounts, Some(&id), &cid, output.as_deref())
                .await
                .map_err(explain)?;
            out.emit(&done, || {
                format!(
                    "Wrote blob {} of {} to {} ({} bytes).",
                    done.cid,
                    done.did,
                    done.path.display(),
                    done.bytes
                )
            });
        }
        BlobCommand::Upload { path, account } => {
            let done = export::blob_upload(&accounts, account.as_deref(), &path)
                .await
                .map_err(explain)?;
            out.emit(&done, || {
                serde_json::to_string_pretty(&done.blob).expect("JSON values serialise")
            });
        }
    }
    Ok(())
}
