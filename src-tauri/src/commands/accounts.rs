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

fn settings_view(app: &AppHandle, accounts: &Accounts, s: &Settings) -> SettingsView {
    let config = accounts.config();
    SettingsView {
        refresh_interval_minutes: s.refresh_interval_minutes,
        notify_on_new_devices: s.notify_on_new_devices,
        data_dir: config.data_dir.display().to_string(),
        keyring_service: config.keyring_service.clone(),
        oauth_redirect: crate::oauth::effective_redirect(accounts),
        oauth_access: s.oauth_access,
        step_up_minutes: s.step_up_minutes,
        oauth_client_kind: match accounts.oauth_client() {
            stratos_core::oauth::client::ClientKind::Loopback => "loopback",
            stratos_core::oauth::client::ClientKind::Hosted { .. } => "hosted",
        },
        plc_url: config.plc_url.to_string(),
        plc_url_setting: s.plc_url.clone().unwrap_or_default(),
        oauth_client_id_setting: s.oauth_client_id.clone().unwrap_or_default(),
        set_by_env: config.set_by_env.clone(),
        log_level: s.log_level,
        start_at_login: s.start_at_login,
        log_dir: crate::logging::folder(app)
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

/// The settings screen's content.
#[tauri::command]
pub async fn get_settings(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<SettingsView, CommandError> {
    let accounts = state.accounts()?;
    let s = accounts.state()?.settings;
    Ok(settings_view(&app, &accounts, &s))
}

/// Saves settings and applies them at once: the log level, the login item, the next background
/// check's interval, and the PLC directory and OAuth client (by reopening the account store).
#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
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
        plc_url: settings.plc_url.or(current.plc_url.clone()),
        oauth_client_id: settings.oauth_client_id.or(current.oauth_client_id.clone()),
        log_level: settings.log_level.unwrap_or(current.log_level),
        start_at_login: settings.start_at_login.unwrap_or(current.start_at_login),
    })?;
    crate::logging::set_level(saved.log_level);
    log::info!("settings saved; log level {:?}", saved.log_level);
    if saved.start_at_login != current.start_at_login
        && let Err(e) = crate::desktop::set_start_at_login(&app, saved.start_at_login)
    {
        return Err(CommandError::new(
            "autostart_failed",
            format!("Settings saved, but the login item could not be changed: {e}"),
            Some("Add or remove Stratos in your system's startup applications yourself."),
        ));
    }
    let accounts =
        if saved.plc_url != current.plc_url || saved.oauth_client_id != current.oauth_client_id {
            log::info!("PLC directory or OAuth client changed: reopening the account store");
            let reopened = state.reopen()?;
            shell::broadcast(&app, &reopened);
            reopened
        } else {
            accounts
        };
    state.refresh_now.notify_one();
    Ok(settings_view(&app, &accounts, &saved))
}
