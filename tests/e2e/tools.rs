//! The Tools tab: a service-auth token and the missing-blobs check; then a one-off copy from the
//! Backups tab.

use stratos_testkit::Network;

use crate::support::flows::launch_signed_in;

/// Tools: a service-auth token from the PDS with its claims, the missing-blobs check, and a backup
/// written to a folder.
#[tokio::test(flavor = "multi_thread")]
async fn tools_service_auth_blobs_and_backup() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("tools", &a).await;
    app.click("[data-testid=tab-tools]").await;

    app.fill(
        "[data-testid=service-auth-form] input[name=aud]",
        &net.pds2().did,
    )
    .await;
    app.fill(
        "[data-testid=service-auth-form] input[name=lxm]",
        "com.atproto.server.createAccount",
    )
    .await;
    app.click("[data-testid=service-auth-submit]").await;
    let token = app.text("[data-testid=service-auth-token]").await;
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let claims = app.text("[data-testid=service-auth-claims]").await;
    assert!(
        claims.contains(&a.did) && claims.contains(&net.pds2().did),
        "{claims}"
    );

    app.click("[data-testid=missing-blobs-check]").await;
    app.el("[data-testid=missing-blobs-none]").await;

    // The one-off copy lives in the Backups tab, after the snapshots.
    app.click("[data-testid=tab-backups]").await;
    let folder = tempfile::tempdir().unwrap();
    app.fill(
        "[data-testid=backup-card] input[name=backupFolder]",
        &folder.path().display().to_string(),
    )
    .await;
    app.click("[data-testid=backup-submit]").await;
    app.el("[data-testid=backup-result]").await;
    app.shot("tools").await;
    let car = std::fs::read_dir(folder.path())
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "car"))
        .expect("a CAR file was written");
    assert!(car.metadata().unwrap().len() > 0);
    app.close().await;
}
