//! The steps of a migration, each idempotent so that a resume may repeat the one that was
//! interrupted.

use std::sync::Arc;

use chrono::Utc;
use jacquard_api::com_atproto::server::activate_account::ActivateAccount;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::journal::{Journal, Journals, Step};
use super::{
    Event, Inputs, MigrateError, Outcome, Plan, Preflight, TargetStore, named, server, xrpc,
};
use super::{records, transfer};
use crate::accounts::Accounts;
use crate::auth::session::{self, AccountSession, RefreshLock, StoredSecrets, password};
use crate::auth::step_up::StepUp;
use crate::net::xrpc::{Auth, Raw};
use crate::plc::{self, MergeOptions};
use crate::service_auth::{self, TokenRequest};
use crate::store::keychain::{SecretStore, Slot};
use crate::store::state::AuthKind;

/// A PLC code is valid this long; within it, a resume reuses the one already emailed.
const PLC_CODE_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::minutes(14);

/// Checks the new PDS, the old one and the credentials.
pub(super) async fn preflight(accounts: &Accounts, plan: &Plan) -> Result<Preflight, MigrateError> {
    let record = accounts.find(Some(&plan.account))?;
    let source = server(&record.pds_url)?;
    let target = server(&plan.target_pds)?;
    let mut blockers = Vec::new();
    let mut warnings = Vec::new();
    if same_server(&source, &target) {
        blockers.push("the new server is the account's current server".to_owned());
    }
    let described = accounts
        .context()
        .xrpc()
        .get_json(&target, "com.atproto.server.describeServer", &[])
        .await
        .map_err(xrpc)?;
    let service_did = described["did"].as_str().unwrap_or_default().to_owned();
    let domains: Vec<String> = described["availableUserDomains"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let invite_required = described["inviteCodeRequired"].as_bool().unwrap_or(false);
    if service_did.is_empty() {
        blockers.push("the new server does not say its service DID (describeServer)".to_owned());
    }
    if described["phoneVerificationRequired"].as_bool() == Some(true) {
        warnings.push("the new server asks for phone verification at sign-up".to_owned());
    }
    let handle = plan.handle.trim().to_ascii_lowercase();
    if handle.is_empty() {
        blockers.push("choose a handle on the new server".to_owned());
    } else if !domains.is_empty() && !domains.iter().any(|d| handle.ends_with(d.as_str())) {
        blockers.push(format!(
            "the handle {handle} is not under the new server's domains ({})",
            domains.join(", ")
        ));
    }
    if !plan.email.contains('@') {
        blockers.push("give an email address for the new server".to_owned());
    }
    if plan.password.len() < 8 {
        blockers.push("choose a password of at least 8 characters for the new server".to_owned());
    }
    if invite_required
        && plan
            .invite_code
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
    {
        blockers.push("the new server needs an invite code".to_owned());
    }

    let session = accounts.session(&record.did).await?;
    let status = session
        .query_json("com.atproto.server.checkAccountStatus", &[])
        .await?;
    if status["activated"].as_bool() == Some(false) {
        blockers
            .push("the account is deactivated on its current server; activate it first".to_owned());
    }
    let missing = transfer::missing_blobs(&session).await?.len() as u64;
    if missing > 0 {
        warnings.push(format!(
            "{missing} blob(s) are already missing on the current server and cannot be copied from it"
        ));
    }
    if let Some(scope) = session.granted_scope().await {
        let has = |s: &str| {
            scope
                .split_whitespace()
                .any(|g| g == s || g.starts_with(&format!("{s}?")))
        };
        if !(has("identity:*") || scope.split_whitespace().any(|g| g == "transition:generic")) {
            blockers.push("the browser sign-in did not grant identity changes; sign in again with full access or with the password".to_owned());
        }
        if !scope.contains("com.atproto.server.createAccount")
            && !scope.contains("transition:generic")
        {
            blockers.push("the browser sign-in did not grant account creation on another server; sign in again with full access or with the password".to_owned());
        }
    }
    let expected_blobs = status["expectedBlobs"].as_u64();
    if expected_blobs.is_some_and(|n| n > 1000) {
        warnings.push("a PDS with rate limits takes at most 1,000 uploads a day from one address: this migration may pause and resume the next day".to_owned());
    }
    Ok(Preflight {
        did: record.did,
        source_pds: trimmed(&source),
        target_pds: trimmed(&target),
        target_service_did: service_did,
        available_domains: domains,
        invite_code_required: invite_required,
        records: status["indexedRecords"].as_u64(),
        expected_blobs,
        missing_on_source: missing,
        blockers,
        warnings,
    })
}

fn same_server(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

fn trimmed(u: &Url) -> String {
    u.as_str().trim_end_matches('/').to_owned()
}

/// Carries one run of the steps.
pub(super) struct Runner<'a> {
    accounts: &'a Accounts,
    journals: &'a Journals,
    inputs: &'a Inputs,
    progress: &'a (dyn Fn(Event) + Send + Sync),
    cancel: &'a CancellationToken,
}

impl<'a> Runner<'a> {
    pub(super) fn new(
        accounts: &'a Accounts,
        journals: &'a Journals,
        inputs: &'a Inputs,
        progress: &'a (dyn Fn(Event) + Send + Sync),
        cancel: &'a CancellationToken,
    ) -> Self {
        Self {
            accounts,
            journals,
            inputs,
            progress,
            cancel,
        }
    }

    pub(super) async fn run(&self, j: &mut Journal) -> Result<Outcome, MigrateError> {
        while let Some(step) = j.next() {
            if self.cancel.is_cancelled() {
                return Err(MigrateError::Cancelled);
            }
            (self.progress)(Event::StepStarted { step });
            log::info!("migration of {}: {}", j.did, step.label());
            match step {
                Step::Preflight => {}
                Step::CreateAccount => self.create_account(j).await?,
                Step::Repo => {
                    let target = self.target(j).await?;
                    let source = server(&j.source_pds)?;
                    j.facts.repo_bytes = transfer::copy_repo(
                        self.accounts.context().xrpc(),
                        &source,
                        &j.did,
                        &target,
                        self.progress,
                        self.cancel,
                    )
                    .await?;
                }
                Step::Blobs => self.blobs(j).await?,
                Step::Preferences => self.preferences(j).await?,
                Step::Verify => self.verify(j).await?,
                Step::IdentityOp => {
                    if let Some(waiting) = self.identity_op(j).await? {
                        return Ok(waiting);
                    }
                }
                Step::Activate => {
                    self.target(j).await?.call(&ActivateAccount).await?;
                }
                Step::DeactivateSource => self.deactivate_source(j).await?,
                Step::FinalCheck => self.final_check(j).await?,
            }
            j.done.push(step);
            self.journals.save(j)?;
            (self.progress)(Event::StepDone { step });
        }
        log::info!("migration of {} to {} finished", j.did, j.target_pds);
        Ok(Outcome::Done {
            journal: Box::new(j.clone()),
        })
    }

    /// The new PDS's session, from the keychain; signed in again with the password if it is gone.
    async fn target(&self, j: &Journal) -> Result<AccountSession, MigrateError> {
        let store: Arc<dyn SecretStore> = Arc::new(TargetStore(self.accounts.context().secrets()));
        let target = server(&j.target_pds)?;
        let lock = RefreshLock::in_dir(
            &self.accounts.context().config().data_dir,
            &format!("{}-migration-target", j.did),
        );
        let restored = {
            let store = store.clone();
            let (did, target, xrpc, net, lock) = (
                j.did.clone(),
                target.clone(),
                self.accounts.context().xrpc().clone(),
                self.accounts.sessions().net(),
                lock.clone(),
            );
            tokio::task::spawn_blocking(move || {
                AccountSession::restore(&did, target, xrpc, store, net, lock)
            })
            .await
            .expect("keychain task does not panic")
        };
        match restored {
            Ok(s) => Ok(s),
            Err(session::SessionError::NotSignedIn { .. }) => {
                let password = self
                    .inputs
                    .password
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .ok_or(MigrateError::TargetPasswordNeeded)?;
                let login = password::create_session(
                    self.accounts.context().xrpc(),
                    &target,
                    &j.did,
                    password,
                    None,
                )
                .await
                .map_err(xrpc)?;
                self.keep_target(j, login.secrets).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a new session on the new PDS and returns it.
    async fn keep_target(
        &self,
        j: &Journal,
        secrets: password::PasswordSecrets,
    ) -> Result<AccountSession, MigrateError> {
        let store = TargetStore(self.accounts.context().secrets());
        let did = j.did.clone();
        tokio::task::spawn_blocking(move || {
            session::save_secrets(&store, &did, &StoredSecrets::Password(secrets))
        })
        .await
        .expect("keychain task does not panic")?;
        Box::pin(self.target(j)).await
    }

    /// `getServiceAuth` on the old PDS, then `createAccount` with the same DID on the new one
    /// (it starts deactivated). On a resume where the account already exists there, signing in
    /// with the password proves it is ours.
    async fn create_account(&self, j: &Journal) -> Result<(), MigrateError> {
        let password = self
            .inputs
            .password
            .as_deref()
            .filter(|p| !p.is_empty())
            .ok_or(MigrateError::TargetPasswordNeeded)?;
        let target = server(&j.target_pds)?;
        let token = service_auth::request(
            self.accounts,
            &j.did,
            &TokenRequest {
                aud: j.target_service_did.clone(),
                lxm: Some("com.atproto.server.createAccount".to_owned()),
                duration: Some(std::time::Duration::from_secs(600)),
            },
        )
        .await
        .map_err(|e| match e {
            service_auth::ServiceAuthError::Accounts(a) => MigrateError::Accounts(a),
            other => MigrateError::Blocked(vec![other.to_string()]),
        })?;
        let mut input = json!({
            "did": j.did,
            "handle": j.handle,
            "email": j.email,
            "password": password,
        });
        if let Some(code) = &j.invite_code {
            input["inviteCode"] = code.as_str().into();
        }
        let body = serde_json::to_vec(&input).expect("JSON serialises");
        let created = self
            .accounts
            .context()
            .xrpc()
            .send_raw(
                &target,
                Raw {
                    method: reqwest::Method::POST,
                    nsid: "com.atproto.server.createAccount",
                    query: &[],
                    body: Some(("application/json", body.into())),
                },
                Auth::Bearer(&token.token),
            )
            .await;
        let secrets = match created {
            Ok(out) => password::PasswordSecrets {
                access_jwt: out["accessJwt"].as_str().unwrap_or_default().to_owned(),
                refresh_jwt: out["refreshJwt"].as_str().unwrap_or_default().to_owned(),
            },
            Err(e) => {
                // Already made by an interrupted run? Then the password signs in.
                match password::create_session(
                    self.accounts.context().xrpc(),
                    &target,
                    &j.did,
                    password,
                    None,
                )
                .await
                {
                    Ok(login) if login.did == j.did => {
                        log::info!("the account already exists on {}; continuing", j.target_pds);
                        login.secrets
                    }
                    _ => return Err(xrpc(e)),
                }
            }
        };
        self.keep_target(j, secrets).await?;
        Ok(())
    }

    async fn blobs(&self, j: &mut Journal) -> Result<(), MigrateError> {
        let target = self.target(j).await?;
        let source = server(&j.source_pds)?;
        let cids = transfer::missing_blobs(&target).await?;
        let concurrency = if self.inputs.concurrency == 0 {
            8
        } else {
            self.inputs.concurrency
        };
        let report = transfer::copy_blobs(
            (self.accounts.context().xrpc(), &source, &j.did),
            &target,
            cids,
            concurrency,
            self.progress,
            self.cancel,
        )
        .await?;
        j.facts.blobs_copied += report.copied;
        j.facts.blob_bytes += report.bytes;
        Ok(())
    }

    /// `app.bsky.actor.getPreferences` (old) → `putPreferences` (new).
    async fn preferences(&self, j: &Journal) -> Result<(), MigrateError> {
        let source = self.accounts.session(&j.did).await?;
        let prefs = match source
            .query_json("app.bsky.actor.getPreferences", &[])
            .await
        {
            Ok(p) => p,
            Err(e) if named(&e, "MethodNotImplemented") => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let preferences = prefs.get("preferences").cloned().unwrap_or(json!([]));
        self.target(j)
            .await?
            .procedure_json(
                "app.bsky.actor.putPreferences",
                &json!({ "preferences": preferences }),
            )
            .await?;
        Ok(())
    }

    /// Compares both sides before anything irreversible: the target holds every blob it
    /// expects, nothing is missing, and each collection has as many records as on the source.
    async fn verify(&self, j: &mut Journal) -> Result<(), MigrateError> {
        let target = self.target(j).await?;
        let source_session = self.accounts.session(&j.did).await?;
        let status = target
            .query_json("com.atproto.server.checkAccountStatus", &[])
            .await?;
        let mut problems = Vec::new();
        let expected = status["expectedBlobs"].as_u64().unwrap_or(0);
        let imported = status["importedBlobs"].as_u64().unwrap_or(0);
        if expected != imported {
            problems.push(format!(
                "the new server holds {imported} of {expected} blobs"
            ));
        }
        let missing = transfer::missing_blobs(&target).await?;
        if !missing.is_empty() {
            problems.push(format!("{} blob(s) still missing", missing.len()));
        }
        let source_repo = source_session
            .query_stream("com.atproto.sync.getRepo", &[("did", &j.did)])
            .await?;
        let source_counts = records::count_per_collection(source_repo)
            .await
            .map_err(|e| {
                MigrateError::VerifyFailed(vec![format!("the old server's repository: {e}")])
            })?;
        let target_repo = target
            .query_stream("com.atproto.sync.getRepo", &[("did", &j.did)])
            .await?;
        let target_counts = records::count_per_collection(target_repo)
            .await
            .map_err(|e| {
                MigrateError::VerifyFailed(vec![format!("the new server's repository: {e}")])
            })?;
        if source_counts != target_counts {
            for (collection, n) in &source_counts {
                let m = target_counts.get(collection).copied().unwrap_or(0);
                if *n != m {
                    problems.push(format!(
                        "{collection}: {n} records on the old server, {m} on the new"
                    ));
                }
            }
            for (collection, m) in &target_counts {
                if !source_counts.contains_key(collection) {
                    problems.push(format!("{collection}: {m} records only on the new server"));
                }
            }
        }
        if !problems.is_empty() {
            return Err(MigrateError::VerifyFailed(problems));
        }
        j.facts.records = source_counts;
        j.facts.target_rev = status["repoRev"].as_str().map(str::to_owned);
        j.facts.expected_blobs = Some(expected);
        j.facts.imported_blobs = Some(imported);
        Ok(())
    }

    /// Builds the identity operation from the new PDS's recommended credentials merged with the
    /// current document (the person's own rotation keys stay above the PDS's; other services
    /// and aliases stay), asks for the code, and with the code and the person's agreement has
    /// the old PDS sign it and the new one submit it.
    async fn identity_op(&self, j: &mut Journal) -> Result<Option<Outcome>, MigrateError> {
        let current = plc::current(self.accounts, &j.did).await?;
        if pds_of(&current.fields).is_some_and(|e| same_endpoint(e, &j.target_pds)) {
            log::info!(
                "the identity of {} already points at {}",
                j.did,
                j.target_pds
            );
            return Ok(None);
        }
        let source = self.accounts.session(&j.did).await?;
        let target = self.target(j).await?;
        let recommended = plc::recommended(&target).await?;
        let old_pds_keys = match plc::recommended(&source).await {
            Ok(f) => f.rotation_keys,
            Err(e) => {
                log::warn!("the old PDS did not say its rotation keys ({e}); keeping them");
                Vec::new()
            }
        };
        let holders = plc::words::Holders {
            yours: crate::keys::list(self.accounts)
                .map(|keys| keys.into_iter().map(|k| k.did_key).collect())
                .unwrap_or_default(),
            new_server: recommended.rotation_keys.clone(),
            old_server: old_pds_keys.clone(),
        };
        let merged = plc::merge(
            &current.fields,
            &recommended,
            &MergeOptions { old_pds_keys },
        )?;
        let changes = plc::diff_for(&current.fields, &merged, &holders);
        let Some(token) = self
            .inputs
            .plc_token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        else {
            let fresh = j
                .plc_token_requested_at
                .is_some_and(|at| Utc::now() - at < PLC_CODE_LIFETIME);
            if !fresh {
                plc::request_token(&source).await?;
                j.plc_token_requested_at = Some(Utc::now());
                self.journals.save(j)?;
            }
            return Ok(Some(Outcome::NeedsPlcToken {
                changes,
                email_sent: !fresh,
            }));
        };
        if !self.inputs.confirmed {
            return Ok(Some(Outcome::NeedsConfirmation { changes }));
        }
        let op = match plc::sign(&source, token, &merged).await {
            Ok(op) => op,
            Err(e @ plc::PlcError::ExpiredCode) => {
                // The next run without a code asks the PDS for a new one.
                j.plc_token_requested_at = None;
                self.journals.save(j)?;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        plc::submit(&target, &op).await?;
        plc::guard::remember_submitted(self.accounts, &j.did, op.json()).await;
        log::info!("identity operation for {} submitted", j.did);
        Ok(None)
    }

    async fn deactivate_source(&self, j: &mut Journal) -> Result<(), MigrateError> {
        if !j.deactivate_source {
            j.facts
                .notes
                .push("the old account was left active, as asked".to_owned());
            return Ok(());
        }
        let status = self
            .accounts
            .session(&j.did)
            .await?
            .query_json("com.atproto.server.checkAccountStatus", &[])
            .await?;
        if status["activated"].as_bool() == Some(false) {
            return Ok(());
        }
        crate::activation::deactivate(
            self.accounts,
            &j.did,
            None,
            StepUp {
                password: self.inputs.source_password.as_deref(),
                auth_factor_token: None,
            },
        )
        .await
        .map_err(|e| match e {
            crate::activation::ActivationError::Accounts(crate::AccountsError::PasswordNeeded) => {
                MigrateError::SourcePasswordNeeded
            }
            other => MigrateError::Blocked(vec![other.to_string()]),
        })?;
        Ok(())
    }

    /// The identity resolves to the new PDS and the new session works; then Stratos moves the
    /// account over: the record names the new PDS and handle, and the keychain holds the new
    /// session in place of the old one.
    async fn final_check(&self, j: &Journal) -> Result<(), MigrateError> {
        let data = plc::current(self.accounts, &j.did).await?;
        let endpoint = pds_of(&data.fields).unwrap_or_default().to_owned();
        if !same_endpoint(&endpoint, &j.target_pds) {
            return Err(MigrateError::NotSwitched(format!(
                "the PLC directory names {endpoint:?}"
            )));
        }
        let target = self.target(j).await?;
        let session = target
            .query_json("com.atproto.server.getSession", &[])
            .await?;
        if session["did"].as_str() != Some(j.did.as_str()) {
            return Err(MigrateError::NotSwitched(
                "the new server's session names another account".to_owned(),
            ));
        }
        if let Ok(old) = self.accounts.session(&j.did).await
            && let Err(e) = old.revoke().await
        {
            log::info!("the old server's session of {} was not ended: {e}", j.did);
        }
        let (did, store) = (j.did.clone(), self.accounts.context().secrets());
        tokio::task::spawn_blocking(
            move || -> Result<(), crate::store::keychain::KeychainError> {
                let (session, target) = (
                    Slot::Session(&did).name(),
                    Slot::MigrationTarget(&did).name(),
                );
                if let Some(secrets) = store.get(&target)? {
                    store.set(&session, &secrets)?;
                    store.delete(&target)?;
                }
                Ok(())
            },
        )
        .await
        .expect("keychain task does not panic")?;
        let (handle, pds) = (
            session["handle"].as_str().unwrap_or(&j.handle).to_owned(),
            j.target_pds.clone(),
        );
        self.accounts
            .context()
            .state_file()
            .update(|s| {
                if let Some(r) = s.accounts.iter_mut().find(|r| r.did == j.did) {
                    r.pds_url = pds;
                    r.handle = handle;
                    r.auth_kind = AuthKind::Password;
                    r.oauth = None;
                }
            })
            .map_err(|e| MigrateError::Accounts(e.into()))?;
        self.accounts.sessions().forget(&j.did).await;
        Ok(())
    }
}

fn pds_of(fields: &plc::PlcFields) -> Option<&str> {
    fields
        .services
        .get("atproto_pds")
        .map(|s| s.endpoint.as_str())
}

fn same_endpoint(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
