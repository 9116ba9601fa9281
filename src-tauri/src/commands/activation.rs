//! Deactivating an account (reversible) and activating it again; the account list shows the new
//! state at once.

use stratos_core::activation::{self, ActivationOutcome};
use tauri::{AppHandle, State};

use crate::error::{CommandError, failed};
use crate::{AppState, shell};
use stratos_core::auth::step_up::StepUp;

/// Deactivates the account (reversible).
#[tauri::command]
pub async fn account_deactivate(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<ActivationOutcome, CommandError> {
    let accounts = state.accounts()?;
    let out = activation::deactivate(
        &accounts,
        &did,
        None,
        StepUp::typed(&password, &auth_factor_token),
    )
    .await
    .map_err(failed)?;
    let _ = accounts.refresh(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(out)
}

/// Reactivates the account.
#[tauri::command]
pub async fn account_activate(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<ActivationOutcome, CommandError> {
    let accounts = state.accounts()?;
    let out = activation::activate(
        &accounts,
        &did,
        StepUp::typed(&password, &auth_factor_token),
    )
    .await
    .map_err(failed)?;
    let _ = accounts.refresh(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(out)
}
