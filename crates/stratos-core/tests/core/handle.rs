//! Handle changes: PDS domains, custom domains with their proof, verification both ways.

use stratos_core::Explain;
use stratos_core::handle::{self, HandleError};
use stratos_core::identity::MethodAnswer;

use crate::World;

/// Another `.test` handle: the PDS's domain needs no proof; afterwards the handle resolves to the
/// DID, the DID document names the handle, and the state file shows it.
#[tokio::test]
async fn change_to_another_pds_handle_verified_both_ways() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.sign_in(&acct).await;
    let domains = handle::domains(&w.accounts, &acct.did)
        .await
        .expect("domains");
    assert_eq!(domains.domains, [".test"]);

    let label = acct.handle.trim_end_matches(".test");
    let new = format!("h{}.test", &label[1..]);
    let plan = handle::plan(&w.accounts, &acct.did, &new)
        .await
        .expect("plan");
    assert!(plan.ready);
    assert_eq!(plan.service_domain.as_deref(), Some(".test"));

    let change = handle::update(&w.accounts, &acct.did, &new)
        .await
        .expect("update");
    assert_eq!(change.old_handle, acct.handle);
    assert_eq!(change.handle, new);
    assert_eq!(change.resolves_to, acct.did);
    assert_eq!(change.doc_handle, new);
    assert_eq!(
        w.net.resolve_handle(&new).await.as_deref(),
        Some(acct.did.as_str())
    );
    assert_eq!(
        w.net.resolve_handle(&acct.handle).await,
        None,
        "the old handle is free"
    );
    assert_eq!(w.reopen().find(Some(&acct.did)).unwrap().handle, new);
    let status = w.accounts.status(&acct.did).await.expect("status");
    assert!(status.handle_check.verified);
    assert_eq!(status.handle.as_deref(), Some(new.as_str()));
}

/// A custom domain: the plan shows the DNS record and the HTTPS file; before the proof exists
/// the check says so and the update is refused; once it resolves, the update succeeds.
#[tokio::test]
async fn custom_domain_needs_proof_then_works() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    w.sign_in(&acct).await;
    let label = acct.handle.trim_end_matches(".pds2.test");
    let custom = format!("{label}.stratos-custom.com");

    let plan = handle::plan(&w.accounts, &acct.did, &custom)
        .await
        .expect("plan");
    assert!(!plan.ready);
    assert_eq!(plan.service_domain, None);
    assert_eq!(plan.dns.name, format!("_atproto.{custom}"));
    assert_eq!(plan.dns.record_type, "TXT");
    assert_eq!(plan.dns.value, format!("did={}", acct.did));
    assert_eq!(
        plan.https.url,
        format!("https://{custom}/.well-known/atproto-did")
    );
    assert_eq!(plan.https.body, acct.did);
    // Tests resolve through the network's resolver service; DNS and HTTPS are not consulted.
    assert_eq!(plan.current.dns, MethodAnswer::Skipped);
    assert_eq!(plan.current.https, MethodAnswer::Skipped);
    assert!(
        matches!(plan.current.service, MethodAnswer::NotFound { .. }),
        "{:?}",
        plan.current
    );

    let err = handle::update(&w.accounts, &acct.did, &custom)
        .await
        .unwrap_err();
    assert!(matches!(err, HandleError::NotProven { .. }), "{err}");
    let problem = err.explain();
    assert_eq!(problem.code, "handle_not_proven");
    assert!(problem.hint.as_deref().unwrap().contains(&plan.dns.value));

    w.net.set_handle_override(&custom, &acct.did).await;
    let plan = handle::plan(&w.accounts, &acct.did, &custom)
        .await
        .expect("plan");
    assert!(plan.ready);
    assert_eq!(
        plan.current.service,
        MethodAnswer::Found {
            did: acct.did.clone()
        }
    );
    let change = handle::update(&w.accounts, &acct.did, &custom).await;
    w.net.clear_handle_override(&custom).await;
    let change = change.expect("update to the proven custom domain");
    assert_eq!(change.handle, custom);
    assert_eq!(change.doc_handle, custom);
    assert_eq!(w.accounts.find(Some(&acct.did)).unwrap().handle, custom);
}

/// Without proof, a domain the PDS does not serve is refused with the plan; a malformed or too
/// short handle is refused with the PDS's reason.
#[tokio::test]
async fn unproven_and_invalid_handles_fail_clearly() {
    let w = World::start();
    // PDS2 serves `.pds2.test`; `.test` belongs to PDS1.
    let acct = w.net.create_account(w.net.pds2()).await;
    w.sign_in(&acct).await;
    let label = acct.handle.trim_end_matches(".pds2.test");
    let elsewhere = format!("{label}.test");
    let err = handle::update(&w.accounts, &acct.did, &elsewhere)
        .await
        .unwrap_err();
    assert!(matches!(err, HandleError::NotProven { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{elsewhere} does not resolve to {}, so the PDS cannot accept it yet",
            acct.did
        )
    );
    let err = handle::update(&w.accounts, &acct.did, "ab.pds2.test")
        .await
        .unwrap_err();
    assert!(matches!(err, HandleError::Refused { .. }), "{err}");
    assert_eq!(err.explain().code, "handle_refused");
    assert!(err.to_string().contains("too short"), "{err}");
    let err = handle::update(&w.accounts, &acct.did, "not a handle")
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "bad_identifier");
    assert_eq!(
        w.accounts.find(Some(&acct.did)).unwrap().handle,
        acct.handle
    );
}
