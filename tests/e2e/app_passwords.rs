//! The account screen's App passwords tab against the real PDS.

use stratos_testkit::Network;

use crate::support::flows::launch_signed_in;

/// Create an app password (it signs in), then revoke it (its refresh is refused).
#[tokio::test(flavor = "multi_thread")]
async fn app_passwords_create_sign_in_and_revoke() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("app_passwords", &a).await;

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
    app.close().await;
}
