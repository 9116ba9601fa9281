//! `stratos backup …`: incremental, verified snapshots of accounts in a backup folder (by
//! default `backups` in Stratos's data folder), and what to do with them: list, verify, prune,
//! export in goat's layout.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use stratos_core::backup::snapshot::{self, SnapshotProgress, SnapshotStep};
use stratos_core::backup::store::{self as backup_store, Manifest};
use stratos_core::backup::{BackupError, CancellationToken, export, prune, schedule, verify};
use stratos_core::store::state::StateFile;
use stratos_core::{Accounts, Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// Backup verbs.
#[derive(Subcommand)]
pub enum BackupCommand {
    /// Take a snapshot: the first one downloads everything, later ones only what changed.
    Run {
        #[command(flatten)]
        which: Which,
        /// Every signed-in account.
        #[arg(long, conflicts_with = "account")]
        all: bool,
    },
    /// List the snapshots in the backup folder.
    List {
        #[command(flatten)]
        which: Which,
    },
    /// Check a snapshot from the disk alone: blocks, commit signature, records, blobs.
    Verify {
        #[command(flatten)]
        which: Which,
        /// The snapshot (its id from `backup list`); the newest when omitted.
        #[arg(long)]
        snapshot: Option<String>,
    },
    /// Write a snapshot out as goat does: one repository CAR, a blobs folder, preferences JSON.
    Export {
        #[command(flatten)]
        which: Which,
        /// The snapshot; the newest when omitted.
        #[arg(long)]
        snapshot: Option<String>,
        /// The folder to write into (created).
        #[arg(long, short = 'o')]
        out: PathBuf,
    },
    /// Keep the newest N snapshots and delete what only the others needed.
    Prune {
        #[command(flatten)]
        which: Which,
        /// Every account in the backup folder.
        #[arg(long, conflicts_with = "account")]
        all: bool,
        /// How many snapshots to keep (at least 1).
        #[arg(long)]
        keep: usize,
    },
}

/// The account and backup folder a verb works on.
#[derive(Args)]
pub struct Which {
    /// Handle or DID; the selected account when omitted (`list`: every account).
    #[arg(long)]
    account: Option<String>,
    /// The backup folder; when omitted, the one chosen in the app's settings, else `backups` in
    /// Stratos's data folder.
    #[arg(long)]
    to: Option<PathBuf>,
}

impl Which {
    fn folder(&self, config: &Config) -> PathBuf {
        self.to.clone().unwrap_or_else(|| {
            let saved = StateFile::new(&config.data_dir).load().unwrap_or_default();
            schedule::folder(&saved.settings, config)
        })
    }
}

/// Runs a `backup` verb.
pub async fn run(cmd: BackupCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let e = |e: BackupError| e.explain();
    match cmd {
        BackupCommand::Run { which, all } => {
            let folder = which.folder(&config);
            let accounts = store::open(config)?;
            let dids: Vec<String> = if all {
                let state = accounts.state().map_err(|e| e.explain())?;
                state.accounts.into_iter().map(|a| a.did).collect()
            } else {
                vec![store::account_did(&accounts, which.account.as_deref())?]
            };
            run_backups(&accounts, &dids, &folder, out).await
        }
        BackupCommand::List { which } => {
            let folder = which.folder(&config);
            let dids = match &which.account {
                Some(id) => Some(vec![account_did(config, Some(id))?]),
                None => None,
            };
            list(&folder, dids.as_deref(), out)
        }
        BackupCommand::Verify { which, snapshot } => {
            let folder = which.folder(&config);
            let did = account_did(config, which.account.as_deref())?;
            let report = verify::verify(&folder, &did, snapshot.as_deref())
                .await
                .map_err(e)?;
            let ok = report.ok();
            out.emit(&report, || {
                let mut lines = vec![format!(
                    "Snapshot {} of {}: {} blocks, {} records, {} blobs checked{}.",
                    report.snapshot.as_deref().unwrap_or("(none readable)"),
                    report.did,
                    report.blocks,
                    report.records.values().sum::<u64>(),
                    report.blobs,
                    report
                        .signing_key
                        .as_deref()
                        .map(|k| format!(", signed by {k}"))
                        .unwrap_or_default()
                )];
                if ok {
                    lines.push("Everything checks out.".to_owned());
                } else {
                    lines.push(format!("{} problems:", report.problems.len()));
                    lines.extend(report.problems.iter().map(|p| format!("  - {p}")));
                }
                lines.join("\n")
            });
            if ok {
                Ok(())
            } else {
                Err(Problem {
                    detail: None,
                    code: "backup_damaged",
                    message: format!(
                        "the snapshot of {} has {} problems",
                        report.did,
                        report.problems.len()
                    ),
                    hint: Some(
                        "Take a new backup (`stratos backup run`); it stores again what is missing."
                            .to_owned(),
                    ),
                })
            }
        }
        BackupCommand::Export {
            which,
            snapshot,
            out: dir,
        } => {
            let folder = which.folder(&config);
            let did = account_did(config, which.account.as_deref())?;
            let summary = export::export_snapshot(&folder, &did, snapshot.as_deref(), &dir)
                .await
                .map_err(e)?;
            out.emit(&summary, || {
                format!(
                    "Exported snapshot {} of {}: {} ({} records), {} blobs in {}{}.",
                    summary.snapshot,
                    summary.did,
                    summary.car_path.display(),
                    summary.records,
                    summary.blobs,
                    summary.blobs_dir.display(),
                    summary
                        .preferences_path
                        .as_ref()
                        .map(|p| format!(", preferences in {}", p.display()))
                        .unwrap_or_default()
                )
            });
            Ok(())
        }
        BackupCommand::Prune { which, all, keep } => {
            let folder = which.folder(&config);
            let dids = if all {
                backup_store::accounts_in(&folder).map_err(|e| e.explain())?
            } else {
                vec![account_did(config, which.account.as_deref())?]
            };
            let mut summaries = Vec::new();
            for did in dids {
                summaries.push(prune::prune(&folder, &did, keep).await.map_err(e)?);
            }
            out.emit(&json!({ "accounts": summaries }), || {
                summaries
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: kept {} snapshots, removed {} ({} blocks, {} blobs, {} bytes freed).",
                            s.did,
                            s.kept.len(),
                            s.removed.len(),
                            s.blocks_removed,
                            s.blobs_removed,
                            s.bytes_freed
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
    }
}

/// The DID a verb on the backup folder is for: a DID as given (the account need not be signed
/// in any more), a handle of a signed-in account, or the selected account.
fn account_did(config: Config, id: Option<&str>) -> Result<String, Problem> {
    match id {
        Some(did) if did.starts_with("did:") => Ok(did.to_owned()),
        _ => store::account_did(&store::open(config)?, id),
    }
}

/// Takes one snapshot per account, in turn; Ctrl-C cancels (the previous snapshots stay whole).
/// Also what the older `account backup --to` does now.
pub(crate) async fn run_backups(
    accounts: &Accounts,
    dids: &[String],
    folder: &Path,
    out: &Output,
) -> Result<(), Problem> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut done: Vec<Manifest> = Vec::new();
    let mut failed: Vec<(String, Problem)> = Vec::new();
    for did in dids {
        let view = View::new(std::io::stderr().is_terminal() && !out.json, !out.json);
        let result =
            snapshot::snapshot_account(accounts, Some(did), folder, &|p| view.show(&p), &cancel)
                .await;
        view.finish();
        match result {
            Ok(m) => done.push(m),
            Err(e) => {
                let problem = e.explain();
                eprintln!("{did}: {}", problem.message);
                failed.push((did.clone(), problem));
                if cancel.is_cancelled() {
                    break;
                }
            }
        }
    }
    watcher.abort();
    if done.is_empty() && failed.len() == 1 {
        return Err(failed.remove(0).1);
    }
    let failures: Vec<_> = failed
        .iter()
        .map(|(did, p)| json!({ "did": did, "error": p }))
        .collect();
    out.emit(
        &json!({ "folder": folder, "snapshots": done, "failed": failures }),
        || {
            done.iter()
                .map(|m| {
                    format!(
                        "{}: snapshot {} at rev {}: {} records, {} new blocks ({} bytes), {} new blobs ({} bytes){}.",
                        m.did,
                        m.id,
                        m.rev,
                        m.records.values().sum::<u64>(),
                        m.new_blocks,
                        m.new_block_bytes,
                        m.new_blobs,
                        m.new_blob_bytes,
                        if m.warnings.is_empty() {
                            String::new()
                        } else {
                            format!("; warnings: {}", m.warnings.join("; "))
                        }
                    )
                })
                .chain(std::iter::once(format!("Backup folder: {}", folder.display())))
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    match failed.first() {
        None => Ok(()),
        Some(_) => Err(Problem {
            detail: None,
            code: "backup_failed",
            message: format!("{} of {} backups failed", failed.len(), dids.len()),
            hint: Some("The reasons are above; the other accounts were backed up.".to_owned()),
        }),
    }
}

/// Prints the snapshots of `dids` (every account in the folder when `None`).
fn list(folder: &Path, dids: Option<&[String]>, out: &Output) -> Result<(), Problem> {
    let accounts = backup_store::list_snapshots(folder, dids).map_err(|e| e.explain())?;
    out.emit(&json!({ "folder": folder, "accounts": accounts }), || {
        let mut lines = vec![format!("Backup folder: {}", folder.display())];
        if accounts.is_empty() {
            lines.push("No backups yet.".to_owned());
        }
        for a in &accounts {
            lines.push(a.did.clone());
            for s in &a.snapshots {
                lines.push(match (&s.manifest, &s.error) {
                    (Some(m), _) => format!(
                        "  {}  rev {}  {} records  {} blobs  +{} blocks +{} blobs",
                        m.id,
                        m.rev,
                        m.records.values().sum::<u64>(),
                        m.blobs,
                        m.new_blocks,
                        m.new_blobs
                    ),
                    (None, err) => format!(
                        "  {}  unreadable: {}",
                        s.id,
                        err.as_deref().unwrap_or_default()
                    ),
                });
            }
        }
        lines.join("\n")
    });
    Ok(())
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise (none with `--json` off a
/// terminal, so scripts read only the result).
struct View {
    bar: Option<ProgressBar>,
    lines: bool,
    last: std::sync::Mutex<Option<SnapshotStep>>,
}

impl View {
    fn new(terminal: bool, lines: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::hidden();
            bar.set_style(
                ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        });
        Self {
            bar,
            lines: lines && !terminal,
            last: std::sync::Mutex::new(None),
        }
    }

    fn show(&self, p: &SnapshotProgress) {
        let label = match p.step {
            SnapshotStep::Repo => "Repo",
            SnapshotStep::Check => "Check",
            SnapshotStep::ListBlobs => "List",
            SnapshotStep::Blobs => "Blobs",
            SnapshotStep::Identity => "Identity",
        };
        if let Some(bar) = &self.bar {
            bar.set_prefix(label);
            bar.set_length(p.total.unwrap_or(0));
            bar.set_position(p.done);
            bar.set_message(match p.step {
                SnapshotStep::Repo => format!("{} KiB of {}", p.done / 1024, p.did),
                _ => p.did.clone(),
            });
            return;
        }
        if !self.lines {
            return;
        }
        let mut last = self.last.lock().expect("progress lock");
        let first = *last != Some(p.step);
        *last = Some(p.step);
        match p.step {
            SnapshotStep::Blobs if p.total.is_some_and(|t| t > 0) => {
                eprintln!(
                    "[backup] {} blobs {}/{}",
                    p.did,
                    p.done,
                    p.total.unwrap_or(0)
                )
            }
            SnapshotStep::Blobs => {}
            _ if first => eprintln!("[backup] {} {}", p.did, label.to_lowercase()),
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
