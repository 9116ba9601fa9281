//! Keys held in the keychain (recovery and signing keys): listing their public part, and
//! exporting one's private half to a file the person names.

use stratos_core::keys::{self, Exported, KeyRecord};
use tauri::State;

use crate::AppState;
use crate::error::{CommandError, failed};

/// The keys held in the keychain (public data only), to choose one for signing.
#[tauri::command]
pub async fn keys_list(state: State<'_, AppState>) -> Result<Vec<KeyRecord>, CommandError> {
    let accounts = state.accounts()?;
    keys::list(&accounts).map_err(failed)
}

/// Writes a key's private half to a new file at `path` (the window warns first).
#[tauri::command]
pub async fn key_export(
    state: State<'_, AppState>,
    did_key: String,
    path: String,
) -> Result<Exported, CommandError> {
    let path = file_to_write(&path, "~/recovery-key.txt")?;
    let accounts = state.accounts()?;
    keys::export(&accounts, &did_key, &path)
        .await
        .map_err(failed)
}

/// Writes a secp256k1 key as its 24 recovery words to a new file at `path`: the paper form the
/// person can type back in (`stratos key import --words`).
#[tauri::command]
pub async fn key_export_words(
    state: State<'_, AppState>,
    did_key: String,
    path: String,
) -> Result<Exported, CommandError> {
    let path = file_to_write(&path, "~/recovery-words.txt")?;
    let accounts = state.accounts()?;
    keys::export_words(&accounts, &did_key, &path)
        .await
        .map_err(failed)
}

/// The file a person typed (`~/` is their home folder), or why there is none; `example` goes in
/// the hint.
fn file_to_write(path: &str, example: &str) -> Result<std::path::PathBuf, CommandError> {
    if path.trim().is_empty() {
        return Err(CommandError::new(
            "empty_field",
            "The file name is empty",
            Some(&format!("Type where to save it, such as {example}.")),
        ));
    }
    Ok(stratos_core::config::expand_home(path.trim()))
}
