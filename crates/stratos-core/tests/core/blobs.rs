//! Missing blobs: listed after a repository import whose blobs were not copied, and repaired from
//! another server that holds the same bytes.
//!
//! The reference PDS refuses a record whose blob it does not hold (`BlobNotFound`), so a missing
//! blob is made the way migrations make them: the account's repository is exported, the record and
//! its blob are deleted, and the old CAR is imported again (`importRepo` indexes the record's blob
//! references without the blob).

use serde_json::json;
use stratos_core::blobs;
use stratos_testkit::{TestAccount, cid_of, create_record, upload_blob, xrpc_post};
use tokio_util::sync::CancellationToken;

use crate::World;

async fn get_blob(pds: &str, did: &str, cid: &str) -> (u16, Option<String>, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(format!("{pds}/xrpc/com.atproto.sync.getBlob"))
        .query(&[("did", did), ("cid", cid)])
        .send()
        .await
        .expect("getBlob reaches the PDS");
    let mime = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), mime, r.bytes().await.unwrap().to_vec())
}

/// Gives `acct` a record referencing a blob of `bytes` that its PDS no longer holds; returns the CID.
async fn make_missing_blob(acct: &TestAccount, bytes: &[u8]) -> String {
    let blob = upload_blob(acct, bytes, "application/octet-stream").await;
    let uri = create_record(
        acct,
        "com.example.gallery",
        json!({"files": [blob], "createdAt": "2026-01-01T00:00:00Z"}),
    )
    .await;
    let http = reqwest::Client::new();
    let car = http
        .get(format!("{}/xrpc/com.atproto.sync.getRepo", acct.pds_url))
        .query(&[("did", &acct.did)])
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let rkey = uri.rsplit('/').next().unwrap();
    xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.deleteRecord",
        &json!({"repo": acct.did, "collection": "com.example.gallery", "rkey": rkey}),
        Some(&acct.access_jwt),
    )
    .await
    .expect("deleteRecord");
    let r = http
        .post(format!("{}/xrpc/com.atproto.repo.importRepo", acct.pds_url))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", "application/vnd.ipld.car")
        .body(car)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "importRepo: {:?}", r.text().await);
    cid_of(&blob)
}

/// The missing blob is listed; a repair from a server without it reports the failure; a repair
/// from another account holding the same bytes copies it and nothing is missing afterwards.
#[tokio::test]
async fn list_and_repair_missing_blobs_from_another_server() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let bytes = format!("blob of {}", acct.did).repeat(40).into_bytes();
    let cid = make_missing_blob(&acct, &bytes).await;
    assert_eq!(
        get_blob(&acct.pds_url, &acct.did, &cid).await.0,
        400,
        "the PDS lost it"
    );
    w.sign_in(&acct).await;

    let missing = blobs::list_missing(&w.accounts, None).await.expect("list");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].cid, cid);
    assert!(
        missing[0]
            .record_uri
            .starts_with(&format!("at://{}/com.example.gallery/", acct.did))
    );

    // The account's own PDS does not have it: reported per blob, still missing.
    let summary = blobs::repair(
        &w.accounts,
        None,
        &acct.pds_url,
        None,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("repair runs");
    assert!(summary.repaired.is_empty());
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.still_missing, 1);

    // Another account on PDS2 holds the same bytes (same CID) in a record.
    let other = w.net.create_account(w.net.pds2()).await;
    let copy = upload_blob(&other, &bytes, "application/octet-stream").await;
    assert_eq!(cid_of(&copy), cid, "same bytes, same CID");
    create_record(&other, "com.example.gallery", json!({"files": [copy]})).await;

    let seen = std::sync::Mutex::new(Vec::new());
    let summary = blobs::repair(
        &w.accounts,
        Some(&acct.handle),
        &other.pds_url,
        Some(&other.did),
        &|p| seen.lock().unwrap().push((p.done, p.total)),
        &CancellationToken::new(),
    )
    .await
    .expect("repair");
    assert_eq!(summary.repaired, vec![cid.clone()]);
    assert!(summary.failed.is_empty(), "{summary:?}");
    assert_eq!(summary.still_missing, 0);
    assert_eq!(*seen.lock().unwrap(), vec![(0, 1), (1, 1)]);
    assert!(
        blobs::list_missing(&w.accounts, None)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, mime, body) = get_blob(&acct.pds_url, &acct.did, &cid).await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);
    assert_eq!(
        mime.as_deref(),
        Some("application/octet-stream"),
        "the repaired blob keeps its type"
    );
}

/// An account signed in with OAuth repairs a blob larger than a megabyte: the upload is streamed
/// from the source with a DPoP proof and arrives intact, with its type.
#[tokio::test]
async fn oauth_account_repairs_a_large_blob_streamed() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let bytes: Vec<u8> = (0..1_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let cid = make_missing_blob(&acct, &bytes).await;
    let other = w.net.create_account(w.net.pds2()).await;
    let copy = upload_blob(&other, &bytes, "application/octet-stream").await;
    assert_eq!(cid_of(&copy), cid);
    create_record(&other, "com.example.gallery", json!({"files": [copy]})).await;

    w.browser_sign_in(&acct).await;
    // A fresh process: the DPoP nonce comes from the keychain, possibly stale.
    let accounts = w.reopen();
    let summary = blobs::repair(
        &accounts,
        Some(&acct.did),
        &other.pds_url,
        Some(&other.did),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("repair");
    assert!(summary.failed.is_empty(), "{summary:?}");
    assert_eq!(summary.repaired, vec![cid.clone()]);
    assert_eq!(summary.still_missing, 0);
    let (status, mime, body) = get_blob(&acct.pds_url, &acct.did, &cid).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), bytes.len());
    assert!(body == bytes, "the repaired blob has the same bytes");
    assert_eq!(mime.as_deref(), Some("application/octet-stream"));
}

/// The reference PDS compresses an `application/octet-stream` blob on the fly (brotli) for a
/// client that accepts it, as Stratos's HTTP client does; copies fetch blobs as stored instead, so
/// neither side spends CPU on already-compressed media and the length is known up front.
#[tokio::test]
async fn blobs_are_fetched_as_stored() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let bytes: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let blob = upload_blob(&acct, &bytes, "application/octet-stream").await;
    let cid = cid_of(&blob);
    create_record(&acct, "com.example.gallery", json!({"files": [blob]})).await;
    let pds = url::Url::parse(&acct.pds_url).unwrap();
    let query = [("did", acct.did.as_str()), ("cid", cid.as_str())];
    let xrpc = w.accounts.context().xrpc();

    let offered = xrpc
        .download(&pds, "com.atproto.sync.getBlob", &query)
        .await
        .expect("getBlob");
    assert_eq!(
        offered.content_length(),
        None,
        "the PDS compresses when the client accepts it (then the length is unknown)"
    );
    assert_eq!(offered.bytes().await.unwrap().as_ref(), &bytes[..]);

    let stored = xrpc
        .download_as_stored(&pds, "com.atproto.sync.getBlob", &query)
        .await
        .expect("getBlob");
    assert!(stored.headers().get("content-encoding").is_none());
    assert_eq!(stored.content_length(), Some(bytes.len() as u64));
    assert_eq!(stored.bytes().await.unwrap().as_ref(), &bytes[..]);
}
