//! Browser sign-in from the window: start, wait for the loopback or deep-link callback, finish,
//! and tell the window. The protocol work is in `stratos_core::oauth`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stratos_core::oauth::OAuthError;
use stratos_core::oauth::callback::{Callback, LoopbackListener};
use stratos_core::oauth::client::{ClientKind, Redirect, RedirectChoice, SCOPES};
use stratos_core::{Accounts, Explain, Problem};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::CommandError;
use crate::views::AccountSummary;
use crate::{AppState, shell};

/// How long the window waits for the browser before giving up.
const WAIT: Duration = Duration::from_secs(10 * 60);

/// Sign-ins waiting for a loopback callback, by state, so Cancel can stop the listener.
#[derive(Default)]
pub struct Waiting(Mutex<HashMap<String, tauri::async_runtime::JoinHandle<()>>>);

/// One right Stratos asks for, in plain words.
#[derive(Serialize)]
pub struct ScopeView {
    scope: &'static str,
    why: &'static str,
}

/// What the sign-in and settings screens show about browser sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthInfoView {
    client_kind: &'static str,
    client_id: Option<String>,
    deep_link_scheme: Option<String>,
    redirect: RedirectChoice,
    scopes: Vec<ScopeView>,
}

/// The effective redirect kind: the setting if it is possible, else the client's default.
pub fn effective_redirect(accounts: &Accounts) -> RedirectChoice {
    let client = accounts.oauth_client();
    let chosen = accounts
        .state()
        .ok()
        .and_then(|s| s.settings.oauth_redirect);
    match (chosen, client) {
        (Some(RedirectChoice::DeepLink), ClientKind::Loopback) | (None, _) => {
            client.default_redirect()
        }
        (Some(choice), _) => choice,
    }
}

/// What the sign-in screen needs to explain browser sign-in.
#[tauri::command]
pub async fn oauth_info(state: State<'_, AppState>) -> Result<OAuthInfoView, CommandError> {
    let accounts = state.accounts()?;
    let client = accounts.oauth_client();
    Ok(OAuthInfoView {
        client_kind: match client {
            ClientKind::Loopback => "loopback",
            ClientKind::Hosted { .. } => "hosted",
        },
        client_id: match client {
            ClientKind::Loopback => None,
            ClientKind::Hosted { client_id } => Some(client_id.to_string()),
        },
        deep_link_scheme: client.deep_link_scheme(),
        redirect: effective_redirect(&accounts),
        scopes: SCOPES
            .iter()
            .map(|(scope, why)| ScopeView { scope, why })
            .collect(),
    })
}

/// A started sign-in, for the waiting panel.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartView {
    state: String,
    authorize_url: String,
    issuer: String,
}

/// What the window hears when a sign-in ends.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Finished {
    state: Option<String>,
    account: Option<AccountSummary>,
    error: Option<Problem>,
}

/// The redirect kinds a caller may ask for.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectArg {
    /// Local listener.
    Loopback,
    /// App link.
    DeepLink,
}

/// Starts a browser sign-in and opens the browser; the result arrives as `oauth-finished`. With
/// `sign_up`, `account` is a server address and its own sign-up page opens (`prompt=create`).
#[tauri::command]
pub async fn oauth_start(
    app: AppHandle,
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    account: String,
    redirect: Option<RedirectArg>,
    sign_up: Option<bool>,
) -> Result<StartView, CommandError> {
    let accounts = state.accounts()?;
    let choice = match redirect {
        Some(RedirectArg::Loopback) => RedirectChoice::Loopback,
        Some(RedirectArg::DeepLink) => RedirectChoice::DeepLink,
        None => effective_redirect(&accounts),
    };
    let listener = match choice {
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
    open_browser(&app, &started.authorize_url);
    if let Some(listener) = listener {
        let (app2, accounts2, st) = (app.clone(), accounts.clone(), started.state.clone());
        let task = tauri::async_runtime::spawn(async move {
            match listener.wait(WAIT).await {
                Ok(url) => finish(&app2, &accounts2, &url).await,
                Err(e) => {
                    accounts2.oauth_cancel(&st);
                    report(&app2, Some(st), Err(OAuthError::from(e).explain()));
                }
            }
        });
        waiting
            .0
            .lock()
            .expect("waiting lock")
            .insert(started.state.clone(), task);
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
    waiting: State<'_, Waiting>,
    state_id: String,
) -> Result<(), CommandError> {
    let accounts = state.accounts()?;
    accounts.oauth_cancel(&state_id);
    if let Some(task) = waiting.0.lock().expect("waiting lock").remove(&state_id) {
        task.abort();
    }
    log::info!("browser sign-in cancelled by the user");
    Ok(())
}

/// Opens the sign-in page: `$BROWSER` when set (as xdg-open honours it), else the opener plugin.
pub fn open_browser(app: &AppHandle, url: &str) {
    let result = if std::env::var_os("BROWSER").is_some() {
        stratos_core::browser::open(url).map_err(|e| e.to_string())
    } else {
        app.opener()
            .open_url(url, None::<&str>)
            .map_err(|e| e.to_string())
    };
    if let Err(e) = result {
        log::warn!("could not open the browser ({e}); the window shows the address to open");
    }
}

/// Completes a sign-in from a callback URL and tells the window.
pub async fn finish(app: &AppHandle, accounts: &Arc<Accounts>, url: &str) {
    let state = Callback::parse(url).ok().map(|c| c.state);
    if let Some(s) = &state
        && let Some(waiting) = app.try_state::<Waiting>()
    {
        waiting.0.lock().expect("waiting lock").remove(s);
    }
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
