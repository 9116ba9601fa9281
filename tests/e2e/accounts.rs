//! Accounts in the window: signing in with a password (2FA included) or the browser (loopback
//! and deep link), mistakes explained, switching between accounts, signing out.

use std::time::Duration;

use stratos_testkit::{Network, subjects};

use crate::support::app::{App, poll_until};
use crate::support::flows::{
    FORM, browser_env, closed_port_url, hosted_client_env, overview_of, sign_in,
    sign_in_first_with_browser, use_password,
};

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
    assert_eq!(app.full_text("[data-testid=overview-did]").await, a.did);
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
    let seen = net.count_mails(&b.email, subjects::SIGN_IN_CODE).await;
    app.click("[data-testid=add-account]").await;
    use_password(&app).await;
    sign_in(&app, &b.handle, &b.password).await;
    app.el("[data-testid=auth-factor-form]").await;
    app.shot("two-factor-step").await;
    let code = net.wait_code(&b.email, subjects::SIGN_IN_CODE, seen).await;
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
    assert_eq!(app.count("[data-testid=account-row]").await, 2);
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

    let dead = closed_port_url();
    app.click(&format!("{FORM} details.advanced summary")).await;
    app.fill(&format!("{FORM} input[name=pdsHost]"), &dead)
        .await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el("[data-testid=form-error][data-code=pds_unreachable]")
        .await;
    // The button to try again stays in view below the error.
    let in_view = app
        .client
        .execute(
            "const r = document.querySelector('[data-testid=add-account-form] button[type=submit]').getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight];",
            vec![],
        )
        .await
        .expect("script runs");
    let (top, bottom, height) = (
        in_view[0].as_f64().unwrap(),
        in_view[1].as_f64().unwrap(),
        in_view[2].as_f64().unwrap(),
    );
    assert!(
        top >= 0.0 && bottom <= height + 1.0,
        "Sign in stays in view: {in_view}"
    );
    // Plain words first; the system's own words folded away under Details.
    let message = app.text("[data-testid=form-error] .callout-title").await;
    assert!(
        message.contains("nothing answers at that address") && !message.contains("os error"),
        "{message}"
    );
    app.click("[data-testid=form-error] [data-testid=error-details] summary")
        .await;
    let details = app
        .text("[data-testid=form-error] [data-testid=error-details]")
        .await;
    assert!(
        details.contains("os error 111") && details.contains("pds_unreachable"),
        "{details}"
    );
    app.shot("unreachable-pds").await;

    let did = net.did_without_pds().await;
    app.fill(&format!("{FORM} input[name=pdsHost]"), "").await;
    sign_in(&app, &did, "whatever").await;
    app.el("[data-testid=form-error][data-code=no_pds]").await;
    app.shot("did-without-pds").await;

    assert_eq!(app.count("[data-testid=account-row]").await, 0);
    app.close().await;
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
    let env = hosted_client_env(&a, client_id);
    let app = App::launch_with("browser_deep_link", &env).await;

    sign_in_first_with_browser(&app, &a).await;
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

/// Cancel on a browser sign-in cancels: the window goes back to the form without an error, and
/// when the browser approves afterwards (the deep link reaching the running app, as the OS
/// delivers it), the sign-in is refused, said so in the window, and no account is added.
#[tokio::test(flavor = "multi_thread")]
async fn cancelled_browser_sign_in_refuses_a_late_approval() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let client_id = "https://stratos-cancel.mytestapp.com/client-metadata.json";
    let doc =
        stratos_core::config::oauth_client::hosted_document(&url::Url::parse(client_id).unwrap())
            .unwrap();
    net.register_client_metadata(client_id, &doc).await;
    // The browser "opens" and does nothing: the person has not approved yet.
    let env = vec![
        ("BROWSER".to_owned(), "/bin/true".to_owned()),
        ("STRATOS_OAUTH_CLIENT_ID".to_owned(), client_id.to_owned()),
    ];
    let app = App::launch_with("browser_cancel", &env).await;

    app.click("[data-testid=add-first-account]").await;
    app.fill(
        "[data-testid=oauth-form] input[name=oauthAccount]",
        &a.handle,
    )
    .await;
    app.click("[data-testid=oauth-submit]").await;
    app.el("[data-testid=oauth-waiting]").await;
    // The whole link is the element's title (its text is elided to fit).
    let authorize_url = app
        .el("[data-testid=oauth-url]")
        .await
        .attr("title")
        .await
        .expect("the link's title is readable")
        .expect("the link has a title");
    assert!(authorize_url.starts_with("http"), "{authorize_url}");
    app.shot("waiting-for-browser").await;
    app.click("[data-testid=oauth-cancel]").await;
    app.el("[data-testid=oauth-form]").await;
    assert_eq!(
        app.count("[data-testid=oauth-form] [data-testid=form-error]")
            .await,
        0,
        "cancelling shows no error"
    );
    app.shot("cancelled").await;

    // The person approves in the browser anyway; the OS hands the deep link to Stratos.
    let (ok, callback, err) = net.browse(&authorize_url, &a, "approve").await;
    assert!(ok, "the browser robot failed: {err}");
    assert!(
        callback.starts_with("com.mytestapp.stratos-cancel:"),
        "{callback}"
    );
    let delivered = app
        .desktop
        .command(env!("CARGO_BIN_EXE_stratos-app"))
        .arg(&callback)
        .env("STRATOS_DATA_DIR", &app.data_dir)
        .env("STRATOS_KEYRING_SERVICE", "stratos-e2e-browser_cancel")
        .envs(env.iter().cloned())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the deep link is handed to Stratos");
    assert!(delivered.success(), "{delivered:?}");

    app.el("[data-testid=oauth-form] [data-testid=form-error][data-code=oauth_cancelled_here]")
        .await;
    app.shot("late-approval-refused").await;
    assert_eq!(
        app.count("[data-testid=account-row]").await,
        0,
        "no account was added"
    );
    app.close().await;
}
