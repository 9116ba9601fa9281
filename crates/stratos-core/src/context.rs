//! Layer 5, the context: the services every feature reaches an account through, built once from
//! the configuration — the HTTP/XRPC transport, the identity resolver, the keychain and the state
//! file. Sessions and sign-ins (the `auth` layer) and every feature take it instead of each
//! building its own, so a test's sandbox (data dir, keyring service, local network) reaches all of
//! them at once.

use std::sync::Arc;

use crate::config::Config;
use crate::identity::Resolver;
use crate::net::http;
use crate::net::xrpc::Xrpc;
use crate::store::keychain::SecretStore;
use crate::store::state::{State, StateError, StateFile};

/// The shared services of one Stratos instance (one data dir and keychain service). Cheap to
/// clone: every part is a handle.
#[derive(Clone)]
pub struct Context {
    config: Config,
    xrpc: Xrpc,
    resolver: Resolver,
    secrets: Arc<dyn SecretStore>,
    state: StateFile,
}

impl Context {
    /// Builds the services for `config` with the saved settings applied (a PLC directory or OAuth
    /// client chosen in Settings wins over the built-in default).
    pub fn new(config: Config, secrets: Arc<dyn SecretStore>) -> Self {
        let state = StateFile::new(&config.data_dir);
        let config = state.load().unwrap_or_default().settings.configure(config);
        let xrpc = Xrpc::new(http::client(&config), http::transfer_client(&config));
        let resolver = Resolver::new(&config, xrpc.clone());
        Self {
            config,
            xrpc,
            resolver,
            secrets,
            state,
        }
    }

    /// The configuration in use (after the saved settings were applied).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The identity resolver, for anything that looks an account up.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// The shared XRPC transport (bounded, timed out).
    pub fn xrpc(&self) -> &Xrpc {
        &self.xrpc
    }

    /// The state file: accounts, settings, the key index.
    pub fn state_file(&self) -> &StateFile {
        &self.state
    }

    /// Reads the state file now.
    pub fn state(&self) -> Result<State, StateError> {
        self.state.load()
    }

    /// The keychain this instance keeps its secrets in ([`crate::store::keychain::Slot`] names
    /// every entry).
    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }
}
