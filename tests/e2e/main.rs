//! WebDriver end-to-end tests of the real Stratos window against the real local PDS network.
//!
//! Each test gets a private desktop (Xvfb, session bus, gnome-keyring); screenshots and the app
//! log land in target/e2e-artifacts/<test>/. Run through scripts/test.sh.

mod app;
mod create_account;
mod desk;
mod desktop;

use std::time::Duration;

use app::{App, poll_until};
use stratos_testkit::{Network, subjects};

const FORM: &str = "[data-testid=add-account-form]";

/// Reveals the password form under "Use a password instead" (browser sign-in comes first).
async fn use_password(app: &App) {
    app.click("[data-testid=use-password]").await;
    app.el(FORM).await;
}

async fn sign_in(app: &App, id: &str, password: &str) {
    app.fill(&format!("{FORM} input[name=identifier]"), id)
        .await;
    app.fill(&format!("{FORM} input[name=password]"), password)
        .await;
    app.click("[data-testid=login-submit]").await;
}

fn overview_of(did: &str) -> String {
    format!("[data-testid=overview][data-did='{did}']")
}

/// Add an account with a password, see its status, add a 2FA account on PDS2 (wrong code, then
/// the mailed one), switch between them, see both in the tray, sign one out.
#[tokio::test(flavor = "multi_thread")]
async fn password_accounts_on_two_pdses() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let b = net.create_account(net.pds2()).await;
    net.enable_email_2fa(&b).await;
    let app = App::launch("password_accounts").await;

    app.el("[data-testid=welcome]").await;
    app.shot("welcome").await;
    app.click("[data-testid=add-first-account]").await;
    app.el("[data-testid=oauth-form]").await;
    app.shot("add-account").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;
    assert_eq!(app.text("[data-testid=overview-handle]").await, a.handle);
    assert_eq!(app.text("[data-testid=overview-did]").await, a.did);
    app.el("[data-testid=overview-repo-status][data-status=active]")
        .await;
    app.el("[data-testid=handle-verified][data-verified=true]")
        .await;
    app.el("[data-testid=pds-reachable][data-reachable=true]")
        .await;
    app.el("[data-testid=overview-health][data-health=active]")
        .await;
    app.shot("overview-first-account").await;

    // Second account, on PDS2, with email 2FA.
    let seen = net
        .mails(&b.email)
        .await
        .iter()
        .filter(|m| m.subject.contains(subjects::SIGN_IN_CODE))
        .count();
    app.click("[data-testid=add-account]").await;
    use_password(&app).await;
    sign_in(&app, &b.handle, &b.password).await;
    app.el("[data-testid=auth-factor-form]").await;
    app.shot("two-factor-step").await;
    let code = net
        .wait_mail(&b.email, subjects::SIGN_IN_CODE, seen)
        .await
        .code
        .expect("mailed code");
    app.fill(
        "[data-testid=auth-factor-form] input[name=authFactorToken]",
        "AAAAA-BBBBB",
    )
    .await;
    app.click("[data-testid=auth-factor-submit]").await;
    app.el("[data-testid=form-error][data-code=wrong_auth_factor]")
        .await;
    app.shot("two-factor-wrong-code").await;
    app.fill(
        "[data-testid=auth-factor-form] input[name=authFactorToken]",
        &code,
    )
    .await;
    app.click("[data-testid=auth-factor-submit]").await;
    app.el(&overview_of(&b.did)).await;
    app.el("[data-testid=overview-repo-status][data-status=active]")
        .await;
    assert_eq!(app.text("[data-testid=overview-handle]").await, b.handle);
    assert_eq!(
        app.client
            .find_all(fantoccini::Locator::Css("[data-testid=account-row]"))
            .await
            .unwrap()
            .len(),
        2
    );
    app.shot("overview-second-account").await;
    app.desktop.screenshot(&app.artifacts.join("desktop.png"));

    // Switch back to the first account.
    app.click(&format!("[data-testid=account-row][data-did='{}']", a.did))
        .await;
    app.el(&overview_of(&a.did)).await;
    assert_eq!(app.text("[data-testid=overview-handle]").await, a.handle);

    // The tray menu lists both accounts with their state.
    let mut menu = String::new();
    let listed = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = menu.contains(&format!("{} — Active", a.handle))
            && menu.contains(&format!("{} — Active", b.handle));
        async move { ok }
    })
    .await;
    assert!(listed, "tray menu lists both accounts as active:\n{menu}");
    assert!(
        menu.contains("Refresh now") && menu.contains("Quit Stratos"),
        "{menu}"
    );

    // Sign the first account out: gone from the list, the state file and the server.
    app.click("[data-testid=logout]").await;
    app.el("[data-testid=logout-confirmation]").await;
    app.shot("sign-out-confirmation").await;
    app.click("[data-testid=logout-confirm]").await;
    app.el(&format!(
        "[data-testid=account-list]:not(:has([data-did='{}']))",
        a.did
    ))
    .await;
    app.el(&format!("[data-testid=account-row][data-did='{}']", b.did))
        .await;
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).expect("state file");
    assert!(!state.contains(&a.did) && state.contains(&b.did), "{state}");
    app.shot("after-sign-out").await;
    app.close().await;
}

/// Mistakes and failures show a specific error in the window, and nothing is added.
#[tokio::test(flavor = "multi_thread")]
async fn bad_input_shows_specific_errors() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch("bad_input").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;

    app.click("[data-testid=login-submit]").await;
    let empty = app.text("[data-testid=form-error]").await;
    assert!(
        empty.contains("handle"),
        "empty identifier is explained: {empty}"
    );

    sign_in(&app, "nobody-at-all.test", "whatever").await;
    app.el("[data-testid=form-error][data-code=handle_not_found]")
        .await;
    assert!(
        app.text("[data-testid=form-error]")
            .await
            .contains("nobody-at-all.test")
    );
    app.shot("unknown-handle").await;

    sign_in(&app, &a.handle, "not-the-password").await;
    app.el("[data-testid=form-error][data-code=wrong_password]")
        .await;
    app.shot("wrong-password").await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    app.click(&format!("{FORM} details.advanced summary")).await;
    app.fill(&format!("{FORM} input[name=pdsHost]"), &dead)
        .await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el("[data-testid=form-error][data-code=pds_unreachable]")
        .await;
    app.shot("unreachable-pds").await;

    let did = net.did_without_pds().await;
    app.fill(&format!("{FORM} input[name=pdsHost]"), "").await;
    sign_in(&app, &did, "whatever").await;
    app.el("[data-testid=form-error][data-code=no_pds]").await;
    app.shot("did-without-pds").await;

    assert_eq!(
        app.client
            .find_all(fantoccini::Locator::Css("[data-testid=account-row]"))
            .await
            .unwrap()
            .len(),
        0
    );
    app.close().await;
}

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
    assert_eq!(
        app.client
            .find_all(fantoccini::Locator::Css("[data-testid=account-row]"))
            .await
            .unwrap()
            .len(),
        0
    );
    app.shot("lookup").await;

    app.click("[data-testid=settings]").await;
    app.fill(
        "[data-testid=settings-form] input[name=refreshIntervalMinutes]",
        "17",
    )
    .await;
    app.click("[data-testid=settings-save]").await;
    app.el("[data-testid=settings-saved]:not(:empty)").await;
    app.shot("settings").await;
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).expect("state file");
    assert!(state.contains("\"refreshIntervalMinutes\": 17"), "{state}");

    // Sign in, then let the tray's "Refresh now" re-check the account.
    app.click("[data-testid=add-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;
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

/// The robot as `$BROWSER`, signing in as `acct`.
fn browser_env(acct: &stratos_testkit::TestAccount) -> Vec<(String, String)> {
    let mut env = vec![(
        "BROWSER".to_owned(),
        Network::browser_robot().display().to_string(),
    )];
    env.extend(Network::robot_env(acct, "approve"));
    env
}

/// "Sign in with your browser" through the loopback callback: the real authorize page in
/// Chromium, the account's overview with granted scopes, and the session kept across a restart.
#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_in_with_loopback_survives_restart() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch_with("browser_loopback", &browser_env(&a)).await;
    app.click("[data-testid=add-first-account]").await;
    app.fill(
        "[data-testid=oauth-form] input[name=oauthAccount]",
        &a.handle,
    )
    .await;
    app.click("[data-testid=oauth-scopes] summary").await;
    app.shot("browser-sign-in").await;
    app.click("[data-testid=oauth-submit]").await;
    app.el(&overview_of(&a.did)).await;
    app.el("[data-testid=overview-repo-status][data-status=active]")
        .await;
    app.el("[data-testid=session-auth-kind][data-auth-kind=oauth]")
        .await;
    let scopes = app.text("[data-testid=session-scopes]").await;
    assert!(!scopes.is_empty(), "granted scopes are shown");
    app.el("[data-testid=session-ends]").await;
    app.shot("browser-account-overview").await;

    // App passwords need the account password on a browser sign-in: asked once, not stored.
    app.click("[data-testid=tab-app-passwords]").await;
    app.fill(
        "[data-testid=step-up-form] input[name=stepUpPassword]",
        &a.password,
    )
    .await;
    app.shot("step-up-password").await;
    app.click("[data-testid=step-up-submit]").await;
    app.el("[data-testid=app-passwords-section] [data-testid=app-passwords-empty]")
        .await;
    app.click("[data-testid=tab-overview]").await;

    let app = app.restart().await;
    app.el(&overview_of(&a.did)).await;
    app.el("[data-testid=overview-repo-status][data-status=active]")
        .await;
    app.el("[data-testid=session-auth-kind][data-auth-kind=oauth]")
        .await;
    app.shot("after-restart").await;
    app.close().await;
}

/// "Sign in with your browser" through the app's deep link: a hosted client-metadata document,
/// the PDS redirecting to `<reversed host>:/oauth/callback`, the OS (here the robot) starting the
/// app binary with that URL, and single-instance handing it to the running app.
#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_in_with_deep_link() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let client_id = "https://stratos.mytestapp.com/client-metadata.json";
    let doc =
        stratos_core::config::oauth_client::hosted_document(&url::Url::parse(client_id).unwrap())
            .unwrap();
    net.register_client_metadata(client_id, &doc).await;
    let mut env = browser_env(&a);
    env.push(("STRATOS_OAUTH_CLIENT_ID".into(), client_id.into()));
    env.push((
        "STRATOS_TEST_DEEP_LINK_HANDLER".into(),
        env!("CARGO_BIN_EXE_stratos-app").into(),
    ));
    let app = App::launch_with("browser_deep_link", &env).await;

    app.click("[data-testid=add-first-account]").await;
    app.fill(
        "[data-testid=oauth-form] input[name=oauthAccount]",
        &a.handle,
    )
    .await;
    app.click("[data-testid=oauth-submit]").await;
    app.el(&overview_of(&a.did)).await;
    app.el("[data-testid=session-auth-kind][data-auth-kind=oauth]")
        .await;
    app.shot("deep-link-account-overview").await;
    let log = std::fs::read_to_string(app.artifacts.join("app.log")).unwrap_or_default();
    assert!(
        log.contains("deep link received"),
        "the callback came through the deep link:\n{log}"
    );

    app.click("[data-testid=settings]").await;
    app.el("[data-testid=oauth-settings][data-client-kind=hosted]")
        .await;
    app.shot("settings-hosted-client").await;
    app.close().await;
}

/// The account screen's management sections against the real PDS: create an app password (it
/// signs in), revoke it (its refresh is refused), change the handle (verified both ways), and
/// deactivate then reactivate the account.
#[tokio::test(flavor = "multi_thread")]
async fn manage_app_passwords_handle_and_activation() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch("manage_account").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;

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
    let mut env = browser_env(&a);
    env.push(("STRATOS_OAUTH_CLIENT_ID".into(), client_id.into()));
    env.push((
        "STRATOS_TEST_DEEP_LINK_HANDLER".into(),
        env!("CARGO_BIN_EXE_stratos-app").into(),
    ));
    let app = App::launch_with("devices_and_apps", &env).await;
    app.click("[data-testid=add-first-account]").await;
    app.fill(
        "[data-testid=oauth-form] input[name=oauthAccount]",
        &a.handle,
    )
    .await;
    app.click("[data-testid=oauth-submit]").await;
    app.el(&overview_of(&a.did)).await;

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
    let elsewhere_dir = tempfile::tempdir().unwrap();
    let elsewhere_env = net.env();
    let elsewhere = stratos_core::Accounts::open(
        stratos_core::Config::from_lookup(|k| match k {
            "STRATOS_DATA_DIR" => Some(elsewhere_dir.path().display().to_string()),
            "STRATOS_KEYRING_SERVICE" => Some("stratos-e2e-devices-elsewhere".into()),
            _ => elsewhere_env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone()),
        })
        .unwrap(),
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
    app.click("[data-testid=devices-refresh]").await;
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

/// Security: confirm the email with the mailed code, turn on the emailed sign-in code (the
/// server then asks for one), and change the password through the emailed reset code.
#[tokio::test(flavor = "multi_thread")]
async fn security_email_sign_in_code_and_password() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let app = App::launch("security").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;
    let seen = |subject: &'static str| {
        let (net, email) = (net, a.email.clone());
        async move {
            net.mails(&email)
                .await
                .iter()
                .filter(|m| m.subject.contains(subject))
                .count()
        }
    };

    app.click("[data-testid=tab-security]").await;
    app.el("[data-testid=email-status][data-confirmed=false]")
        .await;
    let before = seen(subjects::EMAIL_CONFIRMATION).await;
    app.click("[data-testid=email-confirm-start]").await;
    let code = net
        .wait_mail(&a.email, subjects::EMAIL_CONFIRMATION, before)
        .await
        .code
        .expect("code");
    app.fill(
        "[data-testid=email-confirm-form] input[name=emailCode]",
        &code,
    )
    .await;
    app.click("[data-testid=email-confirm-submit]").await;
    app.el("[data-testid=email-status][data-confirmed=true]")
        .await;

    let before = seen(subjects::EMAIL_UPDATE).await;
    app.click("[data-testid=two-factor-toggle]").await;
    let code = net
        .wait_mail(&a.email, subjects::EMAIL_UPDATE, before)
        .await
        .code
        .expect("code");
    app.fill(
        "[data-testid=two-factor-form] input[name=twoFactorCode]",
        &code,
    )
    .await;
    app.click("[data-testid=two-factor-submit]").await;
    app.el("[data-testid=two-factor-toggle][data-enabled=true]")
        .await;
    app.shot("email-confirmed-and-sign-in-code-on").await;
    let asked = net
        .create_session(&a.pds_url, &a.handle, &a.password, None)
        .await
        .unwrap_err();
    assert_eq!(
        asked.error, "AuthFactorTokenRequired",
        "sign-in now needs the emailed code"
    );

    let before = seen(subjects::PASSWORD_RESET).await;
    app.click("[data-testid=password-reset-start]").await;
    let code = net
        .wait_mail(&a.email, subjects::PASSWORD_RESET, before)
        .await
        .code
        .expect("code");
    let new_password = format!("{}-Longer-And-Stranger-42!", a.password);
    app.fill(
        "[data-testid=password-reset-form] input[name=resetCode]",
        &code,
    )
    .await;
    app.fill(
        "[data-testid=password-reset-form] input[name=newPassword]",
        &new_password,
    )
    .await;
    app.fill(
        "[data-testid=password-reset-form] input[name=newPasswordAgain]",
        &new_password,
    )
    .await;
    app.el("[data-testid=password-strength][data-score='4']")
        .await;
    app.shot("password-reset-strong").await;
    app.click("[data-testid=password-reset-submit]").await;
    app.el("[data-testid=password-reset-done]").await;
    let old = net
        .create_session(&a.pds_url, &a.handle, &a.password, None)
        .await
        .unwrap_err();
    assert_eq!(
        old.error, "AuthenticationRequired",
        "the old password is refused"
    );
    let new = net
        .create_session(&a.pds_url, &a.handle, &new_password, None)
        .await
        .unwrap_err();
    assert_eq!(
        new.error, "AuthFactorTokenRequired",
        "the new password is accepted (then the code)"
    );
    app.close().await;
}

/// Tools: a service-auth token from the PDS with its claims, the missing-blobs check, and a backup
/// written to a folder.
#[tokio::test(flavor = "multi_thread")]
async fn tools_service_auth_blobs_and_backup() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch("tools").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;
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
    let app = App::launch("migration_wizard").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;

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
    app.shot("migration-verified-code-step").await;
    let code = net
        .wait_mail(&a.email, subjects::PLC_OPERATION, seen)
        .await
        .code
        .expect("a PLC code");

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

/// Deleting from the window: the backup hint opens the Tools tab; then the emailed code, the
/// password and the handle typed out delete the account on the PDS, and Stratos forgets it.
#[tokio::test(flavor = "multi_thread")]
async fn delete_account_from_the_window() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch("delete_account").await;
    app.click("[data-testid=add-first-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;

    app.click("[data-testid=tab-danger]").await;
    app.el("[data-testid=delete-backup-note]").await;
    app.shot("delete-start").await;
    app.click("[data-testid=delete-backup-open]").await;
    app.el("[data-testid=tab-tools][aria-selected=true]").await;
    app.el("[data-testid=tools-section]").await;

    app.click("[data-testid=tab-danger]").await;
    let seen = net.count_mails(&a.email, subjects::ACCOUNT_DELETION).await;
    app.click("[data-testid=delete-request]").await;
    app.el("[data-testid=delete-form]").await;
    let code = net
        .wait_mail(&a.email, subjects::ACCOUNT_DELETION, seen)
        .await
        .code
        .expect("a deletion code");
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
