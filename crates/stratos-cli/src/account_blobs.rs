//! `stratos account missing-blobs`: list blobs the account's records reference but its PDS
//! lacks, and with `--repair-from` copy them from another server.

use clap::Args;
use serde_json::json;
use stratos_core::backup::CancellationToken;
use stratos_core::blobs::{self, BlobsError};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// `account missing-blobs` arguments.
#[derive(Args)]
pub struct MissingBlobsArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// Copy the missing blobs from this server (for example the old PDS after a migration).
    #[arg(long, value_name = "PDS_URL")]
    pub repair_from: Option<String>,
    /// Whose blobs to fetch on the source server; the account itself when omitted.
    #[arg(long, requires = "repair_from")]
    pub source_did: Option<String>,
}

/// Runs `account missing-blobs`.
pub async fn run(args: MissingBlobsArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: BlobsError| e.explain();
    let id = args.id.as_deref();
    let Some(source) = args.repair_from.as_deref() else {
        let missing = blobs::list_missing(&accounts, id).await.map_err(e)?;
        let doc = json!({ "count": missing.len(), "blobs": missing });
        out.emit(&doc, || {
            if missing.is_empty() {
                "No missing blobs.".to_owned()
            } else {
                let mut lines = vec![format!("{} missing blobs:", missing.len())];
                lines.extend(
                    missing
                        .iter()
                        .map(|m| format!("{}  {}", m.cid, m.record_uri)),
                );
                lines.join("\n")
            }
        });
        return Ok(());
    };
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let text_mode = !out.json;
    let progress = move |p: blobs::RepairProgress| {
        if text_mode && p.total > 0 {
            eprintln!("Blobs: {}/{}", p.done, p.total);
        }
    };
    let result = blobs::repair(
        &accounts,
        id,
        source,
        args.source_did.as_deref(),
        &progress,
        &cancel,
    )
    .await;
    watcher.abort();
    let summary = result.map_err(e)?;
    if !summary.failed.is_empty() {
        let first = &summary.failed[0];
        return Err(Problem {
            detail: None,
            code: "blobs_not_repaired",
            message: format!(
                "{} of {} missing blobs could not be copied from {} (first: {}: {})",
                summary.failed.len(),
                summary.failed.len() + summary.repaired.len(),
                summary.source_pds,
                first.cid,
                first.reason
            ),
            hint: Some(
                "Check the source server holds them (give --source-did when the blobs belong to another account there).".into(),
            ),
        });
    }
    out.emit(&summary, || {
        format!(
            "Repaired {} blobs from {}; {} still missing.",
            summary.repaired.len(),
            summary.source_pds,
            summary.still_missing
        )
    });
    Ok(())
}
