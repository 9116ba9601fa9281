//! Window and broadcast helpers shared by commands, the tray and the refresher. The shell sits
//! above the tray: it tells the tray about account changes, and hands it [`TRAY_ACTIONS`] so the
//! tray can bring the window up without depending on this module.

use stratos_core::store::state::State;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::models::{AccountList, Navigate};
use crate::tray::{self, WindowActions};

/// How the tray's menu and icon reach the window.
pub const TRAY_ACTIONS: WindowActions = WindowActions {
    show: show_main_window,
    navigate,
};

/// Brings the main window to the front (tray click, second launch).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Re-reads the account list and tells the window and the tray (after any change a command made).
pub fn broadcast(app: &AppHandle, accounts: &stratos_core::Accounts) {
    match accounts.state() {
        Ok(s) => accounts_changed(app, &s),
        Err(e) => log::warn!("could not read the account list: {e}"),
    }
}

/// Tells the window and the tray that the account list or a state changed.
pub fn accounts_changed(app: &AppHandle, state: &State) {
    let list = AccountList::from(state);
    if let Err(e) = app.emit("accounts-changed", &list) {
        log::warn!("could not notify the window: {e}");
    }
    tray::update(app, state);
}

/// Shows the window on a given screen (tray menu actions).
pub fn navigate(app: &AppHandle, screen: &str, did: Option<&str>) {
    show_main_window(app);
    if let Err(e) = app.emit("navigate", Navigate { screen, did }) {
        log::warn!("could not navigate the window: {e}");
    }
}
