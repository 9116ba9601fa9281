//! The page's first-render signal, so start-up can be timed from outside the app.
//!
//! `ui/main.js` calls `first_paint` once, two animation frames after its first screen shows data.
//! scripts/bench-startup.sh sets `STRATOS_BENCH_READY` to a FIFO and times exec → this line; the
//! benchmark's baseline app (bench/minimal-app) has the same command, so both cost the same.

use std::io::Write;

/// Records that the first screen is painted: logged, and with `STRATOS_BENCH_READY` naming a
/// file, one line written to it.
#[tauri::command]
pub async fn first_paint() {
    log::debug!("first screen painted");
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
