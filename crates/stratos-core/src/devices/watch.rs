//! Noticing new devices and apps on an account between two background checks, so the app can
//! tell the person (a new sign-in they did not make is the first sign of a compromised account).

use std::collections::BTreeSet;

use crate::accounts::Accounts;
use crate::devices::{self, App, Device, DevicesError};
use crate::store::state::KnownSessions;

/// What appeared on one account since the last check.
#[derive(Debug, Clone)]
pub struct NewSessions {
    /// The account.
    pub did: String,
    /// Its handle, for the notification.
    pub handle: String,
    /// Devices not seen before.
    pub devices: Vec<Device>,
    /// Apps not seen before.
    pub apps: Vec<App>,
}

/// Checks every account Stratos can see the devices and apps of (those signed in to the
/// account-manager API) and returns what is new since the previous check. The first check of an
/// account only records what is there, so nothing already known is reported as new.
pub async fn new_sessions(accounts: &Accounts) -> Vec<NewSessions> {
    let Ok(state) = accounts.state() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for record in &state.accounts {
        let (devices, apps) = match tokio::try_join!(
            devices::devices(accounts, &record.did),
            devices::apps(accounts, &record.did)
        ) {
            Ok(lists) => lists,
            // Not signed in to the account-manager API, or a server without it: nothing to watch.
            Err(DevicesError::SignInNeeded | DevicesError::Unsupported { .. }) => continue,
            Err(e) => {
                log::warn!("could not check the devices of {}: {e}", record.did);
                continue;
            }
        };
        let now = KnownSessions {
            devices: devices.iter().map(|d| d.device_id.clone()).collect(),
            apps: apps.iter().map(|a| a.token_id.clone()).collect(),
        };
        let before = state.known_sessions.get(&record.did).cloned();
        let did = record.did.clone();
        let remembered = now.clone();
        if let Err(e) = accounts.context().state_file().update(move |s| {
            s.known_sessions.insert(did, remembered);
        }) {
            log::warn!("could not remember the devices of {}: {e}", record.did);
        }
        let Some(before) = before else { continue };
        let fresh = |known: &BTreeSet<String>, id: &String| !known.contains(id);
        let new = NewSessions {
            did: record.did.clone(),
            handle: record.handle.clone(),
            devices: devices
                .into_iter()
                .filter(|d| fresh(&before.devices, &d.device_id))
                .collect(),
            apps: apps
                .into_iter()
                .filter(|a| fresh(&before.apps, &a.token_id))
                .collect(),
        };
        if !new.devices.is_empty() || !new.apps.is_empty() {
            log::info!(
                "{} has {} new device(s) and {} new app(s)",
                new.did,
                new.devices.len(),
                new.apps.len()
            );
            found.push(new);
        }
    }
    found
}
