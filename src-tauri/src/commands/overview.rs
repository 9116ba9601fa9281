//! An account's overview: the full status of a signed-in account, with the core's verdict.

use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::CommandError;
use crate::models::StatusView;
use crate::shell;

/// The full status of a signed-in account; checking it also updates the account list.
#[tauri::command]
pub async fn account_overview(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<StatusView, CommandError> {
    let accounts = state.accounts()?;
    let result = accounts.status(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(StatusView::from(result?))
}
