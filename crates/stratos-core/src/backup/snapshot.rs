//! Taking a snapshot: what changed in the repository since the last one (`sync.getRepo?since`),
//! the blobs not yet stored (`sync.listBlobs?since`, and any a record references that is
//! absent), the preferences, the DID document and the PLC audit log.
//!
//! Order of writes, so a run killed at any point leaves the previous snapshot whole and the next
//! run continues: the new blocks go into a pack (written, synced, renamed), blobs one file each
//! the same way, the identity files, and only then the manifest. Before the manifest is written
//! the whole tree is walked from the new commit; a block the `since` answer did not carry (the
//! PDS sends only blocks written after that revision) makes the run download the full
//! repository once and store what was missing.

use futures::StreamExt;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use cid::Cid;
use jacquard_api::com_atproto::sync::list_blobs::ListBlobs;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::Did;
use serde::Serialize;
use sha2::Digest;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::car::CarParser;
use super::store::{AccountStore, BlockIndex, Manifest, PackWriter, part_path};
use super::tree;
use super::{BackupError, CancellationToken};
use crate::accounts::{Accounts, AccountsError};
use crate::base::identifier::ParseError;
use crate::net::xrpc::{Xrpc, transport};

/// The largest blob downloaded (the reference PDS allows 100 MB videos); bigger is refused.
const MAX_BLOB: u64 = 1 << 30;
/// The most `listBlobs` pages read (1,000 CIDs each), so a server that never ends its cursor
/// cannot keep a backup running forever.
const MAX_BLOB_PAGES: usize = 10_000;

/// Which part of a snapshot is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotStep {
    /// Downloading the repository's changes; `done` counts bytes.
    Repo,
    /// Walking the tree to check every block is stored; `done` counts blocks.
    Check,
    /// Listing new blobs; `done` counts CIDs found.
    ListBlobs,
    /// Downloading blobs; `done` of `total`.
    Blobs,
    /// Saving preferences, the DID document and the PLC audit log.
    Identity,
}

/// A progress report of one account's snapshot.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotProgress {
    /// The account.
    pub did: String,
    /// What is running.
    pub step: SnapshotStep,
    /// How much is done.
    pub done: u64,
    /// How much there is, when known.
    pub total: Option<u64>,
}

/// Blobs downloaded at once (the transfer floor of the benchmark uses as many).
const BLOBS_AT_ONCE: usize = 8;

/// Tries of one blob download before it counts as failed.
const DOWNLOAD_ATTEMPTS: u64 = 3;

/// Takes a snapshot of a signed-in account (handle or DID; the selected one when `None`) into
/// the backup folder `root`; returns its manifest.
pub async fn snapshot_account(
    accounts: &Accounts,
    id: Option<&str>,
    root: &Path,
    progress: &(dyn Fn(SnapshotProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Manifest, BackupError> {
    let record = accounts.find(id)?;
    let pds = Url::parse(&record.pds_url).map_err(|_| {
        AccountsError::BadInput(ParseError::BadServerUrl {
            input: record.pds_url.clone(),
        })
    })?;
    let store = AccountStore::new(root, &record.did);
    let _lock = store.lock()?;
    let previous = store.latest()?;
    let id = new_id(&store);
    let did = record.did.clone();
    let report = |step, done, total| {
        progress(SnapshotProgress {
            did: did.clone(),
            step,
            done,
            total,
        })
    };
    log::info!(
        "snapshot {id} of {did} into {} (since {:?})",
        root.display(),
        previous.as_ref().map(|m| &m.rev)
    );

    let mut index = BlockIndex::load(&store)?;
    let since = previous.as_ref().map(|m| m.rev.clone());
    let xrpc = accounts.context().xrpc();
    let mut added = Added::default();
    let commit = fetch_repo(
        xrpc,
        &pds,
        &did,
        since.as_deref(),
        (&store, &mut index, &id),
        &mut added,
        &|n| report(SnapshotStep::Repo, n, None),
        cancel,
    )
    .await?;
    report(SnapshotStep::Check, 0, None);
    let mut walk = tree::walk(&index, &commit, &mut HashSet::new())?;
    if !walk.problems.is_empty() && since.is_some() {
        log::info!(
            "the changes since {since:?} left {} blocks unreached ({}); downloading the whole repository",
            walk.problems.len(),
            walk.problems[0]
        );
        let full = format!("{id}-full");
        let commit2 = fetch_repo(
            xrpc,
            &pds,
            &did,
            None,
            (&store, &mut index, &full),
            &mut added,
            &|n| report(SnapshotStep::Repo, n, None),
            cancel,
        )
        .await?;
        walk = tree::walk(&index, &commit2, &mut HashSet::new())?;
    }
    if let Some(problem) = walk.problems.first() {
        return Err(BackupError::Incomplete {
            did: did.clone(),
            detail: problem.to_string(),
        });
    }
    let commit_data = walk
        .commit
        .clone()
        .expect("a walk without problems read the commit");
    if commit_data.did != did {
        return Err(BackupError::Incomplete {
            did: did.clone(),
            detail: format!("the repository's commit is signed for {}", commit_data.did),
        });
    }
    report(SnapshotStep::Check, walk.blocks.len() as u64, None);

    // Blobs: new ones by `listBlobs?since`, and any a record references that is not stored.
    let mut wanted: BTreeSet<String> =
        list_blobs(xrpc, &pds, &did, since.as_deref(), &report, cancel).await?;
    wanted.extend(walk.blobs.keys().cloned());
    wanted.retain(|cid| !store.blob_path(cid).exists());
    let total = wanted.len() as u64;
    let mut warnings = Vec::new();
    report(SnapshotStep::Blobs, 0, Some(total));
    // Several at a time, as the transfer floor does: one blob's round trips overlap the next's.
    // (Collected first: a stream over a borrowing iterator would not be `Send` for the app's
    // background task.)
    let jobs: Vec<_> = wanted
        .iter()
        .map(|cid| {
            let (pds, did, path, cid) = (&pds, &did, store.blob_path(cid), cid.clone());
            async move {
                // A server busy with the other downloads may fail one now and then: such a
                // failure is tried again, as the migration does.
                let mut attempt = 1;
                let result = loop {
                    let result = download_blob(xrpc, pds, did, &cid, &path, cancel).await;
                    match &result {
                        Err(BackupError::Xrpc(e))
                            if attempt < DOWNLOAD_ATTEMPTS && crate::migrate::transient(e) =>
                        {
                            log::info!(
                                "blob {cid}: download attempt {attempt} failed ({e}); again"
                            );
                            tokio::time::sleep(std::time::Duration::from_secs(attempt)).await;
                            attempt += 1;
                        }
                        _ => break result,
                    }
                };
                (cid, result)
            }
        })
        .collect();
    let mut downloads = futures::stream::iter(jobs).buffer_unordered(BLOBS_AT_ONCE);
    let mut finished = 0u64;
    while let Some((cid, result)) = downloads.next().await {
        match result {
            Ok(bytes) => {
                added.blobs += 1;
                added.blob_bytes += bytes;
            }
            Err(BackupError::Cancelled) => return Err(BackupError::Cancelled),
            Err(e) => {
                let record = walk.blobs.get(&cid).map(String::as_str).unwrap_or("?");
                log::warn!("blob {cid} of {did} (record {record}) not saved: {e}");
                warnings.push(format!(
                    "blob {cid} (record {record}) could not be saved: {e}"
                ));
            }
        }
        finished += 1;
        report(SnapshotStep::Blobs, finished, Some(total));
    }
    drop(downloads);

    report(SnapshotStep::Identity, 0, None);
    if cancel.is_cancelled() {
        return Err(BackupError::Cancelled);
    }
    let identity = save_identity(accounts, &store, &did, &mut warnings).await?;
    let manifest = Manifest {
        version: super::store::MANIFEST_VERSION,
        id: id.clone(),
        did: did.clone(),
        handle: Some(record.handle.clone()),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        commit: commit.to_string(),
        rev: commit_data.rev,
        since,
        pack: added.pack.clone(),
        new_blocks: added.blocks,
        new_block_bytes: added.block_bytes,
        blocks: walk.blocks.len() as u64,
        records: walk.records,
        blobs: walk.blobs.len() as u64,
        new_blobs: added.blobs,
        new_blob_bytes: added.blob_bytes,
        preferences: identity.preferences,
        did_document: identity.did_document,
        plc_audit_log: identity.plc_audit_log,
        warnings,
    };
    if cancel.is_cancelled() {
        return Err(BackupError::Cancelled);
    }
    store.write_manifest(&manifest)?;
    // The tree was walked whole before the manifest was written: this backup verified.
    let recorded = accounts.context().state_file().update(|s| {
        if let Some(a) = s.accounts.iter_mut().find(|a| a.did == did) {
            a.last_backup_at = Some(chrono::Utc::now());
        }
    });
    if let Err(e) = recorded {
        log::warn!("could not record the backup time of {did}: {e}");
    }
    log::info!(
        "snapshot {id} of {did}: {} new blocks ({} bytes), {} new blobs ({} bytes)",
        manifest.new_blocks,
        manifest.new_block_bytes,
        manifest.new_blobs,
        manifest.new_blob_bytes
    );
    Ok(manifest)
}

/// What this run added to the store.
#[derive(Default)]
struct Added {
    pack: Option<String>,
    blocks: u64,
    block_bytes: u64,
    blobs: u64,
    blob_bytes: u64,
}

/// A snapshot id not taken yet: the time, to the millisecond (sorts in time order).
fn new_id(store: &AccountStore) -> String {
    loop {
        let id = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();
        if !store.manifest_path(&id).exists() {
            return id;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Streams `getRepo` (changes `since`, or everything) and stores the blocks not stored yet in
/// pack `name`; returns the commit the answer is rooted at.
#[allow(clippy::too_many_arguments)]
async fn fetch_repo(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    since: Option<&str>,
    (store, index, name): (&AccountStore, &mut BlockIndex, &str),
    added: &mut Added,
    bytes_done: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Cid, BackupError> {
    const GET_REPO: &str = "com.atproto.sync.getRepo";
    let mut query = vec![("did", did)];
    if let Some(rev) = since {
        query.push(("since", rev));
    }
    let mut response = tokio::select! {
        r = xrpc.download(pds, GET_REPO, &query) => r?,
        () = cancel.cancelled() => return Err(BackupError::Cancelled),
    };
    let bad = |detail: String| BackupError::Incomplete {
        did: did.to_owned(),
        detail: format!("the PDS sent a broken repository: {detail}"),
    };
    let mut parser = CarParser::default();
    let mut pack: Option<PackWriter> = None;
    let mut read = 0u64;
    // A block repeated in the answer is stored once.
    let mut written = HashSet::new();
    let result: Result<(), BackupError> = async {
        loop {
            let chunk = tokio::select! {
                c = response.chunk() => c.map_err(|e| transport(pds, GET_REPO, e))?,
                () = cancel.cancelled() => return Err(BackupError::Cancelled),
            };
            let Some(chunk) = chunk else { break };
            read += chunk.len() as u64;
            bytes_done(read);
            parser.push(&chunk);
            while let Some((cid, data)) = parser.next_block().map_err(bad)? {
                if index.contains(&cid) || !written.insert(cid) {
                    continue;
                }
                if pack.is_none() {
                    let root = parser.roots().and_then(|r| r.first()).copied();
                    let root = root.ok_or_else(|| bad("the CAR names no root".to_owned()))?;
                    pack = Some(PackWriter::create(store, name, &root)?);
                }
                let writer = pack.as_mut().expect("created above");
                writer.add(&cid, &data)?;
            }
        }
        parser.finish().map_err(bad)
    }
    .await;
    if let Err(e) = result {
        if let Some(p) = pack {
            p.discard();
        }
        return Err(e);
    }
    if let Some(writer) = pack {
        added.blocks += writer.blocks;
        added.block_bytes += writer.bytes;
        let path = writer.commit()?;
        index.add_pack(&path)?;
        added.pack = Some(format!("packs/{name}.car"));
    }
    let root = parser.roots().and_then(|r| r.first()).copied();
    root.ok_or_else(|| bad("the CAR names no root".to_owned()))
}

/// Every blob CID `listBlobs` gives (since `since`, or all).
async fn list_blobs(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    since: Option<&str>,
    report: &(dyn Fn(SnapshotStep, u64, Option<u64>) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BTreeSet<String>, BackupError> {
    let did_typed = Did::new_owned(did).map_err(|_| {
        AccountsError::BadInput(ParseError::BadDid {
            input: did.to_owned(),
        })
    })?;
    let mut cids = BTreeSet::new();
    let mut cursor: Option<SmolStr> = None;
    for _ in 0..MAX_BLOB_PAGES {
        if cancel.is_cancelled() {
            return Err(BackupError::Cancelled);
        }
        let req = ListBlobs {
            cursor: cursor.take(),
            did: did_typed.clone(),
            limit: Some(1000),
            since: since.and_then(|s| jacquard_common::types::string::Tid::new(s).ok()),
        };
        let page = xrpc.send(pds, &req, None).await?;
        let n = page.cids.len();
        cids.extend(page.cids.iter().map(|c| c.as_str().to_owned()));
        report(SnapshotStep::ListBlobs, cids.len() as u64, None);
        match page.cursor {
            Some(c) if n > 0 => cursor = Some(c),
            _ => break,
        }
    }
    Ok(cids)
}

/// Streams blob `cid` to `path` through `<path>.part`, checking its size and that it hashes to
/// its CID before it is renamed into place; returns its size.
async fn download_blob(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    cid: &str,
    path: &Path,
    cancel: &CancellationToken,
) -> Result<u64, BackupError> {
    const GET_BLOB: &str = "com.atproto.sync.getBlob";
    let parsed: Cid = cid.parse().map_err(|_| BackupError::Incomplete {
        did: did.to_owned(),
        detail: format!("{cid:?} is not a CID"),
    })?;
    let query = [("did", did), ("cid", cid)];
    let mut response = tokio::select! {
        r = xrpc.download_as_stored(pds, GET_BLOB, &query) => r?,
        () = cancel.cancelled() => return Err(BackupError::Cancelled),
    };
    let part = part_path(path);
    let io = |e: std::io::Error| BackupError::Store(super::store::disk(&part, e));
    let mut file = tokio::fs::File::create(&part).await.map_err(io)?;
    let mut hasher = sha2::Sha256::new();
    let mut written = 0u64;
    let outcome: Result<(), BackupError> = async {
        loop {
            let chunk = tokio::select! {
                c = response.chunk() => c.map_err(|e| transport(pds, GET_BLOB, e))?,
                () = cancel.cancelled() => return Err(BackupError::Cancelled),
            };
            let Some(chunk) = chunk else { break };
            written += chunk.len() as u64;
            if written > MAX_BLOB {
                return Err(BackupError::Incomplete {
                    did: did.to_owned(),
                    detail: format!("blob {cid} is larger than {MAX_BLOB} bytes"),
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(io)?;
        }
        if parsed.hash().digest() != hasher.clone().finalize().as_slice() {
            return Err(BackupError::Incomplete {
                did: did.to_owned(),
                detail: format!("the PDS sent bytes for blob {cid} that do not match it"),
            });
        }
        file.flush().await.map_err(io)?;
        file.sync_all().await.map_err(io)?;
        Ok(())
    }
    .await;
    drop(file);
    if let Err(e) = outcome {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(e);
    }
    tokio::fs::rename(&part, path)
        .await
        .map_err(|e| BackupError::Store(super::store::disk(path, e)))?;
    Ok(written)
}

/// The identity files of a snapshot, by name in `meta/`.
struct Identity {
    preferences: Option<String>,
    did_document: String,
    plc_audit_log: Option<String>,
}

/// Saves the DID document and PLC audit log (required: verify needs the signing key) and the
/// preferences (needs the session; without one the snapshot is kept with a warning).
async fn save_identity(
    accounts: &Accounts,
    store: &AccountStore,
    did: &str,
    warnings: &mut Vec<String>,
) -> Result<Identity, BackupError> {
    let typed = Did::new_owned(did).map_err(|_| {
        AccountsError::BadInput(ParseError::BadDid {
            input: did.to_owned(),
        })
    })?;
    let doc = accounts
        .context()
        .resolver()
        .did_document(&typed)
        .await
        .map_err(|e| BackupError::Identity {
            did: did.to_owned(),
            detail: e.to_string(),
        })?;
    let doc = serde_json::to_value(&doc).expect("a DID document serialises");
    let did_document = store.put_meta(&doc)?;
    let plc_audit_log = if did.starts_with("did:plc:") {
        let log = crate::plc::audit(accounts, did)
            .await
            .map_err(|e| BackupError::Identity {
                did: did.to_owned(),
                detail: e.to_string(),
            })?;
        Some(store.put_meta(&serde_json::to_value(&log).expect("audit log serialises"))?)
    } else {
        None
    };
    let preferences = match accounts.session(did).await {
        Ok(session) => match session
            .query_json("app.bsky.actor.getPreferences", &[])
            .await
        {
            Ok(prefs) => Some(store.put_meta(&prefs)?),
            Err(e) => {
                warnings.push(format!("preferences not saved: {e}"));
                None
            }
        },
        Err(e) => {
            warnings.push(format!("preferences not saved (no session): {e}"));
            None
        }
    };
    Ok(Identity {
        preferences,
        did_document,
        plc_audit_log,
    })
}
