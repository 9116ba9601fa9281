//! Moving an account to another PDS, safely: nothing on the source changes until the copy on the
//! target is verified; the PLC code is asked for only then (it lives 15 minutes); the identity
//! operation keeps the person's own rotation keys and other services; every step is journalled
//! so a crash or a kill resumes where it stopped; repo and blobs stream, never whole in memory.
//!
//! The order follows goat and the PDS's migration guide (DESIGN.md section 5), with the
//! verification moved before the PLC operation.

pub mod journal;
mod records;
mod steps;
mod transfer;

use std::sync::Arc;

use serde::Serialize;
use url::Url;

pub use journal::{Facts, Journal, JournalError, Journals, Step};
// Shared with the recovery, which restores from a backup the way a migration copies.
pub(crate) use records::count_per_collection;
pub(crate) use transfer::{missing_blobs, transient};

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::base::identifier::{ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::XrpcError;
use crate::plc::{Change, PlcError};
use crate::store::keychain::{KeychainError, SecretStore, Slot};

/// What the person asks for when starting a migration.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The signed-in account to move (handle or DID).
    pub account: String,
    /// The new PDS.
    pub target_pds: String,
    /// The handle on the new PDS (under one of its domains).
    pub handle: String,
    /// The email address on the new PDS.
    pub email: String,
    /// The password on the new PDS; kept in memory only.
    pub password: String,
    /// An invite code, when the new PDS needs one.
    pub invite_code: Option<String>,
    /// Deactivate the old account once the new one is live (the default).
    pub deactivate_source: bool,
}

/// What a run needs that the journal does not keep.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The new PDS's password: needed on a resume only if the saved session there is gone.
    pub password: Option<String>,
    /// The old account's password, to deactivate it when it is signed in with OAuth.
    pub source_password: Option<String>,
    /// The emailed PLC code.
    pub plc_token: Option<String>,
    /// The person saw the identity change and agreed.
    pub confirmed: bool,
    /// Blobs copied at once (default 8).
    pub concurrency: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Outcome {
    /// Everything up to the identity change is done; the code was emailed (or had been, less
    /// than 15 minutes ago). Run again with it.
    NeedsPlcToken {
        /// What the identity operation will change.
        changes: Vec<Change>,
        /// Whether a code was sent just now.
        email_sent: bool,
    },
    /// The code is there but the change was not confirmed yet.
    NeedsConfirmation {
        /// What the identity operation will change.
        changes: Vec<Change>,
    },
    /// The account lives on the new PDS now.
    Done {
        /// The finished journal.
        journal: Box<Journal>,
    },
}

/// One progress report, for bars and step lists (a Tauri event, or CLI lines).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// A step began.
    StepStarted {
        /// Which.
        step: Step,
    },
    /// A step finished.
    StepDone {
        /// Which.
        step: Step,
    },
    /// Repository bytes copied so far.
    Repo {
        /// Bytes.
        bytes: u64,
    },
    /// Blobs copied so far.
    Blobs {
        /// Blobs done.
        done: u64,
        /// Blobs to copy.
        total: u64,
        /// Bytes read so far.
        bytes: u64,
    },
    /// Something failed and is tried again.
    Retry {
        /// What.
        what: String,
        /// Which attempt failed.
        attempt: u32,
        /// Seconds until the next one.
        wait_secs: u64,
        /// Why.
        reason: String,
    },
}

/// The checks before anything is created.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    /// The account's DID.
    pub did: String,
    /// The old PDS.
    pub source_pds: String,
    /// The new PDS.
    pub target_pds: String,
    /// The new PDS's service DID.
    pub target_service_did: String,
    /// Handle domains the new PDS offers.
    pub available_domains: Vec<String>,
    /// Whether the new PDS needs an invite code.
    pub invite_code_required: bool,
    /// Records in the repository (old PDS).
    pub records: Option<u64>,
    /// Blobs the repository references (old PDS).
    pub expected_blobs: Option<u64>,
    /// Blobs the old PDS is itself missing: they cannot be copied from it.
    pub missing_on_source: u64,
    /// Why the migration cannot start; empty when it can.
    pub blockers: Vec<String>,
    /// What the person should know but does not stop it.
    pub warnings: Vec<String>,
}

/// Why a migration step failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Finding the account or its session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A call to one of the servers failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A server address is unusable.
    #[error(transparent)]
    BadAddress(#[from] ParseError),
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The keychain refused.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The identity operation failed.
    #[error(transparent)]
    Plc(#[from] PlcError),
    /// The preflight found problems.
    #[error("the migration cannot start: {}", .0.join("; "))]
    Blocked(Vec<String>),
    /// A migration of this account is already journalled.
    #[error("a migration of {did} to {target} is already under way")]
    AlreadyStarted {
        /// The account.
        did: String,
        /// Where it is going.
        target: String,
    },
    /// No journal to resume.
    #[error("no migration of {0} is under way")]
    NotStarted(String),
    /// The new PDS's session is gone and no password was given.
    #[error("the new server's password is needed to continue")]
    TargetPasswordNeeded,
    /// The old account is signed in with OAuth and deactivating it needs its password.
    #[error("deactivating the old account needs its password")]
    SourcePasswordNeeded,
    /// Some blobs could not be copied even after retries.
    #[error("{count} blob(s) could not be copied: {}", first.join("; "))]
    BlobsFailed {
        /// How many.
        count: usize,
        /// The first few, with the reason.
        first: Vec<String>,
    },
    /// The server's rate limit resets too late to wait for.
    #[error("{what}: the server's rate limit resets in about {minutes} min")]
    RateLimited {
        /// What was being copied.
        what: String,
        /// Minutes to wait.
        minutes: u64,
    },
    /// The copy on the new PDS differs from the old one.
    #[error("the copy on the new server does not match: {}", .0.join("; "))]
    VerifyFailed(Vec<String>),
    /// After the identity operation, the identity does not resolve to the new PDS yet.
    #[error("the identity does not point at the new server yet: {0}")]
    NotSwitched(String),
    /// Cancelling is no longer a simple stop: the identity already moved.
    #[error("the identity already points at the new server; the migration can only be finished")]
    PastPointOfNoReturn,
    /// The person cancelled; what was done is kept and `resume` continues.
    #[error("the migration was paused")]
    Cancelled,
}

impl Explain for MigrateError {
    fn explain(&self) -> Problem {
        let p = |code, hint: &str| Problem::new(code, self, Some(hint));
        match self {
            MigrateError::Accounts(e) => e.explain(),
            MigrateError::Session(e) => e.explain(),
            MigrateError::BadAddress(e) => e.explain(),
            MigrateError::Plc(e) => e.explain(),
            MigrateError::Journal(_) => p(
                "migration_journal",
                "Check the disk and the permissions of Stratos's data folder.",
            ),
            MigrateError::Keychain(_) => p(
                "keychain_unavailable",
                "Unlock the system keychain, then resume.",
            ),
            MigrateError::Blocked(_) => p(
                "migration_blocked",
                "Fix what the check names, then start again. Nothing was changed.",
            ),
            MigrateError::AlreadyStarted { .. } => p(
                "migration_started",
                "Resume it, or cancel it first to start over.",
            ),
            MigrateError::NotStarted(_) => p("migration_not_started", "Start a migration first."),
            MigrateError::TargetPasswordNeeded => p(
                "migration_password_needed",
                "Give the new server's password (the one chosen for the migration) and resume.",
            ),
            MigrateError::SourcePasswordNeeded => p(
                "migration_source_password_needed",
                "Give the old account's password and resume, or choose to keep the old account active.",
            ),
            MigrateError::BlobsFailed { .. } => p(
                "migration_blobs_failed",
                "Resume later: blobs already copied stay copied. Nothing was changed on the old server.",
            ),
            MigrateError::RateLimited { .. } => p(
                "rate_limited",
                "Resume after that time; everything copied so far is kept.",
            ),
            MigrateError::VerifyFailed(_) => p(
                "migration_verify_failed",
                "Nothing was changed on the old server. Resume to copy again, or cancel.",
            ),
            MigrateError::NotSwitched(_) => p(
                "migration_not_switched",
                "The directory may take a moment. Resume to check again.",
            ),
            MigrateError::PastPointOfNoReturn => p(
                "migration_past_plc",
                "Resume to finish it on the new server.",
            ),
            MigrateError::Cancelled => p(
                "cancelled",
                "Resume to continue; the old account is untouched until the identity step.",
            ),
        }
    }
}

/// The journal of `did`'s migration, if one was started.
pub fn journal(accounts: &Accounts, did: &str) -> Result<Option<Journal>, MigrateError> {
    Ok(Journals::new(&accounts.context().config().data_dir).load(did)?)
}

/// Checks both servers and the credentials, without changing anything.
pub async fn preflight(accounts: &Accounts, plan: &Plan) -> Result<Preflight, MigrateError> {
    steps::preflight(accounts, plan).await
}

/// Starts a migration: the preflight, then the journal, then the account on the new PDS. The
/// rest is [`run`].
pub async fn start(
    accounts: &Accounts,
    plan: &Plan,
    progress: &(dyn Fn(Event) + Send + Sync),
) -> Result<Journal, MigrateError> {
    let record = accounts.find(Some(&plan.account))?;
    let journals = Journals::new(&accounts.context().config().data_dir);
    if let Some(j) = journals.load(&record.did)?
        && j.next().is_some()
    {
        return Err(MigrateError::AlreadyStarted {
            did: j.did,
            target: j.target_pds,
        });
    }
    progress(Event::StepStarted {
        step: Step::Preflight,
    });
    let check = steps::preflight(accounts, plan).await?;
    if !check.blockers.is_empty() {
        return Err(MigrateError::Blocked(check.blockers));
    }
    let now = chrono::Utc::now();
    let mut journal = Journal {
        did: check.did.clone(),
        source_pds: check.source_pds.clone(),
        target_pds: check.target_pds.clone(),
        target_service_did: check.target_service_did.clone(),
        handle: plan.handle.trim().to_ascii_lowercase(),
        email: plan.email.trim().to_owned(),
        invite_code: plan.invite_code.clone().filter(|c| !c.trim().is_empty()),
        deactivate_source: plan.deactivate_source,
        done: vec![Step::Preflight],
        plc_token_requested_at: None,
        facts: Facts::default(),
        started_at: now,
        updated_at: now,
    };
    journal.facts.notes.extend(check.warnings);
    journals.save(&mut journal)?;
    progress(Event::StepDone {
        step: Step::Preflight,
    });
    log::info!(
        "migration of {} to {} started",
        journal.did,
        journal.target_pds
    );
    Ok(journal)
}

/// Continues the migration of `did` from its first unfinished step, to the end or to the
/// point where the PLC code or a confirmation is needed. Safe to call again after any failure,
/// kill or cancel: every step is idempotent.
pub async fn run(
    accounts: &Accounts,
    did: &str,
    inputs: &Inputs,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Outcome, MigrateError> {
    let journals = Journals::new(&accounts.context().config().data_dir);
    let mut journal = journals
        .load(did)?
        .ok_or_else(|| MigrateError::NotStarted(did.to_owned()))?;
    steps::Runner::new(accounts, &journals, inputs, progress, cancel)
        .run(&mut journal)
        .await
}

/// Stops a migration before the identity step and forgets it: the journal and the new PDS's
/// session go; the (deactivated) account on the new PDS stays there, unused, and the old one
/// was never changed.
pub async fn cancel(accounts: &Accounts, did: &str) -> Result<(), MigrateError> {
    let journals = Journals::new(&accounts.context().config().data_dir);
    let journal = journals
        .load(did)?
        .ok_or_else(|| MigrateError::NotStarted(did.to_owned()))?;
    if journal.past_point_of_no_return() && journal.next().is_some() {
        return Err(MigrateError::PastPointOfNoReturn);
    }
    let store = TargetStore(accounts.context().secrets());
    tokio::task::spawn_blocking(move || store.delete(&journal.did))
        .await
        .expect("keychain task does not panic")?;
    journals.remove(did)?;
    log::info!("migration of {did} cancelled");
    Ok(())
}

/// The keychain seen through [`Slot::MigrationTarget`]: the new PDS's session of a migrating account is kept
/// beside the old one (same DID) until the switch-over.
struct TargetStore(Arc<dyn SecretStore>);

impl SecretStore for TargetStore {
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError> {
        self.0.get(&Slot::MigrationTarget(key).name())
    }
    fn set(&self, key: &str, secret: &str) -> Result<(), KeychainError> {
        self.0.set(&Slot::MigrationTarget(key).name(), secret)
    }
    fn delete(&self, key: &str) -> Result<(), KeychainError> {
        self.0.delete(&Slot::MigrationTarget(key).name())
    }
}

/// Parses an http(s) server address given by the person.
fn server(url: &str) -> Result<Url, MigrateError> {
    Ok(parse_service_url(url)?)
}

/// Whether an XRPC failure names `error`.
fn named(e: &SessionError, error: &str) -> bool {
    matches!(e, SessionError::Xrpc(x) if x.error_name() == Some(error))
}

/// A server's answer as a [`SessionError`], for failures outside a session.
fn xrpc(e: XrpcError) -> MigrateError {
    MigrateError::Session(SessionError::Xrpc(e))
}
