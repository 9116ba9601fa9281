//! Missing blobs: files (images, videos) that records reference but the PDS does not hold, as
//! after a migration whose blob copy failed. List them, and repair them by copying each from a
//! server that still has it (the old PDS, or another account holding the same bytes: a CID
//! names the content, so the same bytes have the same CID everywhere).

use jacquard_api::com_atproto::repo::list_missing_blobs::ListMissingBlobs;
use jacquard_api::com_atproto::repo::upload_blob::{UploadBlob, UploadBlobResponse};
use jacquard_common::deps::bytes::Bytes;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::xrpc::{EncodeError, XrpcMethod, XrpcRequest};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::identifier::{ParseError, parse_service_url};
use crate::problem::{Explain, Problem};
use crate::session::{AccountSession, SessionError};
use crate::xrpc::service_name;

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
/// A blob that fails is reported and the others continue. Each blob is held in memory while uploading (the PDS caps blob size, 5 MiB
/// by default), because an OAuth upload may have to be resent for a new DPoP nonce.
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
        let result = async {
            let (bytes, mime) = tokio::select! {
                b = fetch(accounts, &source, &source_did, &cid) => b?,
                () = cancel.cancelled() => return Ok(false),
            };
            let got = upload(&session, bytes, mime.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            if got != cid {
                return Err(format!("the source sent different content (CID {got})"));
            }
            Ok(true)
        }
        .await;
        match result {
            Ok(true) => {
                log::info!("repaired blob {cid} of {}", record.did);
                repaired.push(cid);
            }
            Ok(false) => return Err(BlobsError::Cancelled),
            Err(reason) => {
                log::warn!("could not repair blob {cid} of {}: {reason}", record.did);
                failed.push(RepairFailure { cid, reason });
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

/// Fetches one blob and its Content-Type from the source, unauthenticated.
async fn fetch(
    accounts: &Accounts,
    source: &Url,
    did: &str,
    cid: &str,
) -> Result<(Bytes, Option<String>), String> {
    let nsid = "com.atproto.sync.getBlob";
    let mut url = source
        .join(&format!("xrpc/{nsid}"))
        .map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .extend_pairs([("did", did), ("cid", cid)]);
    let response = accounts
        .xrpc()
        .http()
        .get(url)
        .send()
        .await
        .map_err(|e| format!("could not reach {}: {e}", service_name(source)))?;
    let status = response.status();
    let mime = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("download from {} failed: {e}", service_name(source)))?;
    if !status.is_success() {
        return Err(format!(
            "{} does not have it (HTTP {}: {})",
            service_name(source),
            status.as_u16(),
            String::from_utf8_lossy(&body[..body.len().min(120)])
        ));
    }
    Ok((body, mime))
}

/// Uploads a blob declaring `mime` as its Content-Type, and returns the CID the PDS computed.
///
/// The PDS records the declared type when it cannot recognise the content itself, and jacquard's
/// typed `UploadBlob` always declares `*/*`, so a repaired text or binary blob would lose its type.
/// An XRPC request's encoding is a constant of its type, so common types each get a request
/// type ([`Upload`]); any other type goes as `*/*` and the PDS sniffs it.
async fn upload(
    session: &AccountSession,
    body: Bytes,
    mime: Option<&str>,
) -> Result<String, SessionError> {
    macro_rules! by_mime {
        ($($marker:ident = $mime:literal),* $(,)?) => {{
            $(
                struct $marker;
                impl Mime for $marker {
                    const TYPE: &'static str = $mime;
                }
            )*
            match mime {
                $(Some($mime) => session.call(&Upload::<$marker>::new(body)).await?,)*
                _ => session.call(&UploadBlob { body }).await?,
            }
        }};
    }
    let out = by_mime!(
        Jpeg = "image/jpeg",
        Png = "image/png",
        Gif = "image/gif",
        Webp = "image/webp",
        Avif = "image/avif",
        Heic = "image/heic",
        Svg = "image/svg+xml",
        Mp4 = "video/mp4",
        Quicktime = "video/quicktime",
        Webm = "video/webm",
        Mpeg = "audio/mpeg",
        Ogg = "audio/ogg",
        Text = "text/plain",
        Html = "text/html",
        Json = "application/json",
        Pdf = "application/pdf",
        Binary = "application/octet-stream",
    );
    Ok(out.blob.blob().cid().as_str().to_owned())
}

/// A Content-Type known at compile time, for [`Upload`].
trait Mime {
    const TYPE: &'static str;
}

/// `com.atproto.repo.uploadBlob` with the body declared as `M::TYPE`.
struct Upload<M> {
    body: Bytes,
    mime: std::marker::PhantomData<M>,
}

impl<M> Upload<M> {
    fn new(body: Bytes) -> Self {
        Self {
            body,
            mime: std::marker::PhantomData,
        }
    }
}

// The transport requires `Serialize`; the body itself is written by `encode_body`.
impl<M> Serialize for Upload<M> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<M: Mime> XrpcRequest for Upload<M> {
    const NSID: &'static str = "com.atproto.repo.uploadBlob";
    const METHOD: XrpcMethod = XrpcMethod::Procedure(M::TYPE);
    type Response = UploadBlobResponse;

    fn encode_body(&self, buffer: &mut Vec<u8>) -> Result<(), EncodeError> {
        buffer.extend_from_slice(&self.body);
        Ok(())
    }
}
