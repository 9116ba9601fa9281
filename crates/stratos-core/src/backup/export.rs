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

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cid::Cid;
use serde::Serialize;
use url::Url;

use super::rebuild::Block;
use super::store::{self, AccountStore, BlockIndex, StoreError};
use super::{BackupError, BackupProgress, BackupStep, CancellationToken, tree};
use crate::accounts::{Accounts, AccountsError};
use crate::base::identifier::ParseError;

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
