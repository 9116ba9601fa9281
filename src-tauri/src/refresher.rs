//! Background status checks: every few minutes (a setting) and on demand, never blocking the UI.

use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::{AppState, shell};

/// Starts the refresh loop on the async runtime.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(accounts) = state.accounts.clone() else {
            return;
        };
        let wake = state.refresh_now.clone();
        loop {
            match accounts.refresh_all().await {
                Ok(s) => shell::accounts_changed(&app, &s),
                Err(e) => log::warn!("background check failed: {e}"),
            }
            let minutes = accounts
                .state()
                .map(|s| s.settings.refresh_interval_minutes)
                .unwrap_or(5)
                .max(1);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)) => {}
                _ = wake.notified() => {}
            }
        }
    });
}
