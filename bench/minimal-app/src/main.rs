//! The startup benchmark's baseline: one window whose page calls one command once it has painted.
//!
//! scripts/bench-startup.sh times it exactly as it times Stratos (exec → `first_paint`, idle
//! memory 30 s later), so the ratio between the two is what Stratos adds to a bare Tauri app.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::io::Write;

/// The page's first-render signal. With `STRATOS_BENCH_READY` naming a file (the benchmark's
/// FIFO), writes one line to it; the same code as Stratos' `first_paint`, so both cost the same.
#[tauri::command]
async fn first_paint() {
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
        Ok(Err(e)) => eprintln!("{e}"),
        Err(e) => eprintln!("could not signal first paint: {e}"),
    }
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![first_paint])
        .run(tauri::generate_context!())
        .expect("the Tauri runtime starts");
}
