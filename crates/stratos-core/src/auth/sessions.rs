//! The live sessions of the signed-in accounts: one per account, restored from the keychain on
//! first use and kept so that concurrent calls share one refresh; and the short-lived password
//! sessions ("step-ups") a browser-signed-in account needs for password-only actions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use url::Url;

use crate::auth::oauth::net::Net;
use crate::auth::session::{AccountSession, RefreshLock, SessionError, StoredSecrets};
use crate::context::Context;
use crate::store::keychain::{KeychainError, Slot};

/// The session cache and the step-ups held in memory.
pub struct Sessions {
    ctx: Context,
    net: Arc<Net>,
    live: Mutex<HashMap<String, Arc<AccountSession>>>,
    step_ups: Mutex<HashMap<String, (Arc<AccountSession>, Instant)>>,
}

impl Sessions {
    /// An empty cache over `ctx`'s keychain, with the OAuth network layer sessions refresh through.
    pub fn new(ctx: Context) -> Self {
        let net = Arc::new(Net::new(ctx.xrpc().http().clone(), ctx.resolver().clone()));
        Self {
            ctx,
            net,
            live: Mutex::new(HashMap::new()),
            step_ups: Mutex::new(HashMap::new()),
        }
    }

    /// The OAuth network layer (DPoP, metadata), shared with browser sign-ins and with sessions
    /// made outside the cache (a migration's target account).
    pub fn net(&self) -> Arc<Net> {
        self.net.clone()
    }

    /// The live session of `did` on `pds`, restored from the keychain on first use.
    pub async fn get(&self, did: &str, pds: Url) -> Result<Arc<AccountSession>, SessionError> {
        let mut live = self.live.lock().await;
        if let Some(s) = live.get(did) {
            return Ok(s.clone());
        }
        let (store, xrpc, net) = (self.ctx.secrets(), self.ctx.xrpc().clone(), self.net());
        let lock = RefreshLock::in_dir(&self.ctx.config().data_dir, did);
        let owned = did.to_owned();
        let session = tokio::task::spawn_blocking(move || {
            AccountSession::restore(&owned, pds, xrpc, store, net, lock)
        })
        .await
        .expect("keychain reader does not panic")?;
        let session = Arc::new(session);
        live.insert(did.to_owned(), session.clone());
        Ok(session)
    }

    /// Writes a new session's secrets to the keychain; the next [`Sessions::get`] restores it.
    pub async fn save(&self, did: &str, secrets: StoredSecrets) -> Result<(), KeychainError> {
        let (store, owned) = (self.ctx.secrets(), did.to_owned());
        tokio::task::spawn_blocking(move || {
            crate::auth::session::save_secrets(store.as_ref(), &owned, &secrets)
        })
        .await
        .expect("keychain writer does not panic")?;
        self.forget(did).await;
        Ok(())
    }

    /// Deletes every keychain entry of the account ([`Slot::of_account`]: the session and the
    /// device sign-in cookies) and ends what is held in memory (sign-out).
    pub async fn delete(&self, did: &str) -> Result<(), KeychainError> {
        let (store, owned) = (self.ctx.secrets(), did.to_owned());
        tokio::task::spawn_blocking(move || {
            Slot::of_account(&owned)
                .iter()
                .try_for_each(|slot| store.delete(&slot.name()))
        })
        .await
        .expect("keychain does not panic")?;
        self.forget(did).await;
        self.end_step_up(did).await;
        Ok(())
    }

    /// Drops the cached session of `did`, so the next call restores it from the keychain (after a
    /// migration moved the account, or a new sign-in replaced it).
    pub async fn forget(&self, did: &str) {
        self.live.lock().await.remove(did);
    }

    /// The step-up session of `did`, while it is younger than `settings.step_up_minutes`.
    pub async fn step_up(&self, did: &str) -> Option<Arc<AccountSession>> {
        let lifetime = self.step_up_lifetime();
        let held = self.step_ups.lock().await;
        held.get(did)
            .filter(|(_, at)| at.elapsed() < lifetime)
            .map(|(s, _)| s.clone())
    }

    /// Keeps a step-up session in memory (never in the keychain) for the configured minutes.
    pub async fn hold_step_up(&self, did: &str, session: Arc<AccountSession>) {
        self.step_ups
            .lock()
            .await
            .insert(did.to_owned(), (session, Instant::now()));
    }

    /// Ends a step-up session early (sign-out, or the person asked), revoking it on the server.
    pub async fn end_step_up(&self, did: &str) {
        if let Some((session, _)) = self.step_ups.lock().await.remove(did)
            && let Err(e) = session.revoke().await
        {
            log::warn!("could not end the step-up session of {did}: {e}");
        }
    }

    fn step_up_lifetime(&self) -> Duration {
        let minutes = self
            .ctx
            .state()
            .map(|s| s.settings.step_up_minutes)
            .unwrap_or(10);
        Duration::from_secs(u64::from(minutes) * 60)
    }
}
