//! `stratos account create`: a new account on a PDS (see `stratos_core::create`), optionally with
//! a recovery key from the keychain first in its rotation keys; `--browser` uses the server's own
//! sign-up page instead (servers that verify phones or show a captcha).

use stratos_core::create::{self, NewAccount};
use stratos_core::keys::KeyType;
use stratos_core::password::estimate;
use stratos_core::{Config, Explain, Problem};

use crate::keys::KeyTypeArg;
use crate::render::Output;
use crate::{account_oauth, input, store};

/// `account create` arguments.
#[derive(clap::Args)]
pub struct CreateArgs {
    /// The PDS to create the account on.
    #[arg(long)]
    pds_host: String,
    /// The full handle, under one of the server's domains (e.g. alice.bsky.social).
    #[arg(long, required_unless_present = "browser")]
    handle: Option<String>,
    /// Email address (the server sends codes there).
    #[arg(long, required_unless_present = "browser")]
    email: Option<String>,
    /// Password; also from $NEW_ACCOUNT_PASSWORD (as goat), else asked for on a terminal or read
    /// as one line of piped stdin.
    #[arg(long)]
    password: Option<String>,
    /// Invite code, when the server requires one.
    #[arg(long)]
    invite_code: Option<String>,
    /// Make a recovery key of this type in the keychain and make it the first rotation key.
    #[arg(long, value_enum)]
    recovery_key: Option<KeyTypeArg>,
    /// Create it on the server's own sign-up page in the browser instead, then sign in.
    #[arg(long, conflicts_with_all = ["handle", "email", "password", "invite_code", "recovery_key"])]
    browser: bool,
}

/// Runs `account create`.
pub async fn run(args: CreateArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    if args.browser {
        let record = account_oauth::sign_up(&accounts, &args.pds_host).await?;
        out.emit(&record, || {
            format!(
                "Created {} ({}) on {} and signed in through the browser",
                record.handle, record.did, record.pds_url
            )
        });
        return Ok(());
    }
    let password = input::obtain(args.password, &input::NEW_ACCOUNT_PASSWORD)?;
    let strength = estimate(&password);
    if strength.score < 3 && !out.json {
        eprintln!(
            "warning: this password is easy to guess. {}",
            strength.feedback.join(" ")
        );
    }
    let created = create::create(
        &accounts,
        NewAccount {
            pds_host: args.pds_host,
            handle: args.handle.unwrap_or_default(),
            email: args.email.unwrap_or_default(),
            password,
            invite_code: args.invite_code,
            recovery_key: args.recovery_key.map(KeyType::from),
        },
    )
    .await
    .map_err(|e| e.explain())?;
    out.emit(&created, || {
        let a = &created.account;
        let mut text = format!("Created {} ({}) on {} and signed in", a.handle, a.did, a.pds_url);
        if let Some(k) = &created.recovery_key {
            text.push_str(&format!(
                "\nRecovery key {} (first rotation key) is in your keychain.\nExport a copy and keep it offline, never shared: stratos key export {} --out <file>",
                k.did_key, k.did_key
            ));
        }
        text
    });
    Ok(())
}
