//! The account's identity (`did:plc`): its document with who holds each rotation key, its checked
//! history, the identity watch's finding with "This was me" and Undo, and adding a recovery key of
//! the person's own above the PDS's. The core decides everything; this only translates.

use stratos_core::keys::{self, KeyRecord, KeyType};
use stratos_core::plc::guard::{self, Submitted};
use stratos_core::plc::history::{self, KnownKeys};
use stratos_core::plc::{self, Change, watch};
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::models::{IdentityView, RotationKeyView};
use crate::shell;

/// Everything the Identity section shows, freshly read and checked; the finding is recorded so the
/// tray and the attention list follow.
#[tauri::command]
pub async fn plc_identity(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<IdentityView, CommandError> {
    let accounts = state.accounts()?;
    let watched = watch::watch(&accounts, &did, chrono::Utc::now()).await;
    shell::broadcast(&app, &accounts);
    let watched = watched.map_err(failed)?;
    let data = plc::current(&accounts, &did).await.map_err(failed)?;
    let keys = KnownKeys::of(&accounts, &did).await;
    let history = history::history(&accounts, &did).await.map_err(failed)?;
    let fields = data.fields;
    let rotation_keys = fields
        .rotation_keys
        .iter()
        .enumerate()
        .map(|(i, key)| RotationKeyView {
            key: key.clone(),
            position: i + 1,
            holder: keys.signer(Some(key), Some(i)).kind,
        })
        .collect();
    Ok(IdentityView {
        did: data.did,
        handle: fields
            .also_known_as
            .iter()
            .find_map(|a| a.strip_prefix("at://"))
            .map(str::to_owned),
        pds: fields
            .services
            .get("atproto_pds")
            .map(|s| s.endpoint.clone()),
        signing_key: fields.verification_methods.get("atproto").cloned(),
        rotation_keys,
        holds_key_above_pds: watch::holds_key_above_pds(&fields.rotation_keys, &keys),
        history,
        check: watched.check,
        checked_at: chrono::Utc::now().to_rfc3339(),
    })
}

/// "This was me": the unexpected operations `cids` stop being unexpected.
#[tauri::command]
pub async fn plc_acknowledge(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    cids: Vec<String>,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    guard::acknowledge(&accounts, &did, &cids)
        .await
        .map_err(failed)?;
    rewatch(&app, &accounts, &did).await;
    Ok(())
}

/// Undoes the unexpected operations with the highest key of this keychain that outranks their
/// signer (the core refuses, with the reason, when none does or the 72 hours are over).
#[tauri::command]
pub async fn plc_undo(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
) -> Result<Submitted, CommandError> {
    let accounts = state.accounts()?;
    let submitted = guard::undo(&accounts, &did, None, chrono::Utc::now())
        .await
        .map_err(failed)?;
    rewatch(&app, &accounts, &did).await;
    Ok(submitted)
}

/// Makes a new secp256k1 key in the keychain for the recovery-key flow; the person saves a copy
/// (`key_export`) before it is added.
#[tauri::command]
pub async fn plc_recovery_key_create(
    state: State<'_, AppState>,
) -> Result<KeyRecord, CommandError> {
    let accounts = state.accounts()?;
    keys::generate(&accounts, KeyType::K256)
        .await
        .map_err(failed)
}

/// Asks the PDS to email the code that lets it sign the identity change.
#[tauri::command]
pub async fn plc_recovery_key_request(
    state: State<'_, AppState>,
    did: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    let session = accounts.session(&did).await?;
    plc::request_token(&session).await.map_err(failed)
}

/// Adds `did_key` first in the rotation keys through the PDS, with the emailed `token`.
#[tauri::command]
pub async fn plc_recovery_key_add(
    app: AppHandle,
    state: State<'_, AppState>,
    did: String,
    did_key: String,
    token: String,
) -> Result<Vec<Change>, CommandError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(CommandError::new(
            "empty_field",
            "The emailed code is empty",
            Some("Copy the code from the email your PDS just sent (it looks like ABCDE-FGHIJ)."),
        ));
    }
    let accounts = state.accounts()?;
    let applied = plc::add_rotation_key(&accounts, &did, &did_key, true, token)
        .await
        .map_err(failed)?;
    rewatch(&app, &accounts, &did).await;
    Ok(applied.changes)
}

/// Checks the identity again after a change made here, so the banner, the tray and the
/// attention list clear at once.
async fn rewatch(app: &AppHandle, accounts: &stratos_core::Accounts, did: &str) {
    if let Err(e) = watch::watch(accounts, did, chrono::Utc::now()).await {
        log::warn!("could not re-check the identity of {did}: {e}");
    }
    // The account's state follows its document (an undone move makes its PDS reachable again).
    if let Err(e) = accounts.refresh(did).await {
        log::warn!("could not re-check {did}: {e}");
    }
    shell::broadcast(app, accounts);
}
