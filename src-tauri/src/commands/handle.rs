//! Changing the handle: the domains the server offers, what a custom domain needs, and the
//! change itself, verified both ways.

use stratos_core::handle::{self, HandleChange, HandleDomains, HandlePlan};
use tauri::{AppHandle, State};

use crate::error::{CommandError, failed};
use crate::{AppState, shell};

/// The handle domains the account's PDS offers.
#[tauri::command]
pub async fn handle_domains(
    state: State<'_, AppState>,
    did: String,
) -> Result<HandleDomains, CommandError> {
    let accounts = state.accounts()?;
    handle::domains(&accounts, &did).await.map_err(failed)
}

/// What a handle needs (DNS record, HTTPS file) and what each method answers right now.
#[tauri::command]
pub async fn handle_plan(
    state: State<'_, AppState>,
    did: String,
    handle: String,
) -> Result<HandlePlan, CommandError> {
    let accounts = state.accounts()?;
    handle::plan(&accounts, &did, &handle).await.map_err(failed)
}

/// Changes the handle and verifies it both ways.
#[tauri::command]
pub async fn handle_update(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    handle: String,
) -> Result<HandleChange, CommandError> {
    let accounts = state.accounts()?;
    let change = handle::update(&accounts, &did, &handle)
        .await
        .map_err(failed)?;
    shell::broadcast(&app, &accounts);
    Ok(change)
}
