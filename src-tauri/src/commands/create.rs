//! The Create account screen: the server's sign-up form, a live handle check, creating the
//! account (with an optional recovery key), and exporting that key to a file the person names.

use serde::Serialize;
use stratos_core::create::{self, HandleCheck, NewAccount, SignupForm};
use stratos_core::keys::{self, Exported, KeyRecord, KeyType};
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::views::AccountSummary;

/// The new account as the window shows it, with its recovery key (public part) if one was made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedView {
    account: AccountSummary,
    recovery_key: Option<KeyRecord>,
}

/// What the server at `pds_host` asks for at sign-up (domains, invite code, links).
#[tauri::command]
pub async fn signup_form(
    state: State<'_, AppState>,
    pds_host: String,
) -> Result<SignupForm, CommandError> {
    let accounts = state.accounts()?;
    create::describe(&accounts, &pds_host).await.map_err(failed)
}

/// Whether `handle` is free on the server at `pds_host`.
#[tauri::command]
pub async fn signup_check_handle(
    state: State<'_, AppState>,
    pds_host: String,
    handle: String,
) -> Result<HandleCheck, CommandError> {
    let accounts = state.accounts()?;
    let form = create::describe(&accounts, &pds_host)
        .await
        .map_err(failed)?;
    create::check_handle(&accounts, &form, &handle)
        .await
        .map_err(failed)
}

/// Creates the account and signs in to it; `recovery_key` is `k256` or `p256` to make one.
#[tauri::command]
#[allow(clippy::too_many_arguments, reason = "one argument per form field")]
pub async fn create_account(
    app: AppHandle,
    state: State<'_, AppState>,
    pds_host: String,
    handle: String,
    email: String,
    password: String,
    invite_code: Option<String>,
    recovery_key: Option<String>,
) -> Result<CreatedView, CommandError> {
    let accounts = state.accounts()?;
    let recovery_key = recovery_key
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.parse::<KeyType>())
        .transpose()
        .map_err(failed)?;
    let created = create::create(
        &accounts,
        NewAccount {
            pds_host,
            handle,
            email,
            password,
            invite_code,
            recovery_key,
        },
    )
    .await
    .map_err(failed)?;
    crate::shell::broadcast(&app, &accounts);
    Ok(CreatedView {
        account: AccountSummary::from(&created.account),
        recovery_key: created.recovery_key,
    })
}

/// Writes a key's private half to a new file at `path` (the window warns first).
#[tauri::command]
pub async fn key_export(
    state: State<'_, AppState>,
    did_key: String,
    path: String,
) -> Result<Exported, CommandError> {
    if path.trim().is_empty() {
        return Err(CommandError::new(
            "empty_field",
            "The file name is empty",
            Some("Type where to save the key, such as ~/recovery-key.txt."),
        ));
    }
    let accounts = state.accounts()?;
    keys::export(&accounts, &did_key, &expand_home(path.trim()))
        .await
        .map_err(failed)
}

/// `~/x` as the home folder's `x`, as people type paths.
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}
