//! `stratos account email`: show the address, confirm it, change it, turn email 2FA on or off.
//!
//! Each change is two runs, like goat: the first asks the server to email a code, the second
//! passes it with `--token`.

use clap::Args;
use serde_json::json;
use stratos_core::email::{self, EmailInfo};
use stratos_core::{Config, Explain, Problem};

use crate::input::{self, PasswordArgs};
use crate::render::Output;
use crate::store;

/// `account email` arguments.
#[derive(Args)]
pub struct EmailArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// Confirm the address: without --token, emails a confirmation code.
    #[arg(long, conflicts_with_all = ["update", "two_factor"])]
    pub confirm: bool,
    /// Change the address to this one: without --token, emails a code to the current address.
    #[arg(long, value_name = "NEW_EMAIL", conflicts_with = "two_factor")]
    pub update: Option<String>,
    /// Turn the emailed sign-in code (email 2FA) on or off.
    #[arg(long, value_enum)]
    pub two_factor: Option<OnOff>,
    /// The code from the email.
    #[arg(long)]
    pub token: Option<String>,
    #[command(flatten)]
    pub auth: PasswordArgs,
}

/// `--two-factor` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    /// Require the emailed code at sign-in.
    On,
    /// Do not.
    Off,
}

fn show(info: &EmailInfo) -> String {
    format!(
        "Email        {}\nConfirmed    {}\nEmail 2FA    {}",
        info.email,
        if info.confirmed { "yes" } else { "no" },
        if info.two_factor { "on" } else { "off" }
    )
}

/// Runs `account email`.
pub async fn run(args: EmailArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let id = args.id.as_deref();
    let auth = &args.auth;
    let token = args.token.as_deref().filter(|t| !t.trim().is_empty());
    let e = |e: email::EmailError| e.explain();
    let code_sent = |info_email: &str, did: &str, again: &str| {
        let doc = json!({ "did": did, "codeSent": true, "sentTo": info_email });
        out.emit(&doc, || {
            format!("A code was emailed to {info_email}. Run again with {again} --token <CODE>.")
        });
    };
    if args.confirm {
        match token {
            None => {
                let info = email::request_confirmation(&accounts, id)
                    .await
                    .map_err(e)?;
                code_sent(&info.email, &info.did, "--confirm");
            }
            Some(t) => {
                let info = email::confirm(&accounts, id, t).await.map_err(e)?;
                out.emit(&info, || {
                    format!("Email address confirmed.\n{}", show(&info))
                });
            }
        }
        return Ok(());
    }
    if let Some(new) = args.update.as_deref() {
        let token = match token {
            Some(t) => Some(t),
            None => {
                let requested = input::with_step_up(auth, async |step_up| {
                    email::request_update(&accounts, id, step_up)
                        .await
                        .map_err(e)
                })
                .await?;
                if requested {
                    let info = email::show(&accounts, id).await.map_err(e)?;
                    code_sent(&info.email, &info.did, &format!("--update {new}"));
                    return Ok(());
                }
                None
            }
        };
        let info = input::with_step_up(auth, async |step_up| {
            email::update(&accounts, id, new, token, step_up)
                .await
                .map_err(e)
        })
        .await?;
        out.emit(&info, || {
            format!(
                "Email address changed; confirm it with `stratos account email --confirm`.\n{}",
                show(&info)
            )
        });
        return Ok(());
    }
    if let Some(state) = args.two_factor {
        let on = matches!(state, OnOff::On);
        let flag = if on { "on" } else { "off" };
        let token = match token {
            Some(t) => Some(t),
            None => {
                let requested = input::with_step_up(auth, async |step_up| {
                    email::request_update(&accounts, id, step_up)
                        .await
                        .map_err(e)
                })
                .await?;
                if requested {
                    let info = email::show(&accounts, id).await.map_err(e)?;
                    code_sent(&info.email, &info.did, &format!("--two-factor {flag}"));
                    return Ok(());
                }
                None
            }
        };
        let info = input::with_step_up(auth, async |step_up| {
            email::set_two_factor(&accounts, id, on, token, step_up)
                .await
                .map_err(e)
        })
        .await?;
        out.emit(&info, || {
            format!("Email 2FA is now {flag}.\n{}", show(&info))
        });
        return Ok(());
    }
    let info = email::show(&accounts, id).await.map_err(e)?;
    out.emit(&info, || show(&info));
    Ok(())
}
