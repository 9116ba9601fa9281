//! Recovering an account whose PDS is gone: with a rotation key of the person's in this
//! keychain and a backup snapshot, the account is rebuilt on a new PDS under the same DID
//! without ever contacting the old one. A fresh signing key made here signs the creation
//! token (the new PDS checks it against the DID document, so a PLC operation signed with the
//! person's rotation key names it first); then the identity is pointed at the new PDS and the
//! snapshot restored and verified there. Every step is journalled: a kill resumes.
//!
//! The order follows the PDS's "migrating without the old PDS" guide (DESIGN.md section 5).

mod damage;
pub mod journal;
pub mod preview;
mod steps;

use std::path::PathBuf;

use serde::Serialize;

pub use journal::{Journal, Journals, Step};

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::backup::BackupError;
use crate::base::identifier::ParseError;
use crate::base::problem::{Explain, Problem};
use crate::keys::KeyError;
use crate::migrate::JournalError;
use crate::plc::PlcError;
use crate::plc::guard::GuardError;
use crate::prefs::PrefsError;
use crate::service_auth::ServiceAuthError;

/// What the person asks for when starting a recovery.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The account's DID; when `None`, the only account in the backup folder.
    pub did: Option<String>,
    /// The new PDS.
    pub pds: String,
    /// The handle on the new PDS.
    pub handle: String,
    /// The email address on the new PDS.
    pub email: String,
    /// The password on the new PDS; kept in memory only. Needed until the account exists.
    pub password: Option<String>,
    /// An invite code, when the new PDS needs one.
    pub invite_code: Option<String>,
    /// The backup folder.
    pub backup_dir: PathBuf,
    /// The snapshot to restore; the newest when `None`.
    pub snapshot: Option<String>,
    /// The person's rotation key (`did:key`, in this keychain); when `None`, the first
    /// keychain key among the DID's rotation keys.
    pub rotation_key: Option<String>,
    /// Go on without the damaged parts of a damaged backup (what will be missing is named in
    /// the journal before anything is made); refused otherwise.
    pub skip_damaged: bool,
    /// Move the identity alone, without any copy of the data: the account comes back empty.
    /// Must be asked for explicitly; `backup_dir` is not read.
    pub identity_only: bool,
}

/// One progress report (a Tauri event, or CLI lines).
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
    /// Blobs uploaded so far.
    Blobs {
        /// Blobs done.
        done: u64,
        /// Blobs to upload.
        total: u64,
    },
}

/// Why a recovery was refused or stopped, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// The account list or a session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A call to the new server failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A server address is unusable.
    #[error(transparent)]
    BadAddress(#[from] ParseError),
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The keychain failed or does not hold a key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The PLC directory failed.
    #[error(transparent)]
    Plc(#[from] PlcError),
    /// Signing an identity change failed.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// The creation token could not be signed.
    #[error(transparent)]
    ServiceAuth(#[from] ServiceAuthError),
    /// The backup folder could not be read or exported.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// The preferences file of the snapshot is unusable.
    #[error(transparent)]
    Prefs(#[from] PrefsError),
    /// No rotation key of the person's is in force.
    #[error("no rotation key of {did} is held here: {reason}")]
    NoRotationKey {
        /// The DID.
        did: String,
        /// What was found.
        reason: String,
    },
    /// The backup snapshot is damaged.
    #[error("the backup snapshot {snapshot} of {did} is damaged: {}", problems.join("; "))]
    DamagedBackup {
        /// The DID.
        did: String,
        /// The snapshot.
        snapshot: String,
        /// What verify found.
        problems: Vec<String>,
    },
    /// No backup was given and moving the identity alone was not asked for.
    #[error("no backup of {0} was given: without one the account would come back empty")]
    NoBackup(String),
    /// The backup folder does not say which account to recover.
    #[error("{0}")]
    WhichAccount(String),
    /// Something given is unusable (handle, email, password, server).
    #[error("the recovery cannot start: {}", .0.join("; "))]
    Blocked(Vec<String>),
    /// A recovery of this DID is already journalled.
    #[error("a recovery of {did} to {pds} is already under way")]
    AlreadyStarted {
        /// The DID.
        did: String,
        /// The new server.
        pds: String,
    },
    /// No journal to resume.
    #[error("no recovery of {0} is under way")]
    NotStarted(String),
    /// The password is needed to create the account or sign in again.
    #[error("the new server's password is needed to continue")]
    PasswordNeeded,
    /// The new server refused the account.
    #[error("the new server refused to create the account: {0}")]
    CreateRefused(String),
    /// Some blobs are not in the backup or were refused.
    #[error("{count} blob(s) could not be uploaded: {}", first.join("; "))]
    BlobsFailed {
        /// How many.
        count: usize,
        /// The first few, with the reason.
        first: Vec<String>,
    },
    /// The new server's copy differs from the snapshot.
    #[error("the new server's copy does not match the backup: {}", .0.join("; "))]
    VerifyFailed(Vec<String>),
    /// The person cancelled; what was done is kept and a resume continues.
    #[error("the recovery was paused")]
    Cancelled,
}

impl Explain for RecoverError {
    fn explain(&self) -> Problem {
        let p = |code, hint: &str| Problem::new(code, self, Some(hint));
        match self {
            RecoverError::Accounts(e) => e.explain(),
            RecoverError::Session(e) => e.explain(),
            RecoverError::BadAddress(e) => e.explain(),
            RecoverError::Key(e) => e.explain(),
            RecoverError::Plc(e) => e.explain(),
            RecoverError::Guard(e) => e.explain(),
            RecoverError::ServiceAuth(e) => e.explain(),
            RecoverError::Backup(e) => e.explain(),
            RecoverError::Prefs(e) => e.explain(),
            RecoverError::Journal(_) => p(
                "recovery_journal",
                "Check the disk and the permissions of Stratos's data folder.",
            ),
            RecoverError::NoRotationKey { .. } => p(
                "recovery_no_rotation_key",
                "Import your rotation key (stratos key import) or give it with --key. Without one, only the old server could change the identity: ask its operator, or restore the backup into a new account instead.",
            ),
            RecoverError::DamagedBackup { .. } => p(
                "recovery_backup_damaged",
                "Choose another snapshot (--snapshot) or another backup folder; or go on without the damaged parts (--skip-damaged), which first names what would be missing. Nothing was changed.",
            ),
            RecoverError::NoBackup(_) => p(
                "recovery_no_backup",
                "Give the backup folder (--from-backup DIR). Without any copy of the data, you can move the identity alone (--identity-only): the account then comes back with no posts, follows, media or other data.",
            ),
            RecoverError::WhichAccount(_) => p("recovery_which_account", "Name the account's DID."),
            RecoverError::Blocked(_) => p(
                "recovery_blocked",
                "Fix what the check names, then start again. Nothing was changed.",
            ),
            RecoverError::AlreadyStarted { .. } => p("recovery_started", "Resume it (--resume)."),
            RecoverError::NotStarted(_) => p("recovery_not_started", "Start a recovery first."),
            RecoverError::PasswordNeeded => p(
                "recovery_password_needed",
                "Give the new server's password and resume.",
            ),
            RecoverError::CreateRefused(_) => p(
                "recovery_create_refused",
                "Check the handle, email and invite code, then resume.",
            ),
            RecoverError::BlobsFailed { .. } => p(
                "recovery_blobs_failed",
                "Resume to try again; blobs missing from the backup cannot be restored from it.",
            ),
            RecoverError::VerifyFailed(_) => p(
                "recovery_verify_failed",
                "Resume to restore again; the backup is untouched.",
            ),
            RecoverError::Cancelled => p("cancelled", "Resume to continue."),
        }
    }
}

/// The journal of `did`'s recovery, if one was started.
pub fn journal(accounts: &Accounts, did: &str) -> Result<Option<Journal>, RecoverError> {
    Ok(Journals::new(&accounts.context().config().data_dir).load(did)?)
}

/// Checks the plan (rotation key held and in force, snapshot whole, new server usable) and,
/// when nothing is wrong, starts and runs the recovery to the end. A refusal leaves nothing
/// behind.
pub async fn recover(
    accounts: &Accounts,
    plan: &Plan,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Journal, RecoverError> {
    progress(Event::StepStarted { step: Step::Check });
    let j = steps::check(accounts, plan).await?;
    begin(accounts, j, plan.password.as_deref(), progress, cancel).await
}

/// The check alone, which creates nothing: the journal a recovery would start with, so that a
/// person sees what will be missing (`Journal::missing`, `Journal::identity_only`) before
/// agreeing. Start it with [`begin`].
pub async fn check(accounts: &Accounts, plan: &Plan) -> Result<Journal, RecoverError> {
    steps::check(accounts, plan).await
}

/// Starts the recovery [`check`] returned and runs it to the end.
pub async fn begin(
    accounts: &Accounts,
    mut j: Journal,
    password: Option<&str>,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Journal, RecoverError> {
    let journals = Journals::new(&accounts.context().config().data_dir);
    if let Some(old) = journals.load(&j.did)?
        && old.next().is_some()
    {
        return Err(RecoverError::AlreadyStarted {
            did: old.did,
            pds: old.pds,
        });
    }
    journals.save(&mut j)?;
    progress(Event::StepDone { step: Step::Check });
    log::info!("recovery of {} to {} started", j.did, j.pds);
    steps::run(accounts, &journals, &mut j, password, progress, cancel).await?;
    Ok(j)
}

/// Continues the recovery of `did` from its first unfinished step. Safe after any failure,
/// kill or cancel: every step is idempotent.
pub async fn resume(
    accounts: &Accounts,
    did: &str,
    password: Option<&str>,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Journal, RecoverError> {
    let journals = Journals::new(&accounts.context().config().data_dir);
    let mut j = journals
        .load(did)?
        .ok_or_else(|| RecoverError::NotStarted(did.to_owned()))?;
    steps::run(accounts, &journals, &mut j, password, progress, cancel).await?;
    Ok(j)
}

/// The DID a backup folder holds, when it holds exactly one account.
pub fn only_account(backup_dir: &std::path::Path) -> Result<String, RecoverError> {
    let dids = crate::backup::store::accounts_in(backup_dir).map_err(BackupError::from)?;
    match dids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(RecoverError::WhichAccount(format!(
            "the backup folder {} holds no account",
            backup_dir.display()
        ))),
        many => Err(RecoverError::WhichAccount(format!(
            "the backup folder {} holds {} accounts ({})",
            backup_dir.display(),
            many.len(),
            many.join(", ")
        ))),
    }
}
