//! Deactivating and reactivating an account from the Danger zone tab, against the real PDS.

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::poll_until;
use crate::support::flows::launch_signed_in;

/// Deactivate the account (the PDS and the tray say so), then reactivate it.
#[tokio::test(flavor = "multi_thread")]
async fn deactivate_then_reactivate() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("activation", &a).await;

    // Danger zone: deactivate, then reactivate.
    app.click("[data-testid=tab-danger]").await;
    app.click("[data-testid=deactivate]").await;
    app.click("[data-testid=deactivate-confirm]").await;
    app.el("[data-testid=activation-state][data-active=false]")
        .await;
    // The sidebar's second line says the state, whole (not cut off after a host).
    let line = format!(
        "[data-testid=account-row][data-did='{}'] [data-testid=account-state-line]",
        a.did
    );
    let shown = poll_until(Duration::from_secs(30), || {
        let client = app.client.clone();
        let script = format!(
            "const el = document.querySelector(\"{line}\"); return !!el && el.textContent === 'Deactivated' && el.scrollWidth <= el.clientWidth;"
        );
        async move {
            client
                .execute(&script, vec![])
                .await
                .is_ok_and(|v| v == serde_json::json!(true))
        }
    })
    .await;
    assert!(shown, "the sidebar says Deactivated, whole");
    app.shot("deactivated").await;
    let mut menu = String::new();
    let shown = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = menu.contains("— Deactivated");
        async move { ok }
    })
    .await;
    assert!(shown, "the tray shows the deactivated state:\n{menu}");
    let status = stratos_testkit::xrpc_get(
        &a.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", a.did.as_str())],
        None,
    )
    .await
    .expect("repo status");
    assert_eq!(status["active"], false, "{status}");
    app.click("[data-testid=activate]").await;
    app.el("[data-testid=activation-state][data-active=true]")
        .await;
    let status = stratos_testkit::xrpc_get(
        &a.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", a.did.as_str())],
        None,
    )
    .await
    .expect("repo status");
    assert_eq!(status["active"], true, "{status}");
    app.close().await;
}
