//! The tray menu without a tray host: it lists the accounts, Refresh now re-checks them, Quit
//! ends the app (with the look-up and a setting on the way).

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::{App, poll_until};
use crate::support::flows::add_account_by_password;

/// Look up any account without signing in, change a setting, and use the tray menu: Refresh now
/// re-checks, Quit ends the app. Without a tray host the app says so once in its log.
#[tokio::test(flavor = "multi_thread")]
async fn lookup_settings_and_tray_actions() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let app = App::launch("lookup_settings_tray").await;

    app.click("[data-testid=lookup]").await;
    app.fill(
        "[data-testid=lookup-form] input[name=identifier]",
        &a.handle,
    )
    .await;
    app.click("[data-testid=lookup-submit]").await;
    app.el("[data-testid=lookup-result] [data-testid=overview-repo-status][data-status=active]")
        .await;
    app.el("[data-testid=lookup-result] [data-testid=handle-verified][data-verified=true]")
        .await;
    let result = app.text("[data-testid=lookup-result]").await;
    assert!(
        result.contains(&a.did) && result.contains(&net.pds2().url),
        "{result}"
    );
    assert_eq!(app.count("[data-testid=account-row]").await, 0);
    app.shot("lookup").await;

    app.click("[data-testid=settings]").await;
    app.retype(
        "[data-testid=settings-form] input[name=refreshIntervalMinutes]",
        "17",
    )
    .await;
    crate::support::flows::save_settings(&app).await;
    app.shot("settings").await;
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).expect("state file");
    assert!(state.contains("\"refreshIntervalMinutes\": 17"), "{state}");

    // Sign in, then let the tray's "Refresh now" re-check the account.
    add_account_by_password(&app, &a).await;
    assert!(
        poll_until(Duration::from_secs(30), || {
            let ok = app.tray_menu().is_some_and(|m| m.contains(&a.handle));
            async move { ok }
        })
        .await
    );
    let checked_before = std::fs::read_to_string(app.data_dir.join("state.json")).unwrap();
    app.click_tray_item("Refresh now");
    let rechecked = poll_until(Duration::from_secs(30), || {
        let now = std::fs::read_to_string(app.data_dir.join("state.json")).unwrap_or_default();
        let changed = now != checked_before && now.contains("\"health\": \"active\"");
        async move { changed }
    })
    .await;
    assert!(
        rechecked,
        "Refresh now re-checked the account and recorded it"
    );

    let log = std::fs::read_to_string(app.artifacts.join("app.log")).unwrap_or_default();
    assert_eq!(
        log.matches("no system tray host found").count(),
        1,
        "said once:\n{log}"
    );

    assert!(app.app_is_running());
    app.click_tray_item("Quit Stratos");
    let quit = poll_until(Duration::from_secs(30), || {
        let gone = !app.app_is_running();
        async move { gone }
    })
    .await;
    assert!(quit, "Quit in the tray ends the app");
}
