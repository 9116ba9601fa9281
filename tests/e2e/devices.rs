//! The Devices & apps tab: this device and another, signing the other out, the browser
//! sign-in's app with its logo, revoking it, and the notification for a new device.

use std::time::Duration;

use stratos_testkit::{Network, Sandbox};

use crate::support::app::{App, poll_until};
use crate::support::flows::{hosted_client_env, sign_in_first_with_browser};

/// Devices & apps from the window: sign in to the PDS's account-manager API, see this device and
/// another one, sign the other out (its cookies stop working), see the browser sign-in's app with
/// its published logo, and revoke its access (the account then needs signing in again).
#[tokio::test(flavor = "multi_thread")]
async fn devices_and_apps() {
    use stratos_core::devices;

    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    // A hosted client that publishes a logo, as a released Stratos does.
    let client_id = "https://devices.mytestapp.com/client-metadata.json";
    let mut doc =
        stratos_core::config::oauth_client::hosted_document(&url::Url::parse(client_id).unwrap())
            .unwrap();
    doc["logo_uri"] = net.image_url("png", 0).into();
    net.register_client_metadata(client_id, &doc).await;
    let env = hosted_client_env(&a, client_id);
    let app = App::launch_with("devices_and_apps", &env).await;
    sign_in_first_with_browser(&app, &a).await;

    app.click("[data-testid=tab-devices]").await;
    app.fill(
        "[data-testid=devices-sign-in-form] input[name=devicesPassword]",
        &a.password,
    )
    .await;
    app.click("[data-testid=devices-sign-in-submit]").await;
    app.el("[data-testid=devices-list] [data-testid=device-row]")
        .await;
    // The next background check records what is there (no notification for what was known).
    app.click_tray_item("Refresh now");
    let state_file = app.data_dir.join("state.json");
    let recorded = poll_until(Duration::from_secs(30), || {
        let s = std::fs::read_to_string(&state_file).unwrap_or_default();
        let ok = s.contains("knownSessions");
        async move { ok }
    })
    .await;
    assert!(
        recorded,
        "the first check records the account's devices and apps"
    );

    // Another device, signed in to the account-manager API elsewhere (its own keychain service).
    let elsewhere_sandbox = Sandbox::new("e2e");
    let elsewhere = stratos_core::Accounts::open(
        stratos_core::Config::from_lookup(|k| elsewhere_sandbox.var(k)).unwrap(),
    )
    .expect("the run's keychain is reachable");
    let request = stratos_core::LoginRequest {
        identifier: a.handle.clone(),
        password: a.password.clone(),
        ..Default::default()
    };
    elsewhere.login_password(request).await.unwrap();
    devices::sign_in(&elsewhere, &a.did, &a.password, None)
        .await
        .unwrap();
    let other_id = devices::devices(&elsewhere, &a.did)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.is_current)
        .expect("the other device sees itself")
        .device_id;

    // The next check notices the new device and notifies.
    app.click_tray_item("Refresh now");
    let log_file = app.artifacts.join("app.log");
    let notified = poll_until(Duration::from_secs(30), || {
        let log = std::fs::read_to_string(&log_file).unwrap_or_default();
        let ok = log.contains(&format!(
            "notifying about 1 new device(s)/app(s) on {}",
            a.did
        ));
        async move { ok }
    })
    .await;
    assert!(notified, "a notification for the new device");
    app.click("[data-testid=refresh]").await;
    app.el(&format!(
        "[data-testid=device-row][data-device-id='{other_id}']"
    ))
    .await;
    app.el("[data-testid=apps-list] [data-testid=app-row] img[data-testid=app-logo][src^='data:image/png;base64,']")
        .await;
    app.shot("devices-and-apps").await;

    app.click(&format!(
        "[data-testid=device-row][data-device-id='{other_id}'] [data-testid=device-revoke]"
    ))
    .await;
    app.click("[data-testid=device-revoke-confirm]").await;
    app.el(&format!(
        "[data-testid=devices-list]:not(:has([data-device-id='{other_id}']))"
    ))
    .await;
    let refused = devices::devices(&elsewhere, &a.did).await.unwrap_err();
    assert_eq!(
        stratos_core::Explain::explain(&refused).code,
        "devices_sign_in_needed",
        "the other device is signed out"
    );
    let _ = elsewhere.logout(Some(&a.did)).await;

    app.click("[data-testid=apps-list] [data-testid=app-row] [data-testid=app-revoke]")
        .await;
    app.click("[data-testid=app-revoke-confirm]").await;
    app.el("[data-testid=apps-list]:not(:has([data-testid=app-row]))")
        .await;
    app.el(&format!(
        "[data-testid=account-row][data-did='{}'][data-health=expired]",
        a.did
    ))
    .await;
    app.shot("app-revoked").await;
    app.close().await;
}
