//! `stratos account backup` and `account missing-blobs` end to end, in text and `--json` mode:
//! `account backup --to` taking the same incremental snapshots as `backup run --to`, and blobs
//! an import left missing listed and repaired from another server.

mod common;

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, TestAccount, xrpc_post};

/// Uploads `bytes` as a blob of `acct` and references it from a record; returns the blob JSON
/// and the record's rkey.
async fn blob_in_record(acct: &TestAccount, bytes: &[u8]) -> (Value, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", acct.pds_url))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("uploadBlob");
    assert!(response.status().is_success(), "{response:?}");
    let blob = response.json::<Value>().await.unwrap()["blob"].clone();
    let body = json!({"repo": acct.did, "collection": "com.example.gallery",
        "record": {"files": [blob], "createdAt": "2026-01-01T00:00:00Z"}});
    let out = xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.createRecord",
        &body,
        Some(&acct.access_jwt),
    )
    .await
    .expect("createRecord");
    let rkey = out["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    (blob, rkey.to_owned())
}

/// `account backup` takes a snapshot, then an incremental one (text and JSON); `missing-blobs`
/// lists what an import left missing, fails to repair from a server without it, and repairs
/// from one with it.
#[tokio::test]
async fn backup_and_missing_blobs() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let bytes = format!("cli blob of {}", acct.did).repeat(30).into_bytes();
    let (blob, rkey) = blob_in_record(&acct, &bytes).await;
    let cid = blob["ref"]["$link"].as_str().unwrap().to_owned();
    let home = Home::new();
    login(&home, &acct).await;

    // `account backup --to` is the older name of `backup run --to`: a snapshot, then one that
    // stores only what changed, with a note on stderr saying what to use instead.
    let folder = home.path().join("backup");
    let folder_s = folder.to_str().unwrap();
    let text = home.run(&["account", "backup", "--to", folder_s]).await;
    assert!(text.ok().contains("1 new blobs"), "{text:#?}");
    assert!(
        text.stderr.contains("deprecated") && text.stderr.contains("stratos backup run --to"),
        "{text:#?}"
    );
    let summary = home
        .run(&[
            "--json",
            "account",
            "backup",
            &acct.handle,
            "--to",
            folder_s,
        ])
        .await
        .ok_json();
    let second = &summary["snapshots"][0];
    assert_eq!(second["did"], acct.did.as_str(), "{summary}");
    assert_eq!(second["blobs"], 1);
    assert_eq!(
        second["newBlobs"], 0,
        "the second run stores only what changed"
    );
    assert!(second["since"].is_string(), "incremental: {summary}");
    let listed = home
        .run(&["--json", "backup", "list", "--to", folder_s])
        .await
        .ok_json();
    assert_eq!(
        listed["accounts"][0]["snapshots"].as_array().unwrap().len(),
        2,
        "{listed}"
    );
    // goat's layout comes from `backup export`.
    let exported = home
        .run(&[
            "--json",
            "backup",
            "export",
            "--to",
            folder_s,
            "-o",
            home.path().join("export").to_str().unwrap(),
        ])
        .await
        .ok_json();
    let blobs_dir = std::path::PathBuf::from(exported["blobsDir"].as_str().unwrap());
    assert_eq!(std::fs::read(blobs_dir.join(&cid)).unwrap(), bytes);
    let car = std::fs::read(exported["carPath"].as_str().unwrap()).unwrap();
    assert!(!car.is_empty() && car[1] == 0xa2, "a CAR header");

    let none = home
        .run(&["--json", "account", "missing-blobs"])
        .await
        .ok_json();
    assert_eq!(none["count"], 0);

    // Lose the blob: delete the record (the PDS drops the blob), import the old CAR again.
    xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.deleteRecord",
        &json!({"repo": acct.did, "collection": "com.example.gallery", "rkey": rkey}),
        Some(&acct.access_jwt),
    )
    .await
    .expect("deleteRecord");
    let r = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.repo.importRepo", acct.pds_url))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", "application/vnd.ipld.car")
        .body(car)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "importRepo: {r:?}");

    let listed = home.run(&["account", "missing-blobs"]).await;
    assert!(listed.ok().contains(&cid), "{listed:#?}");
    let missing = home
        .run(&["--json", "account", "missing-blobs"])
        .await
        .ok_json();
    assert_eq!(missing["count"], 1);
    assert_eq!(missing["blobs"][0]["cid"], cid.as_str());

    assert_fails(
        &home,
        &["account", "missing-blobs", "--repair-from", &acct.pds_url],
        "blobs_not_repaired",
        "could not be copied",
    )
    .await;
    let other = net.create_account(net.pds2()).await;
    blob_in_record(&other, &bytes).await;
    let repaired = home
        .run(&[
            "--json",
            "account",
            "missing-blobs",
            "--repair-from",
            &other.pds_url,
            "--source-did",
            &other.did,
        ])
        .await
        .ok_json();
    assert_eq!(repaired["repaired"], json!([cid]));
    assert_eq!(repaired["stillMissing"], 0);
    let after = home.run(&["account", "missing-blobs"]).await;
    assert!(after.ok().contains("No missing blobs"), "{after:#?}");
}
