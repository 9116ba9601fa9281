//! The recovery wizard's preview against the real PLC directory and PDSes: without a key of the
//! person's or a backup it says what is missing; with both it names the key that will sign, the
//! snapshot that will be restored and the identity change (the person's key first, the new
//! server's after it, the old server's dropped); the new server is described, a dead one named
//! as such; and nothing changes in the directory.

use tokio_util::sync::CancellationToken;

use stratos_core::backup::snapshot;
use stratos_core::keys::{self, KeyType};
use stratos_core::plc;
use stratos_core::recover::preview::preview;

use crate::World;
use crate::plc::plc_code;

#[tokio::test]
async fn says_what_is_missing_then_what_will_change() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let (pds1, pds2) = (w.net.pds1(), w.net.pds2());
    let root = tempfile::tempdir().unwrap();
    let data = w.net.plc_get(&acct.did, "data").await;
    let pds_key = data["rotationKeys"][0].as_str().unwrap().to_owned();

    // Nothing held, nothing backed up: both are missing, and the PDS's key would be dropped.
    let p = preview(&w.accounts, &acct.did, Some(&pds2.url), root.path())
        .await
        .unwrap();
    assert_eq!(p.rotation_key.key, None);
    assert!(
        p.rotation_key
            .problem
            .as_deref()
            .unwrap()
            .contains("no key"),
        "{:?}",
        p.rotation_key
    );
    assert_eq!(p.backup.snapshot, None);
    assert_eq!(
        p.backup.problems,
        [format!(
            "No backup of this account is in {}",
            root.path().display()
        )]
    );
    let server = p.server.as_ref().unwrap();
    assert_eq!(server.problem, None, "{server:?}");
    assert!(
        server.available_domains.iter().any(|d| d == &pds2.domain),
        "{server:?}"
    );
    assert_eq!(
        p.identity
            .pds_before
            .as_deref()
            .map(|u| u.trim_end_matches('/')),
        Some(pds1.url.trim_end_matches('/'))
    );
    assert_eq!(
        p.identity.handle_before.as_deref(),
        Some(acct.handle.as_str())
    );
    assert_eq!(p.identity.dropped, std::slice::from_ref(&pds_key));

    // A dead server is named as one, not an error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let p = preview(&w.accounts, &acct.did, Some(&dead), root.path())
        .await
        .unwrap();
    assert!(p.server.unwrap().problem.is_some());

    // The person's key first in the identity, and a snapshot: both there.
    let key = keys::generate(&w.accounts, KeyType::K256)
        .await
        .unwrap()
        .did_key;
    let session = w.accounts.session(&acct.did).await.unwrap();
    let code = plc_code(&w, &session, &acct).await;
    plc::add_rotation_key(&w.accounts, &acct.did, &key, true, &code)
        .await
        .unwrap();
    snapshot::snapshot_account(
        &w.accounts,
        Some(&acct.did),
        root.path(),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let before = w.net.plc_get(&acct.did, "data").await;
    let p = preview(&w.accounts, &acct.did, Some(&pds2.url), root.path())
        .await
        .unwrap();
    assert_eq!(p.rotation_key.key.as_deref(), Some(key.as_str()));
    assert!(p.backup.problems.is_empty(), "{:?}", p.backup.problems);
    let verified = stratos_core::backup::verify::verify(root.path(), &acct.did, None)
        .await
        .unwrap();
    assert_eq!(p.backup.snapshot, verified.snapshot);
    assert_eq!(p.backup.records, verified.records);
    assert!(p.backup.created_at.is_some());
    let after: Vec<(Option<&str>, &str)> = p
        .identity
        .rotation_keys_after
        .iter()
        .map(|k| (k.key.as_deref(), k.holder))
        .collect();
    assert_eq!(after, [(Some(key.as_str()), "you"), (None, "newServer")]);
    assert_eq!(
        p.identity.rotation_keys_before,
        [key.clone(), pds_key.clone()]
    );
    assert_eq!(p.identity.dropped, [pds_key]);
    assert_eq!(
        p.identity.pds_after.as_deref(),
        Some(pds2.url.trim_end_matches('/'))
    );
    assert_eq!(
        w.net.plc_get(&acct.did, "data").await,
        before,
        "the preview changed nothing"
    );
}
