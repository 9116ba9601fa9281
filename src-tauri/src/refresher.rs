//! Background status checks: every few minutes (a setting) and on demand, never blocking the UI.

use std::time::Duration;

use stratos_core::Explain;
use tauri::{AppHandle, Emitter, Manager};

use crate::first_paint::FirstPaint;
use crate::{AppState, shell};

/// How long the first check waits for the window's first paint at most.
const FIRST_CHECK_AT_THE_LATEST: Duration = Duration::from_secs(10);

/// Tells the person about devices and apps that appeared on an account since the last check.
fn notify(app: &AppHandle, new: &stratos_core::devices::watch::NewSessions) {
    use tauri_plugin_notification::NotificationExt;
    let mut lines: Vec<String> = new
        .devices
        .iter()
        .map(|d| {
            let what = d.user_agent.as_deref().unwrap_or("an unknown device");
            let from = d
                .ip_address
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default();
            format!("New sign-in: {what}{from}")
        })
        .collect();
    lines.extend(new.apps.iter().map(|a| {
        format!(
            "New app with access: {}",
            a.client_name.as_deref().unwrap_or(a.client_id.as_str())
        )
    }));
    log::info!(
        "notifying about {} new device(s)/app(s) on {}",
        lines.len(),
        new.did
    );
    let result = app
        .notification()
        .builder()
        .title(format!("New activity on @{}", new.handle))
        .body(lines.join("\n"))
        .show();
    if let Err(e) = result {
        log::warn!("could not show a notification: {e}");
    }
}

/// Tells the person that an account's identity changed and nobody here made the change, once per
/// change (the watch says which findings are new).
fn notify_identity(app: &AppHandle, watched: &stratos_core::plc::watch::Watched) {
    use tauri_plugin_notification::NotificationExt;
    let record = &watched.record;
    let mut body = if record.failed.is_some() {
        "Its history at the PLC directory does not verify. Open Stratos before trusting it."
            .to_owned()
    } else {
        record.summary.join("\n")
    };
    if let Some(until) = record.undo_until {
        body.push_str(&format!(
            "\nIf this was not you, you can undo it in Stratos until {}.",
            until.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let result = app
        .notification()
        .builder()
        .title(format!("The identity of @{} changed", watched.handle))
        .body(body)
        .show();
    if let Err(e) = result {
        log::warn!("could not show a notification: {e}");
    }
}

/// Starts the refresh loop on the async runtime. Each round uses the account store and the
/// interval in force at that moment, so changed settings apply from the next round on.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        // The first check talks to every account's server: not while the window starts.
        app.state::<FirstPaint>()
            .wait(FIRST_CHECK_AT_THE_LATEST)
            .await;
        let wake = app.state::<AppState>().refresh_now.clone();
        loop {
            let current = app.state::<AppState>().current();
            let minutes = match current {
                Ok(accounts) => {
                    check(&app, &accounts).await;
                    accounts
                        .state()
                        .map(|s| s.settings.refresh_interval_minutes)
                        .unwrap_or(5)
                        .max(1)
                }
                // Nothing to check until the settings make the store usable again.
                Err(_) => 5,
            };
            log::info!("next background check in {minutes} minute(s)");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)) => {}
                _ = wake.notified() => {}
            }
        }
    });
}

/// How often the backup scheduler looks for accounts that are due.
const BACKUP_ROUND: Duration = Duration::from_secs(5 * 60);

/// Starts the backup scheduler: at start (catching up a missed run), every few minutes, and when
/// woken (`backups_now`), it backs up every account the schedule says is due, reporting progress
/// as `backup-progress` and the end as `backup-finished`; a failure is also a notification. The
/// run can be cancelled with the job key `scheduled-backup`.
pub fn spawn_backups(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        app.state::<FirstPaint>()
            .wait(FIRST_CHECK_AT_THE_LATEST)
            .await;
        let wake = app.state::<AppState>().backups_now.clone();
        loop {
            if let Ok(accounts) = app.state::<AppState>().current() {
                let job = app
                    .state::<crate::jobs::Jobs>()
                    .start(crate::jobs::JobKey::Tool("scheduled-backup".into()));
                let emitter = app.clone();
                let progress = move |p: stratos_core::backup::snapshot::SnapshotProgress| {
                    let _ = emitter.emit("backup-progress", &p);
                };
                let done = stratos_core::backup::schedule::run_due(
                    &accounts,
                    chrono::Utc::now(),
                    &progress,
                    job.token(),
                )
                .await;
                for (account, result) in &done {
                    let finished = crate::models::BackupFinished {
                        did: account.did.clone(),
                        error: result.as_ref().err().map(|e| e.explain()),
                    };
                    let _ = app.emit("backup-finished", &finished);
                    if let Err(e) = result {
                        notify_backup_failed(&app, &account.handle, &e.to_string());
                    }
                }
                if !done.is_empty() {
                    shell::broadcast(&app, &accounts);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(BACKUP_ROUND) => {}
                _ = wake.notified() => {}
            }
        }
    });
}

/// Tells the person that a scheduled backup failed (a success is shown in the window only).
fn notify_backup_failed(app: &AppHandle, handle: &str, why: &str) {
    use tauri_plugin_notification::NotificationExt;
    let result = app
        .notification()
        .builder()
        .title(format!("The backup of @{handle} failed"))
        .body(format!("{why}\nThe previous backup is still whole. Stratos tries again at the next scheduled time."))
        .show();
    if let Err(e) = result {
        log::warn!("could not show a notification: {e}");
    }
}

/// One round: every account's state and identity (PLC history), then new devices and apps when
/// notifications are on.
async fn check(app: &AppHandle, accounts: &stratos_core::Accounts) {
    if let Err(e) = accounts.refresh_all().await {
        log::warn!("background check failed: {e}");
    }
    for watched in stratos_core::plc::watch::watch_all(accounts, chrono::Utc::now()).await {
        if watched.news {
            notify_identity(app, &watched);
        }
    }
    shell::broadcast(app, accounts);
    if accounts
        .state()
        .is_ok_and(|s| s.settings.notify_on_new_devices)
    {
        for new in stratos_core::devices::watch::new_sessions(accounts).await {
            notify(app, &new);
        }
    }
}
