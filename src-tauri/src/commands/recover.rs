//! The recovery wizard's commands: a thin layer over `stratos_core::recover`, for an account
//! whose PDS is gone. Progress is the core's own events, sent as `recover-progress` {did, event};
//! a run can be cancelled (`recover_cancel`) and resumed from its journal, also after a restart.
//! The new server's password comes in with `recover_start` (and with `recover_resume` only while
//! the account is not yet made there) and is never returned.

use stratos_core::backup::schedule;
use stratos_core::recover::preview::{self, Preview};
use stratos_core::recover::{self, Event, Journal, Plan};
use tauri::{AppHandle, Emitter, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs};
use crate::models::{RecoverInput, RecoverProgress};
use crate::shell::broadcast;

/// What a recovery of `did` needs (a rotation key held and in force, a verified backup) and the
/// identity change it would make; with `pds`, what that server says of itself. Changes nothing.
#[tauri::command]
pub async fn recover_preview(
    state: State<'_, AppState>,
    did: String,
    pds: Option<String>,
) -> Result<Preview, CommandError> {
    let accounts = state.accounts()?;
    let folder = schedule::folder(&accounts.state()?.settings, accounts.context().config());
    preview::preview(&accounts, &did, pds.as_deref(), &folder)
        .await
        .map_err(failed)
}

/// The journal of a recovery under way or finished, so the wizard can offer to resume it.
#[tauri::command]
pub async fn recover_journal(
    state: State<'_, AppState>,
    did: String,
) -> Result<Option<Journal>, CommandError> {
    let accounts = state.accounts()?;
    recover::journal(&accounts, &did).map_err(failed)
}

/// Starts the recovery of `plan.did` from the newest snapshot in the backup folder, once the
/// person agreed to the identity change, and runs it to the end.
#[tauri::command]
pub async fn recover_start(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    plan: RecoverInput,
    confirmed: bool,
) -> Result<Journal, CommandError> {
    if !confirmed {
        return Err(CommandError::new(
            "confirmation_needed",
            "The recovery needs your agreement to the identity change",
            Some("Read the change and tick the box to agree."),
        ));
    }
    let accounts = state.accounts()?;
    let backup_dir = schedule::folder(&accounts.state()?.settings, accounts.context().config());
    let did = plan.did.clone();
    let plan = Plan {
        did: Some(plan.did),
        pds: plan.pds,
        handle: plan.handle,
        email: plan.email,
        password: Some(plan.password),
        invite_code: plan.invite_code,
        backup_dir,
        snapshot: None,
        rotation_key: None,
        skip_damaged: false,
        identity_only: false,
    };
    let job = jobs.start(JobKey::Recovery(did.clone()));
    let emit = progress(&app, &did);
    let result = recover::recover(&accounts, &plan, &emit, job.token()).await;
    drop(job);
    finished(&app, &accounts, result).await
}

/// Continues the recovery of `did` from its first unfinished step.
#[tauri::command]
pub async fn recover_resume(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    did: String,
    password: Option<String>,
) -> Result<Journal, CommandError> {
    let accounts = state.accounts()?;
    let job = jobs.start(JobKey::Recovery(did.clone()));
    let emit = progress(&app, &did);
    let password = password.filter(|p| !p.is_empty());
    let result = recover::resume(&accounts, &did, password.as_deref(), &emit, job.token()).await;
    drop(job);
    finished(&app, &accounts, result).await
}

/// Stops a running recovery after its current step; the run rejects with `cancelled` and
/// resumes later where it stopped.
#[tauri::command]
pub async fn recover_cancel(jobs: State<'_, Jobs>, did: String) -> Result<(), CommandError> {
    jobs.cancel(&JobKey::Recovery(did));
    Ok(())
}

/// The account list follows a run that made progress (the account's home is the new server
/// once it exists there); a finished one is checked again there, so its state is the new
/// server's (active) and not the one read while the account was being made.
async fn finished(
    app: &AppHandle,
    accounts: &stratos_core::Accounts,
    result: Result<Journal, recover::RecoverError>,
) -> Result<Journal, CommandError> {
    if let Ok(j) = &result
        && let Err(e) = accounts.refresh(&j.did).await
    {
        log::warn!("could not check {} on its new server: {e}", j.did);
    }
    broadcast(app, accounts);
    result.map_err(failed)
}

fn progress<'a>(app: &'a AppHandle, did: &'a str) -> impl Fn(Event) + Send + Sync + 'a {
    move |event: Event| {
        let _ = app.emit("recover-progress", RecoverProgress { did, event: &event });
    }
}
