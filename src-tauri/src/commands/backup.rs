//! Backing an account up: the repository and every blob written into a folder, as a job the
//! window can cancel (`cancel_job`; started again into the same folder it resumes), reporting
//! `job-progress`.

use std::path::PathBuf;

use stratos_core::backup::{self, BackupSummary};
use tauri::{AppHandle, Emitter, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs};
use crate::models::JobProgress;

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
        let step = serde_json::to_value(p.step)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = emitter.emit(
            "job-progress",
            JobProgress {
                job_id: id.clone(),
                step,
                done: p.done,
                total: p.total,
            },
        );
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
