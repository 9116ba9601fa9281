//! Checking a snapshot from what is on disk alone: its repository rebuilt from the stored blocks
//! (each hashed against its CID), the commit's signature against the `atproto` key of the DID
//! document saved with it, the whole MST walked and its records counted, and every blob a record
//! references present and hashing to its CID. Every failure is named: which manifest, which
//! block (and where in the tree), which blob (and which record references it).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use cid::Cid;
use serde::Serialize;
use sha2::Digest;

use super::BackupError;
use super::store::{AccountStore, BlockIndex, Manifest, StoreError};
use super::tree::{self, BlockProblem};
use crate::base::did_key::PublicKey;

/// What verify found wrong, one entry per problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum VerifyProblem {
    /// A manifest cannot be read (truncated, edited, or not one).
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A pack file cannot be read to its end; blocks after the damage are lost.
    Pack {
        /// The file.
        path: PathBuf,
        /// Where and what.
        detail: String,
    },
    /// A block of the repository is missing, altered or unreadable.
    Block {
        /// What and where.
        #[serde(flatten)]
        problem: BlockProblem,
    },
    /// The repository's commit is not the one the manifest names.
    Commit {
        /// What differs.
        detail: String,
    },
    /// The commit's signature does not check against the saved DID document's key.
    Signature {
        /// The key tried (`did:key:…`), when one was found.
        key: Option<String>,
        /// What failed.
        detail: String,
    },
    /// A saved identity or preferences file is missing or damaged.
    Identity {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A blob a record references is not in the backup.
    BlobMissing {
        /// The blob.
        cid: String,
        /// A record referencing it (`collection/rkey`).
        record: String,
    },
    /// A stored blob's bytes do not hash to its CID.
    BlobCorrupt {
        /// The blob.
        cid: String,
        /// A record referencing it.
        record: String,
        /// The file.
        path: PathBuf,
    },
}

impl std::fmt::Display for VerifyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyProblem::Manifest { path, detail } => {
                write!(f, "manifest {}: {detail}", path.display())
            }
            VerifyProblem::Pack { path, detail } => write!(f, "pack {}: {detail}", path.display()),
            VerifyProblem::Block { problem } => problem.fmt(f),
            VerifyProblem::Commit { detail } => write!(f, "commit: {detail}"),
            VerifyProblem::Signature { key, detail } => match key {
                Some(key) => write!(f, "commit signature (key {key}): {detail}"),
                None => write!(f, "commit signature: {detail}"),
            },
            VerifyProblem::Identity { path, detail } => write!(f, "{}: {detail}", path.display()),
            VerifyProblem::BlobMissing { cid, record } => {
                write!(f, "blob {cid} (record {record}) is missing")
            }
            VerifyProblem::BlobCorrupt { cid, record, path } => write!(
                f,
                "blob {cid} (record {record}) in {} does not match its CID",
                path.display()
            ),
        }
    }
}

/// What verify checked and found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The account.
    pub did: String,
    /// The snapshot checked (`None` when no manifest could be read).
    pub snapshot: Option<String>,
    /// Its commit.
    pub commit: Option<String>,
    /// Its revision.
    pub rev: Option<String>,
    /// The key the signature checked against.
    pub signing_key: Option<String>,
    /// Blocks read and hashed.
    pub blocks: u64,
    /// Records per collection, counted from the tree.
    pub records: BTreeMap<String, u64>,
    /// Blobs referenced and checked.
    pub blobs: u64,
    /// Everything wrong; empty when the snapshot is whole.
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    /// Whether the snapshot is whole.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies snapshot `snapshot` (the newest readable one when `None`) of `did` in the backup
/// folder `root`. Reads the disk only; runs on a blocking thread.
pub async fn verify(
    root: &Path,
    did: &str,
    snapshot: Option<&str>,
) -> Result<VerifyReport, BackupError> {
    let store = AccountStore::new(root, did);
    let snapshot = snapshot.map(str::to_owned);
    tokio::task::spawn_blocking(move || verify_blocking(&store, snapshot.as_deref()))
        .await
        .expect("verify does not panic")
}

fn verify_blocking(
    store: &AccountStore,
    snapshot: Option<&str>,
) -> Result<VerifyReport, BackupError> {
    let mut report = VerifyReport {
        did: store.did().to_owned(),
        snapshot: None,
        commit: None,
        rev: None,
        signing_key: None,
        blocks: 0,
        records: BTreeMap::new(),
        blobs: 0,
        problems: Vec::new(),
    };
    // Every manifest is read, so a damaged one is named even when another is checked.
    let ids = store.snapshot_ids()?;
    if ids.is_empty() {
        return Err(StoreError::NoSnapshot {
            did: store.did().to_owned(),
            id: snapshot.unwrap_or("latest").to_owned(),
        }
        .into());
    }
    let mut readable: Vec<Manifest> = Vec::new();
    for id in &ids {
        match store.manifest(id) {
            Ok(m) => readable.push(m),
            Err(StoreError::Damaged { path, detail }) => {
                report.problems.push(VerifyProblem::Manifest {
                    path: path.into(),
                    detail,
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
    let manifest = match snapshot {
        Some(id) if !ids.iter().any(|i| i == id) => {
            return Err(StoreError::NoSnapshot {
                did: store.did().to_owned(),
                id: id.to_owned(),
            }
            .into());
        }
        Some(id) => readable.into_iter().find(|m| m.id == id),
        None => readable.pop(),
    };
    let Some(manifest) = manifest else {
        return Ok(report);
    };
    report.snapshot = Some(manifest.id.clone());
    report.commit = Some(manifest.commit.clone());
    report.rev = Some(manifest.rev.clone());

    let index = BlockIndex::load(store)?;
    for (path, detail) in &index.damaged {
        report.problems.push(VerifyProblem::Pack {
            path: path.clone(),
            detail: detail.clone(),
        });
    }
    let commit: Cid = match manifest.commit.parse() {
        Ok(c) => c,
        Err(_) => {
            report.problems.push(VerifyProblem::Manifest {
                path: store.manifest_path(&manifest.id),
                detail: format!("{:?} is not a CID", manifest.commit),
            });
            return Ok(report);
        }
    };
    let walk = tree::walk(&index, &commit, &mut HashSet::new())?;
    report.blocks = walk.blocks.len() as u64;
    report.records = walk.records.clone();
    report.blobs = walk.blobs.len() as u64;
    report.problems.extend(
        walk.problems
            .iter()
            .cloned()
            .map(|problem| VerifyProblem::Block { problem }),
    );
    if let Some(c) = &walk.commit {
        if c.rev != manifest.rev || c.did != manifest.did {
            report.problems.push(VerifyProblem::Commit {
                detail: format!(
                    "the commit is {} at {}, the manifest says {} at {}",
                    c.did, c.rev, manifest.did, manifest.rev
                ),
            });
        }
        check_signature(store, &manifest, c, &mut report);
    }
    for name in manifest
        .preferences
        .iter()
        .chain(manifest.plc_audit_log.iter())
    {
        if let Err(e) = store.meta(name) {
            report.problems.push(VerifyProblem::Identity {
                path: store.meta_path(name),
                detail: e.to_string(),
            });
        }
    }
    for (cid, record) in &walk.blobs {
        let path = store.blob_path(cid);
        match hash_file(&path) {
            Ok(digest) => {
                let matches = cid
                    .parse::<Cid>()
                    .is_ok_and(|c| c.hash().code() == 0x12 && c.hash().digest() == digest);
                if !matches {
                    report.problems.push(VerifyProblem::BlobCorrupt {
                        cid: cid.clone(),
                        record: record.clone(),
                        path,
                    });
                }
            }
            Err(_) => report.problems.push(VerifyProblem::BlobMissing {
                cid: cid.clone(),
                record: record.clone(),
            }),
        }
    }
    log::info!(
        "verified snapshot {} of {}: {} problems",
        manifest.id,
        manifest.did,
        report.problems.len()
    );
    Ok(report)
}

/// Checks the commit's signature against the `#atproto` key of the saved DID document.
fn check_signature(
    store: &AccountStore,
    manifest: &Manifest,
    commit: &tree::Commit,
    report: &mut VerifyReport,
) {
    let doc = match store.meta(&manifest.did_document) {
        Ok(doc) => doc,
        Err(e) => {
            report.problems.push(VerifyProblem::Identity {
                path: store.meta_path(&manifest.did_document),
                detail: e.to_string(),
            });
            return;
        }
    };
    let Some((kind, multibase)) = signing_key(&doc) else {
        report.problems.push(VerifyProblem::Signature {
            key: None,
            detail: "the saved DID document has no #atproto signing key".to_owned(),
        });
        return;
    };
    match parse_key(&kind, &multibase) {
        Ok(key) => {
            let did_key = key.did_key();
            report.signing_key = Some(did_key.clone());
            if !key.verify(&commit.unsigned, &commit.sig) {
                report.problems.push(VerifyProblem::Signature {
                    key: Some(did_key),
                    detail: "the signature does not match the commit".to_owned(),
                });
            }
        }
        Err(detail) => report.problems.push(VerifyProblem::Signature {
            key: Some(multibase),
            detail,
        }),
    }
}

/// The type and `publicKeyMultibase` of the verification method whose id ends in `#atproto`.
fn signing_key(doc: &serde_json::Value) -> Option<(String, String)> {
    let method = doc["verificationMethod"]
        .as_array()?
        .iter()
        .find(|m| m["id"].as_str().is_some_and(|id| id.ends_with("#atproto")))?;
    let key = method["publicKeyMultibase"].as_str()?.to_owned();
    Some((
        method["type"].as_str().unwrap_or("Multikey").to_owned(),
        key,
    ))
}

/// Reads a verification method's key: `Multikey` (a did:key's multibase) through
/// [`PublicKey::parse`]; the older `EcdsaSecp256k1VerificationKey2019` /
/// `EcdsaSecp256r1VerificationKey2019` forms (still served by older PLC directories) hold the
/// bare SEC1 point in multibase, without a multicodec prefix.
fn parse_key(kind: &str, multibase: &str) -> Result<PublicKey, String> {
    let legacy = |decode: fn(&[u8]) -> Option<PublicKey>| {
        multibase::decode(multibase)
            .ok()
            .and_then(|(_, bytes)| decode(&bytes))
            .ok_or_else(|| format!("{multibase:?} is not a valid {kind} key"))
    };
    match kind {
        "EcdsaSecp256k1VerificationKey2019" => legacy(|b| {
            k256::ecdsa::VerifyingKey::from_sec1_bytes(b)
                .ok()
                .map(PublicKey::K256)
        }),
        "EcdsaSecp256r1VerificationKey2019" => legacy(|b| {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(b)
                .ok()
                .map(PublicKey::P256)
        }),
        _ => PublicKey::parse(multibase).map_err(|e| e.to_string()),
    }
}

/// SHA-256 of a file, streamed.
fn hash_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().to_vec())
}
