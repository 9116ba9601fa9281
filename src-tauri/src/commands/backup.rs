//! Backing an account up: the repository and every blob written into a folder, as a job the
//! window can cancel (`cancel_job`; started again into the same folder it resumes), reporting
//! `job-progress`.

use std::path::PathBuf;

use stratos_core::backup::{self, BackupSummary, export, schedule, snapshot, store, verify};
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs};
use crate::models::BackupsView;

/// Writes the repository and every blob into `folder`, reporting progress as `job-progress`.
#[tauri::command]
pub async fn backup_account(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    did: String,
    folder: String,
    job_id: String,
) -> Result<BackupSummary, CommandError> {
    let accounts = state.accounts()?;
    if folder.trim().is_empty() {
        return Err(CommandError::new(
            "empty_field",
            "The backup folder is empty",
            Some("Type the folder to write the backup into."),
        ));
    }
    let job = jobs.start(JobKey::Tool(job_id.clone()));
    let (emitter, id) = (app.clone(), job_id);
    let progress = move |p: backup::BackupProgress| {
        crate::jobs::report_progress(&emitter, &id, p.step, p.done, p.total)
    };
    backup::backup_account(
        &accounts,
        Some(&did),
        &PathBuf::from(folder.trim()),
        &progress,
        job.token(),
    )
    .await
    .map_err(failed)
}

/// The backup folder in use and the snapshots of `did` in it, oldest first.
#[tauri::command]
pub async fn backups_list(
    state: State<'_, AppState>,
    did: String,
) -> Result<BackupsView, CommandError> {
    let accounts = state.accounts()?;
    let folder = schedule::folder(&accounts.state()?.settings, accounts.context().config());
    let snapshots = store::list_snapshots(&folder, Some(&[did]))
        .map_err(|e| failed(backup::BackupError::from(e)))?
        .into_iter()
        .flat_map(|a| a.snapshots)
        .collect();
    Ok(BackupsView {
        folder: folder.display().to_string(),
        snapshots,
    })
}

/// Backs `did` up now into the backup folder (a verified snapshot, then pruning), reporting
/// `backup-progress`; cancelled with `cancel_job(job_id)`.
#[tauri::command]
pub async fn backup_now(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    did: String,
    job_id: String,
) -> Result<schedule::Done, CommandError> {
    let accounts = state.accounts()?;
    let job = jobs.start(JobKey::Tool(job_id.clone()));
    let (emitter, id) = (app.clone(), job_id);
    let progress = move |p: snapshot::SnapshotProgress| {
        crate::jobs::report_progress(&emitter, &id, p.step, p.done, p.total)
    };
    let done = schedule::run(&accounts, &did, &progress, job.token()).await;
    crate::shell::broadcast(&app, &accounts);
    done.map_err(failed)
}

/// Checks a snapshot (the newest when `snapshot` is `None`) from the disk alone.
#[tauri::command]
pub async fn backup_verify(
    state: State<'_, AppState>,
    did: String,
    snapshot: Option<String>,
) -> Result<verify::VerifyReport, CommandError> {
    let accounts = state.accounts()?;
    let folder = schedule::folder(&accounts.state()?.settings, accounts.context().config());
    verify::verify(&folder, &did, snapshot.as_deref())
        .await
        .map_err(failed)
}

/// Writes a snapshot out in goat's layout (one repository CAR, a blobs folder, preferences) into
/// the folder `out`.
#[tauri::command]
pub async fn backup_export(
    state: State<'_, AppState>,
    did: String,
    snapshot: Option<String>,
    out: String,
) -> Result<export::ExportSummary, CommandError> {
    if out.trim().is_empty() {
        return Err(CommandError::new(
            "empty_field",
            "The export folder is empty",
            Some("Type the folder to write the export into."),
        ));
    }
    let accounts = state.accounts()?;
    let folder = schedule::folder(&accounts.state()?.settings, accounts.context().config());
    export::export_snapshot(
        &folder,
        &did,
        snapshot.as_deref(),
        &PathBuf::from(out.trim()),
    )
    .await
    .map_err(failed)
}
