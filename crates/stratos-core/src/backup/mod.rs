//! Backups of accounts.
//!
//! Two kinds:
//! - **Snapshots** ([`snapshot::snapshot_account`]): incremental, verified backups into a backup
//!   folder that keeps many snapshots of each account, sharing blocks and blobs (layout in
//!   [`store`]). [`verify::verify`] checks one from the disk alone, [`prune::prune`] keeps the
//!   newest N, [`export::export_snapshot`] writes one out in goat's layout and
//!   [`export::import_repo`] sends a CAR back to the account's PDS. Every step reports progress
//!   and stops on its [`CancellationToken`] without damaging what is stored.
//! - **A one-off copy** ([`backup_account`], below): the repository (CAR) and every blob into a
//!   plain folder, as offered before deleting an account.
//!
//! The one-off copy: unlike goat, nothing is held in
//! memory: the CAR and each blob stream to disk. A blob is written to `<cid>.part` and renamed
//! when complete, so a second run skips what is already there (resume after a cancel or a crash).
//!
//! `sync.getRepo`, `sync.listBlobs` and `sync.getBlob` are public for active accounts, so this
//! works without a session. A deactivated account needs its own auth for them; that is not
//! covered here.

use std::path::{Path, PathBuf};

use jacquard_api::com_atproto::sync::list_blobs::ListBlobs;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::Did;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
pub use tokio_util::sync::CancellationToken;
use url::Url;

pub mod car;
pub mod export;
pub mod prune;
pub mod rebuild;
pub mod schedule;
pub mod snapshot;
pub mod store;
pub mod tree;
pub mod verify;

use crate::accounts::{Accounts, AccountsError};
use crate::base::identifier::ParseError;
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::{Xrpc, XrpcError, service_name};

/// The repository file's name inside the backup folder.
pub const CAR_FILE: &str = "repo.car";
/// The folder of blobs inside the backup folder; one file per CID.
pub const BLOB_DIR: &str = "blobs";

/// Why a backup or a blob download failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Finding the account failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A call to the PDS failed.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The backup folder could not be written.
    #[error("could not write {path}: {reason}")]
    Disk {
        /// The file or folder.
        path: String,
        /// Why, in plain words ([`crate::base::plain::io`]).
        reason: &'static str,
        /// The system's own words, for the log and "Details".
        detail: String,
    },
    /// The person cancelled; what was fully written stays and a new run resumes.
    #[error("the backup was cancelled")]
    Cancelled,
    /// The backup folder could not be used or holds damaged files.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The PDS's answer did not make a whole repository (or a blob did not match its CID).
    #[error("the backup of {did} is incomplete: {detail}")]
    Incomplete {
        /// The account.
        did: String,
        /// What is missing or wrong.
        detail: String,
    },
    /// The DID document or PLC audit log could not be fetched.
    #[error("could not save the identity of {did}: {detail}")]
    Identity {
        /// The account.
        did: String,
        /// Why.
        detail: String,
    },
    /// A prune asked to keep no snapshot.
    #[error(transparent)]
    KeepNone(#[from] prune::KeepNone),
    /// A file given as a repository CAR is not one.
    #[error("{path} is not a repository CAR file: {detail}")]
    NotARepo {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// What was given as a blob's CID is not a CID.
    #[error("{input:?} is not a CID")]
    NotACid {
        /// What was given.
        input: String,
    },
    /// A download would replace a file (goat refuses too).
    #[error("{path} already exists")]
    Exists {
        /// The file.
        path: String,
    },
}

impl Explain for BackupError {
    fn explain(&self) -> Problem {
        match self {
            BackupError::Accounts(e) => e.explain(),
            BackupError::Xrpc(e) => e.explain(),
            BackupError::Disk { detail, .. } => Problem::new(
                "disk",
                self,
                Some("Choose a folder you can write to, with enough free space."),
            )
            .with_detail(detail.clone()),
            BackupError::Cancelled => Problem::new(
                "cancelled",
                self,
                Some("Run it again into the same folder to resume."),
            ),
            BackupError::Store(e) => e.explain(),
            BackupError::Incomplete { .. } => Problem::new(
                "backup_incomplete",
                self,
                Some(
                    "The previous snapshot is unchanged. Try again later; if it persists, the PDS may be missing data.",
                ),
            ),
            BackupError::Identity { .. } => Problem::new(
                "identity_unavailable",
                self,
                Some(
                    "Check the connection to the PLC directory (or the did:web host) and try again.",
                ),
            ),
            BackupError::NotARepo { .. } => Problem::new(
                "not_a_repo",
                self,
                Some("Pass a repository export, as `stratos repo export` writes it."),
            ),
            BackupError::NotACid { .. } => Problem::new(
                "bad_cid",
                self,
                Some("Pass a blob CID as `stratos blob ls` lists them (bafkrei…)."),
            ),
            BackupError::Exists { .. } => Problem::new(
                "file_exists",
                self,
                Some("Choose another file with --output, or move that one away."),
            ),
            BackupError::KeepNone(_) => Problem::new(
                "bad_input",
                self,
                Some(
                    "Use --keep 1 or more: the newest snapshot is what the next backup builds on.",
                ),
            ),
        }
    }
}

/// Which part of the backup is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BackupStep {
    /// Downloading the repository CAR; `done` counts bytes, `total` is unknown.
    Repo,
    /// Listing the blobs; `done` counts CIDs found.
    ListBlobs,
    /// Downloading blobs; `done` of `total` blobs.
    Blobs,
}

/// A progress report, for a progress bar (CLI) or a Tauri event (app).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupProgress {
    /// What is running.
    pub step: BackupStep,
    /// How much is done (bytes for `Repo`, items otherwise).
    pub done: u64,
    /// How much there is, when known.
    pub total: Option<u64>,
}

/// What a finished backup holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSummary {
    /// The account's DID.
    pub did: String,
    /// The backup folder.
    pub folder: PathBuf,
    /// The repository file.
    pub car_path: PathBuf,
    /// Its size in bytes.
    pub car_bytes: u64,
    /// Blobs the repository references.
    pub blobs_total: u64,
    /// Blobs downloaded in this run.
    pub blobs_downloaded: u64,
    /// Blobs already present from an earlier run.
    pub blobs_skipped: u64,
}

/// Backs up a signed-in account (by handle or DID, or the selected one) into `folder`.
pub async fn backup_account(
    accounts: &Accounts,
    id: Option<&str>,
    folder: &Path,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BackupSummary, BackupError> {
    let record = accounts.find(id)?;
    let pds = Url::parse(&record.pds_url).map_err(|_| {
        AccountsError::BadInput(ParseError::BadServerUrl {
            input: record.pds_url.clone(),
        })
    })?;
    backup(
        accounts.context().xrpc(),
        &pds,
        &record.did,
        folder,
        progress,
        cancel,
    )
    .await
}

/// Backs up the repository and blobs of `did` hosted on `pds` into `folder` (created if needed).
pub async fn backup(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    folder: &Path,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BackupSummary, BackupError> {
    let blob_dir = folder.join(BLOB_DIR);
    tokio::fs::create_dir_all(&blob_dir)
        .await
        .map_err(|e| disk(&blob_dir, e))?;
    log::info!(
        "backing up {did} from {} into {}",
        service_name(pds),
        folder.display()
    );

    let car_path = folder.join(CAR_FILE);
    const GET_REPO: &str = "com.atproto.sync.getRepo";
    let car_bytes = download(
        xrpc.download(pds, GET_REPO, &[("did", did)]),
        (pds, GET_REPO),
        &car_path,
        &|n| {
            progress(BackupProgress {
                step: BackupStep::Repo,
                done: n,
                total: None,
            })
        },
        cancel,
    )
    .await?;

    let cids = list_blobs(xrpc, pds, did, progress, cancel).await?;
    let total = cids.len() as u64;
    let (mut downloaded, mut skipped) = (0, 0);
    progress(BackupProgress {
        step: BackupStep::Blobs,
        done: 0,
        total: Some(total),
    });
    for (i, cid) in cids.iter().enumerate() {
        let path = blob_dir.join(cid);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            skipped += 1;
        } else {
            download_blob(xrpc, pds, did, cid, &path, cancel).await?;
            downloaded += 1;
        }
        progress(BackupProgress {
            step: BackupStep::Blobs,
            done: i as u64 + 1,
            total: Some(total),
        });
    }
    log::info!("backup of {did} done: {total} blobs ({skipped} already there)");
    Ok(BackupSummary {
        did: did.to_owned(),
        folder: folder.to_owned(),
        car_path,
        car_bytes,
        blobs_total: total,
        blobs_downloaded: downloaded,
        blobs_skipped: skipped,
    })
}

/// Every blob CID the repository references (`sync.listBlobs`, all pages).
pub(super) async fn list_blobs(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<String>, BackupError> {
    let did_typed = Did::new_owned(did).map_err(|_| {
        AccountsError::BadInput(ParseError::BadDid {
            input: did.to_owned(),
        })
    })?;
    let mut cids = Vec::new();
    let mut cursor: Option<SmolStr> = None;
    loop {
        if cancel.is_cancelled() {
            return Err(BackupError::Cancelled);
        }
        let req = ListBlobs {
            cursor: cursor.take(),
            did: did_typed.clone(),
            limit: Some(1000),
            since: None,
        };
        let page = xrpc.send(pds, &req, None).await?;
        let n = page.cids.len();
        cids.extend(page.cids.iter().map(|c| c.as_str().to_owned()));
        progress(BackupProgress {
            step: BackupStep::ListBlobs,
            done: cids.len() as u64,
            total: None,
        });
        match page.cursor {
            Some(c) if n > 0 => cursor = Some(c),
            _ => break,
        }
    }
    cids.sort();
    cids.dedup();
    Ok(cids)
}

/// Streams one blob (`sync.getBlob`) from `pds` to `path`, through `<path>.part`.
pub async fn download_blob(
    xrpc: &Xrpc,
    pds: &Url,
    did: &str,
    cid: &str,
    path: &Path,
    cancel: &CancellationToken,
) -> Result<u64, BackupError> {
    const GET_BLOB: &str = "com.atproto.sync.getBlob";
    download(
        xrpc.download_as_stored(pds, GET_BLOB, &[("did", did), ("cid", cid)]),
        (pds, GET_BLOB),
        path,
        &|_| {},
        cancel,
    )
    .await
}

/// Streams the answer `opening` gives (a CAR, a blob: XRPC query `nsid` of `pds`) to `path`
/// through `<path>.part`, renamed once complete. Unauthenticated: see the module comment.
pub(super) async fn download(
    opening: impl Future<Output = Result<reqwest::Response, XrpcError>>,
    (pds, nsid): (&Url, &str),
    path: &Path,
    bytes_done: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, BackupError> {
    let transport = |e: reqwest::Error| crate::net::xrpc::transport(pds, nsid, e);
    let mut response = tokio::select! {
        r = opening => r?,
        () = cancel.cancelled() => return Err(BackupError::Cancelled),
    };
    let part = part_path(path);
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| disk(&part, e))?;
    let mut written = 0u64;
    loop {
        let chunk = tokio::select! {
            c = response.chunk() => c.map_err(transport)?,
            () = cancel.cancelled() => {
                drop(file);
                let _ = tokio::fs::remove_file(&part).await;
                return Err(BackupError::Cancelled);
            }
        };
        let Some(chunk) = chunk else { break };
        file.write_all(&chunk).await.map_err(|e| disk(&part, e))?;
        written += chunk.len() as u64;
        bytes_done(written);
    }
    file.flush().await.map_err(|e| disk(&part, e))?;
    file.sync_all().await.map_err(|e| disk(&part, e))?;
    drop(file);
    tokio::fs::rename(&part, path)
        .await
        .map_err(|e| disk(path, e))?;
    Ok(written)
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".part");
    path.with_file_name(name)
}

fn disk(path: &Path, e: std::io::Error) -> BackupError {
    BackupError::Disk {
        path: path.display().to_string(),
        reason: crate::base::plain::io(&e),
        detail: e.to_string(),
    }
}
