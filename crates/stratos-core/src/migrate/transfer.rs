//! Moving the data: the repository as one stream from `sync.getRepo` into `repo.importRepo`,
//! and the blobs the target reports missing, several at a time, each streamed, each retried
//! with backoff (honouring the server's rate-limit wait) and none skipped silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::{Event, MigrateError};
use crate::auth::session::{AccountSession, SessionError};
use crate::blobs::copy_blob;
use crate::net::xrpc::{Xrpc, XrpcError};

/// Attempts per blob (and for the repository) before the migration stops and says why.
const ATTEMPTS: u32 = 6;

/// The longest rate-limit wait the migration sits through; a longer one (a daily cap) stops it
/// with the time to come back, and `--resume` continues.
const MAX_WAIT: Duration = Duration::from_secs(10 * 60);

/// Streams the source's repository CAR into the target's `importRepo`, reporting bytes.
pub(super) async fn copy_repo(
    xrpc: &Xrpc,
    source: &Url,
    did: &str,
    target: &AccountSession,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, MigrateError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let copy = retrying("the repository", progress, cancel, || async {
        bytes.store(0, Ordering::Relaxed);
        target
            .procedure_stream(
                "com.atproto.repo.importRepo",
                "application/vnd.ipld.car",
                || open_repo(xrpc, source, did, bytes.clone()),
            )
            .await
            .map(|_| ())
    });
    with_ticks(copy, cancel, || {
        progress(Event::Repo {
            bytes: bytes.load(Ordering::Relaxed),
        })
    })
    .await?;
    let total = bytes.load(Ordering::Relaxed);
    progress(Event::Repo { bytes: total });
    Ok(total)
}

/// Opens `sync.getRepo` on the source as a stream, counting bytes into `bytes`. The CAR is
/// asked for as stored: it goes on to `importRepo` uncompressed anyway, so compressing it on
/// the fly would only spend the source server's CPU (the bottleneck on a fast link) to save at
/// most half the traffic.
async fn open_repo(
    xrpc: &Xrpc,
    source: &Url,
    did: &str,
    bytes: Arc<AtomicU64>,
) -> Result<reqwest::Body, XrpcError> {
    let response = xrpc
        .download_as_stored(source, "com.atproto.sync.getRepo", &[("did", did)])
        .await?;
    bytes.store(0, Ordering::Relaxed);
    Ok(crate::net::http::counted_body(response, Some(bytes)))
}

/// Every blob the target's records reference that it does not hold (`listMissingBlobs`, all
/// pages), deduplicated.
pub(crate) async fn missing_blobs(target: &AccountSession) -> Result<Vec<String>, SessionError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = target
            .query_json("com.atproto.repo.listMissingBlobs", &query)
            .await?;
        let blobs = page["blobs"].as_array().cloned().unwrap_or_default();
        out.extend(
            blobs
                .iter()
                .filter_map(|b| b["cid"].as_str().map(str::to_owned)),
        );
        match page["cursor"].as_str() {
            Some(c) if !blobs.is_empty() => cursor = Some(c.to_owned()),
            _ => break,
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a blob pass did.
pub(super) struct BlobReport {
    /// Blobs copied.
    pub copied: u64,
    /// Bytes read from the source.
    pub bytes: u64,
}

/// Copies `cids` of account `did` from the `source` PDS to the target, `concurrency` at a time. A blob that still fails
/// after the retries stops the pass with every failure named; blobs already copied stay copied.
pub(super) async fn copy_blobs(
    (xrpc, source, did): (&Xrpc, &Url, &str),
    target: &AccountSession,
    cids: Vec<String>,
    concurrency: usize,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BlobReport, MigrateError> {
    let total = cids.len() as u64;
    let bytes = Arc::new(AtomicU64::new(0));
    let done = AtomicU64::new(0);
    let report = || {
        progress(Event::Blobs {
            done: done.load(Ordering::Relaxed),
            total,
            bytes: bytes.load(Ordering::Relaxed),
        })
    };
    report();
    let results = futures::stream::iter(cids)
        .map(|cid| {
            let bytes = bytes.clone();
            let done = &done;
            async move {
                let what = format!("blob {cid}");
                let r = retrying(&what, progress, cancel, || {
                    copy_blob(xrpc, target, source, did, &cid, Some(&bytes))
                })
                .await;
                if r.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                (cid, r)
            }
        })
        .buffer_unordered(concurrency.clamp(1, 16));
    let mut failed = Vec::new();
    let collect = async {
        let mut results = std::pin::pin!(results);
        while let Some((cid, r)) = results.next().await {
            match r {
                Ok(()) => {}
                Err(MigrateError::Cancelled) => return Err(MigrateError::Cancelled),
                Err(e) => {
                    log::warn!("blob {cid} of {did} could not be copied: {e}");
                    failed.push(format!("{cid}: {e}"));
                }
            }
            report();
        }
        Ok(())
    };
    with_ticks(collect, cancel, report).await?;
    if !failed.is_empty() {
        return Err(MigrateError::BlobsFailed {
            count: failed.len(),
            first: failed.into_iter().take(5).collect(),
        });
    }
    Ok(BlobReport {
        copied: done.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
    })
}

/// Runs `work`, calling `tick` every 250 ms until it ends, and stops at once on `cancel`.
async fn with_ticks<T>(
    work: impl Future<Output = Result<T, MigrateError>>,
    cancel: &CancellationToken,
    tick: impl Fn(),
) -> Result<T, MigrateError> {
    let mut work = std::pin::pin!(work);
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            r = &mut work => return r,
            () = cancel.cancelled() => return Err(MigrateError::Cancelled),
            _ = interval.tick() => tick(),
        }
    }
}

/// Runs `op` until it succeeds, retrying what may pass later (server errors, timeouts, lost
/// connections, rate limits) with exponential backoff from 1 s, or the server's own wait.
/// Anything else (a refusal, a missing blob) fails at once.
async fn retrying<F, Fut>(
    what: &str,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &CancellationToken,
    op: F,
) -> Result<(), MigrateError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), SessionError>>,
{
    let mut attempt = 1;
    loop {
        let e = tokio::select! {
            r = op() => match r {
                Ok(()) => return Ok(()),
                Err(e) => e,
            },
            () = cancel.cancelled() => return Err(MigrateError::Cancelled),
        };
        let backoff = Duration::from_secs(1 << (attempt - 1).min(5));
        let wait = match &e {
            SessionError::Xrpc(XrpcError::RateLimited { retry_after, .. }) => {
                let wait = retry_after.map_or(backoff, Duration::from_secs);
                if wait > MAX_WAIT {
                    return Err(MigrateError::RateLimited {
                        what: what.to_owned(),
                        minutes: wait.as_secs().div_ceil(60),
                    });
                }
                wait
            }
            SessionError::Xrpc(x) if transient(x) => backoff,
            _ => return Err(e.into()),
        };
        if attempt >= ATTEMPTS {
            return Err(e.into());
        }
        log::info!("{what}: attempt {attempt} failed ({e}); again in {wait:?}");
        progress(Event::Retry {
            what: what.to_owned(),
            attempt,
            wait_secs: wait.as_secs(),
            reason: e.to_string(),
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = cancel.cancelled() => return Err(MigrateError::Cancelled),
        }
        attempt += 1;
    }
}

/// Whether a failure may pass by itself: the server or the way to it had a problem.
pub(crate) fn transient(e: &XrpcError) -> bool {
    match e {
        XrpcError::Timeout { .. } | XrpcError::Unreachable { .. } => true,
        XrpcError::Server { status, .. } | XrpcError::BadResponse { status, .. } => {
            *status >= 500 || *status == 408
        }
        XrpcError::RateLimited { .. } => true,
        XrpcError::Encode { .. } => false,
    }
}
