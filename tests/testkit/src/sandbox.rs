//! [`Sandbox`]: one isolated Stratos installation on the shared test network.

use std::path::Path;

use crate::Network;

/// Env var naming Stratos's data folder (state file, journals, logs of the core).
pub const DATA_DIR_VAR: &str = "STRATOS_DATA_DIR";
/// Env var naming the keychain (Secret Service) service Stratos stores its secrets under.
pub const KEYRING_SERVICE_VAR: &str = "STRATOS_KEYRING_SERVICE";

/// One test's private Stratos: a fresh data folder (deleted on drop) and a keychain service name
/// no other test uses, pointed at the shared network ([`Network::shared`]).
///
/// It is the whole environment a Stratos under test needs, in the two shapes the suites use:
/// - a process (the `stratos` CLI, the app): `command.envs(sandbox.env())`;
/// - the core library in-process: `Config::from_lookup(|k| sandbox.var(k))`.
///
/// The sandbox does not touch the keychain itself (the testkit does not depend on the core):
/// a suite that wants the keychain entries of its accounts removed on drop does that in its own
/// wrapper, with the service name from [`Sandbox::keyring_service`].
pub struct Sandbox {
    dir: tempfile::TempDir,
    service: String,
}

impl Sandbox {
    /// A fresh, empty sandbox. `suite` names the test suite (`core`, `cli`, `e2e`...) in the
    /// temp folder's name and the keychain service (`stratos-test-<suite>-<unique label>`), so
    /// leftovers can be traced to their suite.
    pub fn new(suite: &str) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix(&format!("stratos-{suite}-test"))
            .tempdir()
            .expect("a temp dir can be created");
        Sandbox {
            dir,
            service: format!("stratos-test-{suite}-{}", crate::unique_label()),
        }
    }

    /// The data folder (`STRATOS_DATA_DIR`); also a scratch folder for a test's own files.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The keychain service name (`STRATOS_KEYRING_SERVICE`), unique to this sandbox.
    pub fn keyring_service(&self) -> &str {
        &self.service
    }

    /// The value of the environment variable `name` as this sandbox's Stratos sees it: the data
    /// folder, the keychain service, or the network's variables ([`Network::env`]); `None` for
    /// anything else (the default applies). Made for `Config::from_lookup`.
    pub fn var(&self, name: &str) -> Option<String> {
        match name {
            DATA_DIR_VAR => Some(self.data_dir().display().to_string()),
            KEYRING_SERVICE_VAR => Some(self.service.clone()),
            _ => Network::shared()
                .env()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v),
        }
    }

    /// Every variable [`Sandbox::var`] answers, for a child process: the network's, then the
    /// data folder and the keychain service.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Network::shared().env();
        env.push((
            DATA_DIR_VAR.to_owned(),
            self.data_dir().display().to_string(),
        ));
        env.push((KEYRING_SERVICE_VAR.to_owned(), self.service.clone()));
        env
    }
}
