//! `stratos account devices|apps`: the browsers and apps signed in to an account, and signing
//! one out, through the PDS's account-manager API (see `stratos_core::devices`).

use stratos_core::devices::{self, App, Device, DevicesError};
use stratos_core::{Accounts, Config, Explain, Problem};

use crate::input;
use crate::render::Output;
use crate::store::{self, account_did};

/// `account devices` arguments.
#[derive(clap::Args)]
pub struct DevicesArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// Sign out the device with this id (as listed).
    #[arg(long, value_name = "DEVICE_ID")]
    pub revoke: Option<String>,
    #[command(flatten)]
    pub auth: SignInArgs,
}

/// `account apps` arguments.
#[derive(clap::Args)]
pub struct AppsArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// Revoke the app grant with this token id (as listed).
    #[arg(long, value_name = "TOKEN_ID")]
    pub revoke: Option<String>,
    #[command(flatten)]
    pub auth: SignInArgs,
}

/// How to sign in to the account-manager API when Stratos has no valid device sign-in yet.
#[derive(clap::Args)]
pub struct SignInArgs {
    /// Account password (not an app password), when the server asks for it; also from
    /// $ATP_AUTH_PASSWORD (or $GOAT_PASSWORD, $ATP_PASSWORD), else asked for on a terminal or
    /// read as one line of piped stdin.
    #[arg(long)]
    pub password: Option<String>,
    /// The code the server emailed, when it asks for one; also from $ATP_AUTH_FACTOR_TOKEN, else
    /// asked for (or the next line of piped stdin).
    #[arg(long)]
    pub email_code: Option<String>,
}

/// Runs `op`; when the server wants a sign-in, signs in with the password and, when asked for,
/// the emailed code (both through `input`), then runs `op` once more.
async fn signed_in<T>(
    accounts: &Accounts,
    did: &str,
    auth: &SignInArgs,
    op: impl AsyncFn() -> Result<T, DevicesError>,
) -> Result<T, Problem> {
    match op().await {
        Err(DevicesError::SignInNeeded) => {}
        other => return other.map_err(|e| e.explain()),
    }
    let asked = DevicesError::SignInNeeded.explain();
    let password = input::obtain_for(asked, auth.password.clone(), &input::PASSWORD)?;
    let code = auth.email_code.clone();
    match devices::sign_in(accounts, did, &password, code.as_deref()).await {
        Err(DevicesError::CodeNeeded) if code.is_none() => {
            let need = input::Need {
                flag: "--email-code",
                ..input::AUTH_FACTOR_TOKEN
            };
            let code = input::obtain_for(DevicesError::CodeNeeded.explain(), None, &need)?;
            devices::sign_in(accounts, did, &password, Some(&code)).await
        }
        other => other,
    }
    .map_err(|e| e.explain())?;
    op().await.map_err(|e| e.explain())
}

/// `devices [<id>] [--revoke <device-id>]`.
pub async fn devices(args: DevicesArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    let (revoke, auth) = (args.revoke.as_deref(), &args.auth);
    let did = account_did(accounts, args.id.as_deref())?;
    if let Some(device) = revoke {
        signed_in(accounts, &did, auth, async || {
            devices::revoke_device(accounts, &did, device).await
        })
        .await?;
        let doc = serde_json::json!({ "did": did, "revokedDevice": device.trim() });
        out.emit(&doc, || {
            format!(
                "Signed device {} out of {did}; it must sign in again.",
                device.trim()
            )
        });
        return Ok(());
    }
    let list = signed_in(accounts, &did, auth, async || {
        devices::devices(accounts, &did).await
    })
    .await?;
    let doc = serde_json::json!({ "did": did, "devices": list });
    out.emit(&doc, || device_table(&did, &list));
    Ok(())
}

/// `apps [<id>] [--revoke <token-id>]`.
pub async fn apps(args: AppsArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    let (revoke, auth) = (args.revoke.as_deref(), &args.auth);
    let did = account_did(accounts, args.id.as_deref())?;
    if let Some(token) = revoke {
        signed_in(accounts, &did, auth, async || {
            devices::revoke_app(accounts, &did, token).await
        })
        .await?;
        let doc = serde_json::json!({ "did": did, "revokedApp": token.trim() });
        out.emit(&doc, || {
            format!(
                "Revoked app access {} of {did}; that app is signed out.",
                token.trim()
            )
        });
        return Ok(());
    }
    let list = signed_in(accounts, &did, auth, async || {
        devices::apps(accounts, &did).await
    })
    .await?;
    let doc = serde_json::json!({ "did": did, "apps": list });
    out.emit(&doc, || app_table(&did, &list));
    Ok(())
}

fn or_dash(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

/// Devices as an aligned table, the current one marked.
fn device_table(did: &str, list: &[Device]) -> String {
    if list.is_empty() {
        return format!("No devices are signed in to {did}.");
    }
    let mut rows = vec![format!(
        "{:<40} {:<26} {:<16} {}",
        "DEVICE ID", "LAST SEEN", "IP ADDRESS", "USER AGENT"
    )];
    for d in list {
        let id = if d.is_current {
            format!("{} (Stratos)", d.device_id)
        } else {
            d.device_id.clone()
        };
        rows.push(format!(
            "{:<40} {:<26} {:<16} {}",
            id,
            or_dash(&d.last_seen_at),
            or_dash(&d.ip_address),
            or_dash(&d.user_agent)
        ));
    }
    rows.join("\n")
}

/// Apps as an aligned table: name (or client id), token id, state and scopes.
fn app_table(did: &str, list: &[App]) -> String {
    if list.is_empty() {
        return format!("No apps have access to {did}.");
    }
    let mut rows = vec![format!(
        "{:<40} {:<24} {:<8} {:<26} {}",
        "TOKEN ID", "APP", "ACTIVE", "SINCE", "SCOPE"
    )];
    for a in list {
        rows.push(format!(
            "{:<40} {:<24} {:<8} {:<26} {}",
            a.token_id,
            a.client_name.as_deref().unwrap_or(&a.client_id),
            if a.active { "yes" } else { "no" },
            or_dash(&a.created_at),
            or_dash(&a.scope)
        ));
    }
    rows.join("\n")
}
