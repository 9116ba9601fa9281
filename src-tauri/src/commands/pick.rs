//! The system's own file and folder dialogs (tauri-plugin-dialog), wherever a person chooses a
//! path: the backup folder, an export folder, where to save a key. The window gets the chosen
//! path back, or nothing when the person closed the dialog.

use serde::Deserialize;
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

use crate::error::CommandError;

/// What is being chosen.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PickKind {
    /// An existing (or new, made in the dialog) folder.
    Folder,
    /// A new file's name and place, as "Save as" asks.
    SaveFile,
}

/// Shows the system dialog and waits for the person's choice.
///
/// E2E tests cannot drive a native dialog through WebDriver: in debug builds only,
/// `STRATOS_E2E_PICK` names the path "chosen" instead (the file the test chooses).
#[tauri::command]
pub async fn pick_path(
    app: AppHandle,
    kind: PickKind,
    title: String,
    suggested_name: Option<String>,
    start_in: Option<String>,
) -> Result<Option<String>, CommandError> {
    #[cfg(debug_assertions)]
    if let Ok(path) = std::env::var("STRATOS_E2E_PICK") {
        log::info!("picker ({kind:?}) answered by STRATOS_E2E_PICK");
        return Ok(Some(path));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title);
    if let Some(dir) = start_in.filter(|d| !d.trim().is_empty()) {
        dialog = dialog.set_directory(dir);
    }
    match kind {
        PickKind::Folder => dialog.pick_folder(move |p| {
            let _ = tx.send(p);
        }),
        PickKind::SaveFile => {
            if let Some(name) = suggested_name {
                dialog = dialog.set_file_name(name);
            }
            dialog.save_file(move |p| {
                let _ = tx.send(p);
            })
        }
    }
    let chosen = rx.await.map_err(|_| {
        CommandError::new(
            "dialog_failed",
            "The file dialog closed unexpectedly.",
            Some("Try again, or type the path."),
        )
    })?;
    match chosen.map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path.display().to_string())),
        Some(Err(e)) => Err(CommandError::new(
            "dialog_failed",
            format!("The chosen place cannot be used here: {e}"),
            Some("Choose a folder on this computer's disks."),
        )),
    }
}
