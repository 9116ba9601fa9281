//! The handle, in the account screen's Identity tab, against the real PDS.

use stratos_testkit::Network;

use crate::support::flows::launch_signed_in;

/// Change the handle to a new name on the PDS's domain: checked, changed, verified both ways,
/// shown in the header and kept in the account list.
#[tokio::test(flavor = "multi_thread")]
async fn handle_change_is_verified_and_shown() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("handle", &a).await;

    // Handle: a new name on the PDS's domain, checked, changed, verified.
    let name = format!("h{}", &a.handle[1..a.handle.find('.').unwrap()]);
    let new_handle = format!("{name}.test");
    app.click("[data-testid=tab-identity]").await;
    app.fill("[data-testid=handle-form] input[name=newHandle]", &name)
        .await;
    app.click("[data-testid=handle-check]").await;
    app.el("[data-testid=handle-ready][data-ready=true]").await;
    app.click("[data-testid=handle-submit]").await;
    app.el("[data-testid=handle-done]").await;
    app.shot("handle-changed").await;
    assert_eq!(
        net.resolve_handle(&new_handle).await.as_deref(),
        Some(a.did.as_str())
    );
    assert_eq!(
        app.text("[data-testid=overview-handle]").await,
        new_handle,
        "the header shows it"
    );
    assert_eq!(
        app.text(".overview-header .avatar").await,
        new_handle[..1].to_uppercase(),
        "and its avatar letter"
    );
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).expect("state file");
    assert!(
        state.contains(&format!("\"handle\": \"{new_handle}\"")),
        "the account list records it: {state}"
    );
    app.close().await;
}
