//! Which snapshot a recovery restores, and what of the account will be missing when the backup
//! is damaged and the person chose to go on without the damaged parts (`skip_damaged`).
//!
//! A damaged blob is left out (the record that uses it comes back without it); an unreadable
//! manifest means the snapshot before it is used; damaged records or tree nodes are left out of
//! a tree rebuilt from the whole records (`backup::rebuild`, signed with the recovery's new
//! key), each damaged record named and the count per collection given. Only when the commit
//! itself (or the snapshot's identity files) is damaged is the newest older snapshot whose
//! repository is whole restored instead, and what changed after it named as missing.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use cid::Cid;
use std::path::Path;

use super::RecoverError;
use crate::backup::BackupError;
use crate::backup::store::AccountStore;
use crate::backup::store::{BlockIndex, StoreError};
use crate::backup::tree::{self, BlockProblem};
use crate::backup::verify::{VerifyProblem, VerifyReport, verify};

/// The snapshot to restore and what will be missing from it.
#[derive(Debug, Clone)]
pub(super) struct Restore {
    /// What verify found in the snapshot restored (records and blobs counted there).
    pub report: VerifyReport,
    /// The snapshot's id.
    pub snapshot: String,
    /// Blobs not to upload: missing from the backup or damaged there.
    pub skipped_blobs: Vec<String>,
    /// What the person loses, one line each, for people.
    pub missing: Vec<String>,
    /// The repository is rebuilt without its damaged records.
    pub rebuild: bool,
}

/// Whether the repository of a damaged snapshot can be rebuilt without the damage: its commit
/// and identity files are whole (records, tree nodes and packs may be damaged).
fn rebuildable(report: &VerifyReport) -> bool {
    !report.problems.iter().any(|p| match p {
        VerifyProblem::Block { problem } => block_at(problem) == "commit",
        VerifyProblem::Commit { .. } | VerifyProblem::Identity { .. } => true,
        _ => false,
    })
}

/// The records that come back from a rebuild of snapshot `id` (per collection) and the keys of
/// those left out: every record whose block is damaged. Reads the disk on a blocking thread.
async fn rebuilt_records(
    dir: &Path,
    did: &str,
    id: &str,
) -> Result<(BTreeMap<String, u64>, Vec<String>), RecoverError> {
    let store = AccountStore::new(dir, did);
    let id = id.to_owned();
    let walked = tokio::task::spawn_blocking(move || -> Result<_, BackupError> {
        let manifest = store.manifest(&id)?;
        let commit: Cid = manifest.commit.parse().map_err(|_| StoreError::Damaged {
            path: store.manifest_path(&id).display().to_string(),
            detail: "its commit is not a CID".to_owned(),
        })?;
        let index = BlockIndex::load(&store)?;
        Ok(tree::walk(&index, &commit, &mut HashSet::new())?)
    })
    .await
    .expect("a walk does not panic")?;
    let bad: HashSet<String> = walked
        .problems
        .iter()
        .map(|p| match p {
            BlockProblem::Missing { cid, .. }
            | BlockProblem::Corrupt { cid, .. }
            | BlockProblem::Unreadable { cid, .. } => cid.clone(),
        })
        .collect();
    let mut kept = BTreeMap::new();
    let mut lost = Vec::new();
    for (key, cid) in &walked.entries {
        if bad.contains(&cid.to_string()) {
            lost.push(key.clone());
        } else {
            let collection = key.split('/').next().unwrap_or_default().to_owned();
            *kept.entry(collection).or_insert(0u64) += 1;
        }
    }
    Ok((kept, lost))
}

/// Where in the tree a damaged block sits.
fn block_at(p: &BlockProblem) -> &str {
    match p {
        BlockProblem::Missing { at, .. }
        | BlockProblem::Corrupt { at, .. }
        | BlockProblem::Unreadable { at, .. } => at,
    }
}

/// Whether `p` is damage to the repository itself (cannot be left out of the signed tree).
fn in_repository(p: &VerifyProblem) -> bool {
    matches!(
        p,
        VerifyProblem::Block { .. }
            | VerifyProblem::Pack { .. }
            | VerifyProblem::Commit { .. }
            | VerifyProblem::Signature { .. }
            | VerifyProblem::Identity { .. }
    )
}

/// The snapshot `wanted` (the newest when `None`) of `did` in `dir`, whole; or, when it is
/// damaged and `skip` is set, what can be restored and what will be missing. Reads the disk
/// only: nothing is created.
pub(super) async fn restorable(
    dir: &Path,
    did: &str,
    wanted: Option<&str>,
    skip: bool,
) -> Result<Restore, RecoverError> {
    let mut report = verify(dir, did, wanted).await?;
    let name = |r: &VerifyReport| r.snapshot.clone().unwrap_or_else(|| "latest".to_owned());
    let damaged = |r: &VerifyReport, extra: Option<String>| RecoverError::DamagedBackup {
        did: did.to_owned(),
        snapshot: name(r),
        problems: r
            .problems
            .iter()
            .map(ToString::to_string)
            .chain(extra)
            .collect(),
    };
    if !report.ok() && !skip {
        return Err(damaged(&report, None));
    }
    let mut missing = Vec::new();
    if report.snapshot.is_none() {
        return Err(damaged(
            &report,
            Some("no snapshot of the account can be read".to_owned()),
        ));
    }
    let mut rebuild = false;
    if report.problems.iter().any(in_repository) && rebuildable(&report) {
        let store = AccountStore::new(dir, did);
        let id = name(&report);
        let counted = store
            .manifest(&id)
            .map(|m| m.records)
            .unwrap_or_else(|_| report.records.clone());
        let (kept, lost) = rebuilt_records(dir, did, &id).await?;
        let mut named = HashSet::new();
        for p in &report.problems {
            match p {
                VerifyProblem::Block { problem } => match block_at(problem).strip_prefix("record ") {
                    Some(key) => {
                        named.insert(key.to_owned());
                        missing.push(format!("record {key}: {problem}"));
                    }
                    None => missing.push(format!(
                        "the records under a damaged node of the tree: {problem}"
                    )),
                },
                VerifyProblem::Pack { path, detail } => missing.push(format!(
                    "what the damaged pack {} held after its damage ({detail})",
                    path.display()
                )),
                VerifyProblem::Signature { detail, .. } => missing.push(format!(
                    "the snapshot's commit signature does not check ({detail}); the rebuilt repository is signed with the new key"
                )),
                _ => {}
            }
        }
        // A record whose bytes equal a damaged record's shares its block, so it is lost too.
        for key in lost.iter().filter(|k| !named.contains(*k)) {
            missing.push(format!(
                "record {key}: its block is damaged (the same block as another record's)"
            ));
        }
        let collections: BTreeSet<&String> = counted.keys().chain(kept.keys()).collect();
        for c in collections {
            let (back, had) = (
                kept.get(c).copied().unwrap_or(0),
                counted.get(c).copied().unwrap_or(0),
            );
            if back != had {
                missing.push(format!(
                    "{c}: {back} of the {had} records of snapshot {id} come back"
                ));
            }
        }
        report.records = kept;
        rebuild = true;
    } else if report.problems.iter().any(in_repository) {
        let store = AccountStore::new(dir, did);
        let newer = name(&report);
        let ids = store.snapshot_ids().map_err(BackupError::from)?;
        let mut older = None;
        for id in ids.iter().rev().filter(|id| **id < newer) {
            let r = verify(dir, did, Some(id)).await?;
            if r.snapshot.is_some() && !r.problems.iter().any(in_repository) {
                older = Some(r);
                break;
            }
        }
        let Some(older) = older else {
            return Err(damaged(
                &report,
                Some(
                    "no older snapshot has a whole repository, so the damaged parts cannot be left out"
                        .to_owned(),
                ),
            ));
        };
        let damage: Vec<String> = report
            .problems
            .iter()
            .filter(|p| in_repository(p))
            .map(ToString::to_string)
            .collect();
        missing.push(format!(
            "snapshot {newer} cannot be restored ({}); the older snapshot {} is restored instead, so everything changed after it is missing",
            damage.join("; "),
            name(&older)
        ));
        // The manifest's counts are those of the account when the snapshot was taken; the
        // damaged tree's own count may be short.
        let counted = store
            .manifest(&newer)
            .map(|m| m.records)
            .unwrap_or_else(|_| report.records.clone());
        let collections: BTreeSet<&String> = counted.keys().chain(older.records.keys()).collect();
        for c in collections {
            let (then, now) = (
                older.records.get(c).copied().unwrap_or(0),
                counted.get(c).copied().unwrap_or(0),
            );
            if then != now {
                missing.push(format!(
                    "{c}: {then} records come back instead of the {now} of snapshot {newer}"
                ));
            }
        }
        report = older;
    }
    let mut skipped_blobs = Vec::new();
    for p in &report.problems {
        match p {
            VerifyProblem::Manifest { path, detail } => missing.push(format!(
                "the snapshot file {} is unreadable ({detail}); snapshot {} is restored, so what changed after it is missing",
                path.display(),
                name(&report)
            )),
            VerifyProblem::BlobMissing { cid, record } => {
                skipped_blobs.push(cid.clone());
                missing.push(format!(
                    "blob {cid} (used by the record {record}): not in the backup"
                ));
            }
            VerifyProblem::BlobCorrupt { cid, record, .. } => {
                skipped_blobs.push(cid.clone());
                missing.push(format!(
                    "blob {cid} (used by the record {record}): damaged in the backup"
                ));
            }
            // Repository damage: named above.
            _ => {}
        }
    }
    Ok(Restore {
        snapshot: name(&report),
        report,
        skipped_blobs,
        missing,
        rebuild,
    })
}
