//! Devices and apps signed in to an account, through the server's account-manager API, and the
//! server's own account page for servers without it.

use stratos_core::devices::{self, Device};
use tauri::{AppHandle, State};

use crate::error::{CommandError, failed};
use crate::models::AppView;
use crate::{AppState, desktop, shell};

/// Signs Stratos in to the PDS's account-manager API (devices and apps) with the password.
#[tauri::command]
pub async fn devices_sign_in(
    state: State<'_, AppState>,
    did: String,
    password: String,
    email_code: Option<String>,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    devices::sign_in(&accounts, &did, &password, email_code.as_deref())
        .await
        .map_err(failed)
}

/// Devices signed in to the account.
#[tauri::command]
pub async fn devices_list(
    state: State<'_, AppState>,
    did: String,
) -> Result<Vec<Device>, CommandError> {
    let accounts = state.accounts()?;
    devices::devices(&accounts, &did).await.map_err(failed)
}

/// Signs a device out of the account.
#[tauri::command]
pub async fn device_revoke(
    state: State<'_, AppState>,
    did: String,
    device_id: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    devices::revoke_device(&accounts, &did, &device_id)
        .await
        .map_err(failed)
}

/// Apps with access to the account (OAuth sessions), each worded and marked when it is
/// Stratos's own sign-in.
#[tauri::command]
pub async fn apps_list(
    state: State<'_, AppState>,
    did: String,
) -> Result<Vec<AppView>, CommandError> {
    let accounts = state.accounts()?;
    let signed_in_as = accounts.find(Some(&did))?.auth_kind;
    let apps = devices::apps(&accounts, &did).await.map_err(failed)?;
    Ok(apps
        .into_iter()
        .map(|app| AppView::new(app, signed_in_as))
        .collect())
}

/// Revokes an app's access; if it is Stratos's own session, the account shows "sign in again".
#[tauri::command]
pub async fn app_revoke(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    token_id: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    devices::revoke_app(&accounts, &did, &token_id)
        .await
        .map_err(failed)?;
    let _ = accounts.refresh(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(())
}

/// Opens the PDS's own account page in the browser (servers without the account-manager API).
#[tauri::command]
pub async fn open_account_page(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<String, CommandError> {
    let accounts = state.accounts()?;
    let record = accounts.find(Some(&did))?;
    let issuer = devices::issuer(&accounts, &record.pds_url)
        .await
        .map_err(failed)?;
    let page = issuer
        .join("account")
        .map_err(|e| CommandError::new("bad_url", e.to_string(), None))?;
    desktop::open_browser(&app, page.as_str());
    Ok(page.to_string())
}
