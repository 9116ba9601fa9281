//! Deleting an account for good: an emailed code first, then the typed handle, the password
//! and that code.

use stratos_core::auth::step_up::StepUp;
use stratos_core::deletion::{self, Deleted};
use tauri::{AppHandle, State};

use crate::error::{CommandError, failed};
use crate::{AppState, shell};

/// Asks the PDS to email an account-deletion code.
#[tauri::command]
pub async fn account_delete_request(
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    let step_up = StepUp::typed(&password, &auth_factor_token);
    deletion::request(&accounts, Some(&did), step_up)
        .await
        .map_err(failed)?;
    Ok(())
}

/// Deletes the account for good: typed handle, password and the emailed code.
#[tauri::command]
pub async fn account_delete(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    confirm_handle: String,
    password: String,
    token: String,
) -> Result<Deleted, CommandError> {
    let accounts = state.accounts()?;
    let deleted = deletion::delete(&accounts, Some(&did), &confirm_handle, &password, &token)
        .await
        .map_err(failed)?;
    shell::broadcast(&app, &accounts);
    Ok(deleted)
}
