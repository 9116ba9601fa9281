//! The Tools section: service-auth tokens, missing blobs and backups. Long jobs report progress
//! as `job-progress` events and can be cancelled by their job id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use stratos_core::backup::{self, BackupSummary, CancellationToken};
use stratos_core::blobs::{self, MissingBlob, RepairSummary};
use stratos_core::keys::{self, KeyRecord};
use stratos_core::service_auth::{self, ServiceToken, TokenRequest};
use tauri::{AppHandle, Emitter, State};

use crate::AppState;
use crate::error::{CommandError, failed};

/// Running jobs by id, so the window can cancel them.
#[derive(Default)]
pub struct Jobs(Mutex<HashMap<String, CancellationToken>>);

impl Jobs {
    fn start(&self, id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        self.0
            .lock()
            .expect("jobs lock")
            .insert(id.to_owned(), token.clone());
        token
    }

    fn end(&self, id: &str) {
        self.0.lock().expect("jobs lock").remove(id);
    }
}

/// One progress report of a long job.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Progress {
    job_id: String,
    step: String,
    done: u64,
    total: Option<u64>,
}

fn token_request(aud: String, lxm: Option<String>, duration_sec: Option<u64>) -> TokenRequest {
    TokenRequest {
        aud,
        lxm: lxm.filter(|l| !l.trim().is_empty()),
        duration: duration_sec.map(Duration::from_secs),
    }
}

/// A service-auth token from the account's PDS.
#[tauri::command]
pub async fn service_auth_online(
    state: State<'_, AppState>,
    did: String,
    aud: String,
    lxm: Option<String>,
    duration_sec: Option<u64>,
) -> Result<ServiceToken, CommandError> {
    let accounts = state.accounts()?;
    service_auth::request(&accounts, &did, &token_request(aud, lxm, duration_sec))
        .await
        .map_err(failed)
}

/// A service-auth token signed here: with a key held in the keychain (`stored_key`, its
/// did:key), or with a pasted private key (`signing_key`, never stored or logged).
#[tauri::command]
pub async fn service_auth_offline(
    state: State<'_, AppState>,
    signing_key: Option<String>,
    stored_key: Option<String>,
    iss: String,
    aud: String,
    lxm: Option<String>,
    duration_sec: Option<u64>,
) -> Result<ServiceToken, CommandError> {
    let req = token_request(aud, lxm, duration_sec);
    match stored_key.filter(|k| !k.trim().is_empty()) {
        Some(did_key) => {
            let accounts = state.accounts()?;
            service_auth::sign_offline_stored(&accounts, &did_key, &iss, &req)
                .await
                .map_err(failed)
        }
        None => service_auth::sign_offline(signing_key.as_deref().unwrap_or(""), &iss, &req)
            .map_err(failed),
    }
}

/// The keys held in the keychain (public data only), to choose one for signing.
#[tauri::command]
pub async fn keys_list(state: State<'_, AppState>) -> Result<Vec<KeyRecord>, CommandError> {
    let accounts = state.accounts()?;
    keys::list(&accounts).map_err(failed)
}

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
    let cancel = jobs.start(&job_id);
    let (emitter, id) = (app.clone(), job_id.clone());
    let progress = move |p: blobs::RepairProgress| {
        let _ = emitter.emit(
            "job-progress",
            Progress {
                job_id: id.clone(),
                step: "blobs".into(),
                done: p.done,
                total: Some(p.total),
            },
        );
    };
    let source_did = source_did.filter(|d| !d.trim().is_empty());
    let result = blobs::repair(
        &accounts,
        Some(&did),
        &source_pds,
        source_did.as_deref(),
        &progress,
        &cancel,
    )
    .await;
    jobs.end(&job_id);
    result.map_err(failed)
}

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
    let cancel = jobs.start(&job_id);
    let (emitter, id) = (app.clone(), job_id.clone());
    let progress = move |p: backup::BackupProgress| {
        let step = serde_json::to_value(p.step)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = emitter.emit(
            "job-progress",
            Progress {
                job_id: id.clone(),
                step,
                done: p.done,
                total: p.total,
            },
        );
    };
    let result = backup::backup_account(
        &accounts,
        Some(&did),
        &PathBuf::from(folder.trim()),
        &progress,
        &cancel,
    )
    .await;
    jobs.end(&job_id);
    result.map_err(failed)
}

/// Stops a running job; what it finished stays (a backup resumes where it stopped).
#[tauri::command]
pub async fn cancel_job(jobs: State<'_, Jobs>, job_id: String) -> Result<(), CommandError> {
    if let Some(token) = jobs.0.lock().expect("jobs lock").get(&job_id) {
        token.cancel();
    }
    Ok(())
}
