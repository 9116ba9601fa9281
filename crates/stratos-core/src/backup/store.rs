//! The backup folder on disk: one folder per account holding its snapshots, and the blocks,
//! blobs and identity files they share.
//!
//! ```text
//! <backup folder>/<did with ':' as '_'>/
//!   snapshots/<id>.json   one manifest per snapshot, written last (see `Manifest`)
//!   packs/<id>.car        the repository blocks first stored by snapshot <id> (CAR v1)
//!   blobs/<cid>           every blob once, named by its CID
//!   meta/<sha256>.json    preferences, DID documents, PLC audit logs, named by their hash
//!   lock                  held while a backup or a prune runs
//! ```
//!
//! Every file is written to `<name>.part`, synced and renamed, so a reader never sees half a
//! file; a manifest exists only once everything it needs is on disk. Why this layout and not
//! one file per block or an embedded database is in docs/architecture.md ("Backups").

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use cid::Cid;
use serde::{Deserialize, Serialize};

use super::car::{self, Located};

/// The manifest format this code writes and reads.
pub const MANIFEST_VERSION: u32 = 1;
/// The largest manifest or metadata file read back (a PLC audit log is a few KB).
const MAX_JSON: u64 = 64 << 20;

/// Why the backup folder could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("could not use {path}: {reason}")]
    Disk {
        /// The file or folder.
        path: String,
        /// Why, in plain words ([`crate::base::plain::io`]).
        reason: &'static str,
        /// The system's own words, for the log and "Details".
        detail: String,
    },
    /// Another backup or prune of this account is running.
    #[error("another backup of this account is running in {path}")]
    Busy {
        /// The account's backup folder.
        path: String,
    },
    /// A file the store needs is damaged.
    #[error("{path} is damaged: {detail}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// The snapshot asked for is not in the folder.
    #[error("there is no snapshot {id} of {did} in this backup folder")]
    NoSnapshot {
        /// The account.
        did: String,
        /// The snapshot asked for (`latest` when none was named).
        id: String,
    },
}

impl crate::base::problem::Explain for StoreError {
    fn explain(&self) -> crate::base::problem::Problem {
        use crate::base::problem::Problem;
        match self {
            StoreError::Disk { detail, .. } => Problem::new(
                "disk",
                self,
                Some("Choose a backup folder you can write to, with enough free space."),
            )
            .with_detail(detail.clone()),
            StoreError::Busy { .. } => Problem::new(
                "backup_busy",
                self,
                Some("Wait for it to finish (the app may be running a scheduled backup)."),
            ),
            StoreError::Damaged { .. } => Problem::new(
                "backup_damaged",
                self,
                Some("Run `stratos backup verify` to see what is affected, then a new backup."),
            ),
            StoreError::NoSnapshot { .. } => Problem::new(
                "no_snapshot",
                self,
                Some("`stratos backup list` shows the snapshots there are."),
            ),
        }
    }
}

/// What one snapshot is: the repository at one commit, and the account's identity and
/// preferences at that moment. Blocks live in the shared packs, blobs in `blobs/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The snapshot's name: when it was taken, `YYYYMMDDTHHMMSSmmmZ` (sorts in time order).
    pub id: String,
    /// The account.
    pub did: String,
    /// Its handle at the time, when known.
    pub handle: Option<String>,
    /// When it was taken (RFC 3339).
    pub created_at: String,
    /// The signed commit the repository was at.
    pub commit: String,
    /// That commit's revision (what the next backup asks `getRepo`/`listBlobs` since).
    pub rev: String,
    /// The revision this snapshot asked changes since (`None` for a full download).
    pub since: Option<String>,
    /// The pack this snapshot added (`packs/<id>.car`), `None` when nothing had changed.
    pub pack: Option<String>,
    /// Blocks this snapshot added, and their bytes.
    pub new_blocks: u64,
    /// Bytes of the blocks this snapshot added.
    pub new_block_bytes: u64,
    /// Blocks the repository has at this commit (commit, MST nodes, records).
    pub blocks: u64,
    /// Records per collection.
    pub records: BTreeMap<String, u64>,
    /// Blobs the records reference.
    pub blobs: u64,
    /// Blobs this snapshot downloaded, and their bytes.
    pub new_blobs: u64,
    /// Bytes of the blobs this snapshot downloaded.
    pub new_blob_bytes: u64,
    /// `meta/<hash>.json` holding `app.bsky.actor.getPreferences`, when it could be read.
    pub preferences: Option<String>,
    /// `meta/<hash>.json` holding the DID document.
    pub did_document: String,
    /// `meta/<hash>.json` holding the PLC audit log (`None` for did:web).
    pub plc_audit_log: Option<String>,
    /// What could not be saved but did not stop the snapshot (preferences without a session).
    pub warnings: Vec<String>,
}

/// One account's part of a backup folder.
pub struct AccountStore {
    did: String,
    dir: PathBuf,
}

/// Held while a backup or prune runs; released when dropped (or when the process dies).
pub struct StoreLock {
    _file: std::fs::File,
}

impl AccountStore {
    /// The folder of `did` inside the backup folder `root` (nothing is created yet).
    pub fn new(root: &Path, did: &str) -> Self {
        let name: String = did
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            did: did.to_owned(),
            dir: root.join(name),
        }
    }

    /// The account's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The account's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of pack files.
    pub fn packs_dir(&self) -> PathBuf {
        self.dir.join("packs")
    }

    /// The blob file of `cid`.
    pub fn blob_path(&self, cid: &str) -> PathBuf {
        self.dir.join("blobs").join(cid)
    }

    /// The folder of blobs.
    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs")
    }

    /// A metadata file (`meta/<hash>.json`) named in a manifest.
    pub fn meta_path(&self, name: &str) -> PathBuf {
        self.dir.join("meta").join(name)
    }

    /// The manifest file of snapshot `id`.
    pub fn manifest_path(&self, id: &str) -> PathBuf {
        self.dir.join("snapshots").join(format!("{id}.json"))
    }

    /// Creates the folders and takes the account's lock; leftovers of a run that was killed
    /// (`*.part` files) are removed.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        for sub in ["snapshots", "packs", "blobs", "meta"] {
            let dir = self.dir.join(sub);
            std::fs::create_dir_all(&dir).map_err(|e| disk(&dir, e))?;
        }
        let path = self.dir.join("lock");
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| disk(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Busy {
                    path: self.dir.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(disk(&path, e)),
        }
        for sub in ["snapshots", "packs", "blobs", "meta"] {
            for entry in list(&self.dir.join(sub))? {
                if entry.extension().is_some_and(|e| e == "part") {
                    log::info!("removing {} left by an interrupted run", entry.display());
                    let _ = std::fs::remove_file(&entry);
                }
            }
        }
        Ok(StoreLock { _file: file })
    }

    /// Every snapshot's id, oldest first (from the manifest files present).
    pub fn snapshot_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = list(&self.dir.join("snapshots"))?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Reads the manifest of snapshot `id`, naming the file when it is damaged.
    pub fn manifest(&self, id: &str) -> Result<Manifest, StoreError> {
        let path = self.manifest_path(id);
        if !path.exists() {
            return Err(StoreError::NoSnapshot {
                did: self.did.clone(),
                id: id.to_owned(),
            });
        }
        let bytes = read_bounded(&path)?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Damaged {
                path: path.display().to_string(),
                detail: format!("the manifest is not readable ({e})"),
            })?;
        if manifest.version != MANIFEST_VERSION || manifest.id != id || manifest.did != self.did {
            return Err(StoreError::Damaged {
                path: path.display().to_string(),
                detail: "the manifest names another snapshot, account or format".to_owned(),
            });
        }
        Ok(manifest)
    }

    /// The newest snapshot whose manifest reads, if any (a damaged newer one is skipped with a
    /// warning, so a backup goes on from the last good one).
    pub fn latest(&self) -> Result<Option<Manifest>, StoreError> {
        for id in self.snapshot_ids()?.iter().rev() {
            match self.manifest(id) {
                Ok(m) => return Ok(Some(m)),
                Err(e) => log::warn!("skipping snapshot {id}: {e}"),
            }
        }
        Ok(None)
    }

    /// The snapshot `id`, or the newest when `None`.
    pub fn chosen(&self, id: Option<&str>) -> Result<Manifest, StoreError> {
        match id {
            Some(id) => self.manifest(id),
            None => self.latest()?.ok_or_else(|| StoreError::NoSnapshot {
                did: self.did.clone(),
                id: "latest".to_owned(),
            }),
        }
    }

    /// Writes `manifest` atomically: the snapshot exists from this moment on.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
        write_atomic(&self.manifest_path(&manifest.id), &bytes)
    }

    /// Stores a JSON document under its hash, once; returns its name for a manifest.
    pub fn put_meta(&self, value: &serde_json::Value) -> Result<String, StoreError> {
        use sha2::Digest;
        let bytes = serde_json::to_vec_pretty(value).expect("JSON serialises");
        let name = format!("{:x}.json", sha2::Sha256::digest(&bytes));
        let path = self.meta_path(&name);
        if !path.exists() {
            write_atomic(&path, &bytes)?;
        }
        Ok(name)
    }

    /// Reads a metadata file named in a manifest.
    pub fn meta(&self, name: &str) -> Result<serde_json::Value, StoreError> {
        let path = self.meta_path(name);
        let bytes = read_bounded(&path)?;
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Damaged {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    }

    /// Every pack file present.
    pub fn packs(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut packs: Vec<PathBuf> = list(&self.packs_dir())?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "car"))
            .collect();
        packs.sort();
        Ok(packs)
    }
}

/// Where every stored block is, across the packs (built by scanning them, which reads only
/// lengths and CIDs). Block bytes are read on demand, so memory grows with the number of blocks,
/// not their size.
pub struct BlockIndex {
    packs: Vec<PathBuf>,
    /// Open pack files, so reading a tree does not open a file per block.
    open: std::sync::Mutex<HashMap<usize, std::fs::File>>,
    blocks: HashMap<Cid, (usize, Located)>,
    /// Packs that could not be read to the end, and why.
    pub damaged: Vec<(PathBuf, String)>,
}

impl BlockIndex {
    /// An index of no pack (to index one pack alone).
    pub fn empty() -> Self {
        Self {
            packs: Vec::new(),
            open: std::sync::Mutex::new(HashMap::new()),
            blocks: HashMap::new(),
            damaged: Vec::new(),
        }
    }

    /// Scans every pack of `store`.
    pub fn load(store: &AccountStore) -> Result<Self, StoreError> {
        let mut index = Self::empty();
        for pack in store.packs()? {
            index.add_pack(&pack)?;
        }
        Ok(index)
    }

    /// Adds the blocks of one (new) pack file.
    pub fn add_pack(&mut self, pack: &Path) -> Result<(), StoreError> {
        let mut file = std::fs::File::open(pack).map_err(|e| disk(pack, e))?;
        let (blocks, damage) = car::scan(&mut file);
        let n = self.packs.len();
        self.packs.push(pack.to_owned());
        for (cid, at) in blocks {
            self.blocks.entry(cid).or_insert((n, at));
        }
        if let Some(detail) = damage {
            self.damaged.push((pack.to_owned(), detail));
        }
        Ok(())
    }

    /// Whether a block is stored.
    pub fn contains(&self, cid: &Cid) -> bool {
        self.blocks.contains_key(cid)
    }

    /// How many blocks are stored.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no block is stored.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The pack holding `cid`.
    pub fn pack_of(&self, cid: &Cid) -> Option<&Path> {
        self.blocks.get(cid).map(|(p, _)| self.packs[*p].as_path())
    }

    /// Every stored CID, with the pack holding it.
    pub fn entries(&self) -> impl Iterator<Item = (&Cid, &Path)> {
        self.blocks
            .iter()
            .map(|(c, (p, _))| (c, self.packs[*p].as_path()))
    }

    /// The bytes of `cid` as stored (`Ok(None)` when absent); the caller checks the hash.
    pub fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((pack, at)) = self.blocks.get(cid) else {
            return Ok(None);
        };
        let path = &self.packs[*pack];
        let mut open = self.open.lock().expect("pack files lock");
        let file = match open.entry(*pack) {
            std::collections::hash_map::Entry::Occupied(f) => f.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(std::fs::File::open(path).map_err(|e| disk(path, e))?)
            }
        };
        car::read_at(file, *at).map(Some).map_err(|e| disk(path, e))
    }
}

/// A pack being written: `<name>.car.part` until [`PackWriter::commit`].
pub struct PackWriter {
    path: PathBuf,
    part: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    /// Blocks written so far.
    pub blocks: u64,
    /// Bytes of block data written so far.
    pub bytes: u64,
}

impl PackWriter {
    /// Starts `packs/<name>.car` with `root` in its header.
    pub fn create(store: &AccountStore, name: &str, root: &Cid) -> Result<Self, StoreError> {
        let path = store.packs_dir().join(format!("{name}.car"));
        let part = part_path(&path);
        let file = std::fs::File::create(&part).map_err(|e| disk(&part, e))?;
        let mut file = std::io::BufWriter::new(file);
        car::write_header(&mut file, &[*root]).map_err(|e| disk(&part, e))?;
        Ok(Self {
            path,
            part,
            file,
            blocks: 0,
            bytes: 0,
        })
    }

    /// Appends a block.
    pub fn add(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        car::write_block(&mut self.file, cid, data).map_err(|e| disk(&self.part, e))?;
        self.blocks += 1;
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Syncs and renames the pack into place; returns its path.
    pub fn commit(self) -> Result<PathBuf, StoreError> {
        let file = self
            .file
            .into_inner()
            .map_err(|e| disk(&self.part, e.into_error()))?;
        file.sync_all().map_err(|e| disk(&self.part, e))?;
        drop(file);
        std::fs::rename(&self.part, &self.path).map_err(|e| disk(&self.path, e))?;
        sync_dir(&self.path);
        Ok(self.path)
    }

    /// Drops what was written.
    pub fn discard(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.part);
    }
}

/// Writes `bytes` to `path` through `<path>.part`: written, synced, renamed, folder synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let part = part_path(path);
    let mut file = std::fs::File::create(&part).map_err(|e| disk(&part, e))?;
    file.write_all(bytes).map_err(|e| disk(&part, e))?;
    file.sync_all().map_err(|e| disk(&part, e))?;
    drop(file);
    std::fs::rename(&part, path).map_err(|e| disk(path, e))?;
    sync_dir(path);
    Ok(())
}

/// Syncs the folder holding `path`, so a rename survives a power cut (a no-op where folders
/// cannot be opened, as on Windows).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// `<path>.part`.
pub fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".part");
    path.with_file_name(name)
}

/// Reads a JSON file of at most [`MAX_JSON`] bytes.
fn read_bounded(path: &Path) -> Result<Vec<u8>, StoreError> {
    let size = std::fs::metadata(path).map_err(|e| disk(path, e))?.len();
    if size > MAX_JSON {
        return Err(StoreError::Damaged {
            path: path.display().to_string(),
            detail: format!("{size} bytes is more than a backup file can be"),
        });
    }
    std::fs::read(path).map_err(|e| disk(path, e))
}

/// The entries of `dir` (none when it does not exist).
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(disk(dir, e)),
    }
}

/// A disk error on `path`.
pub fn disk(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Disk {
        path: path.display().to_string(),
        reason: crate::base::plain::io(&e),
        detail: e.to_string(),
    }
}

/// One snapshot as a list shows it: its manifest, or why it cannot be read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    /// The snapshot id.
    pub id: String,
    /// Its manifest, when readable.
    pub manifest: Option<Manifest>,
    /// Why it is not, otherwise.
    pub error: Option<String>,
}

/// One account's snapshots in a backup folder, oldest first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBackups {
    /// The account.
    pub did: String,
    /// Its snapshots.
    pub snapshots: Vec<Listed>,
}

/// The snapshots of `dids` (every account in the folder when `None`) in the backup folder
/// `root`, for a list in the CLI or the app.
pub fn list_snapshots(
    root: &Path,
    dids: Option<&[String]>,
) -> Result<Vec<AccountBackups>, StoreError> {
    let dids = match dids {
        Some(d) => d.to_vec(),
        None => accounts_in(root)?,
    };
    let mut out = Vec::new();
    for did in dids {
        let store = AccountStore::new(root, &did);
        let snapshots = store
            .snapshot_ids()?
            .into_iter()
            .map(|id| match store.manifest(&id) {
                Ok(m) => Listed {
                    id,
                    manifest: Some(m),
                    error: None,
                },
                Err(e) => Listed {
                    id,
                    manifest: None,
                    error: Some(e.to_string()),
                },
            })
            .collect();
        out.push(AccountBackups { did, snapshots });
    }
    Ok(out)
}

/// The accounts (DIDs) with snapshots in the backup folder `root`.
pub fn accounts_in(root: &Path) -> Result<Vec<String>, StoreError> {
    let mut dids = Vec::new();
    for dir in list(root)? {
        let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if !name.starts_with("did_") {
            continue;
        }
        // The DID is read from a manifest: the folder name lost its ':'s.
        let snapshots = dir.join("snapshots");
        let mut files: Vec<PathBuf> = list(&snapshots)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files.iter().rev() {
            if let Ok(bytes) = read_bounded(f)
                && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
                && let Some(did) = v["did"].as_str()
            {
                dids.push(did.to_owned());
                break;
            }
        }
    }
    dids.sort();
    Ok(dids)
}
