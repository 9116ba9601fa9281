//! `stratos account service-auth` and `service-auth-offline`: service-auth tokens, from the PDS
//! or signed here with a pasted private key or one held in the keychain. The token goes to
//! stdout alone (for scripts), its claims to stderr; `--json` prints both as one document.

use std::time::Duration;

use stratos_core::service_auth::{self, ServiceToken, TokenRequest};
use stratos_core::{Accounts, Config, Explain, Problem};

use crate::render::Output;
use crate::store::{self, account_did};

/// `account service-auth` arguments.
#[derive(clap::Args)]
pub struct ServiceAuthArgs {
    /// Audience: the DID of the service the token is for.
    #[arg(long)]
    pub aud: String,
    /// Bind the token to one method (NSID).
    #[arg(long)]
    pub lxm: Option<String>,
    /// Lifetime in seconds (default 60).
    #[arg(long)]
    pub duration_sec: Option<u64>,
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
}

/// `account service-auth-offline` arguments.
#[derive(clap::Args)]
pub struct ServiceAuthOfflineArgs {
    /// The private signing key, multibase (as goat prints it).
    #[arg(
        long,
        env = "ATP_SIGNING_KEY",
        hide_env_values = true,
        required_unless_present = "key",
        conflicts_with = "key"
    )]
    pub atproto_signing_key: Option<String>,
    /// Instead of pasting it: the did:key of a key held in the keychain.
    #[arg(long, value_name = "DID_KEY")]
    pub key: Option<String>,
    /// Issuer: the account's DID.
    #[arg(long)]
    pub iss: String,
    /// Audience: the DID of the service the token is for.
    #[arg(long)]
    pub aud: String,
    /// Bind the token to one method (NSID).
    #[arg(long)]
    pub lxm: Option<String>,
    /// Lifetime in seconds (default 60).
    #[arg(long)]
    pub duration_sec: Option<u64>,
}

/// `service-auth --aud <did> [--lxm <nsid>] [--duration-sec N] [<id>]`.
pub async fn online(args: ServiceAuthArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    let req = request(args.aud, args.lxm, args.duration_sec);
    let did = account_did(accounts, args.id.as_deref())?;
    let token = service_auth::request(accounts, &did, &req)
        .await
        .map_err(|e| e.explain())?;
    emit(&token, out);
    Ok(())
}

/// `service-auth-offline (--atproto-signing-key <multibase> | --key <did:key>) --iss <did>
/// --aud <did> …`: the keychain is opened only for a key held there.
pub async fn offline(
    args: ServiceAuthOfflineArgs,
    config: Config,
    out: &Output,
) -> Result<(), Problem> {
    let req = request(args.aud, args.lxm, args.duration_sec);
    match (args.key, args.atproto_signing_key) {
        (Some(did_key), _) => {
            let accounts = store::open(config)?;
            offline_stored(&accounts, &did_key, &args.iss, req, out).await
        }
        (None, key) => offline_pasted(key.as_deref().unwrap_or_default(), &args.iss, req, out),
    }
}

/// `service-auth-offline --atproto-signing-key <multibase> --iss <did> --aud <did> …`.
fn offline_pasted(key: &str, iss: &str, req: TokenRequest, out: &Output) -> Result<(), Problem> {
    let token = service_auth::sign_offline(key, iss, &req).map_err(|e| e.explain())?;
    emit(&token, out);
    Ok(())
}

/// `service-auth-offline --key <did:key> --iss <did> --aud <did> …`: a key from the keychain.
async fn offline_stored(
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
fn request(aud: String, lxm: Option<String>, duration_sec: Option<u64>) -> TokenRequest {
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
