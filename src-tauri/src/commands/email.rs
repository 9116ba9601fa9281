//! The account's email address: confirming it, changing it, and the emailed sign-in code.
//! Changes that need the password take it for this once.

use stratos_core::auth::step_up::StepUp;
use stratos_core::email::{self, EmailInfo};
use tauri::State;

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::models::UpdateRequested;

/// The account's email address, whether it is confirmed, and whether sign-in needs a code.
#[tauri::command]
pub async fn email_info(
    state: State<'_, AppState>,
    did: String,
) -> Result<EmailInfo, CommandError> {
    email::show(&*state.accounts()?, Some(&did))
        .await
        .map_err(failed)
}

/// Emails a confirmation code to the current address.
#[tauri::command]
pub async fn email_request_confirmation(
    state: State<'_, AppState>,
    did: String,
) -> Result<EmailInfo, CommandError> {
    email::request_confirmation(&*state.accounts()?, Some(&did))
        .await
        .map_err(failed)
}

/// Confirms the address with the emailed code.
#[tauri::command]
pub async fn email_confirm(
    state: State<'_, AppState>,
    did: String,
    code: String,
) -> Result<EmailInfo, CommandError> {
    email::confirm(&*state.accounts()?, Some(&did), &code)
        .await
        .map_err(failed)
}

/// Starts a change of address or of the emailed sign-in code: the server may email a code first.
#[tauri::command]
pub async fn email_request_update(
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<UpdateRequested, CommandError> {
    let step_up = StepUp::typed(&password, &auth_factor_token);
    let token_required = email::request_update(&*state.accounts()?, Some(&did), step_up)
        .await
        .map_err(failed)?;
    Ok(UpdateRequested { token_required })
}

/// Changes the address (with the emailed code when one was needed).
#[tauri::command]
pub async fn email_update(
    state: State<'_, AppState>,
    did: String,
    email: String,
    code: Option<String>,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<EmailInfo, CommandError> {
    let step_up = StepUp::typed(&password, &auth_factor_token);
    email::update(
        &*state.accounts()?,
        Some(&did),
        &email,
        code.as_deref(),
        step_up,
    )
    .await
    .map_err(failed)
}

/// Turns the emailed sign-in code on or off.
#[tauri::command]
pub async fn email_two_factor(
    state: State<'_, AppState>,
    did: String,
    enabled: bool,
    code: Option<String>,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<EmailInfo, CommandError> {
    let step_up = StepUp::typed(&password, &auth_factor_token);
    email::set_two_factor(
        &*state.accounts()?,
        Some(&did),
        enabled,
        code.as_deref(),
        step_up,
    )
    .await
    .map_err(failed)
}
