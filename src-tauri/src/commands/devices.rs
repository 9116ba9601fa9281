//! Account management from the window: app passwords, activation, handle, deletion. Each
//! command calls one core function; password-only operations take the account password when the
//! account is signed in through the browser (step-up, never stored).

use serde::Serialize;
use stratos_core::activation::{self, ActivationOutcome};
use stratos_core::app_passwords::{self, AppPasswordInfo, NewAppPassword};
use stratos_core::deletion::{self, Deleted};
use stratos_core::devices::{self, App, Device};
use stratos_core::email::StepUp;
use stratos_core::handle::{self, HandleChange, HandleDomains, HandlePlan};
use tauri::{AppHandle, State};

use crate::error::{CommandError, failed};
use crate::{AppState, shell};

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
        password.as_deref(),
        auth_factor_token.as_deref(),
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
        password.as_deref(),
        auth_factor_token.as_deref(),
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
        password.as_deref(),
        auth_factor_token.as_deref(),
    )
    .await
    .map_err(failed)
}

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
        password.as_deref(),
        auth_factor_token.as_deref(),
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
        password.as_deref(),
        auth_factor_token.as_deref(),
    )
    .await
    .map_err(failed)?;
    let _ = accounts.refresh(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(out)
}

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

/// Asks the PDS to email an account-deletion code.
#[tauri::command]
pub async fn account_delete_request(
    state: State<'_, AppState>,
    did: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    let step_up = StepUp {
        password: password.as_deref(),
        auth_factor_token: auth_factor_token.as_deref(),
    };
    deletion::request(&accounts, Some(&did), step_up)
        .await
        .map_err(failed)?;
    Ok(())
}

/// What the window shows after a deletion.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedView {
    #[serde(flatten)]
    deleted: Deleted,
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
) -> Result<DeletedView, CommandError> {
    let accounts = state.accounts()?;
    let deleted = deletion::delete(&accounts, Some(&did), &confirm_handle, &password, &token)
        .await
        .map_err(failed)?;
    shell::broadcast(&app, &accounts);
    Ok(DeletedView { deleted })
}

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

/// Apps with access to the account (OAuth sessions).
#[tauri::command]
pub async fn apps_list(state: State<'_, AppState>, did: String) -> Result<Vec<App>, CommandError> {
    let accounts = state.accounts()?;
    devices::apps(&accounts, &did).await.map_err(failed)
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
    crate::oauth::open_browser(&app, page.as_str());
    Ok(page.to_string())
}
