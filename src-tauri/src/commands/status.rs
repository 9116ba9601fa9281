//! Looking up any account: the public status of a handle or DID, no sign-in needed.

use tauri::State;

use crate::AppState;
use crate::error::CommandError;
use crate::models::StatusView;

/// The public status of any handle or DID.
#[tauri::command]
pub async fn lookup_status(
    state: State<'_, AppState>,
    identifier: String,
) -> Result<StatusView, CommandError> {
    let accounts = state.accounts()?;
    Ok(StatusView::from(accounts.lookup(&identifier).await?))
}
