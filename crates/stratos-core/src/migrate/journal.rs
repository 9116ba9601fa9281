//! The migration journal: what has been done, written atomically after every step so that a
//! crash, a kill or a lost connection resumes where it stopped. It holds no secret: the target
//! password is never written, and the target session lives in the keychain.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The steps of a migration, in order. Everything before [`Step::IdentityOp`] leaves the source
/// account untouched and can be cancelled safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// Both servers and the credentials checked.
    Preflight,
    /// The account made on the target with the same DID, and signed in there.
    CreateAccount,
    /// The repository exported from the source and imported into the target.
    Repo,
    /// Every blob the records reference copied to the target.
    Blobs,
    /// The app preferences copied.
    Preferences,
    /// Both sides compared: records per collection, blob counts, nothing missing.
    Verify,
    /// The PLC operation that points the identity at the target, signed and submitted.
    IdentityOp,
    /// The account activated on the target.
    Activate,
    /// The account deactivated on the source (when asked).
    DeactivateSource,
    /// The identity resolves to the target and Stratos uses the target from now on.
    FinalCheck,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 10] = [
        Step::Preflight,
        Step::CreateAccount,
        Step::Repo,
        Step::Blobs,
        Step::Preferences,
        Step::Verify,
        Step::IdentityOp,
        Step::Activate,
        Step::DeactivateSource,
        Step::FinalCheck,
    ];

    /// The step's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Step::Preflight => "Check both servers",
            Step::CreateAccount => "Create the account on the new server",
            Step::Repo => "Copy the repository",
            Step::Blobs => "Copy images and other files",
            Step::Preferences => "Copy preferences",
            Step::Verify => "Verify the copy",
            Step::IdentityOp => "Point your identity at the new server",
            Step::Activate => "Activate the new account",
            Step::DeactivateSource => "Deactivate the old account",
            Step::FinalCheck => "Final check",
        }
    }
}

/// A migration in progress or finished, as stored in `<data dir>/migrations/<did>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// The account's DID (it does not change in a migration).
    pub did: String,
    /// The source PDS.
    pub source_pds: String,
    /// The target PDS.
    pub target_pds: String,
    /// The target PDS's service DID (`describeServer`), the audience of the creation token.
    pub target_service_did: String,
    /// The handle on the target.
    pub handle: String,
    /// The email address on the target.
    pub email: String,
    /// The invite code, when the target needs one.
    pub invite_code: Option<String>,
    /// Whether to deactivate the source at the end.
    pub deactivate_source: bool,
    /// Steps finished, in order.
    pub done: Vec<Step>,
    /// When the PLC code was last requested (it is valid for 15 minutes).
    pub plc_token_requested_at: Option<DateTime<Utc>>,
    /// What the steps found, for the summary (counts, revs, notes).
    pub facts: Facts,
    /// When the migration started and last changed.
    pub started_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What the steps measured, kept for the summary and for the UI after a restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Facts {
    /// Bytes of the repository CAR copied.
    pub repo_bytes: u64,
    /// Blobs copied by this migration.
    pub blobs_copied: u64,
    /// Bytes of blobs copied.
    pub blob_bytes: u64,
    /// Records per collection, as compared on both sides.
    pub records: std::collections::BTreeMap<String, u64>,
    /// The target's repository revision after import.
    pub target_rev: Option<String>,
    /// Blobs the target expects and holds.
    pub expected_blobs: Option<u64>,
    /// Blobs the target holds.
    pub imported_blobs: Option<u64>,
    /// Things the person should know (a step skipped, and why).
    pub notes: Vec<String>,
}

impl Journal {
    /// Whether `step` is finished.
    pub fn is_done(&self, step: Step) -> bool {
        self.done.contains(&step)
    }

    /// The first step not finished yet; `None` when the migration is complete.
    pub fn next(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| !self.is_done(*s))
    }

    /// Whether the identity already points at the target: from then on cancelling means going
    /// back with another migration, not simply stopping.
    pub fn past_point_of_no_return(&self) -> bool {
        self.is_done(Step::IdentityOp)
    }
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system refused.
    #[error(
        "could not {action} the migration journal {path}: {}",
        crate::base::plain::io(source)
    )]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a journal this version understands.
    #[error("the migration journal {path} is damaged ({detail}); it was left as it is")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        detail: String,
    },
}

/// Where the journals of one data folder live.
#[derive(Debug, Clone)]
pub struct Journals {
    dir: PathBuf,
}

impl Journals {
    /// The journals under `data_dir/migrations`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("migrations"),
        }
    }

    /// The journal file of `did`.
    pub fn path(&self, did: &str) -> PathBuf {
        let name: String = did
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The journal of `did`, if a migration was started.
    pub fn load(&self, did: &str) -> Result<Option<Journal>, JournalError> {
        let path = self.path(did);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| JournalError::Damaged {
                        path,
                        detail: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(JournalError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Writes `journal` in one atomic replace (a crash leaves the old or the new file, never a
    /// torn one).
    pub fn save(&self, journal: &mut Journal) -> Result<(), JournalError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };
        journal.updated_at = Utc::now();
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let path = self.path(&journal.did);
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io("write", &path))?;
        serde_json::to_writer_pretty(&mut tmp, journal).expect("a journal always serialises");
        tmp.as_file().sync_all().map_err(io("write", &path))?;
        tmp.persist(&path).map_err(|e| JournalError::Io {
            action: "replace",
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Removes the journal of `did` (a cancelled migration, or one the person dismissed).
    pub fn remove(&self, did: &str) -> Result<(), JournalError> {
        let path = self.path(did);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(JournalError::Io {
                action: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> Journal {
        Journal {
            did: "did:plc:abc".into(),
            source_pds: "https://old.example".into(),
            target_pds: "https://new.example".into(),
            target_service_did: "did:web:new.example".into(),
            handle: "me.new.example".into(),
            email: "me@example.com".into(),
            invite_code: None,
            deactivate_source: true,
            done: vec![Step::Preflight, Step::CreateAccount],
            plc_token_requested_at: None,
            facts: Facts::default(),
            started_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn round_trips_and_knows_the_next_step() {
        let dir = tempfile::tempdir().unwrap();
        let journals = Journals::new(dir.path());
        assert!(journals.load("did:plc:abc").unwrap().is_none());
        let mut j = journal();
        journals.save(&mut j).unwrap();
        let back = journals.load("did:plc:abc").unwrap().unwrap();
        assert_eq!(back, j);
        assert_eq!(back.next(), Some(Step::Repo));
        assert!(!back.past_point_of_no_return());
        journals.remove("did:plc:abc").unwrap();
        assert!(journals.load("did:plc:abc").unwrap().is_none());
    }

    #[test]
    fn a_damaged_journal_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let journals = Journals::new(dir.path());
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::write(journals.path("did:plc:abc"), b"{not json").unwrap();
        let err = journals.load("did:plc:abc").unwrap_err();
        assert!(matches!(err, JournalError::Damaged { .. }), "{err}");
        assert_eq!(
            std::fs::read(journals.path("did:plc:abc")).unwrap(),
            b"{not json"
        );
    }
}
