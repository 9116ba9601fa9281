//! The steps many tests share, written once: signing in through the window (password or
//! browser), the environment a browser sign-in needs, and saving the settings form.

use stratos_testkit::{Network, TestAccount};

use super::app::App;

/// The password form of the add-account screen.
pub const FORM: &str = "[data-testid=add-account-form]";
/// The settings form.
pub const SETTINGS: &str = "[data-testid=settings-form]";

/// Reveals the password form under "Use a password instead" (browser sign-in comes first).
pub async fn use_password(app: &App) {
    app.click("[data-testid=use-password]").await;
    app.el(FORM).await;
}

/// Fills the password form with `id` and `password` and submits it.
pub async fn sign_in(app: &App, id: &str, password: &str) {
    app.fill(&format!("{FORM} input[name=identifier]"), id)
        .await;
    app.fill(&format!("{FORM} input[name=password]"), password)
        .await;
    app.click("[data-testid=login-submit]").await;
}

/// The account screen of `did`, once its overview is shown.
pub fn overview_of(did: &str) -> String {
    format!("[data-testid=overview][data-did='{did}']")
}

/// From the welcome screen: "Add account", the password form, signed in as `acct`, its
/// overview shown.
pub async fn sign_in_first_account(app: &App, acct: &TestAccount) {
    app.click("[data-testid=add-first-account]").await;
    use_password(app).await;
    sign_in(app, &acct.handle, &acct.password).await;
    app.el(&overview_of(&acct.did)).await;
}

/// From the sidebar: "Add account", the password form, signed in as `acct`, its overview shown.
pub async fn add_account_by_password(app: &App, acct: &TestAccount) {
    app.click("[data-testid=add-account]").await;
    use_password(app).await;
    sign_in(app, &acct.handle, &acct.password).await;
    app.el(&overview_of(&acct.did)).await;
}

/// The app launched for `test` ([`App::launch`]) with `acct` signed in by password as its first
/// account ([`sign_in_first_account`]).
pub async fn launch_signed_in(test: &str, acct: &TestAccount) -> App {
    let app = App::launch(test).await;
    sign_in_first_account(&app, acct).await;
    app
}

/// From the welcome screen: "Add account", "Sign in with your browser" as `acct` (the browser
/// robot of [`browser_env`] signs in and approves), its overview shown.
pub async fn sign_in_first_with_browser(app: &App, acct: &TestAccount) {
    app.click("[data-testid=add-first-account]").await;
    app.fill(
        "[data-testid=oauth-form] input[name=oauthAccount]",
        &acct.handle,
    )
    .await;
    app.click("[data-testid=oauth-submit]").await;
    app.el(&overview_of(&acct.did)).await;
}

/// The robot as `$BROWSER`, signing in as `acct`.
pub fn browser_env(acct: &TestAccount) -> Vec<(String, String)> {
    let mut env = vec![(
        "BROWSER".to_owned(),
        Network::browser_robot().display().to_string(),
    )];
    env.extend(Network::robot_env(acct, "approve"));
    env
}

/// [`browser_env`] for a hosted OAuth client `client_id` (its metadata registered with the
/// network first): the PDS redirects to the app's deep link, and the robot hands that to the
/// app binary as the OS would.
pub fn hosted_client_env(acct: &TestAccount, client_id: &str) -> Vec<(String, String)> {
    let mut env = browser_env(acct);
    env.push(("STRATOS_OAUTH_CLIENT_ID".into(), client_id.into()));
    env.push((
        "STRATOS_TEST_DEEP_LINK_HANDLER".into(),
        env!("CARGO_BIN_EXE_stratos-app").into(),
    ));
    env
}

/// Settings apply as they change: leaves the field being edited (a typed value applies when it
/// loses focus, as when a person moves on) and waits until every change has been answered.
pub async fn settle_settings(app: &App) {
    app.client
        .execute("document.activeElement?.blur();", vec![])
        .await
        .expect("script runs");
    app.el("[data-testid=settings-form][data-pending='0']")
        .await;
}

/// [`settle_settings`], and the last change was saved.
pub async fn save_settings(app: &App) {
    settle_settings(app).await;
    app.el("[data-testid=settings-saved]:not(:empty)").await;
    assert_eq!(
        app.count("[data-testid=settings-form] .setting-error")
            .await,
        0,
        "every change was saved"
    );
}

/// An `http://127.0.0.1:<port>` address where nothing listens (a dead server).
pub fn closed_port_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    dead
}
