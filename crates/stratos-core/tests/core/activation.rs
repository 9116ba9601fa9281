//! Deactivate and activate, proven by the repository status the PDS publishes.

use chrono::{Duration, Utc};
use stratos_core::Explain;
use stratos_core::activation::{self, ActivationError};
use stratos_testkit::xrpc_get;

use crate::World;
use stratos_core::auth::step_up::StepUp;

async fn published_status(pds: &str, did: &str) -> (bool, Option<String>) {
    let out = xrpc_get(pds, "com.atproto.sync.getRepoStatus", &[("did", did)], None)
        .await
        .expect("getRepoStatus answers");
    (
        out["active"].as_bool().expect("active is a bool"),
        out["status"].as_str().map(str::to_owned),
    )
}

/// Deactivating hides the repository (status `deactivated`), activating brings it back; the
/// account status report shows both.
#[tokio::test]
async fn deactivate_then_activate() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;

    let later = Utc::now() + Duration::days(30);
    let off = activation::deactivate(&w.accounts, &acct.did, Some(later), StepUp::default())
        .await
        .expect("deactivate");
    assert!(!off.active);
    assert_eq!(off.status.as_deref(), Some("deactivated"));
    assert_eq!(off.delete_after, Some(later));
    assert_eq!(
        published_status(&acct.pds_url, &acct.did).await,
        (false, Some("deactivated".to_owned()))
    );
    let report = w.accounts.status(&acct.did).await.expect("status");
    assert_eq!(report.repo.active, Some(false));
    assert_eq!(report.repo.status.as_deref(), Some("deactivated"));

    let on = activation::activate(&w.accounts, &acct.did, StepUp::default())
        .await
        .expect("activate");
    assert!(on.active);
    assert_eq!(on.status, None);
    assert_eq!(
        published_status(&acct.pds_url, &acct.did).await,
        (true, None)
    );
    let report = w.accounts.status(&acct.did).await.expect("status");
    assert_eq!(report.repo.active, Some(true));
}

/// A deletion date in the past is refused before anything is sent.
#[tokio::test]
async fn a_past_deletion_date_is_refused() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds2()).await;
    let err = activation::deactivate(
        &w.accounts,
        &acct.did,
        Some(Utc::now() - Duration::hours(1)),
        StepUp::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ActivationError::DeleteAfterInPast(_)),
        "{err}"
    );
    assert_eq!(err.explain().code, "bad_delete_after");
    assert_eq!(
        published_status(&acct.pds_url, &acct.did).await,
        (true, None)
    );
}
