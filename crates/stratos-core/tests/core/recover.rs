//! Recovery with the old PDS gone, against the real PLC directory and both reference PDSes: an
//! account on PDS1 with a rotation key of the person's is rebuilt on PDS2 from a backup snapshot
//! alone, PDS1 never contacted; without a rotation key in force it is refused and nothing made.

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use stratos_core::backup::store::AccountStore;
use stratos_core::backup::{car, snapshot};
use stratos_core::base::problem::Explain;
use stratos_core::keys::{self, KeyType};
use stratos_core::plc;
use stratos_core::recover::{self, Event, Plan, RecoverError, Step};
use stratos_testkit::{Population, TestAccount, create_record, populate, xrpc_get};

use crate::World;
use crate::plc::plc_code;

/// An account on PDS1 with records and blobs, a keychain key first among its rotation keys when
/// `guarded`, and a snapshot of it in a fresh backup folder.
async fn backed_up(w: &World, guarded: bool) -> (TestAccount, Option<String>, tempfile::TempDir) {
    let acct = w.signed_in(w.net.pds1()).await;
    populate(
        &acct,
        Population {
            records: 30,
            blobs: 3,
        },
    )
    .await;
    let key = if guarded {
        let key = keys::generate(&w.accounts, KeyType::K256)
            .await
            .unwrap()
            .did_key;
        let session = w.accounts.session(&acct.did).await.unwrap();
        let code = plc_code(w, &session, &acct).await;
        plc::add_rotation_key(&w.accounts, &acct.did, &key, true, &code)
            .await
            .expect("add the person's key");
        Some(key)
    } else {
        None
    };
    let root = tempfile::tempdir().unwrap();
    snapshot::snapshot_account(
        &w.accounts,
        Some(&acct.did),
        root.path(),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("snapshot");
    (acct, key, root)
}

fn plan(w: &World, acct: &TestAccount, root: &std::path::Path, key: Option<String>) -> Plan {
    let label = acct.handle.split('.').next().unwrap();
    Plan {
        did: Some(acct.did.clone()),
        pds: w.net.pds2().url.clone(),
        handle: format!("{label}{}", w.net.pds2().domain),
        email: format!("recovered-{}", acct.email),
        password: Some("a-new-password-for-pds2".into()),
        invite_code: None,
        backup_dir: root.to_owned(),
        snapshot: None,
        rotation_key: key,
        skip_damaged: false,
        identity_only: false,
    }
}

/// Records per collection on `pds`, read through its own public API.
async fn records_on(pds: &str, did: &str, collections: &[String]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
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
            let got = page["records"].as_array().unwrap().len() as u64;
            count += got;
            match page["cursor"].as_str() {
                Some(c) if got > 0 => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        out.insert(collection.clone(), count);
    }
    out
}

/// The whole recovery, interrupted after the account is made on PDS2 and resumed: the directory
/// names PDS2 with the person's key first and PDS2's after it, PDS2 serves every record and blob
/// of the snapshot, the new password signs in there, and PDS1 received no request about the
/// account from the start of the recovery to its end. Before that, a backup with a blob gone is
/// refused with the blob named, and nothing is made.
#[tokio::test]
async fn recovers_onto_a_new_server_from_the_backup_alone() {
    let w = World::start();
    let (acct, key, root) = backed_up(&w, true).await;
    let key = key.unwrap();
    let (pds1, pds2) = (w.net.pds1(), w.net.pds2());
    let expected = stratos_core::backup::verify::verify(root.path(), &acct.did, None)
        .await
        .unwrap();
    let before = w.net.pds_request_count(pds1, &acct.did).await;
    assert!(
        before > 0,
        "the counter sees the snapshot's requests to PDS1"
    );

    let plan = plan(&w, &acct, root.path(), None);
    // A blob gone from the backup: refused before anything is made, the blob named.
    let blobs = AccountStore::new(root.path(), &acct.did).blobs_dir();
    let blob = std::fs::read_dir(&blobs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cid = blob.file_name().unwrap().to_str().unwrap().to_owned();
    let kept = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();
    let err = recover::recover(&w.accounts, &plan, &|_| {}, &CancellationToken::new())
        .await
        .expect_err("a damaged backup is refused");
    assert!(matches!(err, RecoverError::DamagedBackup { .. }), "{err}");
    assert!(err.to_string().contains(&cid), "{err}");
    assert!(recover::journal(&w.accounts, &acct.did).unwrap().is_none());
    assert_eq!(keys::list(&w.accounts).unwrap().len(), 1, "no key was made");
    std::fs::write(&blob, kept).unwrap();

    let cancel = CancellationToken::new();
    let progress = |e: Event| {
        if let Event::StepDone {
            step: Step::CreateAccount,
        } = e
        {
            cancel.cancel();
        }
    };
    let err = recover::recover(&w.accounts, &plan, &progress, &cancel)
        .await
        .expect_err("stopped after the account was made");
    assert!(matches!(err, RecoverError::Cancelled), "{err}");
    let journal = recover::journal(&w.accounts, &acct.did).unwrap().unwrap();
    assert_eq!(journal.next(), Some(Step::IdentityOp));
    assert_eq!(
        journal.rotation_key, key,
        "the keychain's rotation key was found"
    );

    let journal = recover::resume(
        &w.accounts,
        &acct.did,
        None,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("the resume finishes without the password");
    assert_eq!(journal.next(), None);

    assert_eq!(
        w.net.pds_request_count(pds1, &acct.did).await,
        before,
        "PDS1 was not contacted"
    );
    let data = w.net.plc_get(&acct.did, "data").await;
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        pds2.url.trim_end_matches('/')
    );
    let rotation: Vec<&str> = data["rotationKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(rotation[0], key, "the person's key first: {data}");
    let session = w
        .net
        .create_session(&pds2.url, &acct.did, "a-new-password-for-pds2", None)
        .await
        .expect("the new password signs in on PDS2");
    let recommended = xrpc_get(
        &pds2.url,
        "com.atproto.identity.getRecommendedDidCredentials",
        &[],
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(
        &rotation[1..],
        recommended["rotationKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect::<Vec<_>>(),
        "PDS2's rotation key after the person's; PDS1's is gone"
    );
    assert_eq!(
        data["verificationMethods"]["atproto"],
        recommended["verificationMethods"]["atproto"]
    );
    assert_eq!(
        data["alsoKnownAs"][0],
        format!("at://{}", plan.handle).as_str()
    );

    let collections: Vec<String> = expected.records.keys().cloned().collect();
    assert_eq!(
        records_on(&pds2.url, &acct.did, &collections).await,
        expected.records,
        "every record of the snapshot, counted on PDS2"
    );
    let status = xrpc_get(
        &pds2.url,
        "com.atproto.server.checkAccountStatus",
        &[],
        Some(session["accessJwt"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(status["activated"], true, "{status}");
    assert_eq!(status["expectedBlobs"], expected.blobs, "{status}");
    assert_eq!(status["importedBlobs"], expected.blobs, "{status}");
    let listed = xrpc_get(
        &pds2.url,
        "com.atproto.sync.listBlobs",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        listed["cids"].as_array().unwrap().len() as u64,
        expected.blobs
    );
    // Stratos uses PDS2 from now on; the operations it sent are known to the guard.
    let record = w.accounts.find(Some(&acct.did)).unwrap();
    assert_eq!(
        record.pds_url.trim_end_matches('/'),
        pds2.url.trim_end_matches('/')
    );
    let known = plc::guard::known(&w.accounts, &acct.did).unwrap().unwrap();
    let audit = w.net.plc_get(&acct.did, "log/audit").await;
    for op in audit.as_array().unwrap().iter().rev().take(2) {
        assert!(known.contains(op["cid"].as_str().unwrap()), "{op}");
    }
}

/// Without a rotation key of the person's in force, the recovery is refused with the reason
/// before anything is made: no key generated, no journal, no account on PDS2, the identity
/// unchanged.
#[tokio::test]
async fn without_a_rotation_key_in_force_nothing_is_made() {
    let w = World::start();
    let (acct, _, root) = backed_up(&w, false).await;
    let stray = keys::generate(&w.accounts, KeyType::K256)
        .await
        .unwrap()
        .did_key;
    let data_before = w.net.plc_get(&acct.did, "data").await;
    for key in [None, Some(stray.clone())] {
        let err = recover::recover(
            &w.accounts,
            &plan(&w, &acct, root.path(), key),
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .expect_err("refused");
        assert!(matches!(err, RecoverError::NoRotationKey { .. }), "{err}");
        assert_eq!(err.explain().code, "recovery_no_rotation_key");
        assert!(err.to_string().contains("rotation keys in force"), "{err}");
    }
    assert_eq!(keys::list(&w.accounts).unwrap().len(), 1, "no key was made");
    assert!(recover::journal(&w.accounts, &acct.did).unwrap().is_none());
    assert_eq!(w.net.plc_get(&acct.did, "data").await, data_before);
    let on_pds2 = xrpc_get(
        &w.net.pds2().url,
        "com.atproto.repo.describeRepo",
        &[("repo", &acct.did)],
        None,
    )
    .await;
    assert!(on_pds2.is_err(), "no account on PDS2: {on_pds2:?}");
}

/// Damage to a snapshot's commit cannot be cut out of its tree: the check refuses it, and with
/// `skip_damaged` chooses the newest older snapshot whose repository is whole, naming what
/// changed after it (the records per collection that will not come back). The check itself
/// makes nothing: no journal, no key.
#[tokio::test]
async fn a_damaged_commit_falls_back_to_the_older_whole_snapshot() {
    let w = World::start();
    let (acct, _, root) = backed_up(&w, true).await;
    let store = AccountStore::new(root.path(), &acct.did);
    let first = store.latest().unwrap().unwrap();
    for n in 0..3 {
        create_record(
            &acct,
            "com.example.note",
            serde_json::json!({"$type": "com.example.note", "n": 900 + n}),
        )
        .await;
    }
    let second = snapshot::snapshot_account(
        &w.accounts,
        Some(&acct.did),
        root.path(),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("snapshot");
    let pack = store.dir().join(second.pack.as_ref().unwrap());
    let (blocks, _) = car::scan(&mut std::fs::File::open(&pack).unwrap());
    let at = blocks
        .iter()
        .find(|(c, _)| c.to_string() == second.commit)
        .unwrap()
        .1;
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[at.offset as usize + at.len as usize / 2] ^= 0x01;
    std::fs::write(&pack, &bytes).unwrap();

    let mut p = plan(&w, &acct, root.path(), None);
    let err = recover::check(&w.accounts, &p)
        .await
        .expect_err("a damaged backup is refused");
    assert!(matches!(err, RecoverError::DamagedBackup { .. }), "{err}");
    assert!(err.to_string().contains("(commit)"), "{err}");
    assert!(
        err.explain().hint.unwrap().contains("--skip-damaged"),
        "the way on is named"
    );

    p.skip_damaged = true;
    let j = recover::check(&w.accounts, &p).await.expect("checked");
    assert_eq!(j.snapshot, first.id);
    assert!(!j.rebuild, "a damaged commit is not rebuilt");
    assert_eq!(j.expected_records, first.records);
    assert!(
        j.missing[0].contains(&format!("snapshot {} cannot be restored", second.id))
            && j.missing[0].contains(&format!(
                "the older snapshot {} is restored instead",
                first.id
            )),
        "{:#?}",
        j.missing
    );
    let notes = format!(
        "com.example.note: {} records come back instead of the {}",
        first.records["com.example.note"], second.records["com.example.note"]
    );
    assert!(
        j.missing.iter().any(|m| m.starts_with(&notes)),
        "{:#?}",
        j.missing
    );
    assert!(recover::journal(&w.accounts, &acct.did).unwrap().is_none());
    assert_eq!(keys::list(&w.accounts).unwrap().len(), 1, "no key was made");
}
