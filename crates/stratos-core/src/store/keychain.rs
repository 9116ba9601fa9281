//! The only place secrets live: the operating system's keychain, through keyring-core.
//!
//! Secret Service on Linux, Keychain on macOS, Credential Manager on Windows. Each account's
//! secrets are one JSON document under (service, DID), so a token refresh replaces them in one
//! write and can never leave half-updated state behind.

use std::sync::{Arc, Mutex, PoisonError};

use crate::base::problem::{Explain, Problem};
use keyring_core::{CredentialStore, Entry};

/// Why the keychain could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeychainError {
    /// The OS keychain is missing, locked or refused access.
    #[error("the system keychain is not available: {0}")]
    Unavailable(String),
    /// The stored secret is not in the format Stratos wrote.
    #[error("the keychain entry for {0} is damaged; sign in again")]
    Damaged(String),
}

/// Storage for secrets keyed by account; a trait so pure-logic unit tests can use memory.
pub trait SecretStore: Send + Sync {
    /// Reads the secret stored under `key`, `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError>;
    /// Replaces the secret under `key`.
    fn set(&self, key: &str, secret: &str) -> Result<(), KeychainError>;
    /// Removes the secret under `key`; removing a missing one is not an error.
    fn delete(&self, key: &str) -> Result<(), KeychainError>;
}

/// Every name Stratos gives a keychain entry, in one place, so no feature invents its own and an
/// account's sign-out can find all of its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// An account's session tokens (password or OAuth), under the bare DID.
    Session(&'a str),
    /// The device cookies of an account's account-manager sign-in (`<did>#account-manager`).
    AccountManager(&'a str),
    /// A migrating account's session on its new PDS, kept beside the old one until the switch.
    MigrationTarget(&'a str),
    /// A private key held for the person (`key:<did:key>`).
    Key(&'a str),
}

impl Slot<'_> {
    /// The entry's name in the keychain.
    pub fn name(&self) -> String {
        match self {
            Slot::Session(did) => (*did).to_owned(),
            Slot::AccountManager(did) => format!("{did}#account-manager"),
            Slot::MigrationTarget(did) => format!("{did}#migration-target"),
            Slot::Key(did_key) => format!("key:{did_key}"),
        }
    }

    /// The slots that go when an account signs out. Keys outlive accounts, and a migration's
    /// session belongs to its journal (cancelling the migration removes it).
    pub fn of_account(did: &str) -> [Slot<'_>; 2] {
        [Slot::Session(did), Slot::AccountManager(did)]
    }
}

/// The operating system's keychain, entries named by a service string.
pub struct OsKeychain {
    /// Connected on first use: connecting is a D-Bus round trip to the Secret Service on Linux
    /// (which D-Bus may first have to start), and the app's window must not wait for it.
    store: Mutex<Option<Arc<CredentialStore>>>,
    service: String,
}

impl OsKeychain {
    /// Names the platform store; `service` keeps test entries apart from a user's. The store is
    /// reached on first use, and tried again at the next one if it could not be; only a platform
    /// without a supported keychain fails here.
    pub fn open(service: &str) -> Result<Self, KeychainError> {
        if cfg!(not(any(
            target_os = "linux",
            target_os = "macos",
            target_os = "windows"
        ))) {
            return Err(KeychainError::Unavailable(UNSUPPORTED.into()));
        }
        Ok(Self {
            store: Mutex::new(None),
            service: service.to_owned(),
        })
    }

    fn entry(&self, key: &str) -> Result<Entry, KeychainError> {
        let store = {
            let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
            match &*slot {
                Some(store) => store.clone(),
                None => slot.insert(platform_store()?).clone(),
            }
        };
        Entry::new_in_store(&store, &self.service, key).map_err(unavailable)
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError> {
        match self.entry(key)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(keyring_core::Error::BadEncoding(_)) => Err(KeychainError::Damaged(key.to_owned())),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), KeychainError> {
        self.entry(key)?.set_password(secret).map_err(unavailable)
    }

    fn delete(&self, key: &str) -> Result<(), KeychainError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Why there is no keychain on platforms keyring-core has no store for.
const UNSUPPORTED: &str = "no supported keychain on this platform";

fn unavailable(e: keyring_core::Error) -> KeychainError {
    KeychainError::Unavailable(e.to_string())
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    dbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(unavailable)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(unavailable)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(unavailable)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    Err(KeychainError::Unavailable(UNSUPPORTED.into()))
}

/// A store that keeps nothing: for short-lived step-up sessions that must never be persisted
/// (their refreshed tokens simply stay in memory with the session).
pub struct NothingStored;

impl SecretStore for NothingStored {
    fn get(&self, _key: &str) -> Result<Option<String>, KeychainError> {
        Ok(None)
    }
    fn set(&self, _key: &str, _secret: &str) -> Result<(), KeychainError> {
        Ok(())
    }
    fn delete(&self, _key: &str) -> Result<(), KeychainError> {
        Ok(())
    }
}

impl Explain for KeychainError {
    fn explain(&self) -> Problem {
        match self {
            KeychainError::Unavailable(_) => Problem::new(
                "keychain_unavailable",
                self,
                Some(
                    "Unlock your system keychain (on Linux: a Secret Service such as GNOME Keyring or KWallet must be running).",
                ),
            ),
            KeychainError::Damaged(_) => Problem::new(
                "keychain_damaged",
                self,
                Some("Sign in to the account again."),
            ),
        }
    }
}

/// An in-memory store for unit tests of pure logic only; never used by the app or the CLI.
#[cfg(test)]
pub(crate) mod memory {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::{KeychainError, SecretStore};

    #[derive(Default)]
    pub(crate) struct MemoryStore(Mutex<HashMap<String, String>>);

    impl SecretStore for MemoryStore {
        fn get(&self, key: &str) -> Result<Option<String>, KeychainError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        fn set(&self, key: &str, secret: &str) -> Result<(), KeychainError> {
            self.0.lock().unwrap().insert(key.into(), secret.into());
            Ok(())
        }
        fn delete(&self, key: &str) -> Result<(), KeychainError> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
    }
}
