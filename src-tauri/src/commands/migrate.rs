//! The migration wizard's commands: a thin layer over `stratos_core::migrate`. Progress is the
//! core's own events, sent as `migration-progress` {did, event}; a run can be paused (it resumes
//! where it stopped, also after a restart, from the journal) or, before the identity step,
//! cancelled.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use stratos_core::backup::CancellationToken;
use stratos_core::migrate::{self, Event, Inputs, Journal, Outcome, Plan, Preflight};
use tauri::{AppHandle, Emitter, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::shell::broadcast;

/// Running migrations by DID, so the window can pause them.
#[derive(Default)]
pub struct Migrations(Mutex<HashMap<String, CancellationToken>>);

/// What the wizard's first page collects. The password goes to the core and nowhere else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    did: String,
    target_pds: String,
    handle: String,
    email: String,
    password: String,
    invite_code: Option<String>,
    deactivate_source: bool,
}

impl From<PlanInput> for Plan {
    fn from(p: PlanInput) -> Self {
        Plan {
            account: p.did,
            target_pds: p.target_pds,
            handle: p.handle,
            email: p.email,
            password: p.password,
            invite_code: p.invite_code,
            deactivate_source: p.deactivate_source,
        }
    }
}

/// What a continuation may bring: the new server's password (only when asked), the emailed
/// code, the agreement, the old account's password (OAuth accounts, to deactivate it).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ContinueInput {
    password: Option<String>,
    plc_token: Option<String>,
    confirmed: bool,
    source_password: Option<String>,
}

#[derive(Serialize, Clone)]
struct Progress<'a> {
    did: &'a str,
    event: &'a Event,
}

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
    running: State<'_, Migrations>,
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
    run(&app, &accounts, &running, &did, &inputs).await
}

/// Continues the migration of `did` from its journal.
#[tauri::command]
pub async fn migration_continue(
    app: AppHandle,
    state: State<'_, AppState>,
    running: State<'_, Migrations>,
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
    run(&app, &accounts, &running, &did, &inputs).await
}

/// Pauses a running migration; the run rejects with `cancelled` and resumes later.
#[tauri::command]
pub async fn migration_pause(
    running: State<'_, Migrations>,
    did: String,
) -> Result<(), CommandError> {
    if let Some(token) = running.0.lock().expect("migrations lock").get(&did) {
        token.cancel();
    }
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
    running: &Migrations,
    did: &str,
    inputs: &Inputs,
) -> Result<Outcome, CommandError> {
    let cancel = CancellationToken::new();
    running
        .0
        .lock()
        .expect("migrations lock")
        .insert(did.to_owned(), cancel.clone());
    let emit = progress(app, did);
    let result = migrate::run(accounts, did, inputs, &emit, &cancel).await;
    running.0.lock().expect("migrations lock").remove(did);
    if matches!(result, Ok(Outcome::Done { .. })) {
        // The account now lives on the new server, under its new handle.
        broadcast(app, accounts);
    }
    result.map_err(failed)
}

fn progress<'a>(app: &'a AppHandle, did: &'a str) -> impl Fn(Event) + Send + Sync + 'a {
    move |event: Event| {
        let _ = app.emit("migration-progress", Progress { did, event: &event });
    }
}
