//! The recovery journal: what has been done, written atomically after every step so that a
//! kill or a lost connection resumes where it stopped (as the migration's journal does). It
//! holds no secret: the password is never written; the new server's session and the new
//! signing key live in the keychain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::migrate::JournalError;

/// The steps of a recovery, in order. The checks come before the journal exists: a refused
/// recovery leaves nothing behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// The rotation key is held and in force, the snapshot verifies, the new server answers.
    Check,
    /// A fresh repository signing key made here and kept in the keychain.
    SigningKey,
    /// A PLC operation, signed with the person's rotation key, naming that key as the
    /// repository signing key (so the new server accepts a token signed with it).
    SigningKeyOp,
    /// The account made on the new server with the same DID, and signed in there.
    CreateAccount,
    /// A PLC operation pointing the identity at the new server, with its credentials.
    IdentityOp,
    /// The snapshot's repository imported.
    Repo,
    /// Every blob of the snapshot uploaded.
    Blobs,
    /// The snapshot's preferences restored.
    Preferences,
    /// The account activated on the new server.
    Activate,
    /// Records counted on the new server against the snapshot; blobs present.
    Verify,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 10] = [
        Step::Check,
        Step::SigningKey,
        Step::SigningKeyOp,
        Step::CreateAccount,
        Step::IdentityOp,
        Step::Repo,
        Step::Blobs,
        Step::Preferences,
        Step::Activate,
        Step::Verify,
    ];

    /// The step's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Step::Check => "Check the key and the backup",
            Step::SigningKey => "Make a new signing key",
            Step::SigningKeyOp => "Name the new signing key in your identity",
            Step::CreateAccount => "Create the account on the new server",
            Step::IdentityOp => "Point your identity at the new server",
            Step::Repo => "Restore the repository",
            Step::Blobs => "Upload images and other files",
            Step::Preferences => "Restore preferences",
            Step::Activate => "Activate the account",
            Step::Verify => "Verify the new server's copy",
        }
    }
}

/// A recovery in progress or finished, stored in `<data dir>/recoveries/<did>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// The account's DID (it does not change).
    pub did: String,
    /// The new server.
    pub pds: String,
    /// Its service DID, the audience of the creation token.
    pub service_did: String,
    /// The handle on the new server.
    pub handle: String,
    /// The email address there.
    pub email: String,
    /// The invite code, when the server needs one.
    pub invite_code: Option<String>,
    /// The backup folder.
    pub backup_dir: PathBuf,
    /// The snapshot restored (fixed at the check, so a resume restores the same one).
    pub snapshot: String,
    /// The person's rotation key (a keychain `did:key`) that signs the identity operations.
    pub rotation_key: String,
    /// The repository signing key made for the creation token, once made.
    pub signing_key: Option<String>,
    /// Records per collection in the snapshot.
    pub expected_records: BTreeMap<String, u64>,
    /// Blobs the snapshot references.
    pub expected_blobs: u64,
    /// Records per collection counted on the new server at the end.
    pub records: BTreeMap<String, u64>,
    /// Blobs uploaded by this recovery.
    pub blobs_uploaded: u64,
    /// Things the person should know.
    pub notes: Vec<String>,
    /// The identity alone is moved: no data is restored, the account comes back empty.
    #[serde(default)]
    pub identity_only: bool,
    /// Blobs left out because the backup lacks them or holds them damaged.
    #[serde(default)]
    pub skipped_blobs: Vec<String>,
    /// What will be missing from the account, named at the check, before anything is made.
    #[serde(default)]
    pub missing: Vec<String>,
    /// The snapshot's repository is rebuilt without its damaged records (signed with
    /// `signing_key`).
    #[serde(default)]
    pub rebuild: bool,
    /// Steps finished, in order.
    pub done: Vec<Step>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Journal {
    /// Whether `step` is finished.
    pub fn is_done(&self, step: Step) -> bool {
        self.done.contains(&step)
    }

    /// The first step not finished; `None` when the recovery is complete.
    pub fn next(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| !self.is_done(*s))
    }
}

/// Where the recovery journals of one data folder live.
#[derive(Debug, Clone)]
pub struct Journals {
    dir: PathBuf,
}

impl Journals {
    /// The journals under `data_dir/recoveries`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("recoveries"),
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

    /// The working folder of `did`'s recovery (the snapshot exported as CAR + blobs).
    pub fn work_dir(&self, did: &str) -> PathBuf {
        self.path(did).with_extension("work")
    }

    /// The journal of `did`, if a recovery was started.
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

    /// Writes `journal` in one atomic replace.
    pub fn save(&self, journal: &mut Journal) -> Result<(), JournalError> {
        journal.updated_at = Utc::now();
        let path = self.path(&journal.did);
        let io = |action| {
            let path = path.clone();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(&self.dir).map_err(io("create"))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io("write"))?;
        serde_json::to_writer_pretty(&mut tmp, journal).expect("a journal always serialises");
        tmp.as_file().sync_all().map_err(io("write"))?;
        tmp.persist(&path).map_err(|e| JournalError::Io {
            action: "replace",
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_knows_the_next_step() {
        let dir = tempfile::tempdir().unwrap();
        let journals = Journals::new(dir.path());
        let mut j = Journal {
            did: "did:plc:abc".into(),
            pds: "https://new.example".into(),
            service_did: "did:web:new.example".into(),
            handle: "me.new.example".into(),
            email: "me@example.com".into(),
            invite_code: None,
            backup_dir: dir.path().join("backup"),
            snapshot: "s1".into(),
            rotation_key: "did:key:zQ3s".into(),
            signing_key: None,
            expected_records: BTreeMap::new(),
            expected_blobs: 0,
            records: BTreeMap::new(),
            blobs_uploaded: 0,
            notes: Vec::new(),
            identity_only: false,
            skipped_blobs: Vec::new(),
            missing: Vec::new(),
            rebuild: false,
            done: vec![Step::Check, Step::SigningKey],
            started_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(journals.load(&j.did).unwrap().is_none());
        journals.save(&mut j).unwrap();
        let back = journals.load("did:plc:abc").unwrap().unwrap();
        assert_eq!(back, j);
        assert_eq!(back.next(), Some(Step::SigningKeyOp));
    }
}
