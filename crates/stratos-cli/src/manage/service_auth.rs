//! `stratos account service-auth` and `service-auth-offline`: service-auth tokens, from the PDS
//! or signed here with a pasted private key or one held in the keychain. The token goes to stdout alone (for scripts), its
//! claims to stderr; `--json` prints both as one document.

use std::time::Duration;

use stratos_core::service_auth::{self, ServiceToken, TokenRequest};
use stratos_core::{Accounts, Explain, Problem};

use super::activation::account_did;
use crate::render::Output;

/// `service-auth --aud <did> [--lxm <nsid>] [--duration-sec N] [<id>]`.
pub async fn online(
    accounts: &Accounts,
    id: Option<&str>,
    req: TokenRequest,
    out: &Output,
) -> Result<(), Problem> {
    let did = account_did(accounts, id)?;
    let token = service_auth::request(accounts, &did, &req)
        .await
        .map_err(|e| e.explain())?;
    emit(&token, out);
    Ok(())
}

/// `service-auth-offline --atproto-signing-key <multibase> --iss <did> --aud <did> …`.
pub fn offline(key: &str, iss: &str, req: TokenRequest, out: &Output) -> Result<(), Problem> {
    let token = service_auth::sign_offline(key, iss, &req).map_err(|e| e.explain())?;
    emit(&token, out);
    Ok(())
}

/// `service-auth-offline --key <did:key> --iss <did> --aud <did> …`: a key from the keychain.
pub async fn offline_stored(
    accounts: &Accounts,
    did_key: &str,
    iss: &str,
    req: TokenRequest,
    out: &Output,
) -> Result<(), Problem> {
    let token = service_auth::sign_offline_stored(accounts, did_key, iss, &req)
        .await
        .map_err(|e| e.explain())?;
    emit(&token, out);
    Ok(())
}

/// The request from the command-line flags.
pub fn request(aud: String, lxm: Option<String>, duration_sec: Option<u64>) -> TokenRequest {
    TokenRequest {
        aud,
        lxm,
        duration: duration_sec.map(Duration::from_secs),
    }
}

fn emit(token: &ServiceToken, out: &Output) {
    if !out.json {
        let c = &token.claims;
        eprintln!(
            "Service auth token ({}) for {} to {}, method {}, expires {}",
            c.alg,
            c.iss,
            c.aud,
            c.lxm.as_deref().unwrap_or("(any)"),
            chrono_free_time(c.exp)
        );
        if let Some(k) = &token.signing_key {
            eprintln!("Signed by {k}");
        }
    }
    out.emit(token, || token.token.clone());
}

/// Unix seconds as "in N s (at <unix>)", without pulling a date library into the CLI.
fn chrono_free_time(exp: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    format!("in {} s (Unix time {exp})", exp - now)
}
