//! Service-auth tokens: asked of the account's PDS, or signed here with a stored or pasted key.

use std::time::Duration;

use stratos_core::service_auth::{self, ServiceToken, TokenRequest};
use tauri::State;

use crate::AppState;
use crate::error::{CommandError, failed};

fn token_request(aud: String, lxm: Option<String>, duration_sec: Option<u64>) -> TokenRequest {
    TokenRequest {
        aud,
        lxm: lxm.filter(|l| !l.trim().is_empty()),
        duration: duration_sec.map(Duration::from_secs),
    }
}

/// A service-auth token from the account's PDS.
#[tauri::command]
pub async fn service_auth_online(
    state: State<'_, AppState>,
    did: String,
    aud: String,
    lxm: Option<String>,
    duration_sec: Option<u64>,
) -> Result<ServiceToken, CommandError> {
    let accounts = state.accounts()?;
    service_auth::request(&accounts, &did, &token_request(aud, lxm, duration_sec))
        .await
        .map_err(failed)
}

/// A service-auth token signed here: with a key held in the keychain (`stored_key`, its
/// did:key), or with a pasted private key (`signing_key`, never stored or logged).
#[tauri::command]
pub async fn service_auth_offline(
    state: State<'_, AppState>,
    signing_key: Option<String>,
    stored_key: Option<String>,
    iss: String,
    aud: String,
    lxm: Option<String>,
    duration_sec: Option<u64>,
) -> Result<ServiceToken, CommandError> {
    let req = token_request(aud, lxm, duration_sec);
    match stored_key.filter(|k| !k.trim().is_empty()) {
        Some(did_key) => {
            let accounts = state.accounts()?;
            service_auth::sign_offline_stored(&accounts, &did_key, &iss, &req)
                .await
                .map_err(failed)
        }
        None => service_auth::sign_offline(signing_key.as_deref().unwrap_or(""), &iss, &req)
            .map_err(failed),
    }
}
