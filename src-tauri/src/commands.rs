//! The IPC surface: each command validates its input, calls one core function and returns
//! display data or a `{code, message, hint}` error.

use stratos_core::state::Settings;
use stratos_core::status::AccountStatus;
use stratos_core::{Accounts, LoginRequest};
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::CommandError;
use crate::shell;
use crate::views::{AccountList, AccountSummary, SettingsInput, SettingsView};

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

/// The full status of a signed-in account.
#[tauri::command]
pub async fn account_overview(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<AccountStatus, CommandError> {
    let accounts = state.accounts()?;
    let result = accounts.status(&did).await;
    shell::broadcast(&app, &accounts);
    Ok(result?)
}

/// The public status of any handle or DID.
#[tauri::command]
pub async fn lookup_status(
    state: State<'_, AppState>,
    identifier: String,
) -> Result<AccountStatus, CommandError> {
    let accounts = state.accounts()?;
    Ok(accounts.lookup(&identifier).await?)
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
    let record = accounts
        .login_password(LoginRequest {
            identifier,
            password,
            auth_factor_token,
            pds_host,
        })
        .await?;
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

fn settings_view(accounts: &Accounts, s: &Settings) -> SettingsView {
    SettingsView {
        refresh_interval_minutes: s.refresh_interval_minutes,
        notify_on_new_devices: s.notify_on_new_devices,
        data_dir: accounts.config().data_dir.display().to_string(),
        keyring_service: accounts.config().keyring_service.clone(),
        oauth_redirect: crate::oauth::effective_redirect(accounts),
        oauth_access: s.oauth_access,
        step_up_minutes: s.step_up_minutes,
        oauth_client_kind: match accounts.oauth_client() {
            stratos_core::oauth::client::ClientKind::Loopback => "loopback",
            stratos_core::oauth::client::ClientKind::Hosted { .. } => "hosted",
        },
    }
}

/// The settings screen's content.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, CommandError> {
    let accounts = state.accounts()?;
    let s = accounts.state()?.settings;
    Ok(settings_view(&accounts, &s))
}

/// Saves settings; a changed interval takes effect at once.
#[tauri::command]
pub async fn set_settings(
    state: State<'_, AppState>,
    settings: SettingsInput,
) -> Result<SettingsView, CommandError> {
    let accounts = state.accounts()?;
    let current = accounts.state()?.settings;
    let saved = accounts.save_settings(Settings {
        refresh_interval_minutes: settings.refresh_interval_minutes,
        notify_on_new_devices: settings.notify_on_new_devices,
        oauth_redirect: settings.oauth_redirect.or(current.oauth_redirect),
        oauth_access: settings.oauth_access.unwrap_or(current.oauth_access),
        step_up_minutes: settings.step_up_minutes.unwrap_or(current.step_up_minutes),
    })?;
    state.refresh_now.notify_one();
    Ok(settings_view(&accounts, &saved))
}
