//! App passwords: list, create (the secret is shown this once) and revoke. Browser sign-ins
//! take the account password for these calls only (step-up, never stored).

use stratos_core::app_passwords::{self, AppPasswordInfo, NewAppPassword};
use tauri::State;

use crate::AppState;
use crate::error::{CommandError, failed};
use stratos_core::auth::step_up::StepUp;

/// The app passwords of an account.
#[tauri::command]
pub async fn app_passwords_list(
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<Vec<AppPasswordInfo>, CommandError> {
    let accounts = state.accounts()?;
    app_passwords::list(
        &accounts,
        &did,
        StepUp::typed(&password, &auth_factor_token),
    )
    .await
    .map_err(failed)
}

/// Creates an app password; its secret is returned this once for the window to show.
#[tauri::command]
pub async fn app_password_create(
    state: State<'_, AppState>,
    did: String,
    name: String,
    privileged: bool,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<NewAppPassword, CommandError> {
    let accounts = state.accounts()?;
    app_passwords::create(
        &accounts,
        &did,
        &name,
        privileged,
        StepUp::typed(&password, &auth_factor_token),
    )
    .await
    .map_err(failed)
}

/// Revokes an app password by name.
#[tauri::command]
pub async fn app_password_revoke(
    state: State<'_, AppState>,
    did: String,
    name: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    app_passwords::revoke(
        &accounts,
        &did,
        &name,
        StepUp::typed(&password, &auth_factor_token),
    )
    .await
    .map_err(failed)
}
