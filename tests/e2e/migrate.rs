//! The migration wizard, across a restart of the app.

use std::time::Duration;

use stratos_testkit::{Network, subjects};

use crate::support::app::poll_until;
use crate::support::flows::{launch_signed_in, overview_of};

/// The migration wizard: plan and check, copy to PDS2, the app restarted at the identity step
/// (the move resumes from its journal), the emailed code and the agreement, then the account
/// lives on PDS2 under its new handle.
#[tokio::test(flavor = "multi_thread")]
async fn migration_wizard_moves_an_account() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    stratos_testkit::populate(
        &a,
        stratos_testkit::Population {
            records: 40,
            blobs: 5,
        },
    )
    .await;
    let app = launch_signed_in("migration_wizard", &a).await;

    app.click("[data-testid=tab-tools]").await;
    app.click("[data-testid=migration-open-wizard]").await;
    app.el("[data-testid=migration-plan]").await;
    let handle = format!(
        "{}{}",
        a.handle.split('.').next().unwrap(),
        net.pds2().domain
    );
    app.fill("[data-testid=migration-server]", &net.pds2().url)
        .await;
    app.fill("[data-testid=migration-handle]", &handle).await;
    app.fill(
        "[data-testid=migration-email]",
        &format!("moved-{}", a.email),
    )
    .await;
    app.fill("[data-testid=migration-password]", "e2e-new-password")
        .await;
    app.click("[data-testid=migration-check]").await;
    app.el("[data-testid=migration-ready]").await;
    app.shot("migration-plan-checked").await;

    let seen = net.count_mails(&a.email, subjects::PLC_OPERATION).await;
    app.click("[data-testid=migration-start]").await;
    app.el("[data-testid=migration-code-form]").await;
    app.el("[data-testid=migration-steps] [data-step=verify][data-state=done]")
        .await;
    // The identity change in words: who may update the identity, where the account lives.
    let changes = app.text("[data-testid=migration-changes]").await;
    assert!(
        changes.contains("Your new server can update your identity")
            && changes.contains("Your account's home becomes")
            && !changes.contains("rotationKeys"),
        "{changes}"
    );
    app.shot("migration-verified-code-step").await;
    let code = net.wait_code(&a.email, subjects::PLC_OPERATION, seen).await;

    // Stratos is closed at this point and opened again: the move is still there.
    let app = app.restart().await;
    app.click("[data-testid=tab-tools]").await;
    app.click("[data-testid=migration-open-wizard]").await;
    app.el("[data-testid=migration-underway]").await;
    app.click("[data-testid=migration-resume]").await;
    app.el("[data-testid=migration-code-form]").await;
    app.fill("[data-testid=migration-code]", &code).await;
    app.click("[data-testid=migration-agree]").await;
    app.click("[data-testid=migration-identity-submit]").await;
    app.el("[data-testid=migration-done]").await;
    app.el("[data-testid=migration-steps] [data-step=finalCheck][data-state=done]")
        .await;
    app.shot("migration-done").await;

    app.click("[data-testid=migration-open]").await;
    app.el(&overview_of(&a.did)).await;
    let pds2_host = net.pds2().url.trim_start_matches("http://").to_owned();
    let moved = poll_until(Duration::from_secs(20), || {
        let app = &app;
        let pds2_host = pds2_host.clone();
        async move {
            let text = app.text("[data-testid=overview]").await;
            text.contains(&pds2_host)
        }
    })
    .await;
    assert!(moved, "the account screen shows the new server");
    app.shot("migration-account-on-pds2").await;
    app.close().await;
}
