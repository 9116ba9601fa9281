//! `account login --oauth` and `account create --browser`: print and open the sign-in page,
//! then take the callback from the local listener or from a pasted address, whichever comes
//! first.

use std::time::Duration;

use stratos_core::auth::oauth::callback::LoopbackListener;
use stratos_core::auth::oauth::{OAuthError, Started};
use stratos_core::config::oauth_client::{Access, Redirect, RedirectChoice};
use stratos_core::store::state::AccountRecord;
use stratos_core::{Accounts, Config, Explain, Problem};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::render::Output;
use crate::store;

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

/// How long to wait for the browser before giving up.
const WAIT: Duration = Duration::from_secs(10 * 60);

/// `login --oauth <account>`: the browser sign-in, then the new account on stdout.
pub async fn login(
    config: Config,
    account: &str,
    redirect: Option<RedirectArg>,
    access: Option<AccessArg>,
    out: &Output,
) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let record = sign_in(&accounts, account, redirect, access).await?;
    out.emit(&record, || {
        format!(
            "Signed in as {} ({}) on {} through the browser",
            record.handle, record.did, record.pds_url
        )
    });
    Ok(())
}

/// Runs the browser sign-in and returns the new account.
async fn sign_in(
    accounts: &Accounts,
    account: &str,
    redirect: Option<RedirectArg>,
    access: Option<AccessArg>,
) -> Result<AccountRecord, Problem> {
    let (listener, redirect) = listen(accounts, redirect).await?;
    let started = match access {
        Some(AccessArg::Full) => {
            accounts
                .oauth_start_with(account, redirect, Access::Full)
                .await
        }
        Some(AccessArg::Basic) => {
            accounts
                .oauth_start_with(account, redirect, Access::Basic)
                .await
        }
        None => accounts.oauth_start(account, redirect).await,
    }
    .map_err(|e| e.explain())?;
    complete(accounts, started, listener).await
}

/// Creates an account on the server's own sign-up page (`prompt=create`), then signs it in.
pub async fn sign_up(accounts: &Accounts, pds_url: &str) -> Result<AccountRecord, Problem> {
    let (listener, redirect) = listen(accounts, None).await?;
    let started = accounts
        .oauth_sign_up(pds_url, redirect)
        .await
        .map_err(|e| e.explain())?;
    complete(accounts, started, listener).await
}

/// Picks how the browser comes back (the core decides, as for the app: `--redirect`, else the
/// saved setting, else the OAuth client's default) and binds the loopback listener when that is
/// the way.
async fn listen(
    accounts: &Accounts,
    redirect: Option<RedirectArg>,
) -> Result<(Option<LoopbackListener>, Redirect), Problem> {
    let choice = accounts.redirect(redirect.map(|r| match r {
        RedirectArg::Loopback => RedirectChoice::Loopback,
        RedirectArg::DeepLink => RedirectChoice::DeepLink,
    }));
    let listener = match choice {
        RedirectChoice::Loopback => Some(
            LoopbackListener::bind()
                .await
                .map_err(|e| OAuthError::from(e).explain())?,
        ),
        RedirectChoice::DeepLink => None,
    };
    let redirect = match &listener {
        Some(l) => Redirect::Loopback { port: l.port() },
        None => Redirect::DeepLink,
    };
    Ok((listener, redirect))
}

/// Opens the page and takes the callback from the listener or a pasted address.
async fn complete(
    accounts: &Accounts,
    started: Started,
    listener: Option<LoopbackListener>,
) -> Result<AccountRecord, Problem> {
    eprintln!(
        "Open this address to sign in (it was opened in your browser if possible):\n\n  {}\n",
        started.authorize_url
    );
    eprintln!(
        "If the browser runs on another machine, paste the address it ends on here and press Enter."
    );
    if let Err(e) = stratos_core::auth::browser::open(&started.authorize_url) {
        log::warn!("{e}");
    }
    let from_browser = async {
        match listener {
            Some(l) => l
                .wait(WAIT)
                .await
                .map_err(|e| OAuthError::from(e).explain()),
            None => std::future::pending().await,
        }
    };
    let pasted = async {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if !line.trim().is_empty() => return line.trim().to_owned(),
                Ok(Some(_)) => continue,
                // No terminal or closed input: only the browser can answer.
                _ => std::future::pending::<()>().await,
            }
        }
    };
    let callback = tokio::select! {
        url = from_browser => url?,
        url = pasted => url,
        _ = tokio::time::sleep(WAIT) => {
            accounts.oauth_cancel(&started.state);
            return Err(OAuthError::Callback(stratos_core::auth::oauth::callback::CallbackError::TimedOut(WAIT.as_secs() / 60)).explain());
        }
    };
    accounts
        .oauth_finish(&callback)
        .await
        .map_err(|e| e.explain())
}
