//! Running the `stratos` binary against the local test network, one isolated home per test,
//! and the helpers several test files share. Every file in `tests/` is its own test binary with
//! `mod common;`; the network is shared across them (found through `STRATOS_TESTNET_INFO`).

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::process::{ExitStatus, Stdio};

use serde_json::Value;
use stratos_core::auth::session::{PasswordSecrets, StoredSecrets, load_secrets};
use stratos_core::store::keychain::{OsKeychain, SecretStore};
use stratos_testkit::{Network, Sandbox, TestAccount, xrpc_get};
use tokio::process::Command;

/// What one run of the CLI produced.
#[derive(Debug)]
pub struct Run {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    /// Asserts the command succeeded and returns its stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert!(self.status.success(), "expected success, got {self:#?}");
        &self.stdout
    }

    /// Asserts the command succeeded and returns its stdout as the one JSON document it must be.
    #[track_caller]
    pub fn ok_json(&self) -> Value {
        self.ok();
        json(&self.stdout)
    }

    /// Asserts the command failed and returns its stderr.
    #[track_caller]
    pub fn failed(&self) -> &str {
        assert!(!self.status.success(), "expected a failure, got {self:#?}");
        assert!(
            self.stderr.contains("error: "),
            "a failure explains itself on stderr: {self:#?}"
        );
        &self.stderr
    }

    /// Asserts a `--json` run failed with `{"error": {"code": code, "message": …}}` on stdout.
    #[track_caller]
    pub fn assert_error_code(&self, code: &str) -> Value {
        self.failed();
        let doc = json(&self.stdout);
        let error = &doc["error"];
        assert_eq!(error["code"], code, "wrong error code in {self:#?}");
        let message = error["message"].as_str().expect("the error has a message");
        assert_eq!(
            self.stderr.matches(message).count(),
            1,
            "stderr states the message {message:?} exactly once: {self:#?}"
        );
        error.clone()
    }
}

/// Parses `text` as exactly one JSON document (trailing output would be an error).
#[track_caller]
pub fn json(text: &str) -> Value {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("stdout is not exactly one JSON document ({e}): {text:?}"))
}

/// One user's Stratos: a private data folder and keychain service, on the shared test network.
pub struct Home {
    sandbox: Sandbox,
}

impl Home {
    /// A fresh, empty Stratos home.
    pub fn new() -> Self {
        Self {
            sandbox: Sandbox::new("cli"),
        }
    }

    /// This home's data folder, also a scratch folder for a test's own files.
    pub fn path(&self) -> &std::path::Path {
        self.sandbox.data_dir()
    }

    /// `stratos <args>` with this home's environment, ready to spawn; stdin is empty.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stratos"));
        cmd.args(args)
            .envs(self.sandbox.env())
            .env_remove("ATP_AUTH_USERNAME")
            .env_remove("ATP_AUTH_PASSWORD")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// `stratos --json account login --oauth <handle>` with the browser robot as `$BROWSER`,
    /// approving as `acct`; the raw output, for tests that read stdout and stderr themselves.
    pub async fn oauth_login(&self, acct: &TestAccount) -> std::process::Output {
        self.command(&["--json", "account", "login", "--oauth", &acct.handle])
            .env("BROWSER", Network::browser_robot())
            .envs(Network::robot_env(acct, "approve"))
            .output()
            .await
            .expect("stratos runs")
    }

    /// Runs `stratos <args>` to completion.
    pub async fn run(&self, args: &[&str]) -> Run {
        let output = self
            .command(args)
            .output()
            .await
            .expect("the stratos binary runs");
        Run::from(output)
    }

    /// The password-session tokens this home's keychain holds for `did`, if any.
    pub async fn stored_tokens(&self, did: &str) -> Option<PasswordSecrets> {
        let (service, did) = (self.sandbox.keyring_service().to_owned(), did.to_owned());
        tokio::task::spawn_blocking(move || {
            let keychain = OsKeychain::open(&service).expect("the test keychain opens");
            load_secrets(&keychain, &did).expect("the test keychain can be read")
        })
        .await
        .expect("the keychain reader does not panic")
        .and_then(|secrets| match secrets {
            StoredSecrets::Password(p) => Some(p),
            StoredSecrets::Oauth(_) => None,
        })
    }
}

impl From<std::process::Output> for Run {
    fn from(o: std::process::Output) -> Self {
        Self {
            status: o.status,
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }
}

// Signed-in accounts and generated keys leave entries in the (test) keychain; remove them with
// the home.
impl Drop for Home {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(self.sandbox.data_dir().join("state.json")) else {
            return;
        };
        let Ok(keychain) = OsKeychain::open(self.sandbox.keyring_service()) else {
            return;
        };
        let state: Value = serde_json::from_str(&text).unwrap_or_default();
        for did in state["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["did"].as_str())
        {
            let _ = keychain.delete(did);
        }
        for did_key in state["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["didKey"].as_str())
        {
            let _ = keychain.delete(&format!("key:{did_key}"));
        }
    }
}

/// A TCP relay on loopback in front of a server, which a test can cut to make it unreachable.
pub struct Relay {
    /// `http://127.0.0.1:<port>`, to use as a PDS host.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts relaying connections to `target` (an `http://host:port` URL).
    pub async fn start(target: &str) -> Self {
        let target = target
            .strip_prefix("http://")
            .expect("the test network serves plain http")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port can be bound");
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("a bound socket has an address")
        );
        let task = tokio::spawn(async move {
            // Dropping the set when this task is aborted aborts every open connection too.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { url, task }
    }

    /// Closes the port and every open connection; returns once nothing is listening.
    pub async fn cut(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// The repository revision the PDS itself reports for `acct`.
pub async fn repo_rev(acct: &TestAccount) -> String {
    let out = xrpc_get(
        &acct.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .expect("getRepoStatus answers for a fresh account");
    out["rev"]
        .as_str()
        .expect("an active repo has a rev")
        .to_owned()
}

/// Signs `acct` in with its handle and password, asserting success.
pub async fn login(home: &Home, acct: &TestAccount) {
    home.run(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .await
        .ok();
}

/// Runs `args` in text mode and in `--json` mode, asserting both fail the same way: exit
/// status, `message_part` on stderr, nothing on stdout in text mode and the `code` in JSON mode.
pub async fn assert_fails(home: &Home, args: &[&str], code: &str, message_part: &str) {
    let text = home.run(args).await;
    let stderr = text.failed();
    assert!(
        stderr.contains(message_part),
        "stderr should mention {message_part:?}: {text:#?}"
    );
    assert_eq!(
        text.stdout, "",
        "text-mode failures print nothing on stdout"
    );
    let with_json: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    home.run(&with_json).await.assert_error_code(code);
}

/// The `account list --json` accounts, asserting success.
pub async fn list_json(home: &Home) -> Vec<Value> {
    let list = home.run(&["--json", "account", "list"]).await.ok_json();
    list["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("account list --json has an accounts array: {list}"))
        .clone()
}

/// The DID `account list --json` reports as selected.
pub async fn selected_json(home: &Home) -> Option<String> {
    let list = home.run(&["--json", "account", "list"]).await.ok_json();
    list["selected"].as_str().map(str::to_owned)
}
