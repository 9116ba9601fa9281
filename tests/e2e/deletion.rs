//! Deleting an account from the danger zone.

use stratos_testkit::{Network, subjects};

use crate::support::flows::launch_signed_in;

/// Deleting from the window: the backup hint opens the Backups tab; then the emailed code, the
/// password and the handle typed out delete the account on the PDS, and Stratos forgets it.
#[tokio::test(flavor = "multi_thread")]
async fn delete_account_from_the_window() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("delete_account", &a).await;

    app.click("[data-testid=tab-danger]").await;
    app.el("[data-testid=delete-backup-note]").await;
    app.shot("delete-start").await;
    app.click("[data-testid=delete-backup-open]").await;
    app.el("[data-testid=tab-backups][aria-selected=true]")
        .await;
    app.el("[data-testid=backups-section]").await;

    app.click("[data-testid=tab-danger]").await;
    let seen = net.count_mails(&a.email, subjects::ACCOUNT_DELETION).await;
    app.click("[data-testid=delete-request]").await;
    app.el("[data-testid=delete-form]").await;
    let code = net
        .wait_code(&a.email, subjects::ACCOUNT_DELETION, seen)
        .await;
    app.fill(
        "[data-testid=delete-form] input[name=confirmHandle]",
        &a.handle,
    )
    .await;
    app.fill(
        "[data-testid=delete-form] input[name=deletePassword]",
        &a.password,
    )
    .await;
    app.fill("[data-testid=delete-form] input[name=deleteCode]", &code)
        .await;
    app.shot("delete-form-filled").await;
    app.click("[data-testid=delete-submit]").await;
    app.el("[data-testid=account-deleted]").await;
    app.shot("deleted").await;
    let gone = stratos_testkit::xrpc_get(
        &a.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &a.did)],
        None,
    )
    .await;
    assert!(gone.is_err(), "the PDS no longer has the account: {gone:?}");
    app.close().await;
}
