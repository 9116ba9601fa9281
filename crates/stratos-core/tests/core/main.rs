//! Integration tests of the core against the real local PDS network (tests/network) and a real
//! Secret Service. Run them through scripts/test.sh, which starts both.

mod activation;
mod app_passwords;
mod backup;
mod bad_input;
mod blobs;
mod create;
mod deletion;
mod devices;
mod email;
mod handle;
mod identity_guard;
mod keys;
mod login;
mod migrate;
mod oauth;
mod password;
mod plc;
mod recover;
mod recover_preview;
mod refresh;
mod service_auth;
mod status;

use std::sync::Arc;

use stratos_core::config::Config;
use stratos_core::store::keychain::{OsKeychain, SecretStore};
use stratos_core::{Accounts, LoginRequest};
use stratos_testkit::{Network, PdsInfo, Sandbox, TestAccount};

/// A password sign-in request for `identifier` (handle, DID or email); set the other fields
/// (`pds_host`, `auth_factor_token`) with struct update syntax: `LoginRequest { pds_host, ..login(id, pw) }`.
pub fn login(identifier: &str, password: &str) -> LoginRequest {
    LoginRequest {
        identifier: identifier.into(),
        password: password.into(),
        ..Default::default()
    }
}

/// One test's private world: its own data folder and keychain service ([`Sandbox`]) on the
/// shared network.
pub struct World {
    pub net: &'static Network,
    pub accounts: Accounts,
    pub config: Config,
    pub keychain: Arc<OsKeychain>,
    _sandbox: Sandbox,
}

impl World {
    pub fn start() -> World {
        World::start_with(&[])
    }

    /// A world whose configuration also has `extra` environment variables (a hosted OAuth
    /// client id, for instance).
    pub fn start_with(extra: &[(&str, &str)]) -> World {
        let net = Network::shared();
        let sandbox = Sandbox::new("core");
        let config = Config::from_lookup(|k| match k {
            stratos_testkit::sandbox::DATA_DIR_VAR
            | stratos_testkit::sandbox::KEYRING_SERVICE_VAR => sandbox.var(k),
            _ => extra
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
                .or_else(|| sandbox.var(k)),
        })
        .expect("test config is valid");
        let accounts = Accounts::open(config.clone())
            .expect("the Secret Service is running (scripts/test.sh starts it)");
        let keychain = Arc::new(OsKeychain::open(&config.keyring_service).expect("keychain"));
        World {
            net,
            accounts,
            config,
            keychain,
            _sandbox: sandbox,
        }
    }

    /// Signs `acct` in here with its password (by handle), expecting success.
    pub async fn sign_in(&self, acct: &TestAccount) {
        self.accounts
            .login_password(login(&acct.handle, &acct.password))
            .await
            .expect("login");
    }

    /// A fresh account on `pds`, signed in here with its password.
    pub async fn signed_in(&self, pds: &PdsInfo) -> TestAccount {
        let acct = self.net.create_account(pds).await;
        self.sign_in(&acct).await;
        acct
    }

    /// Starts a loopback browser sign-in for `start_as`, lets the robot sign in as `robot_as` and
    /// `action` the consent screen, and returns the callback URL the browser delivered.
    pub async fn browser_callback(
        &self,
        start_as: &str,
        robot_as: &TestAccount,
        action: &str,
    ) -> String {
        let listener = stratos_core::auth::oauth::callback::LoopbackListener::bind()
            .await
            .unwrap();
        let redirect = stratos_core::config::oauth_client::Redirect::Loopback {
            port: listener.port(),
        };
        let started = self
            .accounts
            .oauth_start(start_as, redirect)
            .await
            .expect("sign-in starts");
        let (callback, (ok, _, err)) = tokio::join!(
            listener.wait(std::time::Duration::from_secs(90)),
            self.net.browse(&started.authorize_url, robot_as, action)
        );
        assert!(ok, "the browser robot failed: {err}");
        callback.expect("the browser came back")
    }

    /// Signs `acct` in through the browser (OAuth, approved) and keeps the session.
    pub async fn browser_sign_in(&self, acct: &TestAccount) {
        let callback = self.browser_callback(&acct.handle, acct, "approve").await;
        self.accounts
            .oauth_finish(&callback)
            .await
            .expect("browser sign-in completes");
    }

    /// A second `Accounts` on the same data folder and keychain, as another process would see it.
    pub fn reopen(&self) -> Accounts {
        Accounts::open(self.config.clone()).expect("reopen")
    }

    /// The raw keychain entry of an account, to prove where secrets live.
    pub fn secret(&self, did: &str) -> Option<String> {
        self.keychain.get(did).expect("keychain readable")
    }
}
