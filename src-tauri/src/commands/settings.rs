//! The settings screen: what is saved and in force, and saving a change so it applies at once.

use stratos_core::Accounts;
use stratos_core::config::oauth_client::redirect_choice;
use stratos_core::store::state::{Settings, SettingsUpdate};
use tauri::{AppHandle, Manager, State};

use crate::error::CommandError;
use crate::models::SettingsView;
use crate::{AppState, desktop, logging, shell};

fn settings_view(app: &AppHandle, accounts: &Accounts, s: &Settings) -> SettingsView {
    let config = accounts.context().config();
    let client = accounts.oauth_client();
    SettingsView {
        refresh_interval_minutes: s.refresh_interval_minutes,
        notify_on_new_devices: s.notify_on_new_devices,
        data_dir: config.data_dir.display().to_string(),
        keyring_service: config.keyring_service.clone(),
        oauth_redirect: redirect_choice(client, s.oauth_redirect, None),
        oauth_access: s.oauth_access,
        step_up_minutes: s.step_up_minutes,
        oauth_client_kind: client.kind_name(),
        plc_url: config.plc_url.to_string(),
        plc_url_setting: s.plc_url.clone().unwrap_or_default(),
        oauth_client_id_setting: s.oauth_client_id.clone().unwrap_or_default(),
        set_by_env: config.set_by_env.clone(),
        log_level: s.log_level,
        start_at_login: s.start_at_login,
        log_dir: logging::folder(app)
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        backup_every_hours: s.backup_every_hours,
        backup_folder_setting: s.backup_folder.clone().unwrap_or_default(),
        backup_folder: stratos_core::backup::schedule::folder(s, config)
            .display()
            .to_string(),
        backup_keep: s.backup_keep,
        check_for_updates: s.check_for_updates,
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
    settings: SettingsUpdate,
) -> Result<SettingsView, CommandError> {
    let accounts = state.accounts()?;
    let current = accounts.state()?.settings;
    let saved = accounts.save_settings(current.clone().apply(settings))?;
    logging::set_level(saved.log_level);
    log::info!("settings saved; log level {:?}", saved.log_level);
    if saved.start_at_login != current.start_at_login
        && let Err(e) = desktop::set_start_at_login(&app, saved.start_at_login)
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
    state.backups_now.notify_one();
    app.state::<crate::commands::updates::Updates>()
        .wake
        .notify_one();
    Ok(settings_view(&app, &accounts, &saved))
}
