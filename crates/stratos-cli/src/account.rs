//! `stratos account …`: the verbs of `goat account`, on Stratos's shared keychain and state.
//!
//! This file holds the `account` subcommand enum, password sign-in, sign-out, the account list
//! and the session check; every other verb lives in its own `account_*` file.

use clap::Subcommand;
use stratos_core::{AccountsError, Config, Explain, LoginRequest, Problem};

use crate::account_oauth::{AccessArg, RedirectArg};
use crate::render::{self, Output};
use crate::{
    account_activation, account_app_passwords, account_backup, account_blobs, account_create,
    account_deletion, account_devices, account_email, account_handle, account_migrate,
    account_oauth, account_password, account_plc, account_prefs, account_recover,
    account_service_auth, account_status, input, store,
};

/// Account verbs, named as goat names them.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Public status of any account (no sign-in needed): identity, handle check, PDS, repository.
    Status(account_status::StatusArgs),
    /// Sign in: with `--oauth` through the browser (the recommended way), otherwise with the
    /// account password (asks for the emailed code when the server wants one).
    Login {
        /// Sign in through the browser with atproto OAuth instead of a password.
        #[arg(long, conflicts_with_all = ["password", "auth_factor_token", "pds_host"])]
        oauth: bool,
        /// How the browser comes back: a local listener (default without a hosted client) or the
        /// app's deep link (paste the callback address here when it cannot reach this terminal).
        #[arg(long, value_enum, requires = "oauth")]
        redirect: Option<RedirectArg>,
        /// With `--oauth`: ask for everything Stratos can do (`full`, default) or only what most
        /// apps ask for (`basic`); a feature that needs more asks you to sign in again.
        #[arg(long, value_enum, requires = "oauth")]
        access: Option<AccessArg>,
        /// With `--oauth`: the handle, DID or PDS/entryway URL to sign in to.
        #[arg(required_if_eq("oauth", "true"))]
        account: Option<String>,
        /// Handle, DID or email.
        #[arg(
            short = 'u',
            long = "username",
            env = "ATP_AUTH_USERNAME",
            required_unless_present = "oauth"
        )]
        username: Option<String>,
        /// Account password; also from $ATP_AUTH_PASSWORD (or $GOAT_PASSWORD, $ATP_PASSWORD),
        /// else asked for on a terminal or read as one line of piped stdin.
        #[arg(short = 'p', long = "password")]
        password: Option<String>,
        /// The code from the sign-in email, when email 2FA is on; also from
        /// $ATP_AUTH_FACTOR_TOKEN, else asked for (or the next line of piped stdin).
        #[arg(long)]
        auth_factor_token: Option<String>,
        /// Use this PDS instead of the one in the DID document.
        #[arg(long)]
        pds_host: Option<String>,
    },
    /// Sign out: revoke the session on its server and delete the local secrets.
    Logout {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Prove the saved session works (getSession + checkAccountStatus).
    CheckAuth {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// List signed-in accounts with their last known state.
    List,
    /// Reactivate a deactivated account (needs the account password for browser sign-ins).
    Activate(account_activation::ActivateArgs),
    /// Deactivate the account: the PDS stops serving it until it is activated again.
    Deactivate(account_activation::DeactivateArgs),
    /// Change the handle (a PDS domain, or a custom domain proven by DNS or HTTPS).
    UpdateHandle(account_handle::UpdateHandleArgs),
    /// App passwords: list, create, revoke.
    #[command(subcommand)]
    AppPassword(account_app_passwords::AppPasswordCommand),
    /// Get a service-auth token from the PDS.
    ServiceAuth(account_service_auth::ServiceAuthArgs),
    /// Sign a service-auth token locally with the account's atproto signing key, pasted or held
    /// in the keychain (`stratos key list`).
    ServiceAuthOffline(account_service_auth::ServiceAuthOfflineArgs),
    /// Browsers and devices signed in to the account on its server; `--revoke` signs one out.
    Devices(account_devices::DevicesArgs),
    /// Apps with access to the account (OAuth grants); `--revoke` takes one's access away.
    Apps(account_devices::AppsArgs),
    /// Email address: show it, confirm it (`--confirm`), change it (`--update`), or turn
    /// the emailed sign-in code on or off (`--two-factor`). Changes take two runs: the first
    /// emails a code, the second passes it with `--token`.
    Email(account_email::EmailArgs),
    /// Forgotten password: emails a reset code; with `--token` and `--new-password`, sets it.
    PasswordReset(account_password::PasswordResetArgs),
    /// Delete the account for good: emails a code; with `--token`, deletes it (back up first).
    Delete(account_deletion::DeleteArgs),
    /// Blobs the account's records reference but its PDS lacks; `--repair-from` copies them.
    MissingBlobs(account_blobs::MissingBlobsArgs),
    /// Deprecated name of `stratos backup run --to DIR`: an incremental snapshot into a folder.
    Backup(account_backup::BackupArgs),
    /// Move the account to another PDS: copy, verify, then point the identity there (asks for
    /// the emailed PLC code only then); `--resume` continues after any interruption.
    Migrate(Box<account_migrate::MigrateArgs>),
    /// Rebuild an account whose PDS is gone on a new PDS, from a backup snapshot and a rotation
    /// key in this keychain; the old PDS is never contacted. `--resume` continues.
    Recover(Box<account_recover::RecoverArgs>),
    /// Create an account on a PDS (optionally with a recovery key), then sign in to it.
    Create(account_create::CreateArgs),
    /// The account's app preferences to and from a JSON file (goat's `bsky prefs`).
    #[command(subcommand)]
    Prefs(account_prefs::PrefsCommand),
    /// The account's did:plc identity: recommended fields, current data, signed changes.
    #[command(subcommand)]
    Plc(account_plc::PlcCommand),
}

/// Runs one account verb.
pub async fn run(cmd: AccountCommand, config: Config, out: &Output) -> Result<(), Problem> {
    match cmd {
        AccountCommand::Status(args) => account_status::run(args, config, out).await,
        AccountCommand::Login {
            oauth: true,
            redirect,
            access,
            account,
            ..
        } => {
            account_oauth::login(
                config,
                account.as_deref().unwrap_or(""),
                redirect,
                access,
                out,
            )
            .await
        }
        AccountCommand::Login {
            username,
            password,
            auth_factor_token,
            pds_host,
            ..
        } => {
            login(
                username.unwrap_or_default(),
                password,
                auth_factor_token,
                pds_host,
                config,
                out,
            )
            .await
        }
        AccountCommand::Logout { id } => logout(id, config, out).await,
        AccountCommand::CheckAuth { id } => check_auth(id, config, out).await,
        AccountCommand::List => list(config, out),
        AccountCommand::Activate(args) => account_activation::activate(args, config, out).await,
        AccountCommand::Deactivate(args) => account_activation::deactivate(args, config, out).await,
        AccountCommand::UpdateHandle(args) => account_handle::run(args, config, out).await,
        AccountCommand::AppPassword(cmd) => account_app_passwords::run(cmd, config, out).await,
        AccountCommand::ServiceAuth(args) => account_service_auth::online(args, config, out).await,
        AccountCommand::ServiceAuthOffline(args) => {
            account_service_auth::offline(args, config, out).await
        }
        AccountCommand::Devices(args) => account_devices::devices(args, config, out).await,
        AccountCommand::Apps(args) => account_devices::apps(args, config, out).await,
        AccountCommand::Email(args) => account_email::run(args, config, out).await,
        AccountCommand::PasswordReset(args) => account_password::run(args, config, out).await,
        AccountCommand::Delete(args) => account_deletion::run(args, config, out).await,
        AccountCommand::MissingBlobs(args) => account_blobs::run(args, config, out).await,
        AccountCommand::Migrate(args) => account_migrate::run(*args, config, out).await,
        AccountCommand::Recover(args) => account_recover::run(*args, config, out).await,
        AccountCommand::Backup(args) => account_backup::run(args, config, out).await,
        AccountCommand::Create(args) => account_create::run(args, config, out).await,
        AccountCommand::Plc(cmd) => account_plc::run(cmd, config, out).await,
        AccountCommand::Prefs(cmd) => account_prefs::run(cmd, config, out).await,
    }
}

/// `login -u <id> [-p <password>]`: signs in with the account password, asking for the emailed
/// code when the server wants one and none was given.
async fn login(
    identifier: String,
    password: Option<String>,
    auth_factor_token: Option<String>,
    pds_host: Option<String>,
    config: Config,
    out: &Output,
) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let password = input::obtain(password, &input::PASSWORD)?;
    let mut req = LoginRequest {
        identifier,
        password,
        auth_factor_token,
        pds_host,
    };
    let record = match accounts.login_password(req.clone()).await {
        Err(AccountsError::AuthFactorRequired)
            if req
                .auth_factor_token
                .as_deref()
                .is_none_or(|t| t.trim().is_empty()) =>
        {
            let asked = AccountsError::AuthFactorRequired.explain();
            let code = input::obtain_for(asked, None, &input::AUTH_FACTOR_TOKEN)?;
            req.auth_factor_token = Some(code);
            accounts.login_password(req).await
        }
        other => other,
    }
    .map_err(|e| e.explain())?;
    out.emit(&record, || {
        format!(
            "Signed in as {} ({}) on {}",
            record.handle, record.did, record.pds_url
        )
    });
    Ok(())
}

/// `logout [<id>]`: revokes the session on its server (when it answers) and forgets it here.
async fn logout(id: Option<String>, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let outcome = accounts
        .logout(id.as_deref())
        .await
        .map_err(|e| e.explain())?;
    out.emit(&outcome, || match &outcome.server_error {
        None => format!(
            "Signed out {}; the session was revoked on its server.",
            outcome.did
        ),
        Some(e) => format!(
            "Signed out {} locally; the server could not be told: {e}",
            outcome.did
        ),
    });
    Ok(())
}

/// `check-auth [<id>]`.
async fn check_auth(id: Option<String>, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let check = accounts
        .check_auth(id.as_deref())
        .await
        .map_err(|e| e.explain())?;
    out.emit(&check, || render::auth_check(&check));
    Ok(())
}

/// `list`: the signed-in accounts and which one is selected.
fn list(config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let state = accounts.state().map_err(|e| e.explain())?;
    let listing = serde_json::json!({ "accounts": state.accounts, "selected": state.selected });
    out.emit(&listing, || render::account_list(&state));
    Ok(())
}
