//! Devices and apps signed in to an account: list them and sign them out, through the reference
//! PDS's account-manager API (`<issuer>/@atproto/oauth-provider/~api`, DESIGN.md §4).
//!
//! There is no XRPC for this: the PDS's own `/account` page uses a private JSON API behind a
//! browser-style sign-in (device cookies plus a double-submit CSRF token). Stratos speaks it
//! natively so a person can see "which browsers and apps can act as me" and cut one off without
//! leaving the app. The API belongs to the provider's UI and other PDS software lacks it, so
//! every failure that looks like "no such API" becomes [`DevicesError::Unsupported`], whose hint
//! sends the person to the `/account` page in their browser instead.
//!
//! Signing in to this API creates a "device" on the server; its cookies are as good as a session,
//! so they are kept in the keychain under `<did>#account-manager` (never in the state file, never
//! logged) and reused until the server rejects them ([`DevicesError::SignInNeeded`]).

pub mod logo;
pub mod watch;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::base::problem::{Explain, Problem};
use crate::store::keychain::{KeychainError, Slot};
use crate::store::state::AuthKind;

/// Where the account-manager API lives below the issuer.
const API_PREFIX: &str = "@atproto/oauth-provider/~api";

/// One browser or device signed in to the account on its server (the PDS's "devices" list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The server's id of the device; what [`revoke_device`] takes.
    pub device_id: String,
    /// The browser or program, as its user agent said.
    pub user_agent: Option<String>,
    /// The address it was last seen from.
    pub ip_address: Option<String>,
    /// When it was last seen (RFC 3339).
    pub last_seen_at: Option<String>,
    /// Whether this is Stratos's own sign-in to the account-manager API.
    pub is_current: bool,
}

/// One app (OAuth client) holding a grant to the account (the PDS's "apps with access" list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// The server's id of the grant; what [`revoke_app`] takes.
    pub token_id: String,
    /// The app's OAuth client id (a URL).
    pub client_id: String,
    /// The app's name from its metadata, when the server could load it.
    pub client_name: Option<String>,
    /// The app's home page, when published.
    pub client_uri: Option<String>,
    /// The app's logo, when published.
    pub logo_uri: Option<String>,
    /// That logo as a `data:` URL the UI can show (see [`crate::devices::logo`]), when it could be
    /// fetched.
    #[serde(default)]
    pub logo: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: Option<String>,
    /// When the grant was made (RFC 3339).
    pub created_at: Option<String>,
    /// When the app last refreshed its tokens (RFC 3339).
    pub updated_at: Option<String>,
    /// Whether its current access token is still unexpired.
    pub active: bool,
}

/// A development (loopback) OAuth client id: how Stratos's built-in client appears in the list.
static LOOPBACK_CLIENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)^http://(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/?#]|$)")
        .expect("a valid pattern")
});

/// "Stratos" as a word in an app's name (ASCII word boundaries, as people write it).
static NAMED_STRATOS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)(?-u:\b)stratos(?-u:\b)").expect("a valid pattern")
});

impl App {
    /// Whether this grant is Stratos's own browser sign-in, so the window can warn that revoking
    /// it signs Stratos out: an app named Stratos, or, on an account Stratos signed in to through
    /// the browser (`account`), an unnamed loopback client (the built-in client publishes no
    /// name).
    pub fn is_stratos(&self, account: AuthKind) -> bool {
        let name = self.client_name.as_deref().unwrap_or("");
        NAMED_STRATOS.is_match(name)
            || (account == AuthKind::Oauth
                && name.is_empty()
                && LOOPBACK_CLIENT.is_match(&self.client_id))
    }
}

/// Why a devices/apps operation failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum DevicesError {
    /// Stratos has no (or no longer a valid) sign-in to the account-manager API.
    #[error("sign in with the account password to see and manage devices and apps")]
    SignInNeeded,
    /// The PDS has no account-manager API Stratos understands.
    #[error(
        "this server does not let Stratos manage devices and apps; use its account page {account_page}"
    )]
    Unsupported {
        /// The page to open in the browser instead.
        account_page: String,
    },
    /// The password (or identifier) was refused.
    #[error("wrong password")]
    WrongPassword,
    /// The server wants an emailed code as a second factor.
    #[error("the server emailed a sign-in code; enter it to finish signing in")]
    CodeNeeded,
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// No listed device or app has this id (the server would silently accept it).
    #[error("there is no {kind} with the id {id:?}")]
    NotFound {
        /// "device" or "app".
        kind: &'static str,
        /// The id given.
        id: String,
    },
    /// The server refused the request for another reason.
    #[error("{service} refused: {message}")]
    Refused {
        /// The server.
        service: String,
        /// Its explanation (error code and description).
        message: String,
    },
    /// The server could not be reached or did not answer in time.
    #[error("could not reach {service}: {detail}")]
    Unreachable {
        /// The server.
        service: String,
        /// What failed.
        detail: String,
    },
    /// The stored device cookies could not be read or written.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The account is not signed in to Stratos, or its record is unusable.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl Explain for DevicesError {
    fn explain(&self) -> Problem {
        let problem = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            DevicesError::SignInNeeded => problem(
                "devices_sign_in_needed",
                Some(
                    "Enter the account password (not an app password); Stratos then remembers this device in the keychain.",
                ),
            ),
            DevicesError::Unsupported { account_page } => problem(
                "devices_unsupported",
                Some(&format!(
                    "Open {account_page} in your browser to see and sign out devices and apps."
                )),
            ),
            DevicesError::WrongPassword => problem(
                "devices_wrong_password",
                Some(
                    "Use the account password, not an app password. Passwords are case-sensitive.",
                ),
            ),
            DevicesError::CodeNeeded => problem(
                "devices_code_needed",
                Some("Check your inbox and enter the code with the password again."),
            ),
            DevicesError::EmptyPassword => problem("empty_field", None),
            DevicesError::NotFound { .. } => problem(
                "devices_not_found",
                Some("List the devices or apps to see their exact ids."),
            ),
            DevicesError::Refused { .. } => problem("pds_refused", None),
            DevicesError::Unreachable { .. } => problem(
                "pds_unreachable",
                Some("Check your internet connection; the server may be down."),
            ),
            DevicesError::Keychain(e) => e.explain(),
            DevicesError::Accounts(e) => e.explain(),
        }
    }
}

/// What is kept in the keychain: the issuer the cookies belong to and the cookies themselves.
///
/// Cookies are kept in this small map rather than a reqwest cookie jar: the server sets only a
/// few (`dev-id`, `ses-id`, `csrf-token`, maybe their signatures), they must be persisted to the
/// keychain anyway, and enabling reqwest's `cookies` feature would rebuild reqwest for the whole
/// workspace (app included) for no gain. The server marks them `Secure`, which a browser would
/// refuse on `http://localhost`; sending them ourselves keeps the local test network working.
#[derive(Clone, Default, Serialize, Deserialize)]
struct Stored {
    issuer: String,
    cookies: BTreeMap<String, String>,
}

/// A client for one account's account-manager API, with its device cookies.
struct Client {
    http: reqwest::Client,
    issuer: Url,
    cookies: BTreeMap<String, String>,
}

/// `<issuer>/account`, the page to fall back to.
fn account_page(issuer: &Url) -> String {
    format!("{}/account", issuer.as_str().trim_end_matches('/'))
}

fn service(url: &Url) -> String {
    crate::net::xrpc::service_name(url)
}

fn unreachable(url: &Url, e: reqwest::Error) -> DevicesError {
    DevicesError::Unreachable {
        service: service(url),
        detail: if e.is_timeout() {
            "timed out".into()
        } else {
            e.without_url().to_string()
        },
    }
}

/// Finds the account manager (authorization server) of a PDS, from its
/// `/.well-known/oauth-protected-resource`. A PDS without one cannot have the API, so that is
/// [`DevicesError::Unsupported`] pointing at `<pds>/account`.
pub async fn issuer(accounts: &Accounts, pds_url: &str) -> Result<Url, DevicesError> {
    let pds = Url::parse(pds_url).map_err(|_| {
        AccountsError::BadInput(crate::base::identifier::ParseError::BadServerUrl {
            input: pds_url.to_owned(),
        })
    })?;
    let unsupported = || DevicesError::Unsupported {
        account_page: account_page(&pds),
    };
    let url = pds
        .join("/.well-known/oauth-protected-resource")
        .map_err(|_| unsupported())?;
    let resp = accounts
        .context()
        .xrpc()
        .http()
        .get(url)
        .send()
        .await
        .map_err(|e| unreachable(&pds, e))?;
    if !resp.status().is_success() {
        return Err(unsupported());
    }
    let doc: Value = resp.json().await.map_err(|_| unsupported())?;
    let issuer = doc["authorization_servers"][0]
        .as_str()
        .and_then(|s| Url::parse(s).ok())
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(unsupported)?;
    Ok(issuer)
}

impl Client {
    fn endpoint(&self, path: &str) -> Url {
        let base = self.issuer.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{API_PREFIX}/{path}")).expect("issuer URL plus a fixed path")
    }

    fn unsupported(&self) -> DevicesError {
        DevicesError::Unsupported {
            account_page: account_page(&self.issuer),
        }
    }

    /// The CSRF token: the one the server last set, else a fresh 24-hex value (double submit).
    fn csrf(&mut self) -> String {
        if let Some(t) = self.cookies.get("csrf-token").filter(|t| t.len() == 24) {
            return t.clone();
        }
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.cookies.insert("csrf-token".into(), token.clone());
        token
    }

    /// Sends one API request the way the provider's own page does; returns status and JSON body.
    async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), DevicesError> {
        let csrf = self.csrf();
        let origin = self.issuer.origin().ascii_serialization();
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = self
            .http
            .request(method, self.endpoint(path))
            .query(query)
            .header("sec-fetch-mode", "same-origin")
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-dest", "empty")
            .header("referer", account_page(&self.issuer))
            .header("origin", origin)
            .header("x-csrf-token", csrf)
            .header("cookie", cookie)
            .header("accept", "application/json");
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| unreachable(&self.issuer, e))?;
        let status = resp.status().as_u16();
        for value in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, val)) = pair.split_once('=') {
                let (name, val) = (name.trim(), val.trim());
                if val.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), val.to_owned());
                }
            }
        }
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        // An API the server does not have: a 404/405, an HTML page, or anything but JSON.
        if matches!(status, 404 | 405) || !is_json {
            return Err(self.unsupported());
        }
        let json: Value = resp.json().await.map_err(|_| self.unsupported())?;
        Ok((status, json))
    }

    /// Like [`Client::send`], turning failures into [`DevicesError`]s for a signed-in operation.
    async fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, DevicesError> {
        let (status, json) = self.send(method, path, query, body).await?;
        match status {
            200..=299 => Ok(json),
            401 | 403 => Err(DevicesError::SignInNeeded),
            _ => Err(self.refused(&json)),
        }
    }

    fn refused(&self, json: &Value) -> DevicesError {
        let error = json["error"].as_str().unwrap_or("error");
        let description = json["error_description"].as_str().unwrap_or("");
        DevicesError::Refused {
            service: service(&self.issuer),
            message: if description.is_empty() {
                error.to_owned()
            } else {
                format!("{description} ({error})")
            },
        }
    }
}

/// The account's record, its issuer and the stored device cookies (if any).
async fn client(accounts: &Accounts, did: &str) -> Result<(String, Client, bool), DevicesError> {
    let record = accounts.find(Some(did))?;
    let issuer = issuer(accounts, &record.pds_url).await?;
    let store = accounts.context().secrets();
    let key = Slot::AccountManager(&record.did).name();
    let stored = tokio::task::spawn_blocking(move || store.get(&key))
        .await
        .expect("keychain reader does not panic")?;
    let stored: Option<Stored> = stored.and_then(|s| serde_json::from_str(&s).ok());
    let (cookies, signed_in) = match stored {
        Some(s) if s.issuer == issuer.as_str() && s.cookies.contains_key("dev-id") => {
            (s.cookies, true)
        }
        _ => (BTreeMap::new(), false),
    };
    Ok((
        record.did,
        Client {
            http: accounts.context().xrpc().http().clone(),
            issuer,
            cookies,
        },
        signed_in,
    ))
}

/// Writes the (possibly rotated) device cookies back to the keychain.
async fn save(accounts: &Accounts, did: &str, client: &Client) -> Result<(), DevicesError> {
    let stored = Stored {
        issuer: client.issuer.as_str().to_owned(),
        cookies: client.cookies.clone(),
    };
    let secret = serde_json::to_string(&stored).expect("a map of strings serialises");
    let store = accounts.context().secrets();
    let key = Slot::AccountManager(did).name();
    tokio::task::spawn_blocking(move || store.set(&key, &secret))
        .await
        .expect("keychain writer does not panic")?;
    Ok(())
}

/// Runs `op` with the stored sign-in, saving rotated cookies afterwards.
async fn with_client<T>(
    accounts: &Accounts,
    did: &str,
    op: impl AsyncFnOnce(&mut Client, &str) -> Result<T, DevicesError>,
) -> Result<T, DevicesError> {
    let (did, mut client, signed_in) = client(accounts, did).await?;
    if !signed_in {
        return Err(DevicesError::SignInNeeded);
    }
    let result = op(&mut client, &did).await;
    match &result {
        Err(DevicesError::SignInNeeded) => forget(accounts, &did).await?,
        _ => save(accounts, &did, &client).await?,
    }
    result
}

/// Signs in to the account-manager API with the account password (and the emailed code when the
/// server asked for one), remembering this device in the keychain so later calls need no password.
///
/// The password is sent once and never stored or logged.
pub async fn sign_in(
    accounts: &Accounts,
    did: &str,
    password: &str,
    email_otp: Option<&str>,
) -> Result<(), DevicesError> {
    if password.is_empty() {
        return Err(DevicesError::EmptyPassword);
    }
    let (did, mut client, _) = client(accounts, did).await?;
    // A fresh device every time: old cookies of a revoked device would only confuse the server.
    client.cookies.clear();
    let mut body =
        json!({ "locale": "en", "username": did, "password": password, "remember": true });
    // Only sent when given: the reference PDS rejects any `emailOtp` it did not ask for.
    if let Some(code) = email_otp.map(str::trim).filter(|c| !c.is_empty()) {
        body["emailOtp"] = code.into();
    }
    let (status, json) = client
        .send(reqwest::Method::POST, "sign-in", &[], Some(&body))
        .await?;
    let error = json["error"].as_str().unwrap_or("");
    let description = json["error_description"].as_str().unwrap_or("");
    match status {
        200..=299 if json["account"].is_object() => {}
        200..=299 => return Err(client.unsupported()),
        _ if error == "second_authentication_factor_required" => {
            return Err(DevicesError::CodeNeeded);
        }
        _ if description.contains("Invalid identifier or password")
            || error == "invalid_credentials" =>
        {
            return Err(DevicesError::WrongPassword);
        }
        401 if email_otp.is_some() => return Err(DevicesError::WrongPassword),
        _ => return Err(client.refused(&json)),
    }
    if json["account"]["sub"]
        .as_str()
        .is_some_and(|sub| sub != did)
    {
        return Err(AccountsError::AccountMismatch {
            expected: did,
            got: json["account"]["sub"].as_str().unwrap_or("").to_owned(),
        }
        .into());
    }
    save(accounts, &did, &client).await?;
    log::info!("signed in to the account manager of {did}");
    Ok(())
}

/// Right after a password sign-in without an emailed code, signs in to the account-manager API
/// with the same password (once: not when this device is already remembered), so that Devices &
/// apps lists at once instead of asking for the password the person just typed. Best effort: a
/// server without that API, or one that wants an emailed code for it, is left to the Devices tab,
/// which asks then. The password is not kept.
pub async fn sign_in_after_login(
    accounts: &Accounts,
    did: &str,
    password: &str,
    used_emailed_code: bool,
) {
    // Its sign-in would email a second code, which would only surprise the person.
    if used_emailed_code {
        return;
    }
    match client(accounts, did).await {
        Ok((_, _, true)) => return,
        Ok(_) => {}
        Err(e) => {
            log::info!(
                "{did}: not signing in to the account page now ({})",
                e.explain().code
            );
            return;
        }
    }
    match sign_in(accounts, did, password, None).await {
        Ok(()) => {}
        Err(e) => log::info!(
            "{did}: Devices & apps will ask for the password ({})",
            e.explain().code
        ),
    }
}

/// Forgets Stratos's device sign-in for the account (deletes its cookies from the keychain); the
/// next list asks for the password again.
pub async fn forget(accounts: &Accounts, did: &str) -> Result<(), DevicesError> {
    let store = accounts.context().secrets();
    let key = Slot::AccountManager(did).name();
    tokio::task::spawn_blocking(move || store.delete(&key))
        .await
        .expect("keychain does not panic")?;
    Ok(())
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// The devices (browsers, Stratos itself) signed in to the account on its server.
pub async fn devices(accounts: &Accounts, did: &str) -> Result<Vec<Device>, DevicesError> {
    with_client(accounts, did, async |c: &mut Client, did: &str| {
        c.devices(did).await
    })
    .await
}

/// Signs a device out of the account: the browser there must sign in again to use the account.
///
/// The server accepts any id without complaint, so an id that is not listed is an error here.
pub async fn revoke_device(
    accounts: &Accounts,
    did: &str,
    device_id: &str,
) -> Result<(), DevicesError> {
    let device_id = device_id.trim().to_owned();
    with_client(accounts, did, async |c: &mut Client, did: &str| {
        if !c
            .devices(did)
            .await?
            .iter()
            .any(|d| d.device_id == device_id)
        {
            return Err(DevicesError::NotFound {
                kind: "device",
                id: device_id.clone(),
            });
        }
        let body = json!({ "did": did, "deviceId": device_id });
        c.call(
            reqwest::Method::POST,
            "revoke-account-session",
            &[],
            Some(&body),
        )
        .await?;
        log::info!("signed device {device_id} out of {did}");
        Ok(())
    })
    .await
}

/// The apps (OAuth clients) that hold a grant to the account.
pub async fn apps(accounts: &Accounts, did: &str) -> Result<Vec<App>, DevicesError> {
    let mut apps = with_client(accounts, did, async |c: &mut Client, did: &str| {
        c.apps(did).await
    })
    .await?;
    let http = accounts.context().xrpc().http();
    let logos = futures::future::join_all(apps.iter().map(|a| async {
        match &a.logo_uri {
            Some(uri) => crate::devices::logo::data_url(http, uri).await,
            None => None,
        }
    }))
    .await;
    for (app, logo) in apps.iter_mut().zip(logos) {
        app.logo = logo;
    }
    Ok(apps)
}

/// Revokes an app's grant: its tokens stop working at once and it must ask again.
pub async fn revoke_app(
    accounts: &Accounts,
    did: &str,
    token_id: &str,
) -> Result<(), DevicesError> {
    let token_id = token_id.trim().to_owned();
    with_client(accounts, did, async |c: &mut Client, did: &str| {
        if !c.apps(did).await?.iter().any(|a| a.token_id == token_id) {
            return Err(DevicesError::NotFound {
                kind: "app",
                id: token_id.clone(),
            });
        }
        let body = json!({ "did": did, "tokenId": token_id });
        c.call(
            reqwest::Method::POST,
            "revoke-oauth-session",
            &[],
            Some(&body),
        )
        .await?;
        log::info!("revoked app grant {token_id} of {did}");
        Ok(())
    })
    .await
}

impl Client {
    async fn devices(&mut self, did: &str) -> Result<Vec<Device>, DevicesError> {
        let json = self
            .call(
                reqwest::Method::GET,
                "account-sessions",
                &[("did", did)],
                None,
            )
            .await?;
        let list = json.as_array().ok_or_else(|| self.unsupported())?;
        Ok(list
            .iter()
            .filter_map(|d| {
                Some(Device {
                    device_id: string(&d["deviceId"])?,
                    user_agent: string(&d["deviceMetadata"]["userAgent"]),
                    ip_address: string(&d["deviceMetadata"]["ipAddress"]),
                    last_seen_at: string(&d["deviceMetadata"]["lastSeenAt"]),
                    is_current: d["isCurrentDevice"].as_bool().unwrap_or(false),
                })
            })
            .collect())
    }

    async fn apps(&mut self, did: &str) -> Result<Vec<App>, DevicesError> {
        let json = self
            .call(
                reqwest::Method::GET,
                "oauth-sessions",
                &[("did", did)],
                None,
            )
            .await?;
        let list = json.as_array().ok_or_else(|| self.unsupported())?;
        Ok(list
            .iter()
            .filter_map(|a| {
                // Absent when the server could not load the app's metadata.
                let meta = &a["clientMetadata"];
                Some(App {
                    token_id: string(&a["tokenId"])?,
                    client_id: string(&a["clientId"])?,
                    client_name: string(&meta["client_name"]),
                    client_uri: string(&meta["client_uri"]),
                    logo_uri: string(&meta["logo_uri"]),
                    logo: None,
                    scope: string(&a["scope"]),
                    created_at: string(&a["createdAt"]),
                    updated_at: string(&a["updatedAt"]),
                    active: a["active"].as_bool().unwrap_or(false),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(client_id: &str, client_name: Option<&str>) -> App {
        App {
            token_id: "t".into(),
            client_id: client_id.into(),
            client_name: client_name.map(str::to_owned),
            client_uri: None,
            logo_uri: None,
            logo: None,
            scope: None,
            created_at: None,
            updated_at: None,
            active: true,
        }
    }

    #[test]
    fn stratos_knows_its_own_grant() {
        let loopback = "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%2Foauth%2Fcallback";
        let hosted = "https://app.example.com/client-metadata.json";
        // Named Stratos: on any account.
        assert!(app(hosted, Some("Stratos")).is_stratos(AuthKind::Password));
        assert!(app(hosted, Some("my STRATOS (dev)")).is_stratos(AuthKind::Password));
        assert!(!app(hosted, Some("Stratosphere")).is_stratos(AuthKind::Oauth));
        assert!(!app(hosted, Some("Bluesky")).is_stratos(AuthKind::Oauth));
        // An unnamed loopback client: only where Stratos signed in through the browser.
        assert!(app(loopback, None).is_stratos(AuthKind::Oauth));
        assert!(app(loopback, Some("")).is_stratos(AuthKind::Oauth));
        assert!(app("HTTP://127.0.0.1:8080/x", None).is_stratos(AuthKind::Oauth));
        assert!(app("http://[::1]", None).is_stratos(AuthKind::Oauth));
        assert!(!app(loopback, None).is_stratos(AuthKind::Password));
        assert!(!app(loopback, Some("Other tool")).is_stratos(AuthKind::Oauth));
        assert!(!app("http://localhost.example.com/", None).is_stratos(AuthKind::Oauth));
        assert!(!app(hosted, None).is_stratos(AuthKind::Oauth));
    }
}
