//! Test helpers for the local AT Protocol network in `tests/network`: a PLC
//! directory, two reference PDSes, a handle resolver and a mail catcher, all on
//! loopback.
//!
//! `tests/run.sh` starts ONE network per test run and exports
//! `STRATOS_TESTNET_INFO` (the path of the network's info JSON); every test
//! reaches it through [`Network::shared`]. Tests stay independent by creating
//! their own accounts with [`Network::create_account`], whose handles and
//! emails are unique.
//!
//! Email 2FA ([`Network::enable_email_2fa`]) is emulated by the network: the
//! reference PDS does not implement it, Bluesky's entryway does.
//!
//! These are test helpers: they panic with a message saying what failed
//! instead of returning errors, except where a test wants to inspect an XRPC
//! error ([`Network::create_session`], [`xrpc_get`], [`xrpc_post`]).

pub mod populate;
pub mod sandbox;
pub use populate::{
    Populated, Population, blob_bytes, cid_of, create_record, populate, set_profile, upload_blob,
};
pub use sandbox::Sandbox;

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

/// Env var naming the network's info file; set by `tests/run.sh` for the whole test run.
pub const INFO_ENV: &str = "STRATOS_TESTNET_INFO";

/// Timeout of each HTTP call to the network; generous because a loaded CI machine is slow.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Network::wait_mail`] lets the network wait for a message (its maximum).
const MAIL_WAIT_MS: u64 = 30_000;

/// Subjects of the mails the network's PDSes send, for [`Network::wait_mail`].
pub mod subjects {
    /// Sent by `com.atproto.server.requestEmailConfirmation`.
    pub const EMAIL_CONFIRMATION: &str = "Email Confirmation";
    /// Sent by `com.atproto.server.requestEmailUpdate` (to the old address).
    pub const EMAIL_UPDATE: &str = "Email Update Requested";
    /// Sent by `com.atproto.server.requestPasswordReset`.
    pub const PASSWORD_RESET: &str = "Password Reset Requested";
    /// Sent by `com.atproto.identity.requestPlcOperationSignature`.
    pub const PLC_OPERATION: &str = "PLC Update Operation Requested";
    /// Sent by `com.atproto.server.requestAccountDelete`.
    pub const ACCOUNT_DELETION: &str = "Account Deletion Requested";
    /// Sent by the network's email-2FA emulation when `createSession` needs a code.
    pub const SIGN_IN_CODE: &str = "Sign-in Code Requested";
}

/// The running test network, as announced by `tests/network/network.mjs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Network {
    /// PLC directory URL (`http://localhost:<port>`), for `STRATOS_PLC_URL`.
    pub plc: String,
    /// Handle resolver XRPC service URL, for `STRATOS_HANDLE_RESOLVER`.
    pub resolver: String,
    /// Control server URL (captured mail, handle overrides).
    pub control: String,
    /// The PDSes: `[0]` owns `*.test`, `[1]` owns `*.pds2.test`.
    pub pds: Vec<PdsInfo>,
}

/// One PDS of the network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PdsInfo {
    /// Public URL (`http://localhost:<port>`), also its OAuth issuer.
    pub url: String,
    /// Service DID (`did:web:localhost%3A<port>`), the `aud` of service auth for it.
    pub did: String,
    /// Handle domain with its leading dot (`.test` or `.pds2.test`).
    pub domain: String,
    /// Admin password, for `com.atproto.admin.*` calls (Basic auth, user `admin`).
    pub admin_password: String,
}

/// An account created by [`Network::create_account`], with a live session.
#[derive(Clone, PartialEq, Eq)]
pub struct TestAccount {
    /// Handle, e.g. `t1k3x9q0a2.test`.
    pub handle: String,
    /// The account's `did:plc`.
    pub did: String,
    /// Email address; the network catches what is sent to it.
    pub email: String,
    /// Account password.
    pub password: String,
    /// Access JWT of the session made at creation.
    pub access_jwt: String,
    /// Refresh JWT of the session made at creation.
    pub refresh_jwt: String,
    /// URL of the PDS holding the account.
    pub pds_url: String,
}

// Tokens and the password stay out of test logs.
impl fmt::Debug for TestAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestAccount")
            .field("handle", &self.handle)
            .field("did", &self.did)
            .field("email", &self.email)
            .field("pds_url", &self.pds_url)
            .finish_non_exhaustive()
    }
}

/// A mail a PDS of the network sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Mail {
    /// URL of the PDS that sent it.
    pub pds: String,
    /// Recipient address, lower-cased.
    pub to: String,
    /// Subject line (see [`subjects`]).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// The code in the body (`XXXXX-XXXXX`), if any.
    pub code: Option<String>,
    /// When it was sent (RFC 3339).
    pub at: String,
}

/// An XRPC error answer, for tests that check what a server refused and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status} {error}: {message}")]
pub struct XrpcError {
    /// HTTP status code.
    pub status: u16,
    /// The XRPC `error` name, e.g. `AuthFactorTokenRequired`.
    pub error: String,
    /// The human-readable `message`.
    pub message: String,
}

impl Network {
    /// The network of this test run, read once from the file named by `STRATOS_TESTNET_INFO`.
    pub fn shared() -> &'static Network {
        static SHARED: OnceLock<Network> = OnceLock::new();
        SHARED.get_or_init(|| {
            let path = std::env::var_os(INFO_ENV).unwrap_or_else(|| {
                panic!(
                    "STRATOS_TESTNET_INFO is not set: run the tests through tests/run.sh, which starts the local PDS network"
                )
            });
            Network::load(Path::new(&path))
        })
    }

    /// Reads a network info file, for a test that starts a network of its own.
    pub fn load(path: &Path) -> Network {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "cannot read the test network info file {}: {e}",
                path.display()
            )
        });
        Network::from_json(&text).unwrap_or_else(|e| {
            panic!(
                "the test network info file {} is not valid: {e}",
                path.display()
            )
        })
    }

    /// Parses the JSON line `network.mjs` prints.
    pub fn from_json(json: &str) -> Result<Network, serde_json::Error> {
        let network: Network = serde_json::from_str(json)?;
        if network.pds.len() < 2 {
            return Err(serde::de::Error::custom("the network must have two PDSes"));
        }
        Ok(network)
    }

    /// The first PDS (handles `*.test`).
    pub fn pds1(&self) -> &PdsInfo {
        &self.pds[0]
    }

    /// The second PDS (handles `*.pds2.test`), e.g. a migration target.
    pub fn pds2(&self) -> &PdsInfo {
        &self.pds[1]
    }

    /// The environment a Stratos process under test needs to use this network.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("STRATOS_PLC_URL".to_owned(), self.plc.clone()),
            ("STRATOS_HANDLE_RESOLVER".to_owned(), self.resolver.clone()),
        ]
    }

    /// Creates a fresh account with a unique handle, email and password on `pds`.
    pub async fn create_account(&self, pds: &PdsInfo) -> TestAccount {
        let label = unique_label();
        let handle = format!("{label}{}", pds.domain);
        let email = format!("{label}@example.com");
        let password = format!(
            "pw-{}-{}",
            base36(random_u64(), 10),
            base36(random_u64(), 10)
        );
        let body = json!({ "handle": handle, "email": email, "password": password });
        let out = xrpc_post(&pds.url, "com.atproto.server.createAccount", &body, None)
            .await
            .unwrap_or_else(|e| panic!("createAccount {handle} on {} failed: {e}", pds.url));
        TestAccount {
            handle: field(&out, "handle", "createAccount"),
            did: field(&out, "did", "createAccount"),
            email,
            password,
            access_jwt: field(&out, "accessJwt", "createAccount"),
            refresh_jwt: field(&out, "refreshJwt", "createAccount"),
            pds_url: pds.url.clone(),
        }
    }

    /// Calls `com.atproto.server.createSession`, returning the PDS's answer or its XRPC error.
    pub async fn create_session(
        &self,
        pds_url: &str,
        identifier: &str,
        password: &str,
        auth_factor_token: Option<&str>,
    ) -> Result<Value, XrpcError> {
        let mut body = json!({ "identifier": identifier, "password": password });
        if let Some(token) = auth_factor_token {
            body["authFactorToken"] = json!(token);
        }
        xrpc_post(pds_url, "com.atproto.server.createSession", &body, None).await
    }

    /// Resolves a handle through the network's resolver, as Stratos would; `None` if unknown.
    pub async fn resolve_handle(&self, handle: &str) -> Option<String> {
        match xrpc_get(
            &self.resolver,
            "com.atproto.identity.resolveHandle",
            &[("handle", handle)],
            None,
        )
        .await
        {
            Ok(out) => Some(field(&out, "did", "resolveHandle")),
            Err(e) if e.error == "HandleNotFound" => None,
            Err(e) => panic!("the test network's resolver failed for {handle}: {e}"),
        }
    }

    /// Waits (up to 30 s) for the `(after + 1)`-th mail to `email` whose subject contains `subject_contains`.
    ///
    /// `after` is how many such mails the test has already seen, so each call
    /// gets a new message: count first with [`Network::mails`], then trigger the mail.
    pub async fn wait_mail(&self, email: &str, subject_contains: &str, after: usize) -> Mail {
        let url = self.control_url(
            "/mail/wait",
            &[
                ("to", email),
                ("subject", subject_contains),
                ("after", &after.to_string()),
                ("timeout_ms", &MAIL_WAIT_MS.to_string()),
            ],
        );
        let response = http()
            .get(url)
            .timeout(Duration::from_millis(MAIL_WAIT_MS) + HTTP_TIMEOUT)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        if response.status().as_u16() == 408 {
            panic!(
                "no mail #{} to {email} with a subject containing {subject_contains:?} arrived within {} s",
                after + 1,
                MAIL_WAIT_MS / 1000
            );
        }
        json_of(response, "GET /mail/wait").await
    }

    /// The code in the `(after + 1)`-th mail to `email` whose subject contains
    /// `subject_contains` ([`Network::wait_mail`]); panics if that mail has none.
    ///
    /// Count first with [`Network::count_mails`], then trigger the mail, then wait for its code.
    pub async fn wait_code(&self, email: &str, subject_contains: &str, after: usize) -> String {
        self.wait_mail(email, subject_contains, after)
            .await
            .code
            .unwrap_or_else(|| panic!("the {subject_contains:?} mail to {email} has a code"))
    }

    /// All mails sent so far to `email`, oldest first.
    pub async fn mails(&self, email: &str) -> Vec<Mail> {
        let url = self.control_url("/mail", &[("to", email)]);
        let response =
            http().get(url).send().await.unwrap_or_else(|e| {
                panic!("the test network's control server is unreachable: {e}")
            });
        json_of(response, "GET /mail").await
    }

    /// Confirms the account's email address the way a user would, with the mailed code.
    pub async fn confirm_email(&self, acct: &TestAccount) {
        let seen = self
            .count_mails(&acct.email, subjects::EMAIL_CONFIRMATION)
            .await;
        let bearer = Some(acct.access_jwt.as_str());
        xrpc_post(
            &acct.pds_url,
            "com.atproto.server.requestEmailConfirmation",
            &Value::Null,
            bearer,
        )
        .await
        .unwrap_or_else(|e| panic!("requestEmailConfirmation for {} failed: {e}", acct.handle));
        let code = self
            .wait_mail(&acct.email, subjects::EMAIL_CONFIRMATION, seen)
            .await
            .code
            .expect("the Email Confirmation mail has a code");
        let body = json!({ "email": acct.email, "token": code });
        xrpc_post(
            &acct.pds_url,
            "com.atproto.server.confirmEmail",
            &body,
            bearer,
        )
        .await
        .unwrap_or_else(|e| panic!("confirmEmail for {} failed: {e}", acct.handle));
    }

    /// Turns on email 2FA for the account (confirming its email first if needed).
    ///
    /// Afterwards `createSession` with the account password answers
    /// `AuthFactorTokenRequired` and mails a code (subject [`subjects::SIGN_IN_CODE`]).
    pub async fn enable_email_2fa(&self, acct: &TestAccount) {
        let bearer = Some(acct.access_jwt.as_str());
        let session = xrpc_get(&acct.pds_url, "com.atproto.server.getSession", &[], bearer)
            .await
            .unwrap_or_else(|e| panic!("getSession for {} failed: {e}", acct.handle));
        if session["emailConfirmed"] != json!(true) {
            self.confirm_email(acct).await;
        }
        let seen = self.count_mails(&acct.email, subjects::EMAIL_UPDATE).await;
        let out = xrpc_post(
            &acct.pds_url,
            "com.atproto.server.requestEmailUpdate",
            &Value::Null,
            bearer,
        )
        .await
        .unwrap_or_else(|e| panic!("requestEmailUpdate for {} failed: {e}", acct.handle));
        assert_eq!(
            out["tokenRequired"],
            json!(true),
            "a confirmed email needs a mailed token to change its settings"
        );
        let code = self
            .wait_mail(&acct.email, subjects::EMAIL_UPDATE, seen)
            .await
            .code
            .expect("the Email Update Requested mail has a code");
        let body = json!({ "email": acct.email, "emailAuthFactor": true, "token": code });
        xrpc_post(
            &acct.pds_url,
            "com.atproto.server.updateEmail",
            &body,
            bearer,
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "updateEmail (emailAuthFactor) for {} failed: {e}",
                acct.handle
            )
        });
    }

    /// Makes `handle` (e.g. a custom domain) resolve to `did`, as its DNS record would.
    pub async fn set_handle_override(&self, handle: &str, did: &str) {
        let response = http()
            .put(self.control_url("/handle-override", &[]))
            .json(&json!({ "handle": handle, "did": did }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, "PUT /handle-override").await;
    }

    /// Removes a handle override, so the handle stops resolving (or falls back to its PDS).
    pub async fn clear_handle_override(&self, handle: &str) {
        let response = http()
            .delete(self.control_url("/handle-override", &[("handle", handle)]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, "DELETE /handle-override").await;
    }

    /// Makes the PDSes' fetch of the https `url` answer with `document`, as a hosted OAuth
    /// client's metadata would be (the made-up host needs no DNS).
    pub async fn register_client_metadata(&self, url: &str, document: &Value) {
        let response = http()
            .put(self.control_url("/client-metadata", &[]))
            .json(&json!({ "url": url, "document": document }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, "PUT /client-metadata").await;
    }

    /// FAULT INJECTION: the next `count` calls of `nsid` by `did` on `pds` are answered with
    /// HTTP `status` instead of reaching the PDS (see tests/network/README.md).
    pub async fn inject_faults(
        &self,
        pds: &PdsInfo,
        nsid: &str,
        did: &str,
        count: u32,
        status: u16,
    ) {
        let response = http()
            .put(self.control_url("/faults", &[]))
            .json(&json!({ "pds": pds.url, "nsid": nsid, "did": did, "count": count, "status": status }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, "PUT /faults").await;
    }

    /// Makes every emailed code of `did` look `minutes` old, so it is expired past 15.
    pub async fn age_email_tokens(&self, did: &str, minutes: u32) {
        let response = http()
            .post(self.control_url(
                "/age-email-tokens",
                &[("did", did), ("minutes", &minutes.to_string())],
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, "POST /age-email-tokens").await;
    }

    /// Injected faults not used up yet, for `did`.
    pub async fn faults_left(&self, did: &str) -> u64 {
        let response = http()
            .get(self.control_url("/faults", &[]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let all: Vec<Value> = json_of(response, "GET /faults").await;
        all.iter()
            .filter(|f| f["did"] == did)
            .map(|f| f["count"].as_u64().unwrap_or(0))
            .sum()
    }

    /// An address on the network that serves an app logo as a client's metadata would publish it
    /// (`kind` `png`, padded to `bytes`, or `html`, which is not an image).
    pub fn image_url(&self, kind: &str, bytes: usize) -> String {
        self.control_url("/image", &[("kind", kind), ("bytes", &bytes.to_string())])
            .to_string()
    }

    /// The browser robot (`tests/network/oauth-browser.sh`): what `$BROWSER` points at in OAuth
    /// tests. It signs in on the PDS's own authorize page in headless Chromium.
    pub fn browser_robot() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../network/oauth-browser.sh")
    }

    /// The environment that makes the browser robot sign in as `acct` and `action` the consent
    /// screen (`approve` or `deny`).
    pub fn robot_env(acct: &TestAccount, action: &str) -> Vec<(String, String)> {
        vec![
            ("STRATOS_TEST_OAUTH_USERNAME".into(), acct.handle.clone()),
            ("STRATOS_TEST_OAUTH_PASSWORD".into(), acct.password.clone()),
            ("STRATOS_TEST_OAUTH_ACTION".into(), action.into()),
        ]
    }

    /// Runs the browser robot on `authorize_url` as `acct` and waits for it; returns its exit
    /// success and stdout (a custom-scheme redirect is printed there when no handler is set).
    pub async fn browse(
        &self,
        authorize_url: &str,
        acct: &TestAccount,
        action: &str,
    ) -> (bool, String, String) {
        let out = tokio::process::Command::new(Self::browser_robot())
            .arg(authorize_url)
            .envs(Self::robot_env(acct, action))
            .env_remove("STRATOS_TEST_DEEP_LINK_HANDLER")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("the browser robot runs (tests/network/setup.sh installs it)");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A fresh did:plc in the network's PLC whose document names no PDS (an error path).
    pub async fn did_without_pds(&self) -> String {
        let response = http()
            .post(self.control_url("/did-without-pds", &[]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let v: Value = json_of(response, "POST /did-without-pds").await;
        v["did"].as_str().expect("did is a string").to_owned()
    }

    /// A small real PNG (the network's app logo), e.g. for a profile's avatar.
    pub async fn png(&self) -> Vec<u8> {
        let response = http()
            .get(self.image_url("png", 0))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        response.bytes().await.expect("PNG bytes").to_vec()
    }

    /// Starts a PDS of the caller's own (handles `*.x<N>.test`), which it may stop with
    /// [`Network::stop_pds`] without disturbing the two PDSes every test shares: the server whose
    /// disappearance a recovery is about.
    pub async fn new_pds(&self) -> PdsInfo {
        let response = http()
            .post(self.control_url("/pds", &[]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        json_of(response, "POST /pds").await
    }

    /// Stops a PDS made by [`Network::new_pds`]: its port then refuses connections, as a dead
    /// server's does. Its data is kept for [`Network::start_pds`].
    pub async fn stop_pds(&self, pds: &PdsInfo) {
        self.pds_switch("/pds/stop", pds).await;
    }

    /// Starts a stopped PDS made by [`Network::new_pds`] again, on the same port, with its data.
    pub async fn start_pds(&self, pds: &PdsInfo) {
        self.pds_switch("/pds/start", pds).await;
    }

    async fn pds_switch(&self, path: &str, pds: &PdsInfo) {
        let response = http()
            .post(self.control_url(path, &[("url", &pds.url)]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let _: Value = json_of(response, path).await;
    }

    /// What a hacked PDS could do on its own: the PDS that holds a rotation key of `did` signs,
    /// with that key, an operation pointing the account at `endpoint` and dropping every other
    /// rotation key, and sends it to the PLC directory. Returns the operation's CID and the
    /// PDS's rotation key (`did:key`).
    pub async fn hostile_plc_op(&self, did: &str, endpoint: &str) -> (String, String) {
        let response = http()
            .post(self.control_url("/hostile-plc-op", &[("did", did), ("endpoint", endpoint)]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let v: Value = json_of(response, "POST /hostile-plc-op").await;
        let text = |k: &str| v[k].as_str().expect("a string").to_owned();
        (text("cid"), text("pdsKey"))
    }

    /// What the PLC directory serves for `did` at `path` (`data`, `log/audit`), read directly, so
    /// a test checks the directory's word and not Stratos's.
    pub async fn plc_get(&self, did: &str, path: &str) -> Value {
        let url = format!("{}/{did}/{path}", self.plc.trim_end_matches('/'));
        let response = http()
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the PLC directory is unreachable: {e}"));
        json_of(response, &url).await
    }

    /// How many `nsid` requests the network's PDSes received with a bearer token of `did`, to
    /// prove effects such as a single shared token refresh.
    pub async fn request_count(&self, nsid: &str, did: &str) -> u64 {
        let response = http()
            .get(self.control_url("/requests", &[("nsid", nsid), ("did", did)]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let v: Value = json_of(response, "GET /requests").await;
        v["count"].as_u64().expect("count is a number")
    }

    /// How many XRPC requests about `did` (its bearer token, or its `did`/`repo` parameter) the
    /// PDS `pds` received, to prove a server was not contacted for an account.
    pub async fn pds_request_count(&self, pds: &PdsInfo, did: &str) -> u64 {
        let response = http()
            .get(self.control_url("/requests", &[("pds", &pds.url), ("did", did)]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the test network's control server is unreachable: {e}"));
        let v: Value = json_of(response, "GET /requests").await;
        v["count"].as_u64().expect("count is a number")
    }

    /// How many mails to `email` with `subject_contains` in the subject (ignoring case, as
    /// [`Network::wait_mail`] matches) were caught so far.
    pub async fn count_mails(&self, email: &str, subject_contains: &str) -> usize {
        let url = self.control_url("/mail", &[("to", email), ("subject", subject_contains)]);
        let response =
            http().get(url).send().await.unwrap_or_else(|e| {
                panic!("the test network's control server is unreachable: {e}")
            });
        json_of::<Vec<Mail>>(response, "GET /mail").await.len()
    }

    fn control_url(&self, path: &str, params: &[(&str, &str)]) -> Url {
        let mut url = Url::parse(&self.control).unwrap_or_else(|e| {
            panic!(
                "bad control URL {:?} in the network info: {e}",
                self.control
            )
        });
        url.set_path(path);
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        url
    }
}

/// GETs an XRPC query, with an optional Bearer token; `Ok` holds the JSON body.
pub async fn xrpc_get(
    base: &str,
    nsid: &str,
    params: &[(&str, &str)],
    bearer: Option<&str>,
) -> Result<Value, XrpcError> {
    let mut url = xrpc_url(base, nsid);
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    let mut request = http().get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    xrpc_send(request, nsid).await
}

/// POSTs an XRPC procedure (`Value::Null` sends no body); `Ok` holds the JSON body or `Null`.
pub async fn xrpc_post(
    base: &str,
    nsid: &str,
    body: &Value,
    bearer: Option<&str>,
) -> Result<Value, XrpcError> {
    let mut request = http().post(xrpc_url(base, nsid));
    if !body.is_null() {
        request = request.json(body);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    xrpc_send(request, nsid).await
}

fn xrpc_url(base: &str, nsid: &str) -> Url {
    let mut url = Url::parse(base).unwrap_or_else(|e| panic!("bad service URL {base:?}: {e}"));
    url.set_path(&format!("/xrpc/{nsid}"));
    url
}

async fn xrpc_send(request: reqwest::RequestBuilder, nsid: &str) -> Result<Value, XrpcError> {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{nsid}: the server is unreachable: {e}"));
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{nsid}: reading the answer failed: {e}"));
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({ "message": String::from_utf8_lossy(&bytes) }))
    };
    if (200..300).contains(&status) {
        return Ok(body);
    }
    Err(XrpcError {
        status,
        error: body["error"].as_str().unwrap_or("").to_owned(),
        message: body["message"].as_str().unwrap_or("").to_owned(),
    })
}

// A new client per call: each #[tokio::test] has its own runtime, and pooled
// connections must not outlive the runtime that opened them.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .expect("an HTTP client with default TLS settings can be built")
}

async fn json_of<T: serde::de::DeserializeOwned>(response: reqwest::Response, what: &str) -> T {
    let status = response.status();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("{what}: reading the control server's answer failed: {e}"));
    if !status.is_success() {
        panic!("{what}: the control server answered {status}: {text}");
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what}: unexpected answer {text:?}: {e}"))
}

fn field(out: &Value, name: &str, nsid: &str) -> String {
    out[name]
        .as_str()
        .unwrap_or_else(|| panic!("{nsid} answered without {name}: {out}"))
        .to_owned()
}

/// A handle label unique across the test processes sharing one network:
/// `t` + 8 random base-36 chars + a per-process counter (3–18 chars, as the PDS requires).
fn unique_label() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "t{}{}",
        base36(random_u64() % 36u64.pow(8), 8),
        base36(u64::from(n), 1)
    )
}

fn random_u64() -> u64 {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // RandomState is seeded randomly; mixing in pid, time and a counter keeps values distinct.
    RandomState::new().hash_one((
        std::process::id(),
        nanos,
        CALLS.fetch_add(1, Ordering::Relaxed),
    ))
}

/// `value` in base 36, zero-padded to at least `min_len` digits.
fn base36(mut value: u64, min_len: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while value > 0 || out.len() < min_len {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("base-36 digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fit_the_pds_limits_and_differ() {
        let a = unique_label();
        let b = unique_label();
        assert_ne!(a, b);
        for label in [a, b] {
            assert!((3..=18).contains(&label.len()), "{label}");
            assert!(
                label
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{label}"
            );
        }
    }

    #[test]
    fn parses_the_announced_json_line() {
        let line = r#"{"plc":"http://localhost:1","resolver":"http://127.0.0.1:2","control":"http://127.0.0.1:3","pds":[{"url":"http://localhost:4","did":"did:web:localhost%3A4","domain":".test","adminPassword":"a"},{"url":"http://localhost:5","did":"did:web:localhost%3A5","domain":".pds2.test","adminPassword":"b"}]}"#;
        let network = Network::from_json(line).expect("the sample line parses");
        assert_eq!(network.pds2().domain, ".pds2.test");
        assert_eq!(network.pds1().admin_password, "a");
        assert_eq!(
            network.env()[1],
            (
                "STRATOS_HANDLE_RESOLVER".into(),
                "http://127.0.0.1:2".into()
            )
        );
    }
}
