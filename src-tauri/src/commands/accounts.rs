//! The account list: listing, checking every account, signing in with a password, choosing the
//! account the window shows, and signing out.

use stratos_core::LoginRequest;
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::CommandError;
use crate::models::{AccountList, AccountSummary};
use crate::shell;

/// The sidebar's content.
#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<AccountList, CommandError> {
    let accounts = state.accounts()?;
    Ok(AccountList::from(&accounts.state()?))
}

/// Re-checks every account now.
#[tauri::command]
pub async fn refresh_accounts(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AccountList, CommandError> {
    let accounts = state.accounts()?;
    let s = accounts.refresh_all().await?;
    shell::accounts_changed(&app, &s);
    Ok(AccountList::from(&s))
}

/// Signs in with a password (and emailed code).
#[tauri::command]
pub async fn login_password(
    app: AppHandle,
    state: State<'_, AppState>,
    identifier: String,
    password: String,
    auth_factor_token: Option<String>,
    pds_host: Option<String>,
) -> Result<AccountSummary, CommandError> {
    let accounts = state.accounts()?;
    let with_code = auth_factor_token.is_some();
    let record = accounts
        .login_password(LoginRequest {
            identifier,
            password: password.clone(),
            auth_factor_token,
            pds_host,
        })
        .await?;
    stratos_core::devices::sign_in_after_login(&accounts, &record.did, &password, with_code).await;
    shell::broadcast(&app, &accounts);
    Ok(AccountSummary::from(&record))
}

/// Shows another account in the window.
#[tauri::command]
pub async fn select_account(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    accounts.select(&did)?;
    shell::broadcast(&app, &accounts);
    Ok(())
}

/// Signs out: revokes on the server, then forgets the account locally.
#[tauri::command]
pub async fn logout(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    let outcome = accounts.logout(Some(&did)).await?;
    shell::broadcast(&app, &accounts);
    match outcome.server_error {
        None => Ok(()),
        // Signed out locally; say that the server could not be told.
        Some(e) => Err(CommandError::new(
            "logout_server_unreachable",
            format!("Signed out on this computer, but the server could not be told: {e}"),
            Some("The session will end on the server when it expires."),
        )),
    }
}
