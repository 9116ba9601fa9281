//! Browser sign-in from the window: start, wait for the loopback or deep-link callback, finish,
//! and tell the window. The protocol work and the choice of redirect are in
//! `stratos_core::auth::oauth`.

use std::sync::Arc;
use std::time::Duration;

use stratos_core::auth::oauth::OAuthError;
use stratos_core::auth::oauth::callback::{Callback, LoopbackListener};
use stratos_core::config::oauth_client::{ClientKind, Redirect, RedirectChoice, SCOPES};
use stratos_core::{Accounts, Explain, Problem};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::CommandError;
use crate::jobs::{JobKey, Jobs};
use crate::models::{AccountSummary, Finished, OAuthInfoView, ScopeView, StartView};
use crate::{AppState, desktop, shell};

/// How long the window waits for the browser before giving up.
const WAIT: Duration = Duration::from_secs(10 * 60);

/// What the sign-in screen needs to explain browser sign-in.
#[tauri::command]
pub async fn oauth_info(state: State<'_, AppState>) -> Result<OAuthInfoView, CommandError> {
    let accounts = state.accounts()?;
    let client = accounts.oauth_client();
    Ok(OAuthInfoView {
        client_kind: client.kind_name(),
        client_id: match client {
            ClientKind::Loopback => None,
            ClientKind::Hosted { client_id } => Some(client_id.to_string()),
        },
        deep_link_scheme: client.deep_link_scheme(),
        redirect: accounts.redirect(None),
        scopes: SCOPES
            .iter()
            .map(|(scope, why)| ScopeView { scope, why })
            .collect(),
    })
}

/// Starts a browser sign-in and opens the browser; the result arrives as `oauth-finished`. With
/// `sign_up`, `account` is a server address and its own sign-up page opens (`prompt=create`).
#[tauri::command]
pub async fn oauth_start(
    app: AppHandle,
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    account: String,
    redirect: Option<RedirectChoice>,
    sign_up: Option<bool>,
) -> Result<StartView, CommandError> {
    let accounts = state.accounts()?;
    let listener = match accounts.redirect(redirect) {
        RedirectChoice::Loopback => Some(
            LoopbackListener::bind()
                .await
                .map_err(|e| OAuthError::from(e).explain())?,
        ),
        RedirectChoice::DeepLink => None,
    };
    let redirect = listener
        .as_ref()
        .map_or(Redirect::DeepLink, |l| Redirect::Loopback {
            port: l.port(),
        });
    // Sign-up: `account` is the server's address, whose own page creates the account.
    let started = if sign_up.unwrap_or(false) {
        accounts.oauth_sign_up(&account, redirect).await?
    } else {
        accounts.oauth_start(&account, redirect).await?
    };
    desktop::open_browser(&app, &started.authorize_url);
    if let Some(listener) = listener {
        let job = jobs.start(JobKey::SignIn(started.state.clone()));
        let (app, accounts, st) = (app.clone(), accounts.clone(), started.state.clone());
        tauri::async_runtime::spawn(async move {
            let waited = tokio::select! {
                // Cancelled: `oauth_cancel` already told the store; the listener closes here.
                () = job.token().cancelled() => return,
                waited = listener.wait(WAIT) => waited,
            };
            // Registered until here only: once the callback came, Cancel no longer stops it.
            drop(job);
            match waited {
                Ok(url) => finish(&app, &accounts, &url).await,
                Err(e) => {
                    accounts.oauth_cancel(&st);
                    report(&app, Some(st), Err(OAuthError::from(e).explain()));
                }
            }
        });
    }
    Ok(StartView {
        state: started.state,
        authorize_url: started.authorize_url,
        issuer: started.issuer,
    })
}

/// Stops waiting for a sign-in; a late callback for it is refused.
#[tauri::command]
pub async fn oauth_cancel(
    state: State<'_, AppState>,
    jobs: State<'_, Jobs>,
    state_id: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    accounts.oauth_cancel(&state_id);
    jobs.cancel(&JobKey::SignIn(state_id));
    log::info!("browser sign-in cancelled by the user");
    Ok(())
}

/// Completes a sign-in from a callback URL and tells the window.
async fn finish(app: &AppHandle, accounts: &Arc<Accounts>, url: &str) {
    let state = Callback::parse(url).ok().map(|c| c.state);
    let result = accounts.oauth_finish(url).await.map_err(|e| e.explain());
    shell::broadcast(app, accounts);
    shell::show_main_window(app);
    report(app, state, result.map(|r| AccountSummary::from(&r)));
}

fn report(app: &AppHandle, state: Option<String>, result: Result<AccountSummary, Problem>) {
    let payload = match result {
        Ok(account) => {
            log::info!("browser sign-in finished for {}", account.did);
            Finished {
                state,
                account: Some(account),
                error: None,
            }
        }
        Err(p) => {
            log::warn!("browser sign-in failed: {} ({})", p.message, p.code);
            Finished {
                state,
                account: None,
                error: Some(p),
            }
        }
    };
    if let Err(e) = app.emit("oauth-finished", payload) {
        log::warn!("could not tell the window about the sign-in: {e}");
    }
}

/// Handles command-line arguments that carry a deep-link callback: the first launch's own
/// arguments, or a second launch's forwarded by single-instance (what the OS does on Linux and
/// Windows when the browser opens `<scheme>:/oauth/callback?...`).
pub fn handle_args(app: &AppHandle, args: &[String]) {
    let Some(scheme) = app.try_state::<AppState>().and_then(|s| {
        s.current()
            .ok()
            .and_then(|a| a.oauth_client().deep_link_scheme())
    }) else {
        return;
    };
    let prefix = format!("{scheme}:");
    for arg in args.iter().filter(|a| a.starts_with(&prefix)) {
        log::info!("deep link received");
        let (app, url) = (app.clone(), arg.clone());
        tauri::async_runtime::spawn(async move {
            let Ok(accounts) = app.state::<AppState>().current() else {
                return;
            };
            finish(&app, &accounts, &url).await;
        });
    }
}

/// Registers the deep-link scheme with the OS where that is done at run time (Linux, Windows).
pub fn register_scheme(app: &AppHandle) {
    let Some(scheme) = app.try_state::<AppState>().and_then(|s| {
        s.current()
            .ok()
            .and_then(|a| a.oauth_client().deep_link_scheme())
    }) else {
        return;
    };
    #[cfg(any(target_os = "linux", windows))]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        if std::env::var_os("STRATOS_NO_SCHEME_REGISTRATION").is_none()
            && let Err(e) = app.deep_link().register(&scheme)
        {
            log::warn!("could not register the {scheme}: link handler: {e}");
        }
    }
    #[cfg(target_os = "macos")]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.clone();
        app.deep_link().on_open_url(move |event| {
            let args: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
            handle_args(&handle, &args);
        });
        let _ = scheme;
    }
}
