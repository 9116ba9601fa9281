//! The account screen's management tabs against the real PDS: app passwords, handle, and
//! deactivation in the danger zone.

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::poll_until;
use crate::support::flows::launch_signed_in;

/// The account screen's management sections against the real PDS: create an app password (it
/// signs in), revoke it (its refresh is refused), change the handle (verified both ways), and
/// deactivate then reactivate the account.
#[tokio::test(flavor = "multi_thread")]
async fn manage_app_passwords_handle_and_activation() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("manage_account", &a).await;

    // App passwords: create, use, revoke.
    app.click("[data-testid=tab-app-passwords]").await;
    // The form shows once the list has loaded; typing into it while hidden is refused.
    app.el("[data-testid=app-passwords-section] [data-testid=app-password-form]:not([hidden])")
        .await;
    app.fill(
        "[data-testid=app-password-form] input[name=appPasswordName]",
        "e2e-tool",
    )
    .await;
    app.click("[data-testid=app-password-create]").await;
    let secret = app
        .text("[data-testid=app-password-created] [data-testid=app-password-value]")
        .await;
    app.shot("app-password-created").await;
    let session = net
        .create_session(&a.pds_url, &a.handle, &secret, None)
        .await
        .expect("the new app password signs in");
    let refresh = session["refreshJwt"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    app.click("[data-testid=app-password-done]").await;
    app.click(
        "[data-testid=app-password-row][data-name='e2e-tool'] [data-testid=app-password-revoke]",
    )
    .await;
    app.click("[data-testid=app-password-revoke-confirm]").await;
    app.el("[data-testid=app-passwords-section]:not(:has([data-testid=app-password-row][data-name='e2e-tool']))").await;
    app.shot("app-password-revoked").await;
    let refused = stratos_testkit::xrpc_post(
        &a.pds_url,
        "com.atproto.server.refreshSession",
        &serde_json::Value::Null,
        Some(&refresh),
    )
    .await;
    assert!(
        refused.is_err(),
        "a revoked app password's refresh is refused"
    );

    // Handle: a new name on the PDS's domain, checked, changed, verified.
    let name = format!("h{}", &a.handle[1..a.handle.find('.').unwrap()]);
    let new_handle = format!("{name}.test");
    app.click("[data-testid=tab-handle]").await;
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

    // Danger zone: deactivate, then reactivate.
    app.click("[data-testid=tab-danger]").await;
    app.click("[data-testid=deactivate]").await;
    app.click("[data-testid=deactivate-confirm]").await;
    app.el("[data-testid=activation-state][data-active=false]")
        .await;
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
