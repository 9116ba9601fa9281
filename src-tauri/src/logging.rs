//! The app's log: files in the OS log folder with rotation (plus stderr in debug builds), every
//! line passed through the core's redaction, at a level the settings change while running.

use std::sync::atomic::{AtomicUsize, Ordering};

use stratos_core::base::redact;
use stratos_core::store::state::LogLevel;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_log::{RotationStrategy, Target, TargetKind, TimezoneStrategy};

/// The chosen level as a `log::LevelFilter` discriminant, read on every log call so a change in
/// the settings applies at once.
static LEVEL: AtomicUsize = AtomicUsize::new(log::LevelFilter::Info as usize);

/// The log file's name in the log folder (`stratos.log`, rotated to `stratos_<date>.log`).
const FILE_NAME: &str = "stratos";
/// A log file is rotated at this size; a few rotated files are kept, so logs stay small.
const MAX_FILE_BYTES: u128 = 1024 * 1024;
const KEEP_FILES: usize = 5;

/// Sets how much is logged from now on. Also lowers the `log` crate's global ceiling to what the
/// filter can let through, so skipped levels cost nothing at the call site.
pub fn set_level(level: LogLevel) {
    LEVEL.store(level.filter() as usize, Ordering::Relaxed);
    log::set_max_level(level.filter().max(log::LevelFilter::Warn));
}

fn allowed(metadata: &log::Metadata) -> bool {
    let chosen = LEVEL.load(Ordering::Relaxed);
    // Stratos logs at the chosen level; libraries (HTTP, WebView, D-Bus) only their warnings,
    // unless the person asked for everything.
    let ours = metadata.target().starts_with("stratos");
    let limit = if ours || chosen >= log::LevelFilter::Trace as usize {
        chosen
    } else {
        chosen.min(log::LevelFilter::Warn as usize)
    };
    (metadata.level() as usize) <= limit
}

/// The log plugin, starting at `level`.
pub fn plugin<R: Runtime>(level: LogLevel) -> TauriPlugin<R> {
    set_level(level);
    let mut targets = vec![Target::new(TargetKind::LogDir {
        file_name: Some(FILE_NAME.into()),
    })];
    if cfg!(debug_assertions) {
        // Developers and the E2E tests read the log on stderr.
        targets.push(Target::new(TargetKind::Stderr));
    }
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets(targets)
        .level(log::LevelFilter::Trace)
        .filter(allowed)
        .max_file_size(MAX_FILE_BYTES)
        .rotation_strategy(RotationStrategy::KeepSome(KEEP_FILES))
        .timezone_strategy(TimezoneStrategy::UseUtc)
        .format(|out, message, record| {
            let text = message.to_string();
            out.finish(format_args!(
                "{} {:<5} {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                record.level(),
                record.target(),
                redact::scrub(&text)
            ))
        })
        .build()
}

/// The folder the log files are written to.
pub fn folder<R: Runtime>(app: &AppHandle<R>) -> Option<std::path::PathBuf> {
    app.path().app_log_dir().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passes(level: log::Level, target: &str) -> bool {
        allowed(&log::Metadata::builder().level(level).target(target).build())
    }

    #[test]
    fn the_chosen_level_applies_to_stratos_and_warnings_to_libraries() {
        set_level(LogLevel::Warn);
        assert!(passes(log::Level::Warn, "stratos_app::tray"));
        assert!(!passes(log::Level::Info, "stratos_core::accounts"));
        set_level(LogLevel::Debug);
        assert!(passes(log::Level::Debug, "stratos_core::accounts"));
        assert!(!passes(log::Level::Trace, "stratos_core::accounts"));
        assert!(!passes(log::Level::Info, "hyper::proto"));
        assert!(passes(log::Level::Warn, "tao::platform"));
        set_level(LogLevel::Trace);
        assert!(passes(log::Level::Trace, "hyper::proto"));
        set_level(LogLevel::Info);
    }
}
