//! The Stratos desktop shell: a window, a tray icon and the commands the UI calls.
//!
//! All protocol and account logic lives in `stratos-core`; this crate only wires it to Tauri.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod create;
mod desktop;
mod diagnostics;
mod error;
mod first_paint;
mod logging;
mod manage;
mod migrate;
mod oauth;
#[cfg(target_os = "linux")]
mod raster;
mod refresher;
mod security;
mod shell;
mod tools;
mod tray;
mod views;

use std::sync::Arc;

use stratos_core::{Accounts, Config, Explain, Problem};
use tauri::{Manager, WindowEvent};

/// What every command can reach: the accounts, or why they could not be opened.
pub struct AppState {
    /// The account store; an error when the keychain or configuration is unusable, so the window
    /// can still open and say why. Replaced when a setting changes which services it talks to
    /// (PLC directory, OAuth client), so that takes effect without a restart.
    accounts: std::sync::RwLock<Result<Arc<Accounts>, Problem>>,
    /// Wakes the background refresher for an immediate check.
    pub refresh_now: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// The account store for a command, or why it could not be opened.
    pub fn accounts(&self) -> Result<Arc<Accounts>, error::CommandError> {
        self.current().map_err(error::CommandError::from)
    }

    /// The account store in use right now, or why it could not be opened.
    pub fn current(&self) -> Result<Arc<Accounts>, Problem> {
        self.accounts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Opens the account store again from the environment and the saved settings; sign-ins in
    /// progress with the old one are dropped.
    pub fn reopen(&self) -> Result<Arc<Accounts>, Problem> {
        let fresh = open_accounts();
        *self
            .accounts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh.clone();
        fresh
    }
}

fn open_accounts() -> Result<Arc<Accounts>, Problem> {
    let config = Config::from_env().map_err(|e| Problem {
        code: "config",
        message: e.to_string(),
        hint: None,
    })?;
    Accounts::open(config)
        .map(Arc::new)
        .map_err(|e| e.explain())
}

fn main() {
    // SAFETY: first thing in main, before anything could start a thread.
    #[cfg(target_os = "linux")]
    let raster = unsafe { raster::apply() };
    let accounts = open_accounts();
    let saved = accounts.as_ref().ok().and_then(|a| a.state().ok());
    let settings = saved
        .as_ref()
        .map(|s| s.settings.clone())
        .unwrap_or_default();
    let first_list = saved.as_ref().map(views::AccountList::from);
    let state = AppState {
        accounts: std::sync::RwLock::new(accounts),
        refresh_now: Arc::new(tokio::sync::Notify::new()),
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            log::info!("second launch: bringing the window to the front");
            shell::show_main_window(app);
            oauth::handle_args(app, &args);
        }))
        .plugin(logging::plugin(settings.log_level))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(desktop::autostart_plugin())
        .plugin(desktop::window_state_plugin())
        .plugin(desktop::page_boot_plugin(first_list.as_ref()))
        .manage(state)
        .manage(oauth::Waiting::default())
        .manage(tools::Jobs::default())
        .manage(migrate::Migrations::default())
        .manage(first_paint::FirstPaint::default())
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::refresh_accounts,
            commands::account_overview,
            commands::lookup_status,
            commands::login_password,
            commands::select_account,
            commands::logout,
            commands::get_settings,
            commands::set_settings,
            diagnostics::diagnostics,
            diagnostics::open_logs_folder,
            oauth::oauth_info,
            oauth::oauth_start,
            oauth::oauth_cancel,
            manage::app_passwords_list,
            manage::app_password_create,
            manage::app_password_revoke,
            manage::account_deactivate,
            manage::account_activate,
            manage::handle_domains,
            manage::handle_plan,
            manage::handle_update,
            manage::account_delete_request,
            manage::account_delete,
            manage::devices_sign_in,
            manage::devices_list,
            manage::device_revoke,
            manage::apps_list,
            manage::app_revoke,
            manage::open_account_page,
            security::email_info,
            security::email_request_confirmation,
            security::email_confirm,
            security::email_request_update,
            security::email_update,
            security::email_two_factor,
            security::password_strength,
            security::password_reset_request,
            security::password_reset,
            tools::service_auth_online,
            tools::service_auth_offline,
            tools::keys_list,
            create::signup_form,
            create::signup_check_handle,
            create::create_account,
            create::key_export,
            tools::missing_blobs,
            tools::repair_blobs,
            tools::backup_account,
            tools::cancel_job,
            migrate::migration_journal,
            migrate::migration_preflight,
            migrate::migration_start,
            migrate::migration_continue,
            migrate::migration_pause,
            migrate::migration_cancel,
            first_paint::first_paint,
        ])
        .setup(move |app| {
            // The log plugin opened the gate fully while starting; narrow it to the setting.
            logging::set_level(settings.log_level);
            #[cfg(target_os = "linux")]
            log::info!("{}", raster.describe());
            if let Err(p) = app.state::<AppState>().current() {
                log::error!("accounts unavailable: {} ({})", p.message, p.code);
            }
            let window_shown = desktop::started(app.handle());
            tray::install_after_first_paint(app.handle(), window_shown)?;
            refresher::spawn(app.handle().clone());
            oauth::register_scheme(app.handle());
            // Started by the OS with a deep-link callback as the argument.
            let args: Vec<String> = std::env::args().skip(1).collect();
            oauth::handle_args(app.handle(), &args);
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Stratos running in the tray; "Quit" in the tray exits.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
                && tray::available(window.app_handle())
            {
                api.prevent_close();
                let _ = window.hide();
                desktop::explain_close_to_tray(window.app_handle());
            }
        })
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("the Tauri runtime starts");
}
