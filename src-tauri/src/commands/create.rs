//! Creating an account: the server's sign-up form, a live handle check, and creating the
//! account (with an optional recovery key, exported later through `keys`).

use stratos_core::create::{self, HandleCheck, NewAccount, SignupForm};
use stratos_core::keys::KeyType;
use tauri::{AppHandle, State};

use crate::AppState;
use crate::error::{CommandError, failed};
use crate::models::{AccountSummary, CreatedView};

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
