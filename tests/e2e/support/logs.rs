//! The app's own log files inside the test desktop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::app::{App, poll_until};

/// The app's own folders inside the test desktop: (log folder, config folder of the app).
pub fn app_dirs(app: &App) -> (PathBuf, PathBuf) {
    let root = app.desktop.root.path();
    (
        root.join("data/social.stratos.desktop/logs"),
        root.join("config/social.stratos.desktop"),
    )
}

/// Everything the app wrote to its log files so far.
pub fn log_files_text(app: &App) -> String {
    let (logs, _) = app_dirs(app);
    files_under(&logs)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub async fn wait_log(app: &App, needle: &str) -> bool {
    poll_until(Duration::from_secs(30), || {
        let found = log_files_text(app).contains(needle);
        async move { found }
    })
    .await
}
