//! Browser sign-ins in progress: the one place that decides how the browser comes back (loopback
//! or deep link), starts a sign-in, remembers it until its callback, and refuses callbacks it did
//! not start or that the person cancelled. The app and the CLI both go through it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::auth::oauth::callback::Callback;
use crate::auth::oauth::net::Net;
use crate::auth::oauth::{self, Finished, OAuthError, Pending, Started};
use crate::config::oauth_client::{Access, ClientKind, Redirect, RedirectChoice, redirect_choice};
use crate::context::Context;

/// The OAuth client Stratos signs in as, and its sign-ins awaiting a callback.
pub struct SignIns {
    ctx: Context,
    net: Arc<Net>,
    client: ClientKind,
    pending: Mutex<HashMap<String, Pending>>,
    /// Sign-ins the person cancelled here, so a late approval is refused as such, not as a
    /// forged callback. Only `state` values, a few bytes each, one per cancel.
    cancelled: Mutex<HashSet<String>>,
}

impl SignIns {
    /// No sign-in in progress yet; the client identity comes from the configuration.
    pub fn new(ctx: Context, net: Arc<Net>) -> Self {
        let client = ctx.config().oauth_client.clone();
        Self {
            ctx,
            net,
            client,
            pending: Mutex::new(HashMap::new()),
            cancelled: Mutex::new(HashSet::new()),
        }
    }

    /// The OAuth client identity in use (loopback development client or a hosted one).
    pub fn client(&self) -> &ClientKind {
        &self.client
    }

    /// How the browser comes back: the `requested` way if this client can do it, else the saved
    /// setting, else the client's default ([`redirect_choice`]).
    pub fn redirect(&self, requested: Option<RedirectChoice>) -> RedirectChoice {
        let saved = self
            .ctx
            .state()
            .ok()
            .and_then(|s| s.settings.oauth_redirect);
        redirect_choice(&self.client, saved, requested)
    }

    /// Starts a sign-in (or, with `sign_up`, an account creation on the server's own page) for
    /// `input` (handle, DID or server URL) and remembers it until its callback.
    pub async fn start(
        &self,
        input: &str,
        redirect: Redirect,
        access: Access,
        sign_up: bool,
    ) -> Result<Started, OAuthError> {
        let client = self.client.metadata(redirect, access)?;
        let (started, pending) =
            oauth::start(&self.net, self.ctx.resolver(), input, client, sign_up).await?;
        let mut all = self.pending.lock().expect("pending lock");
        all.retain(|_, p| !p.expired());
        all.insert(pending.state().to_owned(), pending);
        Ok(started)
    }

    /// Forgets a sign-in in progress (the person pressed Cancel); its callback will be refused.
    pub fn cancel(&self, state: &str) {
        if self
            .pending
            .lock()
            .expect("pending lock")
            .remove(state)
            .is_some()
        {
            self.cancelled
                .lock()
                .expect("cancelled lock")
                .insert(state.to_owned());
        }
    }

    /// Exchanges a callback (loopback, deep link, or pasted) for tokens. Taking the pending
    /// sign-in out first makes a replayed callback fail the state check.
    pub async fn finish(&self, callback_url: &str) -> Result<Finished, OAuthError> {
        let callback = Callback::parse(callback_url)?;
        let pending = self
            .pending
            .lock()
            .expect("pending lock")
            .remove(&callback.state);
        let pending = match pending {
            Some(p) if !p.expired() => p,
            None if self
                .cancelled
                .lock()
                .expect("cancelled lock")
                .remove(&callback.state) =>
            {
                return Err(OAuthError::CancelledHere);
            }
            _ => return Err(OAuthError::StateMismatch),
        };
        oauth::finish(&self.net, pending, &callback).await
    }
}
