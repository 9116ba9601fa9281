//! Retention: keep the newest N snapshots of an account and remove what only the others needed.
//!
//! Manifests go first, so a prune stopped half-way leaves every kept snapshot whole. Then every
//! kept snapshot's tree is walked (shared blocks once) to mark the blocks and blobs still
//! reached; a pack holding only unreached blocks is deleted, one holding some is rewritten with
//! the reached ones (through a `.part` file and a rename), and unreached blobs and identity
//! files are deleted.

use std::collections::HashSet;
use std::path::Path;

use cid::Cid;
use serde::Serialize;

use super::BackupError;
use super::store::{self, AccountStore, BlockIndex, PackWriter, StoreError};
use super::tree;

/// What a prune removed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneSummary {
    /// The account.
    pub did: String,
    /// Snapshots kept, oldest first.
    pub kept: Vec<String>,
    /// Snapshots removed.
    pub removed: Vec<String>,
    /// Blocks removed.
    pub blocks_removed: u64,
    /// Blobs removed.
    pub blobs_removed: u64,
    /// Bytes freed on disk.
    pub bytes_freed: u64,
}

/// Why a prune would not start.
#[derive(Debug, thiserror::Error)]
#[error("keeping {keep} snapshots would keep none; keep at least 1")]
pub struct KeepNone {
    /// What was asked.
    pub keep: usize,
}

/// Keeps the newest `keep` snapshots (at least one: the next backup builds on the newest) of
/// `did` in the backup folder `root`.
pub async fn prune(root: &Path, did: &str, keep: usize) -> Result<PruneSummary, BackupError> {
    if keep == 0 {
        return Err(BackupError::KeepNone(KeepNone { keep }));
    }
    let store = AccountStore::new(root, did);
    tokio::task::spawn_blocking(move || prune_blocking(&store, keep))
        .await
        .expect("prune does not panic")
}

fn prune_blocking(store: &AccountStore, keep: usize) -> Result<PruneSummary, BackupError> {
    let _lock = store.lock()?;
    let ids = store.snapshot_ids()?;
    if ids.is_empty() {
        return Err(StoreError::NoSnapshot {
            did: store.did().to_owned(),
            id: "latest".to_owned(),
        }
        .into());
    }
    let split = ids.len().saturating_sub(keep);
    let (removed, kept) = ids.split_at(split);
    let mut summary = PruneSummary {
        did: store.did().to_owned(),
        kept: kept.to_vec(),
        removed: removed.to_vec(),
        blocks_removed: 0,
        blobs_removed: 0,
        bytes_freed: 0,
    };
    for id in removed {
        let path = store.manifest_path(id);
        summary.bytes_freed += size(&path);
        std::fs::remove_file(&path).map_err(|e| store::disk(&path, e))?;
    }

    // Mark.
    let index = BlockIndex::load(store)?;
    let mut reached: HashSet<Cid> = HashSet::new();
    let mut blobs: HashSet<String> = HashSet::new();
    let mut metas: HashSet<String> = HashSet::new();
    for id in kept {
        let manifest = store.manifest(id)?;
        metas.insert(manifest.did_document.clone());
        metas.extend(manifest.preferences.clone());
        metas.extend(manifest.plc_audit_log.clone());
        let commit: Cid = manifest.commit.parse().map_err(|_| StoreError::Damaged {
            path: store.manifest_path(id).display().to_string(),
            detail: "its commit is not a CID".to_owned(),
        })?;
        let walk = tree::walk(&index, &commit, &mut reached)?;
        if let Some(problem) = walk.problems.first() {
            // Sweeping now could delete what a damaged kept snapshot still needs.
            return Err(StoreError::Damaged {
                path: store.manifest_path(id).display().to_string(),
                detail: format!("{problem}; run verify before pruning"),
            }
            .into());
        }
        blobs.extend(walk.blobs.into_keys());
    }

    // Sweep packs.
    for pack in store.packs()? {
        let mut one = BlockIndex::empty();
        one.add_pack(&pack)?;
        let total = one.len() as u64;
        let keep_here: Vec<Cid> = one
            .entries()
            .map(|(c, _)| *c)
            .filter(|c| reached.contains(c))
            .collect();
        if keep_here.len() as u64 == total && one.damaged.is_empty() {
            continue;
        }
        let before = size(&pack);
        summary.blocks_removed += total - keep_here.len() as u64;
        if keep_here.is_empty() {
            std::fs::remove_file(&pack).map_err(|e| store::disk(&pack, e))?;
            summary.bytes_freed += before;
            continue;
        }
        let name = pack
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut writer = PackWriter::create(store, &name, &keep_here[0])?;
        for cid in &keep_here {
            let data = one.get(cid)?.expect("listed by the scan");
            writer.add(cid, &data)?;
        }
        writer.commit()?;
        summary.bytes_freed += before.saturating_sub(size(&pack));
    }

    // Sweep blobs and identity files.
    for path in store::list(&store.blobs_dir())? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| !blobs.contains(&n)) {
            summary.bytes_freed += size(&path);
            std::fs::remove_file(&path).map_err(|e| store::disk(&path, e))?;
            summary.blobs_removed += 1;
        }
    }
    for path in store::list(&store.dir().join("meta"))? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| !metas.contains(&n)) {
            summary.bytes_freed += size(&path);
            std::fs::remove_file(&path).map_err(|e| store::disk(&path, e))?;
        }
    }
    log::info!(
        "pruned {}: removed {} snapshots, {} blocks, {} blobs ({} bytes)",
        store.did(),
        summary.removed.len(),
        summary.blocks_removed,
        summary.blobs_removed,
        summary.bytes_freed
    );
    Ok(summary)
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
