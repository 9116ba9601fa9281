//! Getting data out in goat's layouts, and a repository back into the account's PDS.
//!
//! - A snapshot becomes one full repository CAR (`<name>.<YYYYMMDDHHMMSS>.car`, as
//!   `goat repo export` names it: header rooted at the signed commit, then every block), a
//!   folder of blobs (`<name>_blobs/<cid>`, as `goat blob export`), and the preferences as JSON
//!   (`<name>.preferences.json`, what `app.bsky.actor.putPreferences` takes back).
//! - [`repo_from_pds`] and [`blobs_from_pds`] do the same from the live PDS (`stratos repo
//!   export`, `stratos blob export`).
//! - [`import_repo`] sends a CAR to the account's own PDS (`com.atproto.repo.importRepo`, as
//!   `goat repo import`), streamed from the file.
//! - [`read_car`] reads a repository CAR on this computer (`goat repo ls` and `repo inspect`);
//!   [`blob_list`], [`blob_download`] and [`blob_upload`] are `goat blob ls|download|upload`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cid::Cid;
use serde::Serialize;
use url::Url;

use super::rebuild::Block;
use super::store::{self, AccountStore, BlockIndex, StoreError};
use super::{BackupError, BackupProgress, BackupStep, CancellationToken, car, tree};
use crate::accounts::{Accounts, AccountsError};
use crate::base::identifier::{Identifier, ParseError};
use crate::identity::IdentityError;

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// The account.
    pub did: String,
    /// The snapshot exported.
    pub snapshot: String,
    /// The repository CAR.
    pub car_path: PathBuf,
    /// Blocks in it.
    pub blocks: u64,
    /// Records in it.
    pub records: u64,
    /// The blobs folder.
    pub blobs_dir: PathBuf,
    /// Blobs copied into it.
    pub blobs: u64,
    /// The preferences file, when the snapshot has preferences.
    pub preferences_path: Option<PathBuf>,
}

/// Exports snapshot `snapshot` (the newest when `None`) of `did` from the backup folder `root`
/// into `out` (created). Refuses a snapshot that is not whole: run verify to see why.
pub async fn export_snapshot(
    root: &Path,
    did: &str,
    snapshot: Option<&str>,
    out: &Path,
) -> Result<ExportSummary, BackupError> {
    let store = AccountStore::new(root, did);
    let snapshot = snapshot.map(str::to_owned);
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || export_blocking(&store, snapshot.as_deref(), &out, None))
        .await
        .expect("export does not panic")
}

/// Signs a rebuilt commit (64-byte low-S ECDSA over its bytes).
pub type Sign = dyn Fn(&[u8]) -> Vec<u8> + Send;
/// A [`Sign`] the export may keep while it runs on a blocking thread.
pub type Signer = Box<Sign>;

/// Like [`export_snapshot`], but a snapshot whose records or MST nodes are damaged is exported
/// without them: the whole records go into a rebuilt tree under a new commit signed with
/// `sign` (see [`super::rebuild`]). Its commit must be readable. The summary counts what was
/// written; `records` tells which records were lost only by their absence.
pub async fn export_rebuilt(
    root: &Path,
    did: &str,
    snapshot: Option<&str>,
    out: &Path,
    sign: Signer,
) -> Result<ExportSummary, BackupError> {
    let store = AccountStore::new(root, did);
    let snapshot = snapshot.map(str::to_owned);
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || {
        export_blocking(&store, snapshot.as_deref(), &out, Some(&*sign))
    })
    .await
    .expect("export does not panic")
}

fn export_blocking(
    store: &AccountStore,
    snapshot: Option<&str>,
    out: &Path,
    rebuild: Option<&Sign>,
) -> Result<ExportSummary, BackupError> {
    let manifest = store.chosen(snapshot)?;
    let damaged = |detail: String| StoreError::Damaged {
        path: store.manifest_path(&manifest.id).display().to_string(),
        detail,
    };
    let commit: Cid = manifest
        .commit
        .parse()
        .map_err(|_| damaged("its commit is not a CID".to_owned()))?;
    let index = BlockIndex::load(store)?;
    let walk = tree::walk(&index, &commit, &mut HashSet::new())?;
    // The blocks to write: the snapshot's own, or a rebuilt tree without the damaged records.
    let mut rebuilt: Option<(Cid, Vec<Block>)> = None;
    let mut records = walk.records.values().sum::<u64>();
    match (walk.problems.first(), rebuild) {
        (None, _) => {}
        (Some(problem), None) => return Err(damaged(format!("{problem}; run verify")).into()),
        (Some(problem), Some(_)) if walk.commit.is_none() => {
            return Err(damaged(format!("{problem}; the commit is needed to rebuild")).into());
        }
        (Some(_), Some(sign)) => {
            let bad: HashSet<String> = walk
                .problems
                .iter()
                .map(|p| match p {
                    tree::BlockProblem::Missing { cid, .. }
                    | tree::BlockProblem::Corrupt { cid, .. }
                    | tree::BlockProblem::Unreadable { cid, .. } => cid.clone(),
                })
                .collect();
            let kept: Vec<(String, Cid)> = walk
                .entries
                .iter()
                .filter(|(_, c)| !bad.contains(&c.to_string()))
                .cloned()
                .collect();
            let tree = super::rebuild::build_mst(&kept);
            let (root, bytes) =
                super::rebuild::signed_commit(&manifest.did, &manifest.rev, tree.root, sign);
            let mut blocks = vec![(root, bytes)];
            blocks.extend(tree.nodes);
            let mut leaves = HashSet::new();
            for (_, cid) in &kept {
                if leaves.insert(*cid) {
                    let data = index.get(cid)?.expect("the walk read it");
                    blocks.push((*cid, data));
                }
            }
            records = kept.len() as u64;
            log::warn!(
                "snapshot {} of {} exported without {} damaged record(s) or tree node(s)",
                manifest.id,
                manifest.did,
                bad.len()
            );
            rebuilt = Some((root, blocks));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| store::disk(out, e))?;
    let name = manifest
        .handle
        .clone()
        .unwrap_or_else(|| did_file_name(&manifest.did));
    let stamp = chrono::DateTime::parse_from_rfc3339(&manifest.created_at)
        .map(|t| t.format("%Y%m%d%H%M%S").to_string())
        .unwrap_or_else(|_| manifest.id.clone());
    let car_path = out.join(format!("{name}.{stamp}.car"));
    let part = store::part_path(&car_path);
    {
        use std::io::Write;
        let file = std::fs::File::create(&part).map_err(|e| store::disk(&part, e))?;
        let mut w = std::io::BufWriter::new(file);
        match &rebuilt {
            Some((root, blocks)) => {
                super::car::write_header(&mut w, &[*root]).map_err(|e| store::disk(&part, e))?;
                for (cid, data) in blocks {
                    super::car::write_block(&mut w, cid, data)
                        .map_err(|e| store::disk(&part, e))?;
                }
            }
            None => {
                super::car::write_header(&mut w, &[commit]).map_err(|e| store::disk(&part, e))?;
                for cid in &walk.blocks {
                    let data = index.get(cid)?.expect("the walk read it");
                    super::car::write_block(&mut w, cid, &data)
                        .map_err(|e| store::disk(&part, e))?;
                }
            }
        }
        w.flush().map_err(|e| store::disk(&part, e))?;
        let file = w
            .into_inner()
            .map_err(|e| store::disk(&part, e.into_error()))?;
        file.sync_all().map_err(|e| store::disk(&part, e))?;
    }
    std::fs::rename(&part, &car_path).map_err(|e| store::disk(&car_path, e))?;

    let blobs_dir = out.join(format!("{name}_blobs"));
    std::fs::create_dir_all(&blobs_dir).map_err(|e| store::disk(&blobs_dir, e))?;
    let mut blobs = 0;
    for cid in walk.blobs.keys() {
        let from = store.blob_path(cid);
        let to = blobs_dir.join(cid);
        if !from.exists() {
            log::warn!("blob {cid} is not in the backup; not exported");
            continue;
        }
        std::fs::copy(&from, &to).map_err(|e| store::disk(&to, e))?;
        blobs += 1;
    }
    let preferences_path = match &manifest.preferences {
        Some(meta) => {
            let path = out.join(format!("{name}.preferences.json"));
            let value = store.meta(meta)?;
            let bytes = serde_json::to_vec_pretty(&value).expect("JSON serialises");
            store::write_atomic(&path, &bytes)?;
            Some(path)
        }
        None => None,
    };
    Ok(ExportSummary {
        did: manifest.did.clone(),
        snapshot: manifest.id.clone(),
        car_path,
        blocks: match &rebuilt {
            Some((_, blocks)) => blocks.len() as u64,
            None => walk.blocks.len() as u64,
        },
        records,
        blobs_dir,
        blobs,
        preferences_path,
    })
}

/// A DID as a file name (`did_plc_…`).
fn did_file_name(did: &str) -> String {
    did.replace(':', "_")
}

/// What a live repository export wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoExport {
    /// The account.
    pub did: String,
    /// The CAR file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// Downloads a signed-in account's whole repository (`sync.getRepo`) to the CAR file `path`, as
/// `goat repo export` does; the default file name is [`goat_car_name`].
pub async fn repo_from_pds(
    accounts: &Accounts,
    id: Option<&str>,
    path: Option<&Path>,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<RepoExport, BackupError> {
    let record = accounts.find(id)?;
    let pds = pds_url(&record.pds_url)?;
    let path = match path {
        Some(p) => p.to_owned(),
        None => PathBuf::from(goat_car_name(&record.handle)),
    };
    const GET_REPO: &str = "com.atproto.sync.getRepo";
    let bytes = super::download(
        accounts
            .context()
            .xrpc()
            .download(&pds, GET_REPO, &[("did", &record.did)]),
        (&pds, GET_REPO),
        &path,
        progress,
        cancel,
    )
    .await?;
    Ok(RepoExport {
        did: record.did,
        path,
        bytes,
    })
}

/// `<name>.<YYYYMMDDHHMMSS>.car`, goat's default export name.
pub fn goat_car_name(name: &str) -> String {
    format!("{name}.{}.car", chrono::Local::now().format("%Y%m%d%H%M%S"))
}

/// What a live blob export wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobExport {
    /// The account.
    pub did: String,
    /// The folder (`<handle>_blobs` by default, as goat names it).
    pub dir: PathBuf,
    /// Blobs the repository references.
    pub total: u64,
    /// Downloaded in this run.
    pub downloaded: u64,
    /// Already there.
    pub skipped: u64,
}

/// Downloads every blob of a signed-in account into `dir` (one file per CID), as
/// `goat blob export` does; a rerun skips what is there.
pub async fn blobs_from_pds(
    accounts: &Accounts,
    id: Option<&str>,
    dir: Option<&Path>,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BlobExport, BackupError> {
    let record = accounts.find(id)?;
    let pds = pds_url(&record.pds_url)?;
    let dir = match dir {
        Some(d) => d.to_owned(),
        None => PathBuf::from(format!("{}_blobs", record.handle)),
    };
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| store::disk(&dir, e))?;
    let cids = super::list_blobs(
        accounts.context().xrpc(),
        &pds,
        &record.did,
        progress,
        cancel,
    )
    .await?;
    let total = cids.len() as u64;
    let (mut downloaded, mut skipped) = (0, 0);
    for (i, cid) in cids.iter().enumerate() {
        let path = dir.join(cid);
        if path.exists() {
            skipped += 1;
        } else {
            super::download_blob(
                accounts.context().xrpc(),
                &pds,
                &record.did,
                cid,
                &path,
                cancel,
            )
            .await?;
            downloaded += 1;
        }
        progress(BackupProgress {
            step: BackupStep::Blobs,
            done: i as u64 + 1,
            total: Some(total),
        });
    }
    Ok(BlobExport {
        did: record.did,
        dir,
        total,
        downloaded,
        skipped,
    })
}

/// What an import sent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// The account.
    pub did: String,
    /// The CAR sent.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// Sends the CAR file `car` to a signed-in account's own PDS (`com.atproto.repo.importRepo`).
/// The PDS accepts only a repository of the same DID; its blobs are uploaded separately.
pub async fn import_repo(
    accounts: &Accounts,
    id: Option<&str>,
    car: &Path,
) -> Result<ImportSummary, BackupError> {
    let record = accounts.find(id)?;
    let bytes = tokio::fs::metadata(car)
        .await
        .map_err(|e| store::disk(car, e))?
        .len();
    let session = accounts.session(&record.did).await?;
    let open = || async {
        let file =
            tokio::fs::File::open(car)
                .await
                .map_err(|e| crate::net::xrpc::XrpcError::Encode {
                    nsid: "com.atproto.repo.importRepo".to_owned(),
                    detail: format!("could not read {}: {e}", car.display()),
                })?;
        Ok(reqwest::Body::wrap_stream(
            tokio_util::io::ReaderStream::new(file),
        ))
    };
    session
        .procedure_stream(
            "com.atproto.repo.importRepo",
            "application/vnd.ipld.car",
            open,
        )
        .await
        .map_err(|e| BackupError::Accounts(AccountsError::from(e)))?;
    log::info!(
        "imported {} ({bytes} bytes) into {}",
        car.display(),
        record.did
    );
    Ok(ImportSummary {
        did: record.did,
        path: car.to_owned(),
        bytes,
    })
}

fn pds_url(url: &str) -> Result<Url, BackupError> {
    Url::parse(url).map_err(|_| {
        AccountsError::BadInput(ParseError::BadServerUrl {
            input: url.to_owned(),
        })
        .into()
    })
}

/// One record of a repository CAR.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarRecord {
    /// `collection/rkey`.
    pub path: String,
    /// The record's CID.
    pub cid: String,
}

/// What a repository CAR file holds: its signed commit and every record, read from the file
/// alone (each block checked against its CID on the way).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarRepo {
    /// The file.
    pub path: PathBuf,
    /// The CID of the commit the header names.
    pub commit: String,
    /// The repository format (3).
    pub version: u64,
    /// The account.
    pub did: String,
    /// The revision (a TID).
    pub rev: String,
    /// The root of the MST.
    pub data: String,
    /// The commit it follows, when named.
    pub prev: Option<String>,
    /// Records per collection.
    pub collections: std::collections::BTreeMap<String, u64>,
    /// Every record, in key order.
    pub records: Vec<CarRecord>,
    /// Blocks missing or damaged in the file (an export is complete, so normally none).
    pub problems: Vec<tree::BlockProblem>,
}

/// Reads the repository CAR file `path` (`goat repo ls`, `goat repo inspect`): the commit its
/// header names and a walk of the whole tree. Only lengths and CIDs are indexed up front; block
/// bytes are read as the walk reaches them, so a large export does not fill memory.
pub fn read_car(path: &Path) -> Result<CarRepo, BackupError> {
    let not_repo = |detail: String| BackupError::NotARepo {
        path: path.display().to_string(),
        detail,
    };
    let mut file = std::fs::File::open(path).map_err(|e| store::disk(path, e))?;
    let roots = car::file_roots(&mut file).map_err(not_repo)?;
    let Some(root) = roots.first().copied() else {
        return Err(not_repo("its header names no root".into()));
    };
    let mut index = BlockIndex::empty();
    index.add_pack(path)?;
    if let Some((_, detail)) = index.damaged.first() {
        return Err(not_repo(detail.clone()));
    }
    let mut walk = tree::walk(&index, &root, &mut HashSet::new())?;
    // Keys are unique in a repository, so this is the MST's own order.
    walk.entries.sort_unstable();
    let Some(commit) = walk.commit else {
        let detail = walk
            .problems
            .first()
            .map_or_else(|| "its root is not a commit".to_owned(), |p| p.to_string());
        return Err(not_repo(detail));
    };
    Ok(CarRepo {
        path: path.to_owned(),
        commit: root.to_string(),
        version: 3,
        did: commit.did,
        rev: commit.rev,
        data: commit.data.to_string(),
        prev: commit.prev.map(|c| c.to_string()),
        collections: walk.records,
        records: walk
            .entries
            .into_iter()
            .map(|(path, cid)| CarRecord {
                path,
                cid: cid.to_string(),
            })
            .collect(),
        problems: walk.problems,
    })
}

/// The blobs of an account, as its PDS lists them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobList {
    /// The account.
    pub did: String,
    /// Every blob's CID, sorted.
    pub cids: Vec<String>,
}

/// Every blob an account's PDS lists for it (`sync.listBlobs`, all pages), as `goat blob ls`:
/// a signed-in account, or any handle or DID (see [`public_repo`]).
pub async fn blob_list(accounts: &Accounts, id: Option<&str>) -> Result<BlobList, BackupError> {
    let (did, pds) = public_repo(accounts, id).await?;
    let cids = super::list_blobs(
        accounts.context().xrpc(),
        &pds,
        &did,
        &|_| {},
        &CancellationToken::new(),
    )
    .await?;
    Ok(BlobList { did, cids })
}

/// The DID and PDS of `id`: a signed-in account as the account list has it, else any handle or
/// DID resolved publicly to the PDS its DID document names. `sync.listBlobs` and `sync.getBlob`
/// are public for an active account, so goat reads anyone's blobs; so does Stratos.
async fn public_repo(accounts: &Accounts, id: Option<&str>) -> Result<(String, Url), BackupError> {
    let typed = match accounts.find(id) {
        Ok(record) => return Ok((record.did, pds_url(&record.pds_url)?)),
        Err(AccountsError::NotSignedIn { id }) => id,
        Err(e) => return Err(e.into()),
    };
    let identifier: Identifier = typed.parse().map_err(AccountsError::BadInput)?;
    let resolved = accounts
        .context()
        .resolver()
        .resolve(&identifier)
        .await
        .map_err(AccountsError::from)?;
    let did = resolved.did.as_str().to_owned();
    let pds = resolved
        .pds
        .ok_or_else(|| AccountsError::from(IdentityError::NoPdsInDocument { did: did.clone() }))?;
    Ok((did, pds))
}

/// One blob written to a file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobDownload {
    /// The account.
    pub did: String,
    /// The blob.
    pub cid: String,
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// Downloads blob `cid` of an account (signed in or not, see [`public_repo`]) to `path` (the
/// CID as file name by default), as `goat blob download`; an existing file is refused.
pub async fn blob_download(
    accounts: &Accounts,
    id: Option<&str>,
    cid: &str,
    path: Option<&Path>,
) -> Result<BlobDownload, BackupError> {
    let (did, pds) = public_repo(accounts, id).await?;
    if cid.parse::<Cid>().is_err() {
        return Err(BackupError::NotACid {
            input: cid.to_owned(),
        });
    }
    let path = path.map_or_else(|| PathBuf::from(cid), Path::to_owned);
    if path.exists() {
        return Err(BackupError::Exists {
            path: path.display().to_string(),
        });
    }
    let bytes = super::download_blob(
        accounts.context().xrpc(),
        &pds,
        &did,
        cid,
        &path,
        &CancellationToken::new(),
    )
    .await?;
    Ok(BlobDownload {
        did,
        cid: cid.to_owned(),
        path,
        bytes,
    })
}

/// What an upload stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobUpload {
    /// The account.
    pub did: String,
    /// The file sent.
    pub path: PathBuf,
    /// The blob reference the PDS returned (`$type`, `ref`, `mimeType`, `size`), ready to put
    /// in a record.
    pub blob: serde_json::Value,
}

/// Uploads the file `path` as a blob of a signed-in account (`com.atproto.repo.uploadBlob`,
/// streamed), as `goat blob upload`. The PDS sniffs the content type; until a record references
/// the blob, the PDS may delete it.
pub async fn blob_upload(
    accounts: &Accounts,
    id: Option<&str>,
    path: &Path,
) -> Result<BlobUpload, BackupError> {
    const UPLOAD: &str = "com.atproto.repo.uploadBlob";
    let record = accounts.find(id)?;
    tokio::fs::metadata(path)
        .await
        .map_err(|e| store::disk(path, e))?;
    let session = accounts.session(&record.did).await?;
    let open = || async {
        let file =
            tokio::fs::File::open(path)
                .await
                .map_err(|e| crate::net::xrpc::XrpcError::Encode {
                    nsid: UPLOAD.to_owned(),
                    detail: format!("could not read {}: {e}", path.display()),
                })?;
        Ok(reqwest::Body::wrap_stream(
            tokio_util::io::ReaderStream::new(file),
        ))
    };
    let out = session
        .procedure_stream(UPLOAD, "application/octet-stream", open)
        .await
        .map_err(|e| BackupError::Accounts(AccountsError::from(e)))?;
    log::info!("uploaded {} as a blob of {}", path.display(), record.did);
    Ok(BlobUpload {
        did: record.did,
        path: path.to_owned(),
        blob: out["blob"].clone(),
    })
}
