//! PLC operations against the real PDS and PLC directory: recommended credentials, the current
//! data, adding rotation keys with the emailed code, and the PDS's own checks on submit.

use stratos_core::auth::session::AccountSession;
use stratos_core::keys::{KeyType, PrivateKey};
use stratos_core::plc::{self, ChangeKind, MergeOptions, PlcError};
use stratos_testkit::{TestAccount, subjects};

use crate::World;

/// Asks the PDS for a PLC code and returns it from the mail it sends.
pub async fn plc_code(w: &World, session: &AccountSession, acct: &TestAccount) -> String {
    let seen = w
        .net
        .count_mails(&acct.email, subjects::PLC_OPERATION)
        .await;
    plc::request_token(session).await.expect("request a code");
    w.net
        .wait_code(&acct.email, subjects::PLC_OPERATION, seen)
        .await
}

fn new_key() -> String {
    PrivateKey::generate(KeyType::K256).unwrap().did_key()
}

/// A fresh account's PLC data names its PDS, handle and keys exactly as the PDS recommends, so
/// merging the recommendation into the current data changes nothing.
#[tokio::test]
async fn current_data_matches_the_recommended_credentials() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let session = w.accounts.session(&acct.did).await.unwrap();
    let rec = plc::recommended(&session).await.expect("recommended");
    let cur = plc::current(&w.accounts, &acct.did).await.expect("current");

    assert_eq!(cur.did, acct.did);
    assert_eq!(rec.rotation_keys.len(), 1, "{rec:?}");
    assert!(rec.rotation_keys[0].starts_with("did:key:z"), "{rec:?}");
    assert_eq!(cur.fields.rotation_keys, rec.rotation_keys);
    assert_eq!(rec.also_known_as, vec![format!("at://{}", acct.handle)]);
    assert_eq!(rec.services["atproto_pds"].endpoint, acct.pds_url);
    assert_eq!(
        rec.services["atproto_pds"].kind,
        "AtprotoPersonalDataServer"
    );
    assert_eq!(cur.fields, rec);
    let merged = plc::merge(&cur.fields, &rec, &MergeOptions::default()).unwrap();
    assert_eq!(merged, cur.fields);
    assert!(plc::diff(&cur.fields, &merged).is_empty());

    // Another PDS's recommendation swaps the PDS key, service and handle, keeping nothing else.
    let other = w.signed_in(w.net.pds2()).await;
    let other_rec = plc::recommended(&w.accounts.session(&other.did).await.unwrap())
        .await
        .unwrap();
    let opts = MergeOptions {
        old_pds_keys: rec.rotation_keys.clone(),
    };
    let moved = plc::merge(&cur.fields, &other_rec, &opts).unwrap();
    assert_eq!(moved.rotation_keys, other_rec.rotation_keys);
    assert_eq!(
        moved.services["atproto_pds"].endpoint,
        w.net.pds2().url.as_str()
    );
    let kinds: Vec<ChangeKind> = plc::diff(&cur.fields, &moved)
        .iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.contains(&ChangeKind::Added) && kinds.contains(&ChangeKind::Removed));
}

/// Adding rotation keys with the emailed code: `first` puts a key on top, otherwise it goes last;
/// the other keys keep their order, and the directory's history shows each operation.
#[tokio::test]
async fn add_rotation_key_keeps_the_other_keys_in_order() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let session = w.accounts.session(&acct.did).await.unwrap();
    let pds_key = plc::current(&w.accounts, &acct.did)
        .await
        .unwrap()
        .fields
        .rotation_keys[0]
        .clone();

    let top = new_key();
    let code = plc_code(&w, &session, &acct).await;
    let applied = plc::add_rotation_key(&w.accounts, &acct.did, &top, true, &code)
        .await
        .expect("add the first key");
    assert_eq!(
        applied.after.rotation_keys,
        vec![top.clone(), pds_key.clone()]
    );
    assert_eq!(applied.changes.len(), 2, "{:?}", applied.changes);
    assert_eq!(applied.changes[0].kind, ChangeKind::Added);
    assert_eq!(applied.changes[0].item, top);

    let bottom = new_key();
    let code = plc_code(&w, &session, &acct).await;
    plc::add_rotation_key(&w.accounts, &acct.did, &bottom, false, &code)
        .await
        .expect("add the last key");
    let now = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(now.fields.rotation_keys, vec![top.clone(), pds_key, bottom]);
    assert_eq!(
        now.fields.also_known_as,
        vec![format!("at://{}", acct.handle)]
    );

    let log = plc::audit(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(log.len(), 3, "creation plus two updates: {log:?}");
    assert!(log.iter().all(|e| !e.nullified));
    assert_eq!(log[2].operation["prev"], log[1].cid.as_str());

    // The same key again is refused before any code is used.
    let err = plc::add_rotation_key(&w.accounts, &acct.did, &top, true, "AAAAA-BBBBB")
        .await
        .unwrap_err();
    assert!(matches!(err, PlcError::KeyAlreadyPresent { .. }), "{err}");
}

/// `sign` then `submit` applies exactly the signed fields; an extra alias survives because the
/// whole field is passed. Bad codes are explained, and the PDS refuses an operation that would
/// drop its own rotation key.
#[tokio::test]
async fn sign_and_submit_apply_the_fields_and_bad_input_is_explained() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let session = w.accounts.session(&acct.did).await.unwrap();
    let before = plc::current(&w.accounts, &acct.did).await.unwrap().fields;

    let err = plc::sign(&session, "", &before).await.unwrap_err();
    assert!(matches!(err, PlcError::CodeNeeded), "{err}");
    let _ = plc_code(&w, &session, &acct).await;
    let err = plc::sign(&session, "AAAAA-BBBBB", &before)
        .await
        .unwrap_err();
    assert!(matches!(err, PlcError::WrongCode), "{err}");
    assert_eq!(stratos_core::Explain::explain(&err).code, "wrong_code");

    let mut wanted = before.clone();
    wanted.also_known_as.push("https://alice.example".into());
    let code = plc_code(&w, &session, &acct).await;
    let op = plc::sign(&session, &code, &wanted).await.expect("sign");
    assert_eq!(op.fields(), wanted);
    assert!(op.json()["sig"].is_string());
    plc::submit(&session, &op).await.expect("submit");
    assert_eq!(
        plc::current(&w.accounts, &acct.did).await.unwrap().fields,
        wanted
    );

    let mut without_pds = wanted.clone();
    without_pds.rotation_keys = vec![new_key()];
    let code = plc_code(&w, &session, &acct).await;
    let op = plc::sign(&session, &code, &without_pds)
        .await
        .expect("sign");
    let err = plc::submit(&session, &op).await.unwrap_err();
    match &err {
        PlcError::Refused { reason } => assert!(reason.contains("rotation key"), "{reason}"),
        other => panic!("expected a refusal, got {other}"),
    }
    assert_eq!(
        plc::current(&w.accounts, &acct.did).await.unwrap().fields,
        wanted,
        "nothing changed"
    );
}

/// The directory's answers for DIDs it cannot serve are explained.
#[tokio::test]
async fn unknown_and_non_plc_dids_are_explained() {
    let w = World::start();
    let err = plc::current(&w.accounts, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
        .await
        .unwrap_err();
    assert!(matches!(err, PlcError::UnknownDid { .. }), "{err}");
    let err = plc::current(&w.accounts, &w.net.pds1().did)
        .await
        .unwrap_err();
    assert!(matches!(err, PlcError::NotPlc { .. }), "{err}");
    assert_eq!(stratos_core::Explain::explain(&err).code, "not_plc");
}
