//! The identity guard against the real PLC directory and reference PDS: operations signed here
//! are accepted by the directory, the reference PDS's logs verify, a hostile operation signed
//! with the PDS's own rotation key is reported and undone with the person's higher key, and an
//! undo is refused (nothing sent) when the key is lower or the 72 hours have passed.

use chrono::{DateTime, Duration, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use stratos_core::keys::{self, KeyType, PrivateKey};
use stratos_core::plc::guard::{self, Edit, GuardError};
use stratos_core::plc::history::{self, Fault, SignerKind};
use stratos_core::plc::{self, PlcFields, operation};
use stratos_testkit::TestAccount;

use crate::World;
use crate::plc::plc_code;

/// A fresh account on PDS1 with a keychain key added as rotation key (`first` or last) through
/// the PDS with the emailed code. Returns the account and the key.
async fn guarded(w: &World, first: bool) -> (TestAccount, String) {
    let acct = w.signed_in(w.net.pds1()).await;
    let key = keys::generate(&w.accounts, KeyType::K256)
        .await
        .expect("a key in the keychain")
        .did_key;
    let session = w.accounts.session(&acct.did).await.unwrap();
    let code = plc_code(w, &session, &acct).await;
    plc::add_rotation_key(&w.accounts, &acct.did, &key, first, &code)
        .await
        .expect("add the person's key");
    (acct, key)
}

fn created(entry: &plc::AuditEntry) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&entry.created_at)
        .unwrap()
        .with_timezone(&Utc)
}

/// A genesis signed here names the DID the directory then serves; the reference PDS's own log
/// verifies; a change signed here with a keychain key goes straight to the directory, is
/// recorded as known, and the history names who signed what.
#[tokio::test]
async fn operations_signed_here_are_accepted_and_logs_verify() {
    let w = World::start();
    let key = PrivateKey::generate(KeyType::K256).unwrap();
    let fields = PlcFields {
        rotation_keys: vec![key.did_key()],
        also_known_as: vec!["at://genesis.example".into()],
        ..PlcFields::default()
    };
    let genesis = operation::sign(&operation::unsigned(&fields, None), &key).unwrap();
    let did = operation::genesis_did(&genesis).unwrap();
    operation::publish(&w.accounts, &did, &genesis)
        .await
        .expect("the directory accepts a genesis signed here");
    let data = plc::current(&w.accounts, &did).await.unwrap();
    assert_eq!(data.fields, fields);
    let log = plc::audit(&w.accounts, &did).await.unwrap();
    assert_eq!(log[0].cid, operation::cid(&genesis).unwrap());

    // An account the reference PDS created: its log verifies here.
    let (acct, mine) = guarded(&w, true).await;
    let log = plc::audit(&w.accounts, &acct.did).await.unwrap();
    let verified = history::verify(&acct.did, &log).expect("the PDS's log verifies");
    assert_eq!(verified.ops.len(), 2);
    assert_eq!(verified.current().unwrap().rotation_keys[0], mine);

    // A change signed with the keychain key, sent without the PDS.
    let extra = PrivateKey::generate(KeyType::P256).unwrap().did_key();
    let edit = Edit {
        add_rotation_key: Some((extra.clone(), false)),
        ..Edit::default()
    };
    let prepared = guard::prepare_update(&w.accounts, &acct.did, &edit, &mine)
        .await
        .expect("prepare");
    assert_eq!(prepared.changes.len(), 1, "{:?}", prepared.changes);
    assert_eq!(prepared.changes[0].item, extra);
    let sent = guard::submit_update(&w.accounts, &prepared)
        .await
        .expect("the directory accepts the change");
    let now = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(now.fields, prepared.after);
    assert_eq!(now.fields.rotation_keys.last(), Some(&extra));

    let history = history::history(&w.accounts, &acct.did).await.unwrap();
    assert!(history.problem.is_none(), "{:?}", history.problem);
    let kinds: Vec<SignerKind> = history.entries.iter().map(|e| e.signer.kind).collect();
    assert_eq!(
        kinds,
        vec![SignerKind::Pds, SignerKind::Pds, SignerKind::Mine],
        "genesis and the key's addition by the PDS, then the change signed here"
    );
    assert_eq!(history.entries[2].cid, sent.cid);
    assert_eq!(history.entries[2].signer.position, Some(1));

    // Everything Stratos did is known: nothing is unexpected.
    let check = guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    assert!(!check.first_look);
    assert!(!check.alarming(), "{check:?}");

    // A stale preparation is refused rather than replacing the newer operation.
    let err = guard::submit_update(&w.accounts, &prepared)
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::HistoryMoved { .. }), "{err}");
}

/// The person's key first: the PDS's hostile change is reported with its diff, and undone with
/// the person's key; the directory nullifies it and the data is back as it was.
#[tokio::test]
async fn a_hostile_change_is_reported_and_undone_with_a_higher_key() {
    let w = World::start();
    let (acct, mine) = guarded(&w, true).await;
    let before = plc::current(&w.accounts, &acct.did).await.unwrap();
    let first = guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    assert!(!first.alarming(), "{first:?}");

    let (hostile, pds_key) = w
        .net
        .hostile_plc_op(&acct.did, "https://evil.example")
        .await;
    let check = guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    assert!(check.problem.is_none(), "{:?}", check.problem);
    assert!(check.alarming());
    assert_eq!(check.unexpected.len(), 1);
    let bad = &check.unexpected[0];
    assert_eq!(bad.cid, hostile);
    assert_eq!(bad.signer.key.as_deref(), Some(pds_key.as_str()));
    assert_eq!(bad.signer.kind, SignerKind::Pds);
    assert_eq!(bad.signer.position, Some(2));
    let lines: Vec<&str> = bad.changes.iter().map(|c| c.description.as_str()).collect();
    assert!(
        lines.contains(&format!("rotationKeys: remove {mine}").as_str()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("services: atproto_pds changes from")
                && l.contains("https://evil.example")),
        "{lines:?}"
    );
    let chance = check.undo.clone().expect("an undo assessment");
    assert!(chance.possible, "{chance:?}");
    assert_eq!(chance.key.as_deref(), Some(mine.as_str()));
    assert_eq!(chance.deadline, bad.created_at + Duration::hours(72));

    let undone = guard::undo(&w.accounts, &acct.did, None, Utc::now())
        .await
        .expect("undo");
    assert_eq!(undone.replaced, vec![hostile.clone()]);
    let log = plc::audit(&w.accounts, &acct.did).await.unwrap();
    let entry = log.iter().find(|e| e.cid == hostile).unwrap();
    assert!(
        entry.nullified,
        "the directory nullified the hostile change"
    );
    assert_eq!(log.last().unwrap().cid, undone.cid);
    let after = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(after, before);
    let again = guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    assert!(!again.alarming(), "{again:?}");
}

/// The person's key below the PDS's: the hostile change cannot be undone; the refusal names
/// both positions and nothing reaches the directory.
#[tokio::test]
async fn undo_is_refused_when_the_key_is_below_the_signer() {
    let w = World::start();
    let (acct, mine) = guarded(&w, false).await;
    guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    let (_, pds_key) = w
        .net
        .hostile_plc_op(&acct.did, "https://evil.example")
        .await;
    let check = guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    let chance = check.undo.expect("assessed");
    assert!(!chance.possible);
    assert!(chance.reason.unwrap().contains("#2"));

    let entries = plc::audit(&w.accounts, &acct.did).await.unwrap().len();
    let err = guard::undo(&w.accounts, &acct.did, Some(&mine), Utc::now())
        .await
        .unwrap_err();
    match &err {
        GuardError::KeyDoesNotOutrank {
            key,
            key_position,
            signer,
            signer_position,
        } => {
            assert_eq!((key, *key_position), (&mine, 2));
            assert_eq!((signer, *signer_position), (&pds_key, 1));
        }
        other => panic!("expected KeyDoesNotOutrank, got {other}"),
    }
    assert!(
        err.to_string().contains("#2") && err.to_string().contains("#1"),
        "{err}"
    );
    assert_eq!(
        plc::audit(&w.accounts, &acct.did).await.unwrap().len(),
        entries
    );
}

/// 73 hours after the hostile change, the undo is refused naming the deadline, nothing sent;
/// acknowledging the change ("this was me") clears the alarm.
#[tokio::test]
async fn undo_is_refused_after_the_window_and_acknowledge_clears_the_alarm() {
    let w = World::start();
    let (acct, _) = guarded(&w, true).await;
    guard::check(&w.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    let (hostile, _) = w
        .net
        .hostile_plc_op(&acct.did, "https://evil.example")
        .await;
    let log = plc::audit(&w.accounts, &acct.did).await.unwrap();
    let at = created(log.iter().find(|e| e.cid == hostile).unwrap());
    let late = at + Duration::hours(73);

    let check = guard::check(&w.accounts, &acct.did, late).await.unwrap();
    let chance = check.undo.expect("assessed");
    assert!(!chance.possible);
    assert_eq!(chance.deadline, at + Duration::hours(72));
    let err = guard::undo(&w.accounts, &acct.did, None, late)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GuardError::WindowClosed { deadline } if deadline == at + Duration::hours(72)),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&(at + Duration::hours(72)).to_string())
    );
    assert_eq!(
        plc::audit(&w.accounts, &acct.did).await.unwrap().len(),
        log.len()
    );

    guard::acknowledge(&w.accounts, &acct.did, &[hostile])
        .await
        .unwrap();
    let check = guard::check(&w.accounts, &acct.did, late).await.unwrap();
    assert!(!check.alarming(), "{check:?}");
}

/// TEST DOUBLE (a lying or silent PLC directory): serves `body` as the answer to every request,
/// or never answers when it is `None`. A real directory cannot be made to serve a forged log or
/// to hang, so this stands in for a compromised or broken one.
async fn lying_directory(body: Option<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let raw = body.map(|body| format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let raw = raw.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                match raw {
                    Some(raw) => {
                        let _ = sock.write_all(raw.as_bytes()).await;
                    }
                    // Never answer: hold the connection until the client gives up.
                    None => {
                        let _ = sock.read(&mut buf).await;
                    }
                }
            });
        }
    });
    url
}

/// A real log with one signature altered, served by a lying directory, fails verification
/// naming the operation; `check` reports it as alarming and a local change is refused.
#[tokio::test]
async fn a_forged_log_fails_verification() {
    let w = World::start();
    let (acct, mine) = guarded(&w, true).await;
    let mut log: serde_json::Value =
        serde_json::to_value(plc::audit(&w.accounts, &acct.did).await.unwrap()).unwrap();
    // Swap two characters in the middle of the second operation's signature.
    let sig = log[1]["operation"]["sig"].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = sig.chars().collect();
    chars.swap(10, 11);
    assert_ne!(chars[10], chars[11], "the swap changes the signature");
    log[1]["operation"]["sig"] = chars.into_iter().collect::<String>().into();
    // The CID listed is recomputed too, as a careful forger would.
    log[1]["cid"] = operation::cid(&log[1]["operation"]).unwrap().into();
    let url = lying_directory(Some(log.to_string())).await;

    let liar = World::start_with(&[("STRATOS_PLC_URL", &url)]);
    let history = history::history(&liar.accounts, &acct.did).await.unwrap();
    let problem = history.problem.expect("the forged log does not verify");
    assert_eq!(problem.index, 1);
    assert_eq!(problem.fault, Fault::BadSignature);
    assert!(problem.to_string().contains("operation 2"), "{problem}");

    let check = guard::check(&liar.accounts, &acct.did, Utc::now())
        .await
        .unwrap();
    assert!(check.alarming());
    let edit = Edit {
        handle: Some("someone.test".into()),
        ..Edit::default()
    };
    let err = guard::prepare_update(&liar.accounts, &acct.did, &edit, &mine)
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::History(_)), "{err}");
}

/// A directory that never answers: `check` and `undo` fail within the configured time with a
/// clear error naming the directory, and the state file keeps no record of the DID.
#[tokio::test]
async fn a_silent_directory_times_out_clearly() {
    let w = World::start();
    let silent = lying_directory(None).await;
    let mut config = w.config.clone();
    config.plc_url = silent.parse().unwrap();
    config.request_timeout = std::time::Duration::from_millis(1500);
    let accounts = stratos_core::Accounts::open(config).unwrap();
    let did = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";
    let started = std::time::Instant::now();
    let err = guard::check(&accounts, did, Utc::now()).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    use stratos_core::Explain;
    assert_eq!(err.explain().code, "plc_unreachable", "{err}");
    assert!(
        err.to_string().contains("did not answer within 1.5 s"),
        "{err}"
    );
    let err = guard::undo(&accounts, did, None, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "plc_unreachable", "{err}");
    assert_eq!(guard::known(&accounts, did).unwrap(), None);
    let err = guard::check(&accounts, "did:web:example.com", Utc::now())
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "not_plc", "{err}");
}
