//! Missing blobs: files (images, videos) that records reference but the PDS does not hold, as
//! after a migration whose blob copy failed. List them, and repair them by copying each from a
//! server that still has it (the old PDS, or another account holding the same bytes: a CID
//! names the content, so the same bytes have the same CID everywhere).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use jacquard_api::com_atproto::repo::list_missing_blobs::ListMissingBlobs;
use jacquard_common::deps::smol_str::SmolStr;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::{AccountSession, SessionError};
use crate::base::identifier::{ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::{Xrpc, XrpcError, service_name};

/// Why listing or repairing blobs failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobsError {
    /// Finding the account or its session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A call to the account's PDS failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The source server address is not usable.
    #[error(transparent)]
    BadSource(#[from] ParseError),
    /// The person cancelled; repaired blobs stay repaired and a new run continues.
    #[error("the repair was cancelled")]
    Cancelled,
}

impl Explain for BlobsError {
    fn explain(&self) -> Problem {
        match self {
            BlobsError::Accounts(e) => e.explain(),
            BlobsError::Session(e) => e.explain(),
            BlobsError::BadSource(e) => e.explain(),
            BlobsError::Cancelled => {
                Problem::new("cancelled", self, Some("Run the repair again to continue."))
            }
        }
    }
}

/// A blob a record references that the PDS does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingBlob {
    /// The blob's CID.
    pub cid: String,
    /// The record referencing it (`at://…`).
    pub record_uri: String,
}

/// Repair progress, for a progress bar or a Tauri event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairProgress {
    /// Blobs handled so far (repaired or failed).
    pub done: u64,
    /// Blobs to handle.
    pub total: u64,
}

/// One blob that could not be repaired, and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairFailure {
    /// The blob's CID.
    pub cid: String,
    /// Why (not on the source, upload refused...).
    pub reason: String,
}

/// What a repair did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairSummary {
    /// The account.
    pub did: String,
    /// Where the blobs came from.
    pub source_pds: String,
    /// CIDs copied.
    pub repaired: Vec<String>,
    /// CIDs that could not be copied.
    pub failed: Vec<RepairFailure>,
    /// How many are still missing afterwards, per the PDS.
    pub still_missing: u64,
}

/// Lists every missing blob of a signed-in account (`repo.listMissingBlobs`, all pages).
pub async fn list_missing(
    accounts: &Accounts,
    id: Option<&str>,
) -> Result<Vec<MissingBlob>, BlobsError> {
    let record = accounts.find(id)?;
    let session = accounts.session(&record.did).await?;
    let mut out = Vec::new();
    let mut cursor: Option<SmolStr> = None;
    loop {
        let req = ListMissingBlobs {
            cursor: cursor.take(),
            limit: Some(1000),
        };
        let page = session.call(&req).await?;
        let n = page.blobs.len();
        out.extend(page.blobs.iter().map(|b| MissingBlob {
            cid: b.cid.as_str().to_owned(),
            record_uri: b.record_uri.as_str().to_owned(),
        }));
        match page.cursor {
            Some(c) if n > 0 => cursor = Some(c),
            _ => break,
        }
    }
    log::info!("{} has {} missing blobs", record.did, out.len());
    Ok(out)
}

/// Copies every missing blob from `source_pds` (public `sync.getBlob` of `source_did`, by
/// default the account itself) to the account's PDS, keeping the Content-Type the source serves.
/// A blob that fails is reported and the others continue. Each blob streams from the source
/// into the upload, never whole in memory; when the PDS asks for a resend (new DPoP nonce,
/// refreshed token) it is fetched again.
pub async fn repair(
    accounts: &Accounts,
    id: Option<&str>,
    source_pds: &str,
    source_did: Option<&str>,
    progress: &(dyn Fn(RepairProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<RepairSummary, BlobsError> {
    let source: Url = parse_service_url(source_pds)?;
    let record = accounts.find(id)?;
    let source_did = source_did.unwrap_or(&record.did).to_owned();
    let missing = list_missing(accounts, Some(&record.did)).await?;
    let mut cids: Vec<String> = missing.into_iter().map(|m| m.cid).collect();
    cids.sort();
    cids.dedup();
    let total = cids.len() as u64;
    let session = accounts.session(&record.did).await?;
    let (mut repaired, mut failed) = (Vec::new(), Vec::new());
    progress(RepairProgress { done: 0, total });
    for (i, cid) in cids.into_iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(BlobsError::Cancelled);
        }
        let copy = copy_blob(
            accounts.context().xrpc(),
            &session,
            &source,
            &source_did,
            &cid,
            None,
        );
        let result = tokio::select! {
            r = copy => r,
            () = cancel.cancelled() => return Err(BlobsError::Cancelled),
        };
        match result {
            Ok(()) => {
                log::info!("repaired blob {cid} of {}", record.did);
                repaired.push(cid);
            }
            Err(reason) => {
                log::warn!("could not repair blob {cid} of {}: {reason}", record.did);
                failed.push(RepairFailure {
                    cid,
                    reason: reason.to_string(),
                });
            }
        }
        progress(RepairProgress {
            done: i as u64 + 1,
            total,
        });
    }
    let still_missing = list_missing(accounts, Some(&record.did)).await?.len() as u64;
    Ok(RepairSummary {
        did: record.did,
        source_pds: source.as_str().trim_end_matches('/').to_owned(),
        repaired,
        failed,
        still_missing,
    })
}

/// Streams blob `cid` of `did` from `source` (`sync.getBlob`) into `repo.uploadBlob` on the
/// session's PDS, declaring the Content-Type the source serves (the PDS keeps the declared type
/// when it cannot recognise the content), and checks the PDS computed the same CID. Bytes read
/// from the source are added to `bytes` when given, for a progress display.
pub async fn copy_blob(
    xrpc: &Xrpc,
    session: &AccountSession,
    source: &Url,
    did: &str,
    cid: &str,
    bytes: Option<&Arc<AtomicU64>>,
) -> Result<(), SessionError> {
    // The type is known only once the source answers; the first answer's type is used for
    // every resend, since a CID names the same bytes.
    let mime = std::sync::Mutex::new(None::<String>);
    let open = || async {
        let (body, served) = download(xrpc, source, did, cid, bytes.cloned()).await?;
        mime.lock()
            .expect("mime lock")
            .get_or_insert_with(|| served.unwrap_or_else(|| "*/*".to_owned()));
        Ok(body)
    };
    // The Content-Type header is sent before the body is opened, so the first open happens here.
    let first = open().await?;
    let content_type = mime.lock().expect("mime lock").clone().unwrap_or_default();
    let first = std::sync::Mutex::new(Some(first));
    let out = session
        .procedure_stream("com.atproto.repo.uploadBlob", &content_type, || async {
            let first = first.lock().expect("body lock").take();
            match first {
                Some(body) => Ok(body),
                None => open().await,
            }
        })
        .await?;
    let got = out
        .pointer("/blob/ref/$link")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if got != cid {
        return Err(SessionError::Xrpc(XrpcError::BadResponse {
            service: service_name(session.pds()),
            nsid: "com.atproto.repo.uploadBlob".to_owned(),
            status: 200,
            detail: format!(
                "the upload of {cid} was stored as {got:?}: the source sent different content"
            ),
        }));
    }
    Ok(())
}

/// Opens blob `cid` of `did` on `source` as a stream, with its Content-Type (unauthenticated,
/// as `sync.getBlob` is public while the account is active).
async fn download(
    xrpc: &Xrpc,
    source: &Url,
    did: &str,
    cid: &str,
    bytes: Option<Arc<AtomicU64>>,
) -> Result<(reqwest::Body, Option<String>), XrpcError> {
    let response = xrpc
        .download_as_stored(
            source,
            "com.atproto.sync.getBlob",
            &[("did", did), ("cid", cid)],
        )
        .await?;
    let mime = crate::net::http::media_type(response.headers());
    Ok((crate::net::http::counted_body(response, bytes), mime))
}
