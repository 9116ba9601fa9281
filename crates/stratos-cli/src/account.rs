//! `stratos account …`: the verbs of `goat account`, on Stratos's shared keychain and state.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use stratos_core::{AccountsError, Config, Explain, LoginRequest, Problem};

use crate::render::{self, Output};

/// Account verbs, named as goat names them.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Public status of any account (no sign-in needed): identity, handle check, PDS, repository.
    Status {
        /// Handle or DID.
        id: String,
    },
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
        /// Account password; asked for when omitted.
        #[arg(
            short = 'p',
            long = "password",
            env = "ATP_AUTH_PASSWORD",
            hide_env_values = true
        )]
        password: Option<String>,
        /// The code from the sign-in email, when email 2FA is on.
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
    // == Group A verbs (activation, app passwords, handle, service auth) go below this line. ==
    /// Reactivate a deactivated account (needs the account password for browser sign-ins).
    Activate {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        #[command(flatten)]
        auth: crate::manage::activation::PasswordArgs,
    },
    /// Deactivate the account: the PDS stops serving it until it is activated again.
    Deactivate {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// Let the PDS delete the account for good after this time (RFC 3339).
        #[arg(long)]
        delete_after: Option<String>,
        #[command(flatten)]
        auth: crate::manage::activation::PasswordArgs,
    },
    /// Change the handle (a PDS domain, or a custom domain proven by DNS or HTTPS).
    UpdateHandle {
        /// The new handle.
        handle: String,
        /// Handle or DID of the account; the selected account when omitted.
        id: Option<String>,
        /// Only show what the change needs and what DNS/HTTPS answer now.
        #[arg(long)]
        check: bool,
    },
    /// App passwords: list, create, revoke.
    #[command(subcommand)]
    AppPassword(crate::manage::app_password::AppPasswordCommand),
    /// Get a service-auth token from the PDS.
    ServiceAuth {
        /// Audience: the DID of the service the token is for.
        #[arg(long)]
        aud: String,
        /// Bind the token to one method (NSID).
        #[arg(long)]
        lxm: Option<String>,
        /// Lifetime in seconds (default 60).
        #[arg(long)]
        duration_sec: Option<u64>,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Sign a service-auth token locally with the account's atproto signing key, pasted or held
    /// in the keychain (`stratos key list`).
    ServiceAuthOffline {
        /// The private signing key, multibase (as goat prints it).
        #[arg(
            long,
            env = "ATP_SIGNING_KEY",
            hide_env_values = true,
            required_unless_present = "key",
            conflicts_with = "key"
        )]
        atproto_signing_key: Option<String>,
        /// Instead of pasting it: the did:key of a key held in the keychain.
        #[arg(long, value_name = "DID_KEY")]
        key: Option<String>,
        /// Issuer: the account's DID.
        #[arg(long)]
        iss: String,
        /// Audience: the DID of the service the token is for.
        #[arg(long)]
        aud: String,
        /// Bind the token to one method (NSID).
        #[arg(long)]
        lxm: Option<String>,
        /// Lifetime in seconds (default 60).
        #[arg(long)]
        duration_sec: Option<u64>,
    },
    /// Browsers and devices signed in to the account on its server; `--revoke` signs one out.
    Devices {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// Sign out the device with this id (as listed).
        #[arg(long, value_name = "DEVICE_ID")]
        revoke: Option<String>,
        #[command(flatten)]
        auth: crate::manage::devices::SignInArgs,
    },
    /// Apps with access to the account (OAuth grants); `--revoke` takes one's access away.
    Apps {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// Revoke the app grant with this token id (as listed).
        #[arg(long, value_name = "TOKEN_ID")]
        revoke: Option<String>,
        #[command(flatten)]
        auth: crate::manage::devices::SignInArgs,
    },
    // == Group B verbs (email, password reset, deletion, missing blobs) go below this line. ==
    /// Email address: show it, confirm it (`--confirm`), change it (`--update`), or turn
    /// the emailed sign-in code on or off (`--two-factor`). Changes take two runs: the first
    /// emails a code, the second passes it with `--token`.
    Email(crate::manage::email::EmailArgs),
    /// Forgotten password: emails a reset code; with `--token` and `--new-password`, sets it.
    PasswordReset(crate::manage::password_reset::PasswordResetArgs),
    /// Delete the account for good: emails a code; with `--token`, deletes it (back up first).
    Delete(crate::manage::deletion::DeleteArgs),
    /// Blobs the account's records reference but its PDS lacks; `--repair-from` copies them.
    MissingBlobs(crate::manage::blobs::MissingBlobsArgs),
    /// Copy the repository (CAR) and every blob into a folder; a rerun resumes.
    Backup(crate::manage::deletion::BackupArgs),
    /// Move the account to another PDS: copy, verify, then point the identity there (asks for
    /// the emailed PLC code only then); `--resume` continues after any interruption.
    Migrate(Box<crate::manage::migrate::MigrateArgs>),
    /// Create an account on a PDS (optionally with a recovery key), then sign in to it.
    Create(crate::manage::create::CreateArgs),
    /// The account's did:plc identity: recommended fields, current data, signed changes.
    #[command(subcommand)]
    Plc(crate::manage::plc::PlcCommand),
}

/// `--redirect` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RedirectArg {
    /// A one-shot listener on 127.0.0.1.
    Loopback,
    /// The app's custom URL scheme (needs a hosted client id).
    DeepLink,
}

/// `--access` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum AccessArg {
    /// Everything the account screens can do.
    Full,
    /// `atproto transition:generic` only.
    Basic,
}

/// Runs one account verb.
pub async fn run(cmd: AccountCommand, config: Config, out: &Output) -> Result<(), Problem> {
    match cmd {
        AccountCommand::Status { id } => {
            let accounts = crate::open(config)?;
            let report = accounts.lookup(&id).await.map_err(|e| e.explain())?;
            out.emit(&report, || render::status(&report));
            if !report.pds.reachable {
                return Err(Problem {
                    code: "pds_unreachable",
                    message: format!(
                        "the PDS of {} could not be reached: {}",
                        report.did,
                        report.pds.error.as_deref().unwrap_or("no answer")
                    ),
                    hint: Some("The report above is incomplete.".into()),
                });
            }
            Ok(())
        }
        AccountCommand::Login {
            oauth: true,
            redirect,
            access,
            account,
            ..
        } => {
            let accounts = crate::open(config)?;
            let record = crate::oauth_login::run(
                &accounts,
                account.as_deref().unwrap_or(""),
                redirect,
                access,
            )
            .await?;
            out.emit(&record, || {
                format!(
                    "Signed in as {} ({}) on {} through the browser",
                    record.handle, record.did, record.pds_url
                )
            });
            Ok(())
        }
        AccountCommand::Login {
            username,
            password,
            auth_factor_token,
            pds_host,
            ..
        } => {
            let accounts = crate::open(config)?;
            let password = match password {
                Some(p) => p,
                None => rpassword::prompt_password("Password: ").map_err(|e| Problem {
                    code: "empty_field",
                    message: format!("no password given and none could be read: {e}"),
                    hint: Some("Pass -p or set ATP_AUTH_PASSWORD.".into()),
                })?,
            };
            let mut req = LoginRequest {
                identifier: username.unwrap_or_default(),
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
                    let code =
                        ask_code().map_err(|()| AccountsError::AuthFactorRequired.explain())?;
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
        AccountCommand::Logout { id } => {
            let accounts = crate::open(config)?;
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
        AccountCommand::CheckAuth { id } => {
            let accounts = crate::open(config)?;
            let check = accounts
                .check_auth(id.as_deref())
                .await
                .map_err(|e| e.explain())?;
            out.emit(&check, || render::auth_check(&check));
            Ok(())
        }
        // == Group A dispatch goes below this line. ==
        AccountCommand::Activate { id, auth } => {
            let accounts = crate::open(config)?;
            crate::manage::activation::activate(&accounts, id.as_deref(), &auth, out).await
        }
        AccountCommand::Deactivate {
            id,
            delete_after,
            auth,
        } => {
            let accounts = crate::open(config)?;
            crate::manage::activation::deactivate(
                &accounts,
                id.as_deref(),
                delete_after.as_deref(),
                &auth,
                out,
            )
            .await
        }
        AccountCommand::UpdateHandle { handle, id, check } => {
            let accounts = crate::open(config)?;
            crate::manage::handle::update(&accounts, &handle, id.as_deref(), check, out).await
        }
        AccountCommand::AppPassword(cmd) => {
            let accounts = crate::open(config)?;
            crate::manage::app_password::run(&accounts, cmd, out).await
        }
        AccountCommand::ServiceAuth {
            aud,
            lxm,
            duration_sec,
            id,
        } => {
            let accounts = crate::open(config)?;
            let req = crate::manage::service_auth::request(aud, lxm, duration_sec);
            crate::manage::service_auth::online(&accounts, id.as_deref(), req, out).await
        }
        AccountCommand::ServiceAuthOffline {
            atproto_signing_key,
            key,
            iss,
            aud,
            lxm,
            duration_sec,
        } => {
            let req = crate::manage::service_auth::request(aud, lxm, duration_sec);
            match (key, atproto_signing_key) {
                (Some(did_key), _) => {
                    let accounts = crate::open(config)?;
                    crate::manage::service_auth::offline_stored(&accounts, &did_key, &iss, req, out)
                        .await
                }
                (None, key) => crate::manage::service_auth::offline(
                    key.as_deref().unwrap_or_default(),
                    &iss,
                    req,
                    out,
                ),
            }
        }
        AccountCommand::Devices { id, revoke, auth } => {
            let accounts = crate::open(config)?;
            crate::manage::devices::devices(&accounts, id.as_deref(), revoke.as_deref(), &auth, out)
                .await
        }
        AccountCommand::Apps { id, revoke, auth } => {
            let accounts = crate::open(config)?;
            crate::manage::devices::apps(&accounts, id.as_deref(), revoke.as_deref(), &auth, out)
                .await
        }
        // == Group B dispatch goes below this line. ==
        AccountCommand::Email(args) => crate::manage::email::run(args, config, out).await,
        AccountCommand::PasswordReset(args) => {
            crate::manage::password_reset::run(args, config, out).await
        }
        AccountCommand::Delete(args) => {
            crate::manage::deletion::run_delete(args, config, out).await
        }
        AccountCommand::MissingBlobs(args) => crate::manage::blobs::run(args, config, out).await,
        AccountCommand::Migrate(args) => crate::manage::migrate::run(*args, config, out).await,
        AccountCommand::Backup(args) => {
            crate::manage::deletion::run_backup(args, config, out).await
        }
        AccountCommand::Create(args) => crate::manage::create::run(args, config, out).await,
        AccountCommand::Plc(cmd) => {
            let accounts = crate::open(config)?;
            crate::manage::plc::run(&accounts, cmd, out).await
        }
        AccountCommand::List => {
            let accounts = crate::open(config)?;
            let state = accounts.state().map_err(|e| e.explain())?;
            let listing =
                serde_json::json!({ "accounts": state.accounts, "selected": state.selected });
            out.emit(&listing, || render::account_list(&state));
            Ok(())
        }
    }
}

/// Asks for the emailed sign-in code on stderr and reads one line from stdin.
///
/// Reading a plain line (not a hidden prompt) lets scripts and tests pipe the code in.
fn ask_code() -> Result<String, ()> {
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "The server emailed you a sign-in code. Enter it: ");
    let _ = stderr.flush();
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(n) if n > 0 && !line.trim().is_empty() => Ok(line.trim().to_owned()),
        _ => {
            if !std::io::stdin().is_terminal() {
                let _ = writeln!(stderr);
            }
            Err(())
        }
    }
}
