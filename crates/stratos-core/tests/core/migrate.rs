//! Migration between the two real PDSes of the test network, verified on the new PDS, in the
//! PLC directory and in Stratos's own records.

use serde_json::Value;
use stratos_core::migrate::{self, Event, Inputs, MigrateError, Outcome, Plan, Step};
use stratos_core::plc::{self, PlcService};
use stratos_testkit::{Population, TestAccount, subjects, xrpc_get};
use tokio_util::sync::CancellationToken;

use crate::plc::plc_code;
use crate::{World, login};

/// A new handle on PDS2 for `acct`.
fn new_handle(w: &World, acct: &TestAccount) -> String {
    let label = acct.handle.split('.').next().unwrap();
    format!("{label}{}", w.net.pds2().domain)
}

pub fn plan(w: &World, acct: &TestAccount) -> Plan {
    Plan {
        account: acct.did.clone(),
        target_pds: w.net.pds2().url.clone(),
        handle: new_handle(w, acct),
        email: format!("new-{}", acct.email),
        password: "a-new-password-for-pds2".into(),
        invite_code: None,
        deactivate_source: true,
    }
}

/// Gives the account a rotation key of its own (first) and a labeler service, as a person who
/// cares about their identity would have.
async fn add_own_key_and_service(w: &World, acct: &TestAccount) -> (String, PlcService) {
    let key = stratos_core::keys::PrivateKey::generate(stratos_core::keys::KeyType::P256)
        .unwrap()
        .did_key();
    let session = w.accounts.session(&acct.did).await.unwrap();
    let mut fields = plc::current(&w.accounts, &acct.did).await.unwrap().fields;
    fields.rotation_keys.insert(0, key.clone());
    let labeler = PlcService {
        kind: "AtprotoLabeler".into(),
        endpoint: "https://labeler.example.com".into(),
    };
    fields
        .services
        .insert("atproto_labeler".into(), labeler.clone());
    let code = plc_code(w, &session, acct).await;
    let op = plc::sign(&session, &code, &fields).await.unwrap();
    plc::submit(&session, &op).await.unwrap();
    (key, labeler)
}

/// Runs the migration to the point of the PLC code, then with the emailed code to the end.
pub async fn migrate_all(w: &World, acct: &TestAccount, plan: &Plan) -> Vec<Event> {
    let events = std::sync::Mutex::new(Vec::new());
    let record = |e: Event| events.lock().unwrap().push(e);
    migrate::start(&w.accounts, plan, &record)
        .await
        .expect("start");
    let mut inputs = Inputs {
        password: Some(plan.password.clone()),
        ..Default::default()
    };
    let seen = w
        .net
        .count_mails(&acct.email, subjects::PLC_OPERATION)
        .await;
    let outcome = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &record,
        &CancellationToken::new(),
    )
    .await
    .expect("run to the PLC step");
    let Outcome::NeedsPlcToken {
        changes,
        email_sent,
    } = outcome
    else {
        panic!("expected to wait for the PLC code: {outcome:?}");
    };
    assert!(email_sent);
    assert!(
        changes
            .iter()
            .any(|c| c.field == "services" && c.item == "atproto_pds"),
        "{changes:?}"
    );
    // The old PDS is untouched so far.
    let status = xrpc_get(
        &acct.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(status["active"], true, "{status}");
    let code = w
        .net
        .wait_code(&acct.email, subjects::PLC_OPERATION, seen)
        .await;
    inputs.plc_token = Some(code);
    let outcome = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &record,
        &CancellationToken::new(),
    )
    .await
    .expect("run");
    assert!(
        matches!(outcome, Outcome::NeedsConfirmation { .. }),
        "{outcome:?}"
    );
    inputs.confirmed = true;
    let outcome = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &record,
        &CancellationToken::new(),
    )
    .await
    .expect("finish");
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    events.into_inner().unwrap()
}

/// Everything about the account is on PDS2 and nothing was lost.
pub async fn assert_migrated(
    w: &World,
    acct: &TestAccount,
    plan: &Plan,
    filled: &stratos_testkit::Populated,
) {
    let pds2 = &w.net.pds2().url;
    let data = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(
        data.fields.services["atproto_pds"]
            .endpoint
            .trim_end_matches('/'),
        pds2.trim_end_matches('/')
    );
    assert_eq!(
        data.fields.also_known_as[0],
        format!("at://{}", plan.handle)
    );
    let audit = plc::audit(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(
        audit.last().unwrap().operation["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .map(|e| e.trim_end_matches('/')),
        Some(pds2.trim_end_matches('/')),
        "the PLC log ends with the move"
    );
    // Records per collection, read back from PDS2's public API.
    for (collection, n) in &filled.records {
        let mut count = 0u64;
        let mut cursor = None::<String>;
        loop {
            let mut q = vec![
                ("repo", acct.did.as_str()),
                ("collection", collection.as_str()),
                ("limit", "100"),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c));
            }
            let page = xrpc_get(pds2, "com.atproto.repo.listRecords", &q, None)
                .await
                .unwrap();
            let got = page["records"].as_array().unwrap().len() as u64;
            count += got;
            match page["cursor"].as_str() {
                Some(c) if got > 0 => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        assert_eq!(count, *n, "{collection} on PDS2");
    }
    // Every blob, byte for byte.
    let http = reqwest::Client::new();
    for (i, (cid, len)) in filled.blobs.iter().enumerate() {
        let r = http
            .get(format!("{pds2}/xrpc/com.atproto.sync.getBlob"))
            .query(&[("did", acct.did.as_str()), ("cid", cid.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "blob {cid}");
        let body = r.bytes().await.unwrap();
        assert_eq!(body.len(), *len);
        assert!(
            body == stratos_testkit::blob_bytes(&acct.did, i),
            "blob {i} intact"
        );
    }
    // Stratos now uses PDS2, with a working session, and the preferences came along.
    let record = w.accounts.find(Some(&acct.did)).unwrap();
    assert_eq!(
        record.pds_url.trim_end_matches('/'),
        pds2.trim_end_matches('/')
    );
    assert_eq!(record.handle, plan.handle);
    w.accounts
        .check_auth(Some(&acct.did))
        .await
        .expect("the new session works");
    let session = w.accounts.session(&acct.did).await.unwrap();
    let prefs = session
        .query_json("app.bsky.actor.getPreferences", &[])
        .await
        .unwrap();
    assert_eq!(prefs["preferences"], filled.preferences);
    let active = xrpc_get(
        pds2,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(active["active"], true, "{active}");
    let old = xrpc_get(
        &acct.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        old["active"], false,
        "the old account is deactivated: {old}"
    );
    let journal = migrate::journal(&w.accounts, &acct.did).unwrap().unwrap();
    assert_eq!(journal.next(), None);
    assert_eq!(journal.facts.records, filled.records);
    assert_eq!(
        journal.facts.expected_blobs,
        Some(filled.blobs.len() as u64)
    );
}

/// 500 records in four collections, 50 blobs (five over 1 MB), preferences, a rotation key of
/// the person's own and a labeler service: all on PDS2 afterwards, the key still first and the
/// service still there.
#[tokio::test]
async fn full_migration_keeps_everything_and_the_own_rotation_key() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let filled = stratos_testkit::populate(
        &acct,
        Population {
            records: 450,
            blobs: 50,
        },
    )
    .await;
    let (own_key, labeler) = add_own_key_and_service(&w, &acct).await;
    let plan = plan(&w, &acct);

    let events = migrate_all(&w, &acct, &plan).await;
    assert_migrated(&w, &acct, &plan, &filled).await;

    let data = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(
        data.fields.rotation_keys[0], own_key,
        "the person's key stays first"
    );
    assert_eq!(
        data.fields.rotation_keys.len(),
        2,
        "{:?}",
        data.fields.rotation_keys
    );
    assert_eq!(data.fields.services["atproto_labeler"], labeler);
    let steps: Vec<Step> = events
        .iter()
        .filter_map(|e| match e {
            Event::StepDone { step } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(steps, Step::ALL.to_vec());
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Blobs {
            done: 50,
            total: 50,
            ..
        }
    )));
}

/// The same with email 2FA on the old account (signed in with the emailed code): nothing in the
/// migration needs a new sign-in there.
#[tokio::test]
async fn migration_with_email_2fa_on() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.net.enable_email_2fa(&acct).await;
    let seen = w.net.count_mails(&acct.email, subjects::SIGN_IN_CODE).await;
    let mut request = login(&acct.handle, &acct.password);
    let first = w
        .accounts
        .login_password(request.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(first, stratos_core::AccountsError::AuthFactorRequired),
        "{first}"
    );
    request.auth_factor_token = w
        .net
        .wait_mail(&acct.email, subjects::SIGN_IN_CODE, seen)
        .await
        .code;
    w.accounts
        .login_password(request)
        .await
        .expect("login with the code");
    let filled = stratos_testkit::populate(
        &acct,
        Population {
            records: 60,
            blobs: 6,
        },
    )
    .await;
    let plan = plan(&w, &acct);
    migrate_all(&w, &acct, &plan).await;
    assert_migrated(&w, &acct, &plan, &filled).await;
}

/// A wrong PLC code and an expired one are refused clearly and change nothing: the old account
/// is active, the identity unchanged; cancelling then forgets the migration.
#[tokio::test]
async fn wrong_plc_code_is_refused_and_cancel_leaves_the_source_intact() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    stratos_testkit::populate(
        &acct,
        Population {
            records: 10,
            blobs: 2,
        },
    )
    .await;
    let plan = plan(&w, &acct);
    migrate::start(&w.accounts, &plan, &|_| {}).await.unwrap();
    let mut inputs = Inputs {
        password: Some(plan.password.clone()),
        ..Default::default()
    };
    let first = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(matches!(first, Outcome::NeedsPlcToken { .. }));
    inputs.plc_token = Some("WRONG-CODE".into());
    inputs.confirmed = true;
    let err = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let problem = stratos_core::Explain::explain(&err);
    assert_eq!(problem.code, "wrong_code", "{problem:?} {err}");
    let before = plc::current(&w.accounts, &acct.did).await.unwrap();
    assert_eq!(
        before.fields.services["atproto_pds"]
            .endpoint
            .trim_end_matches('/'),
        acct.pds_url.trim_end_matches('/')
    );
    let status: Value = xrpc_get(
        &acct.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(status["active"], true);
    // An expired code is named as such; running on without a code emails a new one.
    inputs.plc_token = None;
    let seen = w
        .net
        .count_mails(&acct.email, subjects::PLC_OPERATION)
        .await;
    w.net.age_email_tokens(&acct.did, 16).await;
    let real = w
        .net
        .mails(&acct.email)
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains(subjects::PLC_OPERATION))
        .and_then(|m| m.code)
        .expect("the first code");
    let expired = migrate::run(
        &w.accounts,
        &acct.did,
        &Inputs {
            plc_token: Some(real),
            confirmed: true,
            ..inputs.clone()
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        stratos_core::Explain::explain(&expired).code,
        "expired_code",
        "{expired}"
    );
    let again = migrate::run(
        &w.accounts,
        &acct.did,
        &inputs,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            again,
            Outcome::NeedsPlcToken {
                email_sent: true,
                ..
            }
        ),
        "{again:?}"
    );
    w.net
        .wait_mail(&acct.email, subjects::PLC_OPERATION, seen)
        .await;
    // A second start is refused while this one is journalled.
    let again = migrate::start(&w.accounts, &plan, &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(again, MigrateError::AlreadyStarted { .. }),
        "{again}"
    );
    migrate::cancel(&w.accounts, &acct.did)
        .await
        .expect("cancel");
    assert!(migrate::journal(&w.accounts, &acct.did).unwrap().is_none());
    w.accounts
        .check_auth(Some(&acct.did))
        .await
        .expect("the old session still works");
}

/// The preflight names each blocker before anything is made.
#[tokio::test]
async fn preflight_names_blockers() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let mut bad = plan(&w, &acct);
    bad.handle = "someone.elsewhere.example".into();
    bad.password = "short".into();
    bad.email = "not-an-email".into();
    let check = migrate::preflight(&w.accounts, &bad).await.unwrap();
    assert_eq!(check.blockers.len(), 3, "{:?}", check.blockers);
    assert!(check.blockers[0].contains("not under the new server's domains"));
    let err = migrate::start(&w.accounts, &bad, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(
        stratos_core::Explain::explain(&err).code,
        "migration_blocked"
    );
    assert!(migrate::journal(&w.accounts, &acct.did).unwrap().is_none());
    let mut same = plan(&w, &acct);
    same.target_pds = acct.pds_url.clone();
    same.handle = acct.handle.clone();
    let check = migrate::preflight(&w.accounts, &same).await.unwrap();
    assert!(
        check.blockers.iter().any(|b| b.contains("current server")),
        "{:?}",
        check.blockers
    );
}
