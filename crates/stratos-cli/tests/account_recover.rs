//! `stratos account recover` end to end: refused with the reason when no rotation key of the
//! person's is in force; with one, the account is rebuilt on PDS2 from the backup folder, in
//! `--json` mode, and the PLC directory (read directly) names PDS2 with the person's key first.
//! Then the whole story with a PDS that dies: backups, a recovery killed at every step, a
//! damaged backup, and no backup at all (identity only).

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_core::backup::store::{AccountStore, BlockIndex};
use stratos_core::backup::{car, rebuild, tree};
use stratos_testkit::{
    Network, PdsInfo, Population, TestAccount, populate, subjects, upload_blob, xrpc_get, xrpc_post,
};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn recover_is_refused_without_a_key_then_rebuilds_the_account_with_one() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    populate(
        &acct,
        Population {
            records: 12,
            blobs: 1,
        },
    )
    .await;
    let home = Home::new();
    login(&home, &acct).await;
    home.run(&["backup", "run"]).await.ok();
    let backups = home.path().join("backups").display().to_string();
    let label = acct.handle.split('.').next().unwrap();
    let handle = format!("{label}{}", net.pds2().domain);
    let email = format!("recovered-{}", acct.email);
    let args = [
        "account",
        "recover",
        "--pds-host",
        &net.pds2().url,
        "--handle",
        &handle,
        "--email",
        &email,
        "--password",
        "a-new-password-for-pds2",
        "--from-backup",
        &backups,
        "--yes",
    ];
    assert_fails(
        &home,
        &args,
        "recovery_no_rotation_key",
        "rotation keys in force",
    )
    .await;
    // And what to do instead.
    let refused = home.run(&args).await;
    assert!(
        refused.failed().contains("stratos key import")
            && refused
                .stderr
                .contains("restore the backup into a new account"),
        "{refused:#?}"
    );

    let key = add_recovery_key(net, &home, &acct).await;
    let with_json: Vec<&str> = ["--json"].iter().chain(&args).copied().collect();
    let done = home.run(&with_json).await.ok_json();
    assert_eq!(done["recovered"], true, "{done}");
    assert_eq!(done["journal"]["rotationKey"], key.as_str());
    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(data["rotationKeys"][0], key.as_str(), "{data}");
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        net.pds2().url.trim_end_matches('/')
    );
    net.create_session(&net.pds2().url, &acct.did, "a-new-password-for-pds2", None)
        .await
        .expect("the new password signs in on PDS2");
}

// ---------------------------------------------------------------------------------------------
// The whole story on the real network: a PDS of the test's own that dies, a backup folder, and
// the `stratos` binary killed with SIGKILL along the way.

const NEW_PASSWORD: &str = "a-new-password-for-pds2";

/// An account on a PDS of the test's own, signed in to `home`, with a key of this keychain
/// made first among its rotation keys through Stratos's own flow (`key generate`, then
/// `account plc add-rotation-key --first` with the mailed code).
async fn guarded_account(net: &Network, home: &Home) -> (PdsInfo, TestAccount, String) {
    let pds = net.new_pds().await;
    let acct = net.create_account(&pds).await;
    login(home, &acct).await;
    let key = add_recovery_key(net, home, &acct).await;
    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(data["rotationKeys"][0], key.as_str(), "{data}");
    (pds, acct, key)
}

/// `account recover` onto PDS2 from `folder`, with `extra` flags.
fn recover_args(net: &Network, acct: &TestAccount, folder: &str, extra: &[&str]) -> Vec<String> {
    let label = acct.handle.split('.').next().unwrap();
    let mut args: Vec<String> = [
        "account",
        "recover",
        "--pds-host",
        &net.pds2().url,
        "--handle",
        &format!("{label}{}", net.pds2().domain),
        "--email",
        &format!("recovered-{}", acct.email),
        "--password",
        NEW_PASSWORD,
        "--from-backup",
        folder,
        "--yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `account recover --resume` of `did`.
fn resume_args(did: &str) -> Vec<String> {
    [
        "account",
        "recover",
        "--resume",
        "--did",
        did,
        "--password",
        NEW_PASSWORD,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Runs `stratos <args>` and kills it with SIGKILL as soon as a progress line satisfies `at`;
/// returns whether it was killed (false: it ended first) and the lines it printed.
async fn run_until(home: &Home, args: &[String], at: impl Fn(&str) -> bool) -> (bool, Vec<String>) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = home.command(&args).spawn().expect("stratos runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        seen.push(line.clone());
        if at(&line) {
            child.start_kill().expect("SIGKILL");
            assert!(!child.wait().await.unwrap().success());
            return (true, seen);
        }
    }
    child.wait().await.unwrap();
    (false, seen)
}

/// Records per collection on `pds`, counted with its own `listRecords`, and every URI seen (to
/// catch a record listed twice).
async fn records_on(
    pds: &str,
    did: &str,
    collections: &[String],
) -> (BTreeMap<String, u64>, usize) {
    let mut out = BTreeMap::new();
    let mut uris = std::collections::HashSet::new();
    let mut listed = 0;
    for collection in collections {
        let mut count = 0u64;
        let mut cursor = None::<String>;
        loop {
            let mut q = vec![
                ("repo", did),
                ("collection", collection.as_str()),
                ("limit", "100"),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c));
            }
            let page = xrpc_get(pds, "com.atproto.repo.listRecords", &q, None)
                .await
                .unwrap();
            let records = page["records"].as_array().unwrap();
            for r in records {
                uris.insert(r["uri"].as_str().unwrap().to_owned());
            }
            count += records.len() as u64;
            listed += records.len();
            match page["cursor"].as_str() {
                Some(c) if !records.is_empty() => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        if count > 0 {
            out.insert(collection.clone(), count);
        }
    }
    assert_eq!(uris.len(), listed, "no record is listed twice");
    (out, listed)
}

/// Every blob CID `listBlobs` reports on `pds` for `did`.
async fn blobs_on(pds: &str, did: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None::<String>;
    loop {
        let mut q = vec![("did", did), ("limit", "500")];
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let page = xrpc_get(pds, "com.atproto.sync.listBlobs", &q, None)
            .await
            .unwrap();
        let cids = page["cids"].as_array().unwrap();
        out.extend(cids.iter().map(|c| c.as_str().unwrap().to_owned()));
        match page["cursor"].as_str() {
            Some(c) if !cids.is_empty() => cursor = Some(c.to_owned()),
            _ => break,
        }
    }
    out
}

/// The manifests `backup list --json` reports for `did`, oldest first.
async fn manifests(home: &Home, folder: &str, did: &str) -> Vec<Value> {
    let list = home
        .run(&["--json", "backup", "list", "--to", folder, "--account", did])
        .await
        .ok_json();
    list["accounts"][0]["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["manifest"].clone())
        .collect()
}

/// Calls an XRPC procedure on `acct`'s PDS as `acct`, asserting success.
async fn write(acct: &TestAccount, nsid: &str, body: Value) -> Value {
    xrpc_post(&acct.pds_url, nsid, &body, Some(&acct.access_jwt))
        .await
        .unwrap_or_else(|e| panic!("{nsid}: {e}"))
}

/// The main story: an account with 500+ records in several collections and 50+ blobs on a PDS
/// of its own, the person's key first among its rotation keys; a full backup, changes, an
/// incremental backup that stores only the changes, both verified. Then the PDS dies and
/// `account recover` moves the account to PDS2 from the backup folder alone, killed with
/// SIGKILL at every step boundary and in the middle of the blob upload and resumed each time:
/// the PLC directory names PDS2 with the person's key first, PDS2 serves exactly the records
/// and blobs of the newest snapshot (none lost, none twice), the new password signs in there
/// and a new post can be made.
#[tokio::test]
async fn a_dead_pds_account_comes_back_from_the_backup_despite_kills_at_every_step() {
    let started = std::time::Instant::now();
    let net = Network::shared();
    let home = Home::new();
    let (old_pds, acct, key) = guarded_account(net, &home).await;
    let filled = populate(
        &acct,
        Population {
            records: 510,
            blobs: 50,
        },
    )
    .await;
    let profile = |name: &str| {
        json!({"repo": acct.did, "collection": "app.bsky.actor.profile", "rkey": "self",
            "validate": false, "record": {"$type": "app.bsky.actor.profile", "displayName": name}})
    };
    write(&acct, "com.atproto.repo.putRecord", profile("Before")).await;
    let folder = home.path().join("my-backups").display().to_string();

    home.run(&["backup", "run", "--to", &folder]).await.ok();
    let first = manifests(&home, &folder, &acct.did).await;
    assert_eq!(first.len(), 1);
    let first = &first[0];
    assert_eq!(first["since"], Value::Null, "the first snapshot is full");
    assert_eq!(first["newBlocks"], first["blocks"]);
    assert_eq!(first["blobs"], 50);
    assert_eq!(first["newBlobs"], 50);
    for (collection, n) in &filled.records {
        assert_eq!(first["records"][collection], *n, "{collection}");
    }

    // Changes: 20 notes, 3 blobs in 3 gallery records, a post deleted, the profile changed.
    let notes: Vec<Value> = (0..20)
        .map(|i| {
            json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note",
                "value": {"$type": "com.example.note", "n": 5000 + i}})
        })
        .collect();
    write(
        &acct,
        "com.atproto.repo.applyWrites",
        json!({"repo": acct.did, "validate": false, "writes": notes}),
    )
    .await;
    for i in 0..3 {
        let bytes = format!("a blob added after the first backup, number {i}").into_bytes();
        let blob = upload_blob(&acct, &bytes, "text/plain").await;
        write(
            &acct,
            "com.atproto.repo.createRecord",
            json!({"repo": acct.did, "collection": "com.example.gallery", "validate": false,
                "record": {"$type": "com.example.gallery", "files": [blob], "n": 100 + i}}),
        )
        .await;
    }
    let posts = xrpc_get(
        &acct.pds_url,
        "com.atproto.repo.listRecords",
        &[
            ("repo", &acct.did),
            ("collection", "app.bsky.feed.post"),
            ("limit", "1"),
        ],
        None,
    )
    .await
    .unwrap();
    let rkey = posts["records"][0]["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    write(
        &acct,
        "com.atproto.repo.deleteRecord",
        json!({"repo": acct.did, "collection": "app.bsky.feed.post", "rkey": rkey}),
    )
    .await;
    write(&acct, "com.atproto.repo.putRecord", profile("After")).await;

    home.run(&["backup", "run", "--to", &folder]).await.ok();
    let both = manifests(&home, &folder, &acct.did).await;
    assert_eq!(both.len(), 2);
    let second = &both[1];
    assert_eq!(
        second["since"], first["rev"],
        "the second snapshot is incremental"
    );
    assert_eq!(second["newBlobs"], 3, "only the 3 new blobs downloaded");
    assert_eq!(second["blobs"], 53);
    let n = |m: &Value, c: &str| m["records"][c].as_u64().unwrap();
    assert_eq!(
        n(second, "com.example.note"),
        n(first, "com.example.note") + 20
    );
    assert_eq!(
        n(second, "com.example.gallery"),
        n(first, "com.example.gallery") + 3
    );
    assert_eq!(
        n(second, "app.bsky.feed.post"),
        n(first, "app.bsky.feed.post") - 1
    );
    assert_eq!(n(second, "app.bsky.actor.profile"), 1);
    let new_blocks = second["newBlocks"].as_u64().unwrap();
    assert!(
        (24..first["blocks"].as_u64().unwrap() / 4).contains(&new_blocks),
        "the changed records and the MST nodes above them only: {new_blocks} new blocks of {}",
        second["blocks"]
    );
    let verified = home
        .run(&[
            "--json",
            "backup",
            "verify",
            "--to",
            &folder,
            "--account",
            &acct.did,
        ])
        .await
        .ok_json();
    assert_eq!(verified["problems"], json!([]), "{verified}");
    assert_eq!(verified["snapshot"], second["id"]);
    let expected: BTreeMap<String, u64> =
        serde_json::from_value(second["records"].clone()).unwrap();
    let collections: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(
        records_on(&acct.pds_url, &acct.did, &collections).await.0,
        expected,
        "the snapshot holds what the old PDS served"
    );
    let mut old_blobs = blobs_on(&acct.pds_url, &acct.did).await;
    old_blobs.sort();

    // The PDS dies.
    net.stop_pds(&old_pds).await;
    assert!(
        reqwest::get(format!("{}/xrpc/_health", acct.pds_url))
            .await
            .is_err(),
        "the old PDS refuses connections"
    );

    // Killed right after each step and in the middle of the blobs; resumed each time.
    let done = |step: &'static str| move |l: &str| l == format!("[recover] done {step}");
    let (killed, lines) = run_until(
        &home,
        &recover_args(net, &acct, &folder, &[]),
        done("check"),
    )
    .await;
    assert!(killed, "{lines:#?}");
    for step in [
        "signingKey",
        "signingKeyOp",
        "createAccount",
        "identityOp",
        "repo",
    ] {
        let (killed, lines) = run_until(&home, &resume_args(&acct.did), done(step)).await;
        assert!(killed, "{step}: {lines:#?}");
    }
    let mid = |l: &str| {
        l.strip_prefix("[recover] blobs ")
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(d, t)| d.parse::<u32>().unwrap() >= 5 && d != t)
    };
    let (killed, lines) = run_until(&home, &resume_args(&acct.did), mid).await;
    assert!(killed, "mid-blobs: {lines:#?}");
    let (killed, lines) = run_until(&home, &resume_args(&acct.did), |l| {
        l.starts_with("[recover] blobs ") && !l.ends_with("/0")
    })
    .await;
    assert!(killed, "{lines:#?}");
    let total: u32 = lines
        .last()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        total < 53,
        "the resume uploads only what the kill left missing: {lines:#?}"
    );
    for step in ["blobs", "preferences", "activate", "verify"] {
        let (killed, lines) = run_until(&home, &resume_args(&acct.did), done(step)).await;
        assert!(killed, "{step}: {lines:#?}");
    }
    let args = resume_args(&acct.did);
    let a: Vec<&str> = ["--json"]
        .into_iter()
        .chain(args.iter().map(String::as_str))
        .collect();
    let finished = home.run(&a).await.ok_json();
    assert_eq!(finished["recovered"], true, "{finished}");

    // The PLC directory's word, not Stratos's.
    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        net.pds2().url.trim_end_matches('/'),
        "{data}"
    );
    assert_eq!(
        data["rotationKeys"][0],
        key.as_str(),
        "the person's key first: {data}"
    );
    // Every record of the newest snapshot, none twice; every blob.
    let (on_pds2, _) = records_on(&net.pds2().url, &acct.did, &collections).await;
    assert_eq!(on_pds2, expected);
    let mut new_blobs = blobs_on(&net.pds2().url, &acct.did).await;
    new_blobs.sort();
    assert_eq!(new_blobs.len(), 53);
    assert_eq!(new_blobs, old_blobs, "the same blobs as the old PDS held");
    let session = net
        .create_session(&net.pds2().url, &acct.did, NEW_PASSWORD, None)
        .await
        .expect("the new password signs in on PDS2");
    let status = xrpc_get(
        &net.pds2().url,
        "com.atproto.server.checkAccountStatus",
        &[],
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(
        (&status["expectedBlobs"], &status["importedBlobs"]),
        (&json!(53), &json!(53)),
        "PDS2 holds every blob: {status}"
    );
    let profile_now = xrpc_get(
        &net.pds2().url,
        "com.atproto.repo.getRecord",
        &[
            ("repo", &acct.did),
            ("collection", "app.bsky.actor.profile"),
            ("rkey", "self"),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(profile_now["value"]["displayName"], "After");
    // The new password works there (above), and the account takes new posts.
    let posted = xrpc_post(
        &net.pds2().url,
        "com.atproto.repo.createRecord",
        &json!({"repo": acct.did, "collection": "app.bsky.feed.post",
            "record": {"$type": "app.bsky.feed.post", "text": "back again",
                "createdAt": chrono::Utc::now().to_rfc3339()}}),
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .expect("a new post on PDS2");
    assert!(
        posted["uri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("at://{}/", acct.did))
    );
    eprintln!("the whole story took {:?}", started.elapsed());
}

/// A damaged backup (the newest manifest truncated, a flipped byte in a record of the snapshot
/// before it, a blob gone): `backup verify` names each damage; `account recover` refuses to
/// start from it (nothing made on PDS2, the PLC directory unchanged, no key made) unless the
/// person goes on without the damaged parts (`--skip-damaged`): then it first says exactly what
/// will be missing (the record, the blob, the snapshot file), and completes without them.
#[tokio::test]
async fn a_damaged_backup_is_refused_unless_the_person_goes_on_without_the_damage() {
    let net = Network::shared();
    let home = Home::new();
    let (old_pds, acct, key) = guarded_account(net, &home).await;
    populate(
        &acct,
        Population {
            records: 30,
            blobs: 4,
        },
    )
    .await;
    let folder = home.path().join("backups").display().to_string();
    let five_notes = |from: i32| {
        let writes: Vec<Value> = (from..from + 5)
            .map(|i| {
                json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note",
                    "value": {"$type": "com.example.note", "n": i}})
            })
            .collect();
        json!({"repo": acct.did, "validate": false, "writes": writes})
    };
    home.run(&["backup", "run", "--to", &folder]).await.ok();
    let added = write(&acct, "com.atproto.repo.applyWrites", five_notes(100)).await;
    let note_uri = added["results"][0]["uri"].as_str().unwrap().to_owned();
    let note_cid = added["results"][0]["cid"].as_str().unwrap().to_owned();
    let note_key = note_uri
        .split_once("/com.example.note/")
        .unwrap()
        .1
        .to_owned();
    home.run(&["backup", "run", "--to", &folder]).await.ok();
    write(&acct, "com.atproto.repo.applyWrites", five_notes(200)).await;
    home.run(&["backup", "run", "--to", &folder]).await.ok();
    let snaps = manifests(&home, &folder, &acct.did).await;
    let [_, s1, s2] = &snaps[..] else {
        panic!("three snapshots: {snaps:#?}")
    };
    let id = |m: &Value| m["id"].as_str().unwrap().to_owned();
    net.stop_pds(&old_pds).await;

    // Rebuilding a whole snapshot's tree from its records gives back the PDS's own tree: the
    // rebuilt tree a damaged snapshot is restored from has atproto's layout.
    let store = AccountStore::new(std::path::Path::new(&folder), &acct.did);
    let index = BlockIndex::load(&store).unwrap();
    let commit = s1["commit"].as_str().unwrap().parse().unwrap();
    let walked = tree::walk(&index, &commit, &mut HashSet::new()).unwrap();
    assert!(walked.problems.is_empty());
    assert_eq!(
        rebuild::build_mst(&walked.entries).root,
        walked.commit.unwrap().data
    );

    // The damage: the newest manifest cut in half, a flipped byte in a note the snapshot before
    // it added, a blob gone.
    let manifest = store.manifest_path(&id(s2));
    let text = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, &text[..text.len() / 2]).unwrap();
    let pack = store.dir().join(s1["pack"].as_str().unwrap());
    let (blocks, _) = car::scan(&mut std::fs::File::open(&pack).unwrap());
    let at = blocks
        .iter()
        .find(|(c, _)| c.to_string() == note_cid)
        .unwrap()
        .1;
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[at.offset as usize + at.len as usize / 2] ^= 0x01;
    std::fs::write(&pack, &bytes).unwrap();
    let blob = std::fs::read_dir(store.blobs_dir())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cid = blob.file_name().unwrap().to_str().unwrap().to_owned();
    std::fs::remove_file(&blob).unwrap();

    let verified = home
        .run(&["backup", "verify", "--to", &folder, "--account", &acct.did])
        .await;
    verified.failed();
    for part in [
        manifest.display().to_string(),
        "does not match its CID".to_owned(),
        format!("blob {cid}"),
    ] {
        assert!(verified.stdout.contains(&part), "{part}: {verified:#?}");
    }

    // Refused, and nothing is made.
    let plc_before = net.plc_get(&acct.did, "data").await;
    let keys_before = home.run(&["--json", "key", "list"]).await.ok_json();
    let args = recover_args(net, &acct, &folder, &[]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = home.run(&a).await;
    let stderr = refused.failed();
    for part in [cid.as_str(), "does not match its CID", "--skip-damaged"] {
        assert!(stderr.contains(part), "{part}: {refused:#?}");
    }
    let with_json: Vec<&str> = ["--json"].into_iter().chain(a.iter().copied()).collect();
    home.run(&with_json)
        .await
        .assert_error_code("recovery_backup_damaged");
    assert_eq!(net.plc_get(&acct.did, "data").await, plc_before);
    assert_eq!(
        home.run(&["--json", "key", "list"]).await.ok_json(),
        keys_before,
        "no key was made"
    );
    assert!(
        xrpc_get(
            &net.pds2().url,
            "com.atproto.repo.describeRepo",
            &[("repo", &acct.did)],
            None
        )
        .await
        .is_err(),
        "no account on PDS2"
    );

    // Going on without the damaged parts: what will be missing is said before anything is made.
    let args = recover_args(net, &acct, &folder, &["--skip-damaged"]);
    let a: Vec<&str> = ["--json"]
        .into_iter()
        .chain(args.iter().map(String::as_str))
        .collect();
    let run = home.run(&a).await;
    let done = run.ok_json();
    assert_eq!(done["recovered"], true, "{done}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    let first_step = lines
        .iter()
        .position(|l| *l == "[recover] started signingKey")
        .unwrap();
    let said = |part: &str| {
        lines[..first_step]
            .iter()
            .any(|l| l.starts_with("Missing: ") && l.contains(part))
    };
    assert!(said(&format!("blob {cid}")), "{lines:#?}");
    assert!(said(&manifest.display().to_string()), "{lines:#?}");
    assert!(
        said(&format!(
            "record com.example.note/{note_key}: block {note_cid}"
        )),
        "{lines:#?}"
    );
    let notes = s1["records"]["com.example.note"].as_u64().unwrap();
    assert!(
        said(&format!(
            "com.example.note: {} of the {notes} records of snapshot {} come back",
            notes - 1,
            id(s1)
        )),
        "{lines:#?}"
    );
    assert_eq!(done["journal"]["snapshot"], s1["id"]);
    assert_eq!(done["journal"]["skippedBlobs"], json!([cid]));

    // The account is on PDS2 with the snapshot's records but the damaged note, and every blob
    // but the lost one.
    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(data["rotationKeys"][0], key.as_str(), "{data}");
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        net.pds2().url.trim_end_matches('/')
    );
    let mut expected: BTreeMap<String, u64> =
        serde_json::from_value(s1["records"].clone()).unwrap();
    *expected.get_mut("com.example.note").unwrap() -= 1;
    let collections: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(
        records_on(&net.pds2().url, &acct.did, &collections).await.0,
        expected
    );
    let lost = xrpc_get(
        &net.pds2().url,
        "com.atproto.repo.getRecord",
        &[
            ("repo", &acct.did),
            ("collection", "com.example.note"),
            ("rkey", &note_key),
        ],
        None,
    )
    .await;
    assert!(lost.is_err(), "the damaged note is left out: {lost:?}");
    // The records still reference the lost blob; PDS2 holds the other three, not it.
    let blobs = blobs_on(&net.pds2().url, &acct.did).await;
    assert_eq!(blobs.len(), 4, "{blobs:?}");
    for b in &blobs {
        let got = reqwest::get(format!(
            "{}/xrpc/com.atproto.sync.getBlob?did={}&cid={b}",
            net.pds2().url,
            acct.did
        ))
        .await
        .unwrap();
        assert_eq!(got.status().is_success(), *b != cid, "{b}: {got:?}");
    }
    let session = net
        .create_session(&net.pds2().url, &acct.did, NEW_PASSWORD, None)
        .await
        .expect("the new password signs in on PDS2");
    let status = xrpc_get(
        &net.pds2().url,
        "com.atproto.server.checkAccountStatus",
        &[],
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(status["activated"], true, "{status}");
    assert_eq!(status["importedBlobs"], 3, "{status}");
}

/// With no copy of the data at all: refused unless the person asks for the identity alone
/// (`--identity-only`), which says plainly that the account comes back empty; then the identity
/// moves to PDS2 (the person's key still first) and the account there is empty but usable.
#[tokio::test]
async fn without_a_backup_only_an_explicit_identity_only_recovery_moves_the_identity() {
    let net = Network::shared();
    let home = Home::new();
    let (old_pds, acct, key) = guarded_account(net, &home).await;
    populate(
        &acct,
        Population {
            records: 6,
            blobs: 0,
        },
    )
    .await;
    net.stop_pds(&old_pds).await;
    let plc_before = net.plc_get(&acct.did, "data").await;
    let label = acct.handle.split('.').next().unwrap();
    let handle = format!("{label}{}", net.pds2().domain);
    let email = format!("recovered-{}", acct.email);
    let base = [
        "account",
        "recover",
        "--did",
        &acct.did,
        "--pds-host",
        &net.pds2().url,
        "--handle",
        &handle,
        "--email",
        &email,
        "--password",
        NEW_PASSWORD,
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    // No backup, no --identity-only: refused, saying what to do.
    assert_fails(
        &home,
        &with(&["--yes"]),
        "recovery_no_backup",
        "--identity-only",
    )
    .await;
    // --identity-only needs agreement; the question says the account comes back empty.
    let json_args: Vec<&str> = ["--json"]
        .into_iter()
        .chain(with(&["--identity-only"]))
        .collect();
    let asked = home
        .run(&json_args)
        .await
        .assert_error_code("confirmation_needed");
    let message = asked["message"].as_str().unwrap();
    assert!(
        message.contains("no posts, follows") && message.contains("media"),
        "{message}"
    );
    assert_eq!(net.plc_get(&acct.did, "data").await, plc_before);

    let run = home.run(&with(&["--identity-only", "--yes"])).await;
    let stdout = run.ok();
    assert!(
        stdout.contains("come back EMPTY, with no posts, follows, likes, media"),
        "{run:#?}"
    );
    let warned = run
        .stderr
        .lines()
        .position(|l| l.contains("come back EMPTY"));
    let started = run
        .stderr
        .lines()
        .position(|l| l == "[recover] started signingKey");
    assert!(warned.unwrap() < started.unwrap(), "{run:#?}");

    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(data["rotationKeys"][0], key.as_str(), "{data}");
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        net.pds2().url.trim_end_matches('/')
    );
    let repo = xrpc_get(
        &net.pds2().url,
        "com.atproto.repo.describeRepo",
        &[("repo", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        repo["collections"],
        json!([]),
        "the account is empty: {repo}"
    );
    let session = net
        .create_session(&net.pds2().url, &acct.did, NEW_PASSWORD, None)
        .await
        .expect("the new password signs in on PDS2");
    xrpc_post(
        &net.pds2().url,
        "com.atproto.repo.createRecord",
        &json!({"repo": acct.did, "collection": "app.bsky.feed.post",
            "record": {"$type": "app.bsky.feed.post", "text": "starting over",
                "createdAt": chrono::Utc::now().to_rfc3339()}}),
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .expect("a new post on PDS2");
}

/// Makes a key in this keychain and puts it first among `acct`'s rotation keys through Stratos's
/// own flow: `key generate`, then `account plc add-rotation-key --first` with the mailed code.
async fn add_recovery_key(net: &Network, home: &Home, acct: &TestAccount) -> String {
    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let seen = net.count_mails(&acct.email, subjects::PLC_OPERATION).await;
    home.run(&["account", "plc", "add-rotation-key", &key, "--first"])
        .await
        .ok();
    let code = net
        .wait_code(&acct.email, subjects::PLC_OPERATION, seen)
        .await;
    home.run(&[
        "account",
        "plc",
        "add-rotation-key",
        &key,
        "--first",
        "--token",
        &code,
    ])
    .await
    .ok();
    key
}
