//! How Stratos lives on the desktop: starting at login, remembering the window's size and place,
//! explaining once that closing the window keeps it running in the tray, and opening pages in
//! the person's browser.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_window_state::StateFlags;

use crate::models::AccountList;
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
    tauri::plugin::Builder::new("page-boot")
        .js_init_script(boot_script(std::env::consts::OS, accounts))
        .build()
}

/// The script of [`page_boot_plugin`]: the values go in as JSON literals, never as code.
fn boot_script(os: &str, accounts: Option<&AccountList>) -> String {
    let mut script = format!(
        "document.documentElement.dataset.os = {};",
        serde_json::Value::from(os)
    );
    if let Some(json) = accounts.and_then(|a| serde_json::to_string(a).ok()) {
        script.push_str(&format!("window.__STRATOS_ACCOUNTS__ = {json};"));
    }
    script
}

/// Opens a page (a sign-in, a server's account page) in the browser: `$BROWSER` when set (as
/// xdg-open honours it), else the opener plugin. A failure is logged only: the window shows the
/// address to open by hand.
pub fn open_browser(app: &AppHandle, url: &str) {
    let result = if std::env::var_os("BROWSER").is_some() {
        stratos_core::auth::browser::open(url).map_err(|e| e.to_string())
    } else {
        app.opener()
            .open_url(url, None::<&str>)
            .map_err(|e| e.to_string())
    };
    if let Err(e) = result {
        log::warn!("could not open the browser ({e}); the window shows the address to open");
    }
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
    let first = accounts.context().state_file().update(|s| {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON literal assigned by `boot_script` to `target`.
    fn assigned(script: &str, target: &str) -> serde_json::Value {
        let start = script.find(&format!("{target} = ")).expect("assigned") + target.len() + 3;
        let rest = &script[start..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        let value = stream.next().expect("a literal").expect("valid JSON");
        assert!(rest[stream.byte_offset()..].starts_with(';'), "{script}");
        value
    }

    #[test]
    fn the_platform_and_the_list_go_in_as_literals() {
        let list = AccountList {
            accounts: vec![],
            selected: Some("did:plc:x\"; alert(1); //</script>\u{2028}".to_owned()),
        };
        let script = boot_script("linux", Some(&list));
        assert_eq!(
            assigned(&script, "document.documentElement.dataset.os"),
            "linux"
        );
        assert_eq!(
            assigned(&script, "window.__STRATOS_ACCOUNTS__"),
            serde_json::json!({ "accounts": [], "selected": list.selected })
        );
    }

    #[test]
    fn without_a_list_only_the_platform_is_set() {
        let script = boot_script("windows", None);
        assert!(!script.contains("__STRATOS_ACCOUNTS__"), "{script}");
        assert_eq!(
            assigned(&script, "document.documentElement.dataset.os"),
            "windows"
        );
    }
}
