//! `stratos backup …`, `repo export|import` and `blob export` end to end: snapshots into the
//! default folder and into `--to`, list, verify (whole and damaged), prune, export in goat's
//! layout, and a `backup run` killed half-way that leaves the previous snapshot whole and is
//! continued by the next run.

mod common;

use common::{Home, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, Population, TestAccount, populate, upload_blob, xrpc_post};
use tokio::io::{AsyncBufReadExt, BufReader};

async fn gallery_blob(acct: &TestAccount, bytes: &[u8]) {
    let blob = upload_blob(acct, bytes, "application/octet-stream").await;
    xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.createRecord",
        &json!({"repo": acct.did, "collection": "com.example.gallery", "validate": false,
            "record": {"$type": "com.example.gallery", "files": [blob]}}),
        Some(&acct.access_jwt),
    )
    .await
    .expect("createRecord");
}

fn snapshots(listed: &Value) -> Vec<Value> {
    listed["accounts"][0]["snapshots"]
        .as_array()
        .unwrap()
        .clone()
}

/// run (default folder, text and JSON), list, verify, export, prune, repo and blob export.
#[tokio::test]
async fn backup_verbs() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let filled = populate(
        &acct,
        Population {
            records: 120,
            blobs: 2,
        },
    )
    .await;
    let home = Home::new();
    login(&home, &acct).await;

    let text = home.run(&["backup", "run"]).await;
    assert!(
        text.ok().contains(&format!("{}: snapshot ", acct.did)),
        "{text:#?}"
    );
    assert!(
        text.stdout
            .contains(&home.path().join("backups").display().to_string())
    );
    let second = home
        .run(&["--json", "backup", "run", "--all"])
        .await
        .ok_json();
    let snap = &second["snapshots"][0];
    assert_eq!(
        (snap["newBlocks"].as_u64(), snap["newBlobs"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        snap["records"]["com.example.note"],
        filled.records["com.example.note"]
    );

    let listed = home.run(&["--json", "backup", "list"]).await.ok_json();
    assert_eq!(listed["accounts"][0]["did"], acct.did.as_str());
    assert_eq!(snapshots(&listed).len(), 2);
    let text = home.run(&["backup", "list"]).await;
    assert!(text.ok().contains(&acct.did), "{text:#?}");

    let verified = home.run(&["--json", "backup", "verify"]).await.ok_json();
    assert_eq!(verified["problems"], json!([]));
    assert_eq!(verified["blobs"], 2);
    let text = home.run(&["backup", "verify"]).await;
    assert!(text.ok().contains("Everything checks out."), "{text:#?}");

    let out = home.path().join("export");
    let exported = home
        .run(&["--json", "backup", "export", "--out", out.to_str().unwrap()])
        .await
        .ok_json();
    let car = std::path::PathBuf::from(exported["carPath"].as_str().unwrap());
    assert_eq!(car.parent().unwrap(), out);
    for (cid, size) in &filled.blobs {
        let file = out.join(format!("{}_blobs", acct.handle)).join(cid);
        assert_eq!(std::fs::metadata(&file).unwrap().len(), *size as u64);
    }
    assert!(
        out.join(format!("{}.preferences.json", acct.handle))
            .exists()
    );

    let imported = home
        .run(&["--json", "repo", "import", car.to_str().unwrap()])
        .await
        .ok_json();
    assert_eq!(imported["did"], acct.did.as_str());
    let live = home.path().join("live.car");
    let repo = home
        .run(&["--json", "repo", "export", "-o", live.to_str().unwrap()])
        .await
        .ok_json();
    assert!(repo["bytes"].as_u64().unwrap() > 1000);
    let blobs_dir = home.path().join("live_blobs");
    let blobs = home
        .run(&[
            "--json",
            "blob",
            "export",
            "-o",
            blobs_dir.to_str().unwrap(),
        ])
        .await
        .ok_json();
    assert_eq!(
        (blobs["total"].as_u64(), blobs["downloaded"].as_u64()),
        (Some(2), Some(2))
    );

    let pruned = home
        .run(&["--json", "backup", "prune", "--keep", "1"])
        .await
        .ok_json();
    assert_eq!(
        pruned["accounts"][0]["removed"].as_array().unwrap().len(),
        1
    );
    let listed = home.run(&["--json", "backup", "list"]).await.ok_json();
    assert_eq!(snapshots(&listed).len(), 1);
    home.run(&["--json", "backup", "prune", "--keep", "0"])
        .await
        .assert_error_code("bad_input");

    // A damaged blob makes verify fail, naming it.
    let folder = home.path().join("backups");
    let account_dir = std::fs::read_dir(&folder)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (cid, _) = &filled.blobs[0];
    std::fs::write(account_dir.join("blobs").join(cid), b"changed").unwrap();
    let run = home.run(&["--json", "backup", "verify"]).await;
    assert!(!run.status.success(), "{run:#?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["problems"][0]["kind"], "blobCorrupt");
    assert_eq!(report["problems"][0]["cid"], cid.as_str());
    let text = home.run(&["backup", "verify"]).await;
    assert!(
        text.failed().contains("backup") && text.stdout.contains(cid.as_str()),
        "{text:#?}"
    );
}

/// A `backup run` killed while it downloads blobs leaves no new snapshot, the previous one
/// verifies, and the next run reuses what the killed one stored.
#[tokio::test]
async fn a_killed_backup_leaves_the_previous_snapshot_whole() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    populate(
        &acct,
        Population {
            records: 30,
            blobs: 1,
        },
    )
    .await;
    let home = Home::new();
    login(&home, &acct).await;
    let folder = home.path().join("elsewhere");
    let to = folder.to_str().unwrap();
    home.run(&["backup", "run", "--to", to]).await.ok();

    // Ten new blobs of 1 MiB each, so the next run is still downloading when it is killed.
    for i in 0..10u8 {
        gallery_blob(&acct, &vec![i; 1 << 20]).await;
    }
    let mut child = home
        .command(&["backup", "run", "--to", to])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        let mid_way = line.contains("blobs 2/10");
        seen.push(line);
        if mid_way {
            break;
        }
    }
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(
        !status.success(),
        "the run was killed before it ended: {seen:#?}"
    );

    let listed = home
        .run(&["--json", "backup", "list", "--to", to])
        .await
        .ok_json();
    assert_eq!(
        snapshots(&listed).len(),
        1,
        "no snapshot from the killed run"
    );
    let verified = home
        .run(&["--json", "backup", "verify", "--to", to])
        .await
        .ok_json();
    assert_eq!(verified["problems"], json!([]));
    assert_eq!(verified["blobs"], 1);

    let next = home
        .run(&["--json", "backup", "run", "--to", to])
        .await
        .ok_json();
    let snap = &next["snapshots"][0];
    assert_eq!(snap["blobs"], 11);
    let fetched = snap["newBlobs"].as_u64().unwrap();
    assert!(
        fetched <= 8,
        "blobs the killed run saved are kept: {fetched} fetched again"
    );
    assert_eq!(
        snap["newBlocks"], 0,
        "the killed run's blocks are kept: {snap:#}"
    );
    let verified = home
        .run(&["--json", "backup", "verify", "--to", to])
        .await
        .ok_json();
    assert_eq!(verified["problems"], json!([]));
    assert_eq!(verified["blobs"], 11);
}
