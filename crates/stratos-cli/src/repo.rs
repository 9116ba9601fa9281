//! `stratos repo export|import|ls|inspect`, as goat names them: a signed-in account's whole
//! repository downloaded to one CAR file, a CAR sent back to the account's own PDS, and a CAR
//! read on this computer (its records, its commit).

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
    /// List the records of a CAR file: `collection/rkey` and the record's CID.
    #[command(visible_alias = "list")]
    Ls {
        /// The CAR file.
        car: PathBuf,
    },
    /// Show the commit of a CAR file: DID, revision, data and previous CIDs, record counts.
    Inspect {
        /// The CAR file.
        car: PathBuf,
    },
}

/// Runs a `repo` verb.
pub async fn run(cmd: RepoCommand, config: Config, out: &Output) -> Result<(), Problem> {
    match cmd {
        RepoCommand::Ls { car } => {
            let repo = read(&car)?;
            let doc = serde_json::json!({ "did": repo.did, "records": repo.records });
            out.emit(&doc, || {
                repo.records
                    .iter()
                    .map(|r| format!("{}\t{}", r.path, r.cid))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        RepoCommand::Inspect { car } => {
            let repo = read(&car)?;
            let doc = serde_json::json!({
                "path": repo.path, "commit": repo.commit, "version": repo.version,
                "did": repo.did, "rev": repo.rev, "data": repo.data, "prev": repo.prev,
                "collections": repo.collections, "problems": repo.problems,
            });
            out.emit(&doc, || inspect_text(&repo));
        }
        RepoCommand::Export { id, output } => {
            let accounts = store::open(config)?;
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
            let accounts = store::open(config)?;
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

/// Reads a CAR; a damaged one is an error (its problems are named), as goat refuses it.
fn read(car: &std::path::Path) -> Result<export::CarRepo, Problem> {
    let repo = export::read_car(car).map_err(|e| e.explain())?;
    if let Some(first) = repo.problems.first() {
        return Err(Problem {
            code: "car_incomplete",
            message: format!(
                "{} is incomplete: {first} ({} problem(s))",
                car.display(),
                repo.problems.len()
            ),
            hint: Some("Export the repository again (`stratos repo export`).".into()),
            detail: None,
        });
    }
    Ok(repo)
}

fn inspect_text(repo: &export::CarRepo) -> String {
    let mut lines = vec![
        format!("ATProto Repo Spec Version: {}", repo.version),
        format!("DID: {}", repo.did),
        format!("Commit CID: {}", repo.commit),
        format!("Data CID: {}", repo.data),
        format!("Prev CID: {}", repo.prev.as_deref().unwrap_or("none")),
        format!("Revision: {}", repo.rev),
        "Records:".to_owned(),
    ];
    lines.extend(
        repo.collections
            .iter()
            .map(|(c, n)| format!("  {c:<32}{n}")),
    );
    lines.join("\n")
}
