//! Missing blobs: what the account's records reference but its PDS lacks, and copying them from
//! another PDS as a job the window can cancel (`cancel_job`), reporting `job-progress`.

use stratos_core::blobs::{self, MissingBlob, RepairSummary};
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs};

/// Blobs the account's records reference but its PDS does not have.
#[tauri::command]
pub async fn missing_blobs(
    state: State<'_, AppState>,
    did: String,
) -> Result<Vec<MissingBlob>, CommandError> {
    let accounts = state.accounts()?;
    blobs::list_missing(&accounts, Some(&did))
        .await
        .map_err(failed)
}

/// Copies missing blobs from another PDS, reporting progress as `job-progress`.
#[tauri::command]
pub async fn repair_blobs(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    did: String,
    source_pds: String,
    source_did: Option<String>,
    job_id: String,
) -> Result<RepairSummary, CommandError> {
    let accounts = state.accounts()?;
    let job = jobs.start(JobKey::Tool(job_id.clone()));
    let (emitter, id) = (app.clone(), job_id);
    let progress = move |p: blobs::RepairProgress| {
        crate::jobs::report_progress(&emitter, &id, "blobs", p.done, Some(p.total))
    };
    let source_did = source_did.filter(|d| !d.trim().is_empty());
    blobs::repair(
        &accounts,
        Some(&did),
        &source_pds,
        source_did.as_deref(),
        &progress,
        job.token(),
    )
    .await
    .map_err(failed)
}
