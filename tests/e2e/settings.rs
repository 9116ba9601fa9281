//! The Settings screen: every setting is saved and takes effect while Stratos runs.

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::{App, poll_until};
use crate::support::flows::{SETTINGS, closed_port_url, save_settings, settle_settings};
use crate::support::logs::{log_files_text, wait_log};

/// Every setting on the screen is saved and takes effect without a restart: the PLC directory
/// (a dead one breaks look-ups, the network's one mends them), the check interval, the log
/// level, start at login, and the OAuth client and access.
#[tokio::test(flavor = "multi_thread")]
async fn settings_take_effect_while_running() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let plc = net
        .env()
        .into_iter()
        .find(|(k, _)| k == "STRATOS_PLC_URL")
        .map(|(_, v)| v)
        .expect("the network names its PLC");
    // An empty variable counts as unset: the setting decides the PLC directory here.
    let app = App::launch_with(
        "settings_live",
        &[("STRATOS_PLC_URL".to_owned(), String::new())],
    )
    .await;

    // A PLC directory that is not there: looking up a did:plc fails.
    let dead = closed_port_url();
    app.click("[data-testid=settings]").await;
    app.retype(&format!("{SETTINGS} input[name=plcUrl]"), &dead)
        .await;
    save_settings(&app).await;
    app.click("[data-testid=lookup]").await;
    app.fill("[data-testid=lookup-form] input[name=identifier]", &a.did)
        .await;
    app.click("[data-testid=lookup-submit]").await;
    app.el("[data-testid=lookup-screen] [data-testid=form-error]")
        .await;
    app.shot("lookup-with-dead-plc").await;

    // The network's PLC directory, set on the screen: the same look-up works, no restart.
    app.click("[data-testid=settings]").await;
    app.retype(&format!("{SETTINGS} input[name=plcUrl]"), &plc)
        .await;
    save_settings(&app).await;
    app.click("[data-testid=lookup]").await;
    app.fill("[data-testid=lookup-form] input[name=identifier]", &a.did)
        .await;
    app.click("[data-testid=lookup-submit]").await;
    app.el("[data-testid=lookup-result] [data-testid=overview-repo-status][data-status=active]")
        .await;

    // A change applies at once: a switch flipped, then straight to another screen (no Save to
    // press, nothing to lose), is still flipped when Settings opens again, and in the state file.
    app.click("[data-testid=settings]").await;
    let notify = format!("{SETTINGS} input[name=notifyOnNewDevices]");
    let checked = |app: &App| {
        let script = format!("return document.querySelector('{notify}').checked");
        let client = app.client.clone();
        async move { client.execute(&script, vec![]).await.expect("script runs") }
    };
    app.el(&notify).await;
    let before = checked(&app).await;
    app.click(&notify).await;
    app.click("[data-testid=lookup]").await;
    let flipped = format!("\"notifyOnNewDevices\": {}", !before.as_bool().unwrap());
    assert!(
        poll_until(Duration::from_secs(10), || {
            let s = std::fs::read_to_string(app.data_dir.join("state.json")).unwrap_or_default();
            let ok = s.contains(&flipped);
            async move { ok }
        })
        .await,
        "{flipped} saved"
    );
    app.click("[data-testid=settings]").await;
    app.el(&notify).await;
    assert_ne!(
        checked(&app).await,
        before,
        "the switch stayed where it was put"
    );

    // Interval, start at login, access.
    app.click("[data-testid=settings]").await;
    app.retype(
        &format!("{SETTINGS} input[name=refreshIntervalMinutes]"),
        "17",
    )
    .await;
    app.click(&format!("{SETTINGS} input[name=startAtLogin]"))
        .await;
    app.click("[data-testid=oauth-access-basic]").await;
    save_settings(&app).await;
    assert!(
        wait_log(&app, "next background check in 17 minute(s)").await,
        "the new interval is used at once:\n{}",
        log_files_text(&app)
    );
    let autostart = app
        .desktop
        .root
        .path()
        // auto-launch writes to $HOME/.config/autostart whatever XDG_CONFIG_HOME says.
        .join("home/.config/autostart/Stratos.desktop");
    let entry = std::fs::read_to_string(&autostart).expect("a login item was added");
    assert!(entry.contains("--autostart"), "{entry}");

    // At "warn" the save's info line is not written; back at "info" it is.
    app.el(&format!("{SETTINGS} select[name=logLevel]"))
        .await
        .select_by_value("warn")
        .await
        .expect("choose a log level");
    save_settings(&app).await;
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).unwrap();
    for expected in [
        "\"refreshIntervalMinutes\": 17",
        "\"oauthAccess\": \"basic\"",
        "\"logLevel\": \"warn\"",
        "\"startAtLogin\": true",
        &format!("\"plcUrl\": \"{plc}\""),
    ] {
        assert!(state.contains(expected), "{expected} in {state}");
    }
    app.shot("settings-saved").await;

    let info_saves = |app: &App| {
        log_files_text(app)
            .matches("settings saved; log level Info")
            .count()
    };
    let before = info_saves(&app);
    app.el(&format!("{SETTINGS} select[name=logLevel]"))
        .await
        .select_by_value("info")
        .await
        .expect("choose a log level");
    app.click(&format!("{SETTINGS} input[name=startAtLogin]"))
        .await;
    save_settings(&app).await;
    assert!(
        poll_until(Duration::from_secs(30), || {
            let logged = info_saves(&app) > before;
            async move { logged }
        })
        .await
    );
    let log = log_files_text(&app);
    assert!(!log.contains("settings saved; log level Warn"), "{log}");
    assert!(!autostart.exists(), "the login item was removed");

    // A hosted client id switches browser sign-in to it at once; a bad one is refused.
    app.retype(
        &format!("{SETTINGS} input[name=oauthClientId]"),
        "http://not-https.example/client.json",
    )
    .await;
    settle_settings(&app).await;
    // The error is shown at the field it is about.
    app.el(&format!(
        "{SETTINGS} [data-testid=oauth-client] .setting-error [data-testid=form-error][data-code=config]"
    ))
    .await;
    app.shot("settings-bad-client-id").await;
    app.retype(
        &format!("{SETTINGS} input[name=oauthClientId]"),
        "https://stratos.example.org/client-metadata.json",
    )
    .await;
    save_settings(&app).await;
    app.el("[data-testid=oauth-settings][data-client-kind=hosted]")
        .await;
    app.shot("settings-hosted-client").await;
    app.close().await;
}
