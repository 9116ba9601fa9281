//! The page's first-render signal, so start-up can be timed from outside the app.
//!
//! `ui/main.js` calls `first_paint` once, two animation frames after its first screen shows data.
//! scripts/bench-startup.sh sets `STRATOS_BENCH_READY` to a FIFO and times exec → this line; the
//! benchmark's baseline app (bench/minimal-app) has the same command, so both cost the same.
//! Background work that is not needed for the first screen (the first status check, the tray
//! icon) waits for this signal, so it does not compete with start-up for the CPU.

use std::io::Write;
use std::time::Duration;

use tauri::{AppHandle, Manager};
use tokio::sync::watch;

/// Whether the page has painted its first screen yet.
pub struct FirstPaint(watch::Sender<bool>);

impl Default for FirstPaint {
    fn default() -> Self {
        Self(watch::Sender::new(false))
    }
}

impl FirstPaint {
    /// Waits until the first screen is painted, or at most `limit`: a window that never reports
    /// (hidden at start, a page error) must not hold background work back for long.
    pub async fn wait(&self, limit: Duration) {
        let mut painted = self.0.subscribe();
        let _ = tokio::time::timeout(limit, painted.wait_for(|p| *p)).await;
    }
}

/// Records that the first screen is painted: logged, waiters woken, and with `STRATOS_BENCH_READY` naming a
/// file, one line written to it.
#[tauri::command]
pub async fn first_paint(app: AppHandle) {
    log::debug!("first screen painted");
    app.state::<FirstPaint>().0.send_replace(true);
    let Some(path) = std::env::var_os("STRATOS_BENCH_READY") else {
        return;
    };
    // Off the async workers: opening a FIFO blocks until its reader is there.
    let written = tauri::async_runtime::spawn_blocking(move || {
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"first-paint\n"))
            .map_err(|e| format!("could not signal first paint to {}: {e}", path.display()))
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("{e}"),
        Err(e) => log::warn!("could not signal first paint: {e}"),
    }
}
