//! Filling a test account with data a migration must carry: records in several collections,
//! blobs of varied sizes (each referenced by a record, as the PDS requires), and preferences.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{TestAccount, http, xrpc_post, xrpc_url};

/// What to put in the account.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// Plain records, spread over three collections.
    pub records: usize,
    /// Blobs, each in its own gallery record; every tenth is larger than a megabyte.
    pub blobs: usize,
}

/// What was put in it.
#[derive(Debug, Clone)]
pub struct Populated {
    /// Records per collection (the gallery's included).
    pub records: BTreeMap<String, u64>,
    /// The blobs' CIDs, with their sizes.
    pub blobs: Vec<(String, usize)>,
    /// The preferences stored.
    pub preferences: Value,
}

/// Uploads `bytes` as a blob of `acct` (`mime` as its content type) and returns the blob
/// reference JSON (`{"$type": "blob", "ref": {"$link": CID}, ...}`) to put in a record.
pub async fn upload_blob(acct: &TestAccount, bytes: &[u8], mime: &str) -> Value {
    let response = http()
        .post(xrpc_url(&acct.pds_url, "com.atproto.repo.uploadBlob"))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", mime)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("uploadBlob reaches the PDS");
    let status = response.status();
    let text = response.text().await.expect("uploadBlob answers");
    assert!(status.is_success(), "uploadBlob: {status} {text}");
    let out: Value = serde_json::from_str(&text).expect("uploadBlob answers JSON");
    out["blob"].clone()
}

/// Creates a record of `acct` in `collection` (validation left to the PDS); returns its URI.
pub async fn create_record(acct: &TestAccount, collection: &str, record: Value) -> String {
    let body = json!({ "repo": acct.did, "collection": collection, "record": record });
    let out = xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.createRecord",
        &body,
        Some(&acct.access_jwt),
    )
    .await
    .expect("createRecord");
    out["uri"].as_str().expect("a URI").to_owned()
}

/// The CID string of a blob reference JSON (as [`upload_blob`] returns).
pub fn cid_of(blob: &Value) -> String {
    blob["ref"]["$link"]
        .as_str()
        .expect("a blob ref")
        .to_owned()
}

/// Bytes of blob `i` of `did`: distinct per account and index, 2–60 KB, or 1.2 MB for every
/// tenth.
pub fn blob_bytes(did: &str, i: usize) -> Vec<u8> {
    let len = if i % 10 == 9 {
        1_200_000 + i
    } else {
        2_000 + (i * 7_919) % 58_000
    };
    let seed = did
        .bytes()
        .fold(i as u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    (0..len as u32)
        .map(|k| (k.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// Fills `acct` as `spec` says and returns what it holds.
pub async fn populate(acct: &TestAccount, spec: Population) -> Populated {
    let bearer = Some(acct.access_jwt.as_str());
    let collections = [
        "app.bsky.feed.post",
        "com.example.note",
        "com.example.bookmark",
    ];
    let mut records: BTreeMap<String, u64> = BTreeMap::new();
    let writes: Vec<Value> = (0..spec.records)
        .map(|i| {
            let collection = collections[i % collections.len()];
            *records.entry(collection.to_owned()).or_default() += 1;
            let value = if collection == "app.bsky.feed.post" {
                json!({"$type": collection, "text": format!("post {i}"), "createdAt": "2026-01-01T00:00:00Z"})
            } else {
                json!({"$type": collection, "n": i, "title": format!("item {i}")})
            };
            json!({"$type": "com.atproto.repo.applyWrites#create", "collection": collection, "value": value})
        })
        .collect();
    for chunk in writes.chunks(200) {
        xrpc_post(
            &acct.pds_url,
            "com.atproto.repo.applyWrites",
            &json!({"repo": acct.did, "validate": false, "writes": chunk}),
            bearer,
        )
        .await
        .unwrap_or_else(|e| panic!("applyWrites for {}: {e}", acct.handle));
    }
    let mut blobs = Vec::new();
    let mut gallery = Vec::new();
    for i in 0..spec.blobs {
        let bytes = blob_bytes(&acct.did, i);
        let mime = if i % 2 == 0 {
            "image/png"
        } else {
            "application/octet-stream"
        };
        let blob = upload_blob(acct, &bytes, mime).await;
        blobs.push((cid_of(&blob), bytes.len()));
        gallery.push(json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.gallery",
            "value": {"$type": "com.example.gallery", "files": [blob], "n": i}}));
    }
    for chunk in gallery.chunks(200) {
        xrpc_post(
            &acct.pds_url,
            "com.atproto.repo.applyWrites",
            &json!({"repo": acct.did, "validate": false, "writes": chunk}),
            bearer,
        )
        .await
        .unwrap_or_else(|e| panic!("applyWrites (gallery) for {}: {e}", acct.handle));
    }
    if spec.blobs > 0 {
        records.insert("com.example.gallery".to_owned(), spec.blobs as u64);
    }
    let preferences = json!([
        {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": true},
        {"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": [
            {"id": "3kabc", "type": "timeline", "value": "following", "pinned": true}
        ]}
    ]);
    xrpc_post(
        &acct.pds_url,
        "app.bsky.actor.putPreferences",
        &json!({"preferences": preferences}),
        bearer,
    )
    .await
    .unwrap_or_else(|e| panic!("putPreferences for {}: {e}", acct.handle));
    Populated {
        records,
        blobs,
        preferences,
    }
}

/// Sets the account's public profile (`app.bsky.actor.profile/self`) as a Bluesky app would: a
/// display name and, when given, an avatar uploaded as a blob of type `image/png`.
pub async fn set_profile(acct: &TestAccount, display_name: &str, avatar_png: Option<&[u8]>) {
    let mut value = json!({ "$type": "app.bsky.actor.profile", "displayName": display_name });
    if let Some(bytes) = avatar_png {
        value["avatar"] = upload_blob(acct, bytes, "image/png").await;
    }
    let body = json!({
        "repo": acct.did,
        "collection": "app.bsky.actor.profile",
        "rkey": "self",
        "record": value,
    });
    xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.putRecord",
        &body,
        Some(&acct.access_jwt),
    )
    .await
    .unwrap_or_else(|e| panic!("putRecord profile: {e:?}"));
}
