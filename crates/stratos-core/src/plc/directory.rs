//! The PLC directory's HTTP interface: reading a DID's data and history, and sending it a signed
//! operation. Every answer is read with a size limit (on top of the client's time limit), so a
//! broken or hostile directory cannot exhaust memory.

use serde_json::Value;

use super::PlcError;
use crate::accounts::Accounts;

/// The largest answer read from the directory. An audit log of a few thousand operations fits;
/// real accounts have a handful.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// `GET <plc>/<did>/<path>` as JSON.
pub(super) async fn get(accounts: &Accounts, did: &str, path: &str) -> Result<Value, PlcError> {
    let (did, url) = url(accounts, did, path)?;
    let response = accounts
        .context()
        .xrpc()
        .http()
        .get(url)
        .send()
        .await
        .map_err(|e| unreachable(accounts, &did, e))?;
    match response.status().as_u16() {
        200 => {
            let body = read_limited(response).await.map_err(|e| failed(&did, e))?;
            serde_json::from_slice(&body).map_err(|e| failed(&did, e.to_string()))
        }
        404 => Err(PlcError::UnknownDid { did }),
        410 => Err(PlcError::Tombstoned { did }),
        status => Err(failed(&did, format!("HTTP {status}"))),
    }
}

/// `POST <plc>/<did>` with a signed operation. A 400 is the directory refusing the operation
/// (bad signature, a key without the power to nullify, the 72-hour window closed), with its
/// message as the reason.
pub(super) async fn post(accounts: &Accounts, did: &str, op: &Value) -> Result<(), PlcError> {
    let (did, url) = url(accounts, did, "")?;
    let response = accounts
        .context()
        .xrpc()
        .http()
        .post(url)
        .json(op)
        .send()
        .await
        .map_err(|e| unreachable(accounts, &did, e))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = read_limited(response).await.unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    match status {
        400 => Err(PlcError::Refused { reason: message }),
        status => Err(failed(&did, format!("HTTP {status}: {message}"))),
    }
}

/// A transport failure in words: a timeout says so, with the limit.
fn unreachable(accounts: &Accounts, did: &str, e: reqwest::Error) -> PlcError {
    if e.is_timeout() {
        let limit = accounts.context().config().request_timeout;
        return failed(
            did,
            format!("it did not answer within {:.1} s", limit.as_secs_f64()),
        );
    }
    failed(did, e.to_string())
}

fn failed(did: &str, detail: String) -> PlcError {
    PlcError::Directory {
        did: did.to_owned(),
        detail,
    }
}

fn url(accounts: &Accounts, did: &str, path: &str) -> Result<(String, url::Url), PlcError> {
    let did = did.trim().to_owned();
    if !did.starts_with("did:plc:") {
        return Err(PlcError::NotPlc { did });
    }
    // Segments, not `join`: joining "did:plc:…" would read "did:" as a URL scheme.
    let mut url = accounts.context().config().plc_url.clone();
    url.path_segments_mut()
        .map_err(|()| failed(&did, "the PLC URL cannot have a path".into()))?
        .pop_if_empty()
        .push(&did)
        .extend(path.split('/').filter(|s| !s.is_empty()));
    Ok((did, url))
}

/// The body, refused once it passes [`MAX_ANSWER_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let too_big = || format!("its answer is larger than {} MiB", MAX_ANSWER_BYTES >> 20);
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
