//! The Stratos desktop shell: a window, a tray icon and the commands the UI calls.
//!
//! All protocol and account logic lives in `stratos-core`; this crate only wires it to Tauri.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod desktop;
mod error;
mod first_paint;
mod jobs;
mod logging;
mod models;
#[cfg(target_os = "linux")]
mod raster;
mod refresher;
mod shell;
mod tray;

use std::sync::Arc;

use commands::updates;
use commands::{
    accounts, activation, app_passwords, backup, blobs, create, deletion, devices, email, handle,
    keys, logs, migrate, oauth, overview, password, pick, plc, recover, service_auth, settings,
    status,
};
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
    /// Wakes the backup scheduler (the schedule changed, or "Refresh now").
    pub backups_now: Arc<tokio::sync::Notify>,
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
        detail: None,
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
    let first_list = saved.as_ref().map(models::AccountList::from);
    let state = AppState {
        accounts: std::sync::RwLock::new(accounts),
        refresh_now: Arc::new(tokio::sync::Notify::new()),
        backups_now: Arc::new(tokio::sync::Notify::new()),
    };
    // Signed updates: only a build with a feed registers the updater (and so can ask anything).
    let update_feed = updates::feed();
    let mut context = tauri::generate_context!("../tauri.conf.json");
    let mut builder = tauri::Builder::default();
    if let Some(feed) = &update_feed {
        updates::configure(&mut context, feed);
        builder = builder.plugin(tauri_plugin_updater::Builder::new().build());
    }
    builder
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            log::info!("second launch: bringing the window to the front");
            shell::show_main_window(app);
            oauth::handle_args(app, &args);
        }))
        .plugin(logging::plugin(settings.log_level))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(desktop::autostart_plugin())
        .plugin(desktop::window_state_plugin())
        .plugin(desktop::page_boot_plugin(first_list.as_ref()))
        .manage(state)
        .manage(jobs::Jobs::default())
        .manage(first_paint::FirstPaint::default())
        .manage(updates::Updates::new(update_feed))
        .invoke_handler(tauri::generate_handler![
            accounts::list_accounts,
            pick::pick_path,
            accounts::refresh_accounts,
            accounts::login_password,
            accounts::select_account,
            accounts::logout,
            overview::account_overview,
            status::lookup_status,
            settings::get_settings,
            settings::set_settings,
            logs::diagnostics,
            logs::open_logs_folder,
            oauth::oauth_info,
            oauth::oauth_start,
            oauth::oauth_cancel,
            app_passwords::app_passwords_list,
            app_passwords::app_password_create,
            app_passwords::app_password_revoke,
            activation::account_deactivate,
            activation::account_activate,
            handle::handle_domains,
            handle::handle_plan,
            handle::handle_update,
            deletion::account_delete_request,
            deletion::account_delete,
            devices::devices_sign_in,
            devices::devices_list,
            devices::device_revoke,
            devices::apps_list,
            devices::app_revoke,
            devices::open_account_page,
            email::email_info,
            email::email_request_confirmation,
            email::email_confirm,
            email::email_request_update,
            email::email_update,
            email::email_two_factor,
            password::password_strength,
            password::password_reset_request,
            password::password_reset,
            service_auth::service_auth_online,
            service_auth::service_auth_offline,
            keys::keys_list,
            keys::key_export,
            keys::key_export_words,
            plc::plc_identity,
            plc::plc_acknowledge,
            plc::plc_undo,
            plc::plc_recovery_key_create,
            plc::plc_recovery_key_request,
            plc::plc_recovery_key_add,
            blobs::missing_blobs,
            blobs::repair_blobs,
            backup::backup_account,
            backup::backups_list,
            backup::backup_now,
            backup::backup_verify,
            backup::backup_export,
            jobs::cancel_job,
            create::signup_form,
            create::signup_check_handle,
            create::create_account,
            migrate::migration_journal,
            migrate::migration_preflight,
            migrate::migration_start,
            migrate::migration_continue,
            migrate::migration_pause,
            migrate::migration_cancel,
            recover::recover_preview,
            recover::recover_journal,
            recover::recover_start,
            recover::recover_resume,
            recover::recover_cancel,
            first_paint::first_paint,
            updates::updates_status,
            updates::updates_check,
            updates::updates_download,
            updates::updates_install,
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
            tray::install_after_first_paint(app.handle(), window_shown, shell::TRAY_ACTIONS)?;
            refresher::spawn(app.handle().clone());
            refresher::spawn_backups(app.handle().clone());
            updates::spawn_schedule(app.handle().clone());
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
        .run(context)
        .expect("the Tauri runtime starts");
}
