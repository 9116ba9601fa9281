//! The migration wizard's commands: a thin layer over `stratos_core::migrate`. Progress is the
//! core's own events, sent as `migration-progress` {did, event}; a run can be paused (it resumes
//! where it stopped, also after a restart, from the journal) or, before the identity step,
//! cancelled.

use stratos_core::migrate::{self, Event, Inputs, Journal, Outcome, Preflight};
use tauri::{AppHandle, Emitter, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs};
use crate::models::{ContinueInput, MigrationProgress, PlanInput};
use crate::shell::broadcast;

/// The journal of a migration under way or finished, for the wizard and the overview banner.
#[tauri::command]
pub async fn migration_journal(
    state: State<'_, AppState>,
    did: String,
) -> Result<Option<Journal>, CommandError> {
    let accounts = state.accounts()?;
    migrate::journal(&accounts, &did).map_err(failed)
}

/// Checks both servers and the plan without changing anything.
#[tauri::command]
pub async fn migration_preflight(
    state: State<'_, AppState>,
    plan: PlanInput,
) -> Result<Preflight, CommandError> {
    let accounts = state.accounts()?;
    migrate::preflight(&accounts, &plan.into())
        .await
        .map_err(failed)
}

/// Starts a migration and runs it to the PLC code (or the end).
#[tauri::command]
pub async fn migration_start(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    plan: PlanInput,
) -> Result<Outcome, CommandError> {
    let accounts = state.accounts()?;
    let did = plan.did.clone();
    let password = plan.password.clone();
    let emit = progress(&app, &did);
    migrate::start(&accounts, &plan.into(), &emit)
        .await
        .map_err(failed)?;
    let inputs = Inputs {
        password: Some(password),
        ..Default::default()
    };
    run(&app, &accounts, &jobs, &did, &inputs).await
}

/// Continues the migration of `did` from its journal.
#[tauri::command]
pub async fn migration_continue(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    did: String,
    input: ContinueInput,
) -> Result<Outcome, CommandError> {
    let accounts = state.accounts()?;
    let inputs = Inputs {
        password: input.password.filter(|p| !p.is_empty()),
        source_password: input.source_password.filter(|p| !p.is_empty()),
        plc_token: input.plc_token.filter(|t| !t.trim().is_empty()),
        confirmed: input.confirmed,
        concurrency: 0,
    };
    run(&app, &accounts, &jobs, &did, &inputs).await
}

/// Pauses a running migration; the run rejects with `cancelled` and resumes later.
#[tauri::command]
pub async fn migration_pause(jobs: State<'_, Jobs>, did: String) -> Result<(), CommandError> {
    jobs.cancel(&JobKey::Migration(did));
    Ok(())
}

/// Forgets a migration before the identity step; the old account was never changed.
#[tauri::command]
pub async fn migration_cancel(state: State<'_, AppState>, did: String) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    migrate::cancel(&accounts, &did).await.map_err(failed)
}

async fn run(
    app: &AppHandle,
    accounts: &stratos_core::Accounts,
    jobs: &Jobs,
    did: &str,
    inputs: &Inputs,
) -> Result<Outcome, CommandError> {
    let job = jobs.start(JobKey::Migration(did.to_owned()));
    let emit = progress(app, did);
    let result = migrate::run(accounts, did, inputs, &emit, job.token()).await;
    drop(job);
    if matches!(result, Ok(Outcome::Done { .. })) {
        // The account now lives on the new server, under its new handle.
        broadcast(app, accounts);
    }
    result.map_err(failed)
}

fn progress<'a>(app: &'a AppHandle, did: &'a str) -> impl Fn(Event) + Send + Sync + 'a {
    move |event: Event| {
        let _ = app.emit(
            "migration-progress",
            MigrationProgress { did, event: &event },
        );
    }
}
