//! Logs and diagnostics: what a bug report needs (versions, the system, each account's server
//! and state) as plain text the person copies, and opening the log folder. Never a secret.

use std::fmt::Write as _;

use stratos_core::config::oauth_client::ClientKind;
use stratos_core::store::state::AuthKind;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::AppState;
use crate::error::CommandError;
use crate::logging;

/// The diagnostics text shown and copied from the settings screen.
#[tauri::command]
pub async fn diagnostics(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<String, CommandError> {
    let mut out = String::new();
    let info = app.package_info();
    let _ = writeln!(
        out,
        "Stratos {} ({} build)",
        info.version,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let _ = writeln!(out, "Tauri {}", tauri::VERSION);
    let _ = writeln!(
        out,
        "WebView {}",
        tauri::webview_version().unwrap_or_else(|e| format!("unknown ({e})"))
    );
    let _ = writeln!(out, "OS {} ({})", os_info::get(), std::env::consts::ARCH);
    let _ = writeln!(
        out,
        "Log folder {}",
        logging::folder(&app).map_or_else(|| "unknown".into(), |p| p.display().to_string())
    );
    match state.current() {
        Err(p) => {
            let _ = writeln!(out, "Accounts unavailable: {} ({})", p.message, p.code);
        }
        Ok(accounts) => {
            let config = accounts.context().config();
            let _ = writeln!(out, "Data folder {}", config.data_dir.display());
            let _ = writeln!(out, "PLC directory {}", config.plc_url);
            let _ = writeln!(
                out,
                "OAuth client {}",
                match &config.oauth_client {
                    ClientKind::Loopback => "built-in (loopback)".to_owned(),
                    ClientKind::Hosted { client_id } => format!("hosted {client_id}"),
                }
            );
            if !config.set_by_env.is_empty() {
                let _ = writeln!(
                    out,
                    "Set by the environment: {}",
                    config.set_by_env.join(", ")
                );
            }
            let s = accounts.state()?;
            let _ = writeln!(
                out,
                "Settings: check every {} min, notifications {}, log level {:?}, start at login {}",
                s.settings.refresh_interval_minutes,
                if s.settings.notify_on_new_devices {
                    "on"
                } else {
                    "off"
                },
                s.settings.log_level,
                if s.settings.start_at_login {
                    "on"
                } else {
                    "off"
                },
            );
            let _ = writeln!(out, "Accounts: {}", s.accounts.len());
            for a in &s.accounts {
                let health = a.health.map_or("not checked yet", |h| h.label());
                let checked = a
                    .checked_at
                    .map(|t| format!(", checked {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default();
                let kind = match a.auth_kind {
                    AuthKind::Password => "password",
                    AuthKind::Oauth => "browser sign-in",
                };
                let _ = writeln!(
                    out,
                    "- {} ({}) on {}: {health}{checked}, {kind}",
                    a.handle, a.did, a.pds_url
                );
            }
        }
    }
    // Everything above is display data already; scrub once more in case a message echoed a token.
    Ok(stratos_core::base::redact::scrub(&out).into_owned())
}

/// Opens the log folder in the system's file manager.
#[tauri::command]
pub async fn open_logs_folder(app: AppHandle) -> Result<(), CommandError> {
    let folder = logging::folder(&app).ok_or_else(|| {
        CommandError::new("no_log_folder", "The log folder could not be found.", None)
    })?;
    std::fs::create_dir_all(&folder).map_err(|e| {
        CommandError::new(
            "no_log_folder",
            format!("Could not create the log folder {}: {e}", folder.display()),
            None,
        )
    })?;
    app.opener()
        .open_path(folder.display().to_string(), None::<&str>)
        .map_err(|e| {
            CommandError::new(
                "open_failed",
                format!("Could not open {}: {e}", folder.display()),
                Some("Open the folder yourself; its path is shown in Settings."),
            )
        })
}
