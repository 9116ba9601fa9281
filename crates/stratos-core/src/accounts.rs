//! The signed-in accounts: sign in, sign out, list, check, and keep each one's state current.
//!
//! This is the facade the app and the CLI call. It ties identity resolution, sessions, the
//! keychain and the state file together so both front ends behave identically.

use std::sync::Arc;

use chrono::Utc;
use jacquard_api::com_atproto::server::check_account_status::CheckAccountStatus;
use jacquard_api::com_atproto::server::get_session::GetSession;
use serde::Serialize;
use url::Url;

use crate::auth::oauth::{OAuthError, Started};
use crate::auth::session::oauth::OAuthSecrets;
use crate::auth::session::{AccountSession, PasswordLogin, SessionError, StoredSecrets, password};
use crate::auth::sessions::Sessions;
use crate::auth::sign_ins::SignIns;
use crate::auth::step_up::StepUp;
use crate::base::health::Health;
use crate::base::identifier::{Identifier, ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::config::oauth_client::{Access, ClientKind, Redirect, RedirectChoice};
use crate::config::{Config, ConfigError};
use crate::context::Context;
use crate::identity::IdentityError;
use crate::net::xrpc::XrpcError;
use crate::status::{self, AccountStatus};
use crate::store::keychain::{KeychainError, OsKeychain, SecretStore};
use crate::store::state::{AccountRecord, AuthKind, OAuthInfo, Settings, State, StateError};

/// What a person typed to sign in with a password.
#[derive(Clone, Default)]
pub struct LoginRequest {
    /// Handle, DID or email address.
    pub identifier: String,
    /// The account password (never an app password: account management needs the real one).
    pub password: String,
    /// The code emailed by the PDS when email 2FA is on.
    pub auth_factor_token: Option<String>,
    /// The PDS to use instead of the one in the DID document (accounts mid-migration, emails).
    pub pds_host: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("identifier", &self.identifier)
            .field("password", &"<redacted>")
            .field(
                "auth_factor_token",
                &self.auth_factor_token.as_ref().map(|_| "<redacted>"),
            )
            .field("pds_host", &self.pds_host)
            .finish()
    }
}

/// Why an account operation failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// A required field was left empty.
    #[error("the {field} is empty")]
    EmptyField {
        /// The field, in the user's words.
        field: &'static str,
    },
    /// Something typed could not be parsed.
    #[error(transparent)]
    BadInput(#[from] ParseError),
    /// The account's identity could not be resolved.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The PDS emailed a sign-in code that must be entered to finish signing in.
    #[error("the server emailed a sign-in code; enter it to finish signing in")]
    AuthFactorRequired,
    /// The emailed sign-in code was wrong or expired.
    #[error("the sign-in code is wrong or has expired")]
    WrongAuthFactor,
    /// The identifier or password was refused.
    #[error("wrong handle or password")]
    WrongPassword,
    /// The server signed in a different account than the one that was resolved.
    #[error("the server signed in {got}, but {expected} was asked for")]
    AccountMismatch {
        /// The DID resolved from what was typed.
        expected: String,
        /// The DID the server returned.
        got: String,
    },
    /// No signed-in account matches.
    #[error("{id} is not signed in to Stratos")]
    NotSignedIn {
        /// What was asked for.
        id: String,
    },
    /// No account was named and there is no single obvious one.
    #[error("{}", if *signed_in == 0 { "no account is signed in to Stratos".to_owned() } else { format!("{signed_in} accounts are signed in and none is selected; say which one") })]
    NoAccountChosen {
        /// How many accounts are signed in.
        signed_in: usize,
    },
    /// A session-level failure (expired, revoked, transport).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A request failed before any session existed.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The keychain failed.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The state file failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The environment configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operation needs the account password (browser sign-in cannot do it on this PDS).
    #[error("this needs your account password: browser sign-in cannot do it on this server")]
    PasswordNeeded,
    /// A browser sign-in failed.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// The result of `check-auth`: the session works and this is what the server says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthCheck {
    /// The account's DID.
    pub did: String,
    /// Its handle per the session.
    pub handle: String,
    /// The PDS.
    pub pds_url: String,
    /// Email address, if the session may see it.
    pub email: Option<String>,
    /// Whether the account is active.
    pub active: bool,
    /// The inactive status, if any.
    pub status: Option<String>,
    /// `checkAccountStatus`: activated.
    pub activated: bool,
    /// `checkAccountStatus`: the DID document points here.
    pub valid_did: bool,
    /// `checkAccountStatus`: the repository revision.
    pub repo_rev: String,
    /// `checkAccountStatus`: blocks in the repository.
    pub repo_blocks: i64,
    /// `checkAccountStatus`: records indexed.
    pub indexed_records: i64,
    /// `checkAccountStatus`: blobs referenced by records.
    pub expected_blobs: i64,
    /// `checkAccountStatus`: blobs present.
    pub imported_blobs: i64,
}

/// Whether sign-out also reached the server.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutOutcome {
    /// The account signed out.
    pub did: String,
    /// True when the server revoked the session; false when it could not be reached.
    pub revoked_on_server: bool,
    /// Why the server was not told, when it was not.
    pub server_error: Option<String>,
}

/// All signed-in accounts: the facade the app and the CLI call. It composes the three parts an
/// account is reached through — the shared services ([`Context`]), the live sessions and
/// step-ups ([`Sessions`]) and the browser sign-ins in progress ([`SignIns`]) — and owns what
/// ties them to the account list: signing in and out, finding, checking and selecting accounts.
pub struct Accounts {
    ctx: Context,
    sessions: Sessions,
    sign_ins: SignIns,
}

impl Accounts {
    /// Opens the state file named by `config`, and its keychain service (reached on first use).
    pub fn open(config: Config) -> Result<Self, AccountsError> {
        let keychain = OsKeychain::open(&config.keyring_service)?;
        Ok(Self::with_store(config, Arc::new(keychain)))
    }

    /// Like [`Accounts::open`] with an explicit secret store.
    pub fn with_store(config: Config, secrets: Arc<dyn SecretStore>) -> Self {
        let ctx = Context::new(config, secrets);
        let sessions = Sessions::new(ctx.clone());
        let sign_ins = SignIns::new(ctx.clone(), sessions.net());
        Self {
            ctx,
            sessions,
            sign_ins,
        }
    }

    /// The shared services (configuration, transport, resolver, keychain, state file), for
    /// features that need them beyond a session.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The live sessions and step-ups, for features that make or drop sessions themselves (a
    /// migration's target account).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Reads the account list, selection and settings.
    pub fn state(&self) -> Result<State, AccountsError> {
        Ok(self.ctx.state()?)
    }

    /// Finds a signed-in account by DID or handle; with `None`, the selected (or only) account.
    pub fn find(&self, id: Option<&str>) -> Result<AccountRecord, AccountsError> {
        let state = self.ctx.state()?;
        let found = match id {
            Some(id) => state.find(id),
            None => state.selected.as_deref().and_then(|d| state.find(d)).or(
                if state.accounts.len() == 1 {
                    state.accounts.first()
                } else {
                    None
                },
            ),
        };
        found.cloned().ok_or_else(|| match id {
            Some(id) => AccountsError::NotSignedIn { id: id.to_owned() },
            None => AccountsError::NoAccountChosen {
                signed_in: state.accounts.len(),
            },
        })
    }

    /// Signs in with a password and remembers the account; the new account becomes selected.
    pub async fn login_password(&self, req: LoginRequest) -> Result<AccountRecord, AccountsError> {
        if req.identifier.trim().is_empty() {
            return Err(AccountsError::EmptyField {
                field: "handle, DID or email",
            });
        }
        if req.password.is_empty() {
            return Err(AccountsError::EmptyField { field: "password" });
        }
        let identifier: Identifier = req.identifier.parse()?;
        let token = req
            .auth_factor_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let pds_override = match req
            .pds_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            Some(h) => Some(parse_service_url(h)?),
            None => None,
        };
        let (expected_did, pds) = match (&identifier, pds_override) {
            (Identifier::Email(_), Some(pds)) => (None, pds),
            (Identifier::Email(_), None) => return Err(IdentityError::EmailNeedsPds.into()),
            (_, Some(pds)) => (self.resolve_did(&identifier).await.ok(), pds),
            (_, None) => {
                let resolved = self.ctx.resolver().resolve(&identifier).await?;
                let pds = resolved.pds.ok_or_else(|| IdentityError::NoPdsInDocument {
                    did: resolved.did.as_str().to_owned(),
                })?;
                (Some(resolved.did.as_str().to_owned()), pds)
            }
        };
        log::info!(
            "signing in {identifier} on {}",
            crate::net::xrpc::service_name(&pds)
        );
        let login = password::create_session(
            self.ctx.xrpc(),
            &pds,
            &identifier.to_string(),
            &req.password,
            token,
        )
        .await
        .map_err(|e| login_error(e, token.is_some()))?;
        if let Some(expected) = expected_did
            && expected != login.did
        {
            return Err(AccountsError::AccountMismatch {
                expected,
                got: login.did,
            });
        }
        self.remember(login, pds).await
    }

    async fn resolve_did(&self, id: &Identifier) -> Result<String, IdentityError> {
        match id {
            Identifier::Did(d) => Ok(d.as_str().to_owned()),
            Identifier::Handle(h) => Ok(self
                .ctx
                .resolver()
                .resolve_handle(h)
                .await?
                .as_str()
                .to_owned()),
            Identifier::Email(_) => Err(IdentityError::EmailNeedsPds),
        }
    }

    async fn remember(
        &self,
        login: PasswordLogin,
        pds: Url,
    ) -> Result<AccountRecord, AccountsError> {
        let record = AccountRecord {
            did: login.did.clone(),
            handle: login.handle,
            pds_url: pds.as_str().trim_end_matches('/').to_owned(),
            auth_kind: AuthKind::Password,
            added_at: Utc::now(),
            health: Some(Health::from_account_status(
                login.active,
                login.status.as_deref(),
            )),
            checked_at: Some(Utc::now()),
            oauth: None,
            email_confirmed: None,
            identity: None,
            last_backup_at: None,
        };
        self.keep(record, StoredSecrets::Password(login.secrets))
            .await
    }

    /// Saves secrets to the keychain, then the record to the state file, and selects it.
    async fn keep(
        &self,
        record: AccountRecord,
        secrets: StoredSecrets,
    ) -> Result<AccountRecord, AccountsError> {
        self.sessions.save(&record.did, secrets).await?;
        let kept = record.clone();
        self.ctx.state_file().update(move |s| {
            s.accounts.retain(|a| a.did != kept.did);
            s.accounts.push(kept.clone());
            s.selected = Some(kept.did);
        })?;
        log::info!("signed in {} ({})", record.handle, record.did);
        Ok(record)
    }

    /// The live session of a signed-in account, restored from the keychain on first use.
    pub async fn session(&self, did: &str) -> Result<Arc<AccountSession>, AccountsError> {
        let record = self.find(Some(did))?;
        let pds = Url::parse(&record.pds_url).map_err(|_| ParseError::BadServerUrl {
            input: record.pds_url.clone(),
        })?;
        Ok(self.sessions.get(&record.did, pds).await?)
    }

    /// Signs out: revokes the session on the server, then deletes the local secrets and record.
    ///
    /// When the server cannot be reached the local sign-out still happens, and the outcome says
    /// so, because keeping a person signed in against their will is worse.
    pub async fn logout(&self, id: Option<&str>) -> Result<LogoutOutcome, AccountsError> {
        let record = self.find(id)?;
        let (revoked_on_server, server_error) = match self.session(&record.did).await {
            Ok(session) => match session.revoke().await {
                Ok(()) => (true, None),
                Err(e) => {
                    log::warn!(
                        "could not revoke the session of {} on its server: {e}",
                        record.did
                    );
                    (false, Some(e.to_string()))
                }
            },
            Err(AccountsError::Session(SessionError::NotSignedIn { .. })) => {
                (false, Some("no saved session".into()))
            }
            Err(e) => return Err(e),
        };
        // The session and the account-manager device cookies both go.
        self.sessions.delete(&record.did).await?;
        let did = record.did.clone();
        self.ctx.state_file().update(move |s| {
            s.accounts.retain(|a| a.did != did);
            if s.selected.as_deref() == Some(did.as_str()) {
                s.selected = s.accounts.first().map(|a| a.did.clone());
            }
        })?;
        log::info!("signed out {} ({})", record.handle, record.did);
        Ok(LogoutOutcome {
            did: record.did,
            revoked_on_server,
            server_error,
        })
    }

    /// Proves the stored session works: `getSession` plus `checkAccountStatus`.
    pub async fn check_auth(&self, id: Option<&str>) -> Result<AuthCheck, AccountsError> {
        let record = self.find(id)?;
        let session = self.session(&record.did).await?;
        let result = tokio::try_join!(session.call(&GetSession), session.call(&CheckAccountStatus));
        let (s, c) = match result {
            Ok(r) => r,
            Err(e) => {
                self.record_health(&record.did, health_of_error(&e)).await;
                return Err(e.into());
            }
        };
        Ok(AuthCheck {
            did: s.did.as_str().to_owned(),
            handle: s.handle.as_str().to_owned(),
            pds_url: record.pds_url,
            email: s.email.map(|e| e.to_string()),
            active: s.active.unwrap_or(true),
            status: s.status.map(|st| st.as_str().to_owned()),
            activated: c.activated,
            valid_did: c.valid_did,
            repo_rev: c.repo_rev.to_string(),
            repo_blocks: c.repo_blocks,
            indexed_records: c.indexed_records,
            expected_blobs: c.expected_blobs,
            imported_blobs: c.imported_blobs,
        })
    }

    /// The full status report of a signed-in account, recording its health.
    pub async fn status(&self, did: &str) -> Result<AccountStatus, AccountsError> {
        let record = self.find(Some(did))?;
        let result = match self.session(&record.did).await {
            Ok(session) => status::for_session(
                self.ctx.resolver(),
                self.ctx.xrpc(),
                &session,
                record.auth_kind,
            )
            .await
            .map_err(AccountsError::from),
            Err(e) => Err(e),
        };
        match result {
            Ok(report) => {
                self.record_health(&record.did, report.health()).await;
                let handle = report.handle.clone().filter(|h| *h != record.handle);
                let confirmed = report.session.as_ref().map(|s| s.email_confirmed);
                if handle.is_some() || confirmed != record.email_confirmed {
                    let did = record.did.clone();
                    self.ctx.state_file().update(move |s| {
                        for a in s.accounts.iter_mut().filter(|a| a.did == did) {
                            if let Some(h) = &handle {
                                a.handle = h.clone();
                            }
                            a.email_confirmed = confirmed.or(a.email_confirmed);
                        }
                    })?;
                }
                Ok(report)
            }
            Err(AccountsError::Session(e)) => {
                self.record_health(&record.did, health_of_error(&e)).await;
                Err(e.into())
            }
            Err(e) => Err(e),
        }
    }

    /// The public status report of any handle or DID, without signing in.
    pub async fn lookup(&self, identifier: &str) -> Result<AccountStatus, AccountsError> {
        let id: Identifier = identifier.parse()?;
        Ok(status::lookup(self.ctx.resolver(), self.ctx.xrpc(), &id).await?)
    }

    /// Re-checks one account and returns its updated record.
    pub async fn refresh(&self, did: &str) -> Result<AccountRecord, AccountsError> {
        match self.status(did).await {
            Ok(_) | Err(AccountsError::Session(_)) => {}
            Err(e) => return Err(e),
        }
        self.find(Some(did))
    }

    /// Re-checks every account concurrently; per-account failures become their health.
    pub async fn refresh_all(&self) -> Result<State, AccountsError> {
        let state = self.ctx.state()?;
        let checks = state.accounts.iter().map(|a| self.refresh(&a.did));
        for result in futures::future::join_all(checks).await {
            if let Err(e) = result {
                log::warn!("account check failed: {e}");
            }
        }
        self.state()
    }

    /// A session that can do what only a password session can (app passwords, activation, email
    /// change, account deletion). Password accounts use their stored session. OAuth accounts sign
    /// in with `password` (and the emailed code, if asked) for this purpose only: that session is
    /// kept in memory for `settings.step_up_minutes` (0: not kept, asked every time) and never
    /// written to the keychain.
    pub async fn password_session(
        &self,
        did: &str,
        step_up: StepUp<'_>,
    ) -> Result<Arc<AccountSession>, AccountsError> {
        let StepUp {
            password,
            auth_factor_token,
        } = step_up;
        let record = self.find(Some(did))?;
        if record.auth_kind == AuthKind::Password {
            return self.session(&record.did).await;
        }
        if let Some(session) = self.sessions.step_up(&record.did).await {
            return Ok(session);
        }
        let password = password
            .filter(|p| !p.is_empty())
            .ok_or(AccountsError::PasswordNeeded)?;
        let pds = Url::parse(&record.pds_url).map_err(|_| ParseError::BadServerUrl {
            input: record.pds_url.clone(),
        })?;
        let token = auth_factor_token.map(str::trim).filter(|t| !t.is_empty());
        let login = password::create_session(self.ctx.xrpc(), &pds, &record.did, password, token)
            .await
            .map_err(|e| login_error(e, token.is_some()))?;
        if login.did != record.did {
            return Err(AccountsError::AccountMismatch {
                expected: record.did,
                got: login.did,
            });
        }
        let session = Arc::new(AccountSession::in_memory(
            &record.did,
            pds,
            self.ctx.xrpc().clone(),
            login.secrets,
        ));
        self.sessions
            .hold_step_up(&record.did, session.clone())
            .await;
        Ok(session)
    }

    /// Ends a step-up password session early (sign-out, or the person asked).
    pub async fn forget_password_session(&self, did: &str) {
        self.sessions.end_step_up(did).await;
    }

    /// The OAuth client identity in use (loopback development client or a hosted one).
    pub fn oauth_client(&self) -> &ClientKind {
        self.sign_ins.client()
    }

    /// How the browser comes back from a sign-in, for the app and the CLI alike
    /// ([`SignIns::redirect`]).
    pub fn redirect(&self, requested: Option<RedirectChoice>) -> RedirectChoice {
        self.sign_ins.redirect(requested)
    }

    /// Starts a browser sign-in for a handle, DID or server URL, asking for the access chosen in
    /// the settings; the person opens the returned address, and [`Accounts::oauth_finish`] takes
    /// the callback.
    pub async fn oauth_start(
        &self,
        input: &str,
        redirect: Redirect,
    ) -> Result<Started, AccountsError> {
        let access = self.state()?.settings.oauth_access;
        self.oauth_start_with(input, redirect, access).await
    }

    /// Like [`Accounts::oauth_start`] with an explicit access level. Step-up is this with
    /// [`Access::Full`] for an account whose session lacks a right (`oauth_scope_missing`): the
    /// new session replaces the old one.
    pub async fn oauth_start_with(
        &self,
        input: &str,
        redirect: Redirect,
        access: Access,
    ) -> Result<Started, AccountsError> {
        if input.trim().is_empty() {
            return Err(AccountsError::EmptyField {
                field: "handle, DID or server address",
            });
        }
        Ok(self.sign_ins.start(input, redirect, access, false).await?)
    }

    /// Starts creating an account in the browser on the server at `pds_url` (OAuth with
    /// `prompt=create`): for servers whose sign-up needs a captcha or phone verification, which
    /// only their own page can do. [`Accounts::oauth_finish`] then signs in the new account.
    pub async fn oauth_sign_up(
        &self,
        pds_url: &str,
        redirect: Redirect,
    ) -> Result<Started, AccountsError> {
        let server = parse_service_url(pds_url)?;
        let access = self.state()?.settings.oauth_access;
        Ok(self
            .sign_ins
            .start(server.as_str(), redirect, access, true)
            .await?)
    }

    /// Forgets a sign-in in progress (the person pressed Cancel); its callback will be refused.
    pub fn oauth_cancel(&self, state: &str) {
        self.sign_ins.cancel(state);
    }

    /// Completes a browser sign-in from the callback URL (loopback, deep link, or pasted).
    pub async fn oauth_finish(&self, callback_url: &str) -> Result<AccountRecord, AccountsError> {
        let finished = self.sign_ins.finish(callback_url).await?;
        let did = finished.session.account_did.as_str().to_owned();
        let handle = match self
            .ctx
            .resolver()
            .resolve(&Identifier::Did(finished.session.account_did.clone()))
            .await
        {
            Ok(identity) => identity.doc_handle.map(|h| h.as_str().to_owned()),
            Err(e) => {
                log::warn!("signed in {did} but could not resolve its handle: {e}");
                None
            }
        };
        let expires_at = finished
            .session
            .token_set
            .expires_at
            .as_ref()
            .map(|d| *d.as_ref());
        let record = AccountRecord {
            did: did.clone(),
            handle: handle.unwrap_or_else(|| did.clone()),
            pds_url: finished.pds.as_str().trim_end_matches('/').to_owned(),
            auth_kind: AuthKind::Oauth,
            added_at: Utc::now(),
            health: Some(Health::Active),
            checked_at: Some(Utc::now()),
            oauth: Some(OAuthInfo {
                scope: finished
                    .session
                    .token_set
                    .scope
                    .as_deref()
                    .unwrap_or("")
                    .to_owned(),
                issuer: finished.session.authserver_url.to_string(),
                signed_in_at: Utc::now(),
                access_expires_at: expires_at.map(|t| t.with_timezone(&Utc)),
            }),
            email_confirmed: None,
            identity: None,
            last_backup_at: None,
        };
        let secrets = StoredSecrets::Oauth(Box::new(OAuthSecrets {
            client: finished.client,
            session: finished.session,
        }));
        self.keep(record, secrets).await
    }

    /// Makes an account the one shown in the window.
    pub fn select(&self, did: &str) -> Result<(), AccountsError> {
        let record = self.find(Some(did))?;
        self.ctx
            .state_file()
            .update(|s| s.selected = Some(record.did))?;
        Ok(())
    }

    /// Saves preferences, clamped to sane bounds.
    pub fn save_settings(&self, mut settings: Settings) -> Result<Settings, AccountsError> {
        settings.refresh_interval_minutes = settings.refresh_interval_minutes.clamp(1, 1440);
        settings.step_up_minutes = settings.step_up_minutes.min(120);
        let blank = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        settings.plc_url = blank(settings.plc_url);
        settings.oauth_client_id = blank(settings.oauth_client_id);
        settings.backup_folder = blank(settings.backup_folder);
        settings.backup_every_hours = settings.backup_every_hours.min(24 * 30);
        settings.backup_keep = settings.backup_keep.clamp(1, 1000);
        if let Some(url) = &settings.plc_url {
            crate::config::check_plc_url(url)?;
        }
        if let Some(id) = &settings.oauth_client_id {
            ClientKind::from_client_id(Some(id)).map_err(ConfigError::from)?;
        }
        let saved = settings.clone();
        self.ctx.state_file().update(move |s| s.settings = saved)?;
        Ok(settings)
    }

    async fn record_health(&self, did: &str, health: Health) {
        let did = did.to_owned();
        if let Err(e) = self.ctx.state_file().update(move |s| {
            for a in s.accounts.iter_mut().filter(|a| a.did == did) {
                a.health = Some(health);
                a.checked_at = Some(Utc::now());
            }
        }) {
            log::warn!("could not record account state: {e}");
        }
    }
}

fn health_of_error(e: &SessionError) -> Health {
    match e {
        SessionError::Expired { .. } | SessionError::NotSignedIn { .. } => Health::Expired,
        SessionError::Xrpc(x) if x.is_unreachable() => Health::Unreachable,
        _ => Health::Unknown,
    }
}

/// Maps createSession's protocol errors to what the person did wrong.
fn login_error(e: XrpcError, had_token: bool) -> AccountsError {
    match e.error_name() {
        Some("AuthFactorTokenRequired") => AccountsError::AuthFactorRequired,
        Some("InvalidToken" | "ExpiredToken") if had_token => AccountsError::WrongAuthFactor,
        Some("AuthenticationRequired") => AccountsError::WrongPassword,
        _ => AccountsError::Xrpc(e),
    }
}

impl Explain for AccountsError {
    fn explain(&self) -> Problem {
        match self {
            AccountsError::EmptyField { .. } => Problem::new("empty_field", self, None),
            AccountsError::BadInput(e) => e.explain(),
            AccountsError::Identity(e) => e.explain(),
            AccountsError::AuthFactorRequired => Problem::new(
                "auth_factor_required",
                self,
                Some("Check your inbox for a code like ABCDE-FGHIJ."),
            ),
            AccountsError::WrongAuthFactor => Problem::new(
                "wrong_auth_factor",
                self,
                Some(
                    "Copy the newest code from the email exactly, or sign in again to get a new one.",
                ),
            ),
            AccountsError::WrongPassword => Problem::new(
                "wrong_password",
                self,
                Some(
                    "Use the account password, not an app password. Passwords are case-sensitive.",
                ),
            ),
            AccountsError::AccountMismatch { .. } => Problem::new(
                "account_mismatch",
                self,
                Some("The PDS host given may belong to another account's server."),
            ),
            AccountsError::NotSignedIn { .. } => Problem::new(
                "not_signed_in",
                self,
                Some("Run `stratos account list` to see signed-in accounts, or sign in first."),
            ),
            AccountsError::NoAccountChosen { .. } => Problem::new(
                "not_signed_in",
                self,
                Some(
                    "Name the account (handle or DID), or sign in first with `stratos account login`.",
                ),
            ),
            AccountsError::Session(e) => e.explain(),
            AccountsError::Xrpc(e) => e.explain(),
            AccountsError::Keychain(e) => e.explain(),
            AccountsError::State(_) => Problem::new("state_file", self, None),
            AccountsError::OAuth(e) => e.explain(),
            AccountsError::PasswordNeeded => Problem::new(
                "password_needed",
                self,
                Some(
                    "Enter the account password (not an app password); it goes to your server once and is never saved.",
                ),
            ),
            AccountsError::Config(_) => Problem::new("config", self, None),
        }
    }
}
