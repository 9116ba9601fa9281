//! Incremental backups against the real PDS: a full snapshot, changes, an incremental one that
//! stores only what changed, unchanged runs that cost (almost) nothing, verify, prune, export in
//! goat's layout and import; and damage (a flipped byte, a lost blob, a truncated manifest)
//! named by verify.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Value, json};
use stratos_core::backup::store::{AccountStore, Manifest};
use stratos_core::backup::tree::BlockProblem;
use stratos_core::backup::verify::{VerifyProblem, verify};
use stratos_core::backup::{CancellationToken, car, export, prune, snapshot};
use stratos_testkit::{Population, TestAccount, populate, upload_blob, xrpc_get, xrpc_post};

use crate::World;

async fn snap(world: &World, acct: &TestAccount, root: &Path) -> Manifest {
    snapshot::snapshot_account(
        &world.accounts,
        Some(&acct.did),
        root,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("snapshot")
}

/// Records per collection as the PDS lists them (`describeRepo` + `listRecords`, all pages).
async fn pds_counts(acct: &TestAccount) -> BTreeMap<String, u64> {
    let described = xrpc_get(
        &acct.pds_url,
        "com.atproto.repo.describeRepo",
        &[("repo", &acct.did)],
        None,
    )
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for collection in described["collections"].as_array().unwrap() {
        let collection = collection.as_str().unwrap();
        let mut cursor: Option<String> = None;
        let mut n = 0;
        loop {
            let mut params = vec![
                ("repo", acct.did.as_str()),
                ("collection", collection),
                ("limit", "100"),
            ];
            if let Some(c) = &cursor {
                params.push(("cursor", c));
            }
            let page = xrpc_get(&acct.pds_url, "com.atproto.repo.listRecords", &params, None)
                .await
                .unwrap();
            let got = page["records"].as_array().unwrap().len();
            n += got as u64;
            match page["cursor"].as_str() {
                Some(c) if got > 0 => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        counts.insert(collection.to_owned(), n);
    }
    counts
}

async fn post(acct: &TestAccount, nsid: &str, body: Value) -> Value {
    xrpc_post(&acct.pds_url, nsid, &body, Some(&acct.access_jwt))
        .await
        .unwrap_or_else(|e| panic!("{nsid}: {e}"))
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                folder_bytes(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

/// Full, then incremental (new records, a new blob, a deleted record, a changed profile), ten
/// unchanged runs, prune, export and import.
#[tokio::test]
async fn incremental_snapshots_store_only_what_changed() {
    let world = World::start();
    let acct = world.signed_in(world.net.pds1()).await;
    let filled = populate(
        &acct,
        Population {
            records: 300,
            blobs: 3,
        },
    )
    .await;
    let profile = |name: &str| {
        json!({"repo": acct.did, "collection": "app.bsky.actor.profile", "rkey": "self",
            "record": {"$type": "app.bsky.actor.profile", "displayName": name}})
    };
    post(&acct, "com.atproto.repo.putRecord", profile("First")).await;
    let root = tempfile::tempdir().unwrap();

    let before_first = chrono::Utc::now();
    let first = snap(&world, &acct, root.path()).await;
    assert_eq!(first.since, None);
    let recorded = world.accounts.find(Some(&acct.did)).unwrap().last_backup_at;
    assert!(recorded.is_some_and(|t| t >= before_first), "{recorded:?}");
    assert_eq!(
        first.new_blocks, first.blocks,
        "a full snapshot stores every block"
    );
    assert_eq!(first.new_blobs, 3);
    assert_eq!(first.blobs, 3);
    assert_eq!(first.records, pds_counts(&acct).await);
    for (collection, n) in &filled.records {
        assert_eq!(first.records.get(collection), Some(n), "{collection}");
    }
    assert!(first.preferences.is_some(), "{:?}", first.warnings);
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert!(
        report
            .signing_key
            .as_deref()
            .unwrap()
            .starts_with("did:key:z")
    );

    // Changes: 10 notes, one new blob in a gallery record, one deleted post, a new profile.
    let writes: Vec<Value> = (0..10)
        .map(|i| {
            json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note",
            "value": {"$type": "com.example.note", "n": 1000 + i}})
        })
        .collect();
    post(
        &acct,
        "com.atproto.repo.applyWrites",
        json!({"repo": acct.did, "validate": false, "writes": writes}),
    )
    .await;
    let blob = upload_blob(&acct, b"a blob added after the first backup", "text/plain").await;
    let new_cid = blob["ref"]["$link"].as_str().unwrap().to_owned();
    post(
        &acct,
        "com.atproto.repo.createRecord",
        json!({"repo": acct.did, "collection": "com.example.gallery",
        "validate": false, "record": {"$type": "com.example.gallery", "files": [blob]}}),
    )
    .await;
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
    post(
        &acct,
        "com.atproto.repo.deleteRecord",
        json!({"repo": acct.did,
        "collection": "app.bsky.feed.post", "rkey": rkey}),
    )
    .await;
    post(&acct, "com.atproto.repo.putRecord", profile("Second")).await;

    let second = snap(&world, &acct, root.path()).await;
    assert_eq!(second.since.as_deref(), Some(first.rev.as_str()));
    assert_ne!(second.commit, first.commit);
    assert_eq!(second.records, pds_counts(&acct).await);
    assert_eq!(
        second.records["com.example.note"],
        first.records["com.example.note"] + 10
    );
    assert_eq!(
        second.records["app.bsky.feed.post"],
        first.records["app.bsky.feed.post"] - 1
    );
    assert_eq!(
        (second.new_blobs, second.blobs),
        (1, 4),
        "only the new blob is downloaded"
    );
    assert_eq!(second.new_blob_bytes, 35);
    assert!(
        root.path()
            .join(AccountStore::new(root.path(), &acct.did).blob_path(&new_cid))
            .exists()
    );
    // 12 records, their MST paths and one commit per write: far fewer than the 300-odd blocks.
    assert!(
        second.new_blocks > 12 && second.new_blocks * 4 < first.blocks,
        "{} new blocks of {}",
        second.new_blocks,
        first.blocks
    );
    assert!(second.new_block_bytes * 4 < first.new_block_bytes);
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(report.records, second.records);
    let older = verify(root.path(), &acct.did, Some(&first.id))
        .await
        .unwrap();
    assert!(older.ok(), "{:#?}", older.problems);
    assert_eq!(older.records, first.records);

    // Ten unchanged runs cost ten small manifests.
    let before = folder_bytes(root.path());
    for _ in 0..10 {
        let same = snap(&world, &acct, root.path()).await;
        assert_eq!((same.new_blocks, same.new_blobs, same.pack), (0, 0, None));
        assert_eq!(same.commit, second.commit);
    }
    let grown = folder_bytes(root.path()) - before;
    assert!(
        grown < 10 * 4096,
        "ten unchanged snapshots took {grown} bytes (of {before})"
    );
    let store = AccountStore::new(root.path(), &acct.did);
    assert_eq!(store.snapshot_ids().unwrap().len(), 12);

    // Prune to the newest two: both are the second commit, so the first's own blocks and the
    // deleted post go; verify still passes.
    let pruned = prune::prune(root.path(), &acct.did, 2).await.unwrap();
    assert_eq!(pruned.removed.len(), 10);
    assert_eq!(pruned.removed[0], first.id);
    assert!(
        pruned.blocks_removed > 0 && pruned.bytes_freed > 0,
        "{pruned:?}"
    );
    assert_eq!(pruned.blobs_removed, 0, "every blob is still referenced");
    assert_eq!(store.snapshot_ids().unwrap().len(), 2);
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(report.records, second.records);
    assert!(prune::prune(root.path(), &acct.did, 0).await.is_err());

    // Export in goat's layout, then import the CAR into the account's own PDS.
    let out = tempfile::tempdir().unwrap();
    let exported = export::export_snapshot(root.path(), &acct.did, None, out.path())
        .await
        .unwrap();
    let name = exported
        .car_path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with(&format!("{}.", acct.handle)) && name.ends_with(".car"),
        "{name}"
    );
    assert_eq!(
        name.len(),
        acct.handle.len() + ".YYYYMMDDHHMMSS.car".len(),
        "{name}"
    );
    assert_eq!(
        exported.blobs_dir,
        out.path().join(format!("{}_blobs", acct.handle))
    );
    let mut blob_files: Vec<String> = std::fs::read_dir(&exported.blobs_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    blob_files.sort();
    let mut expected: Vec<String> = filled.blobs.iter().map(|(c, _)| c.clone()).collect();
    expected.push(new_cid.clone());
    expected.sort();
    assert_eq!(blob_files, expected);
    let prefs: Value =
        serde_json::from_slice(&std::fs::read(exported.preferences_path.unwrap()).unwrap())
            .unwrap();
    assert_eq!(prefs["preferences"], filled.preferences);
    // The CAR is one whole repository: rooted at the commit, every block once, parseable.
    let bytes = std::fs::read(&exported.car_path).unwrap();
    let mut parser = car::CarParser::default();
    parser.push(&bytes);
    let mut cids = HashSet::new();
    while let Some((cid, _)) = parser.next_block().unwrap() {
        assert!(cids.insert(cid), "block {cid} twice");
    }
    parser.finish().unwrap();
    assert_eq!(parser.roots().unwrap()[0].to_string(), second.commit);
    assert_eq!(cids.len() as u64, exported.blocks);
    assert_eq!(exported.records, second.records.values().sum::<u64>());

    let imported = export::import_repo(&world.accounts, Some(&acct.did), &exported.car_path)
        .await
        .unwrap();
    assert_eq!(imported.bytes, bytes.len() as u64);
    assert_eq!(pds_counts(&acct).await, second.records);
}

/// A flipped byte in a stored block, a deleted blob and a truncated manifest are each named.
#[tokio::test]
async fn verify_names_each_damage() {
    let world = World::start();
    let acct = world.signed_in(world.net.pds2()).await;
    populate(
        &acct,
        Population {
            records: 40,
            blobs: 2,
        },
    )
    .await;
    let root = tempfile::tempdir().unwrap();
    let first = snap(&world, &acct, root.path()).await;
    post(
        &acct,
        "com.atproto.repo.createRecord",
        json!({"repo": acct.did,
        "collection": "com.example.note", "validate": false,
        "record": {"$type": "com.example.note", "n": 1}}),
    )
    .await;
    let second = snap(&world, &acct, root.path()).await;
    let store = AccountStore::new(root.path(), &acct.did);

    // A flipped byte in the last block of the first pack.
    let pack = root
        .path()
        .join(store.dir())
        .join(first.pack.as_ref().unwrap());
    let original = std::fs::read(&pack).unwrap();
    let mut file = std::fs::File::open(&pack).unwrap();
    let (blocks, damage) = car::scan(&mut file);
    assert!(damage.is_none());
    let last = blocks.last().unwrap().0.to_string();
    let mut flipped = original.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    std::fs::write(&pack, &flipped).unwrap();
    // Every block of the first pack is in the first snapshot's tree.
    let report = verify(root.path(), &acct.did, Some(&first.id))
        .await
        .unwrap();
    assert!(
        report.problems.iter().any(|p| matches!(p,
            VerifyProblem::Block { problem: BlockProblem::Corrupt { cid, pack: at, .. } }
                if *cid == last && *at == pack)),
        "{:#?}",
        report.problems
    );
    std::fs::write(&pack, &original).unwrap();
    assert!(verify(root.path(), &acct.did, None).await.unwrap().ok());

    // A deleted blob, named with the record that references it.
    let blob = std::fs::read_dir(store.blobs_dir())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cid = blob.file_name().unwrap().to_str().unwrap().to_owned();
    let kept = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(
        matches!(&report.problems[..], [VerifyProblem::BlobMissing { cid: c, record }]
            if *c == cid && record.starts_with("com.example.gallery/")),
        "{:#?}",
        report.problems
    );
    // A blob whose bytes changed is named as such.
    std::fs::write(&blob, b"not the blob").unwrap();
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(
        matches!(&report.problems[..], [VerifyProblem::BlobCorrupt { cid: c, .. }] if *c == cid),
        "{:#?}",
        report.problems
    );
    std::fs::write(&blob, kept).unwrap();

    // A truncated newest manifest: named, and the snapshot before it is checked instead.
    let manifest = store.manifest_path(&second.id);
    let text = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, &text[..text.len() / 2]).unwrap();
    let report = verify(root.path(), &acct.did, None).await.unwrap();
    assert!(
        matches!(&report.problems[..], [VerifyProblem::Manifest { path, .. }] if *path == manifest),
        "{:#?}",
        report.problems
    );
    assert_eq!(report.snapshot.as_deref(), Some(first.id.as_str()));
    // The next backup goes on from the last good snapshot.
    let third = snap(&world, &acct, root.path()).await;
    assert_eq!(third.since.as_deref(), Some(first.rev.as_str()));
    assert_eq!(third.commit, second.commit);
}

/// A snapshot cancelled while it downloads blobs writes no manifest; the previous snapshot
/// still verifies and the next run keeps the blocks the cancelled one stored.
#[tokio::test]
async fn a_cancelled_snapshot_leaves_the_previous_one_whole() {
    let world = World::start();
    let acct = world.signed_in(world.net.pds1()).await;
    populate(
        &acct,
        Population {
            records: 20,
            blobs: 1,
        },
    )
    .await;
    let root = tempfile::tempdir().unwrap();
    let first = snap(&world, &acct, root.path()).await;
    let blob = upload_blob(&acct, b"added before the cancelled run", "text/plain").await;
    post(
        &acct,
        "com.atproto.repo.createRecord",
        json!({"repo": acct.did, "collection": "com.example.gallery",
        "validate": false, "record": {"$type": "com.example.gallery", "files": [blob]}}),
    )
    .await;

    let cancel = CancellationToken::new();
    let cancelled = snapshot::snapshot_account(
        &world.accounts,
        Some(&acct.did),
        root.path(),
        &|p| {
            if p.step == snapshot::SnapshotStep::Blobs {
                cancel.cancel();
            }
        },
        &cancel,
    )
    .await;
    assert!(
        matches!(cancelled, Err(stratos_core::backup::BackupError::Cancelled)),
        "{cancelled:?}"
    );
    let store = AccountStore::new(root.path(), &acct.did);
    assert_eq!(store.snapshot_ids().unwrap(), vec![first.id.clone()]);
    assert!(verify(root.path(), &acct.did, None).await.unwrap().ok());

    let next = snap(&world, &acct, root.path()).await;
    assert_eq!(next.since.as_deref(), Some(first.rev.as_str()));
    assert_eq!((next.new_blocks, next.new_blobs, next.blobs), (0, 1, 2));
    assert!(verify(root.path(), &acct.did, None).await.unwrap().ok());
}
