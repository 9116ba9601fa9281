//! The password: a strength estimate for the meter, and a reset with an emailed code.

use stratos_core::password::{self, ResetTarget, Strength};
use tauri::State;

use crate::AppState;
use crate::error::{CommandError, failed};

/// How guessable a new password looks, for the strength meter.
#[tauri::command]
pub async fn password_strength(password: String) -> Strength {
    password::estimate(&password)
}

/// Emails a password-reset code to the account's address.
#[tauri::command]
pub async fn password_reset_request(
    state: State<'_, AppState>,
    did: String,
) -> Result<ResetTarget, CommandError> {
    password::request(&*state.accounts()?, &did, None)
        .await
        .map_err(failed)
}

/// Sets a new password with the emailed code (weak passwords are refused).
#[tauri::command]
pub async fn password_reset(
    state: State<'_, AppState>,
    did: String,
    code: String,
    new_password: String,
) -> Result<ResetTarget, CommandError> {
    password::reset(&*state.accounts()?, &did, None, &code, &new_password)
        .await
        .map_err(failed)
}
