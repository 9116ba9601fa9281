//! How Stratos lives on the desktop: starting at login, remembering the window's size and place,
//! and explaining once that closing the window keeps it running in the tray.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_window_state::StateFlags;

use crate::views::AccountList;
use crate::{AppState, tray};

/// The argument the login item starts Stratos with: straight to the tray, no window.
const AUTOSTART_ARG: &str = "--autostart";

/// Registers Stratos as a login item on request (the settings screen's "Start at login").
pub fn autostart_plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new()
        .app_name("Stratos")
        .arg(AUTOSTART_ARG)
        .build()
}

/// Remembers the main window's size, position and maximised state between runs. Visibility is
/// not restored: a window closed to the tray still opens on the next start.
pub fn window_state_plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_window_state::Builder::default()
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .build()
}

/// What the page knows before its first script runs: which desktop it is on
/// (`<html data-os="linux">`, so the stylesheet can pick fonts this platform's web view finds
/// quickly; see `--font` in `ui/style.css`) and the account list as it was when Stratos started,
/// so the first screen is built without a round trip to the shell (`ui/main.js` asks again once
/// it is painted). The list holds what `list_accounts` gives the page, no secret.
pub fn page_boot_plugin<R: Runtime>(accounts: Option<&AccountList>) -> TauriPlugin<R> {
    let mut script = format!(
        "document.documentElement.dataset.os = {:?};",
        std::env::consts::OS
    );
    if let Some(json) = accounts.and_then(|a| serde_json::to_string(a).ok()) {
        script.push_str(&format!("window.__STRATOS_ACCOUNTS__ = {json};"));
    }
    tauri::plugin::Builder::new("page-boot")
        .js_init_script(script)
        .build()
}

/// Adds or removes the login item.
pub fn set_start_at_login<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), String> {
    let launcher = app.autolaunch();
    let result = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| e.to_string())
}

/// At start: a login-item start goes straight to the tray when there is one. Returns whether
/// the window is shown.
pub fn started<R: Runtime>(app: &AppHandle<R>) -> bool {
    if std::env::args().any(|a| a == AUTOSTART_ARG)
        && tray::available(app)
        && let Some(w) = app.get_webview_window("main")
    {
        log::info!("started at login: staying in the tray");
        let _ = w.hide();
        return false;
    }
    true
}

/// The first time the window is closed to the tray, says where Stratos went and how to quit;
/// remembered in the state file so it is said once.
pub fn explain_close_to_tray(app: &AppHandle) {
    let Ok(accounts) = app.state::<AppState>().current() else {
        return;
    };
    let first = accounts.state_file().update(|s| {
        let first = !s.close_to_tray_explained;
        s.close_to_tray_explained = true;
        first
    });
    match first {
        Ok((_, false)) => {}
        Ok((_, true)) => {
            use tauri_plugin_notification::NotificationExt;
            log::info!("explaining close-to-tray (first close)");
            // Showing a notification is a D-Bus round trip: keep it off the window's thread.
            let app = app.clone();
            tauri::async_runtime::spawn_blocking(move || {
                let shown = app
                    .notification()
                    .builder()
                    .title("Stratos is still running")
                    .body(
                        "It keeps checking your accounts from the tray. Choose Quit Stratos in the tray menu to exit.",
                    )
                    .show();
                if let Err(e) = shown {
                    log::warn!("could not show a notification: {e}");
                }
            });
        }
        Err(e) => log::warn!("could not remember the close-to-tray notice: {e}"),
    }
}
