//! Devices and apps through the reference PDS's account-manager API: sign in, list, revoke, each
//! proven by what the server does afterwards; and a server without the API.

use stratos_core::devices::{self, DevicesError};
use stratos_core::store::keychain::{SecretStore, Slot};
use stratos_core::{AccountsError, Explain};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{World, login};

/// Before signing in the API asks for it; a wrong password is named; after signing in the device
/// list shows Stratos itself as the current device, and the cookies live in the keychain.
#[tokio::test]
async fn sign_in_then_list_devices_and_revoke_another_device() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;

    let before = devices::devices(&w.accounts, &acct.did).await.unwrap_err();
    assert!(matches!(before, DevicesError::SignInNeeded), "{before:?}");
    assert_eq!(before.explain().code, "devices_sign_in_needed");
    let wrong = devices::sign_in(&w.accounts, &acct.did, "not-the-password", None)
        .await
        .unwrap_err();
    assert_eq!(wrong.explain().code, "devices_wrong_password", "{wrong:?}");

    devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .expect("sign in to the account manager");
    let stored = w
        .keychain
        .get(&format!("{}#account-manager", acct.did))
        .unwrap()
        .expect("device cookies in the keychain");
    assert!(stored.contains("dev-id") && !stored.contains(&acct.password));
    let on_disk = std::fs::read_to_string(w.accounts.context().state_file().path()).unwrap();
    assert!(!on_disk.contains("dev-id"), "no cookies in the state file");

    // Another process reuses the stored device without a password.
    let listed = devices::devices(&w.reopen(), &acct.did)
        .await
        .expect("list devices");
    let current: Vec<_> = listed.iter().filter(|d| d.is_current).collect();
    assert_eq!(current.len(), 1, "{listed:?}");
    assert!(
        current[0]
            .user_agent
            .as_deref()
            .unwrap_or("")
            .contains("Stratos")
    );

    // A second device: another Stratos (own data folder and keychain service) signs in too.
    let other = World::start();
    other
        .accounts
        .login_password(login(&acct.handle, &acct.password))
        .await
        .expect("login elsewhere");
    devices::sign_in(&other.accounts, &acct.did, &acct.password, None)
        .await
        .expect("second device signs in");
    let listed = devices::devices(&w.accounts, &acct.did).await.unwrap();
    let second = listed
        .iter()
        .find(|d| !d.is_current)
        .unwrap_or_else(|| panic!("the second device is listed: {listed:?}"))
        .device_id
        .clone();
    assert_eq!(listed.len(), 2, "{listed:?}");

    devices::revoke_device(&w.accounts, &acct.did, &second)
        .await
        .expect("revoke the second device");
    let listed = devices::devices(&w.accounts, &acct.did).await.unwrap();
    assert!(listed.iter().all(|d| d.device_id != second), "{listed:?}");
    let again = devices::revoke_device(&w.accounts, &acct.did, &second)
        .await
        .unwrap_err();
    assert_eq!(again.explain().code, "devices_not_found", "{again:?}");
    // The revoked device's cookies no longer work: it has to sign in again.
    let gone = devices::devices(&other.accounts, &acct.did)
        .await
        .unwrap_err();
    assert!(matches!(gone, DevicesError::SignInNeeded), "{gone:?}");

    devices::forget(&w.accounts, &acct.did).await.unwrap();
    assert!(matches!(
        devices::apps(&w.accounts, &acct.did).await.unwrap_err(),
        DevicesError::SignInNeeded
    ));

    // Sign-out removes the device cookies from the keychain along with the session.
    devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .unwrap();
    assert!(w.secret(&Slot::AccountManager(&acct.did).name()).is_some());
    w.accounts.logout(Some(&acct.did)).await.expect("logout");
    assert!(
        w.secret(&Slot::AccountManager(&acct.did).name()).is_none(),
        "no cookies left behind"
    );
}

/// A browser sign-in shows up as an app with Stratos's client id and scopes; revoking it ends that
/// OAuth session on the server (the next call fails).
#[tokio::test]
async fn oauth_app_is_listed_and_revoking_it_ends_its_session() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    w.browser_sign_in(&acct).await;
    let record = w.accounts.find(Some(&acct.did)).unwrap();
    let granted = record.oauth.expect("oauth facts").scope;
    w.accounts.check_auth(Some(&acct.did)).await.expect("works");

    devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .expect("sign in to the account manager");
    let apps = devices::apps(&w.accounts, &acct.did).await.expect("apps");
    assert_eq!(apps.len(), 1, "{apps:?}");
    let app = &apps[0];
    assert!(
        app.client_id.starts_with("http://localhost"),
        "Stratos's loopback client: {app:?}"
    );
    let scope = app.scope.as_deref().unwrap_or("");
    for s in granted.split(' ') {
        assert!(scope.split(' ').any(|x| x == s), "{s} in {scope}");
    }
    assert!(app.active);

    devices::revoke_app(&w.accounts, &acct.did, &app.token_id)
        .await
        .expect("revoke the app");
    assert!(
        devices::apps(&w.accounts, &acct.did)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = w.reopen().check_auth(Some(&acct.did)).await.unwrap_err();
    assert!(
        matches!(dead, AccountsError::Session(_)),
        "the revoked OAuth session no longer works: {dead:?}"
    );
}

/// TEST DOUBLE: a tiny HTTP server standing in for a PDS without the account-manager API; it
/// answers every request with a 404 HTML page, as a non-reference PDS does.
async fn no_api_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let body = "<html><body>Not Found</body></html>";
                let _ = conn
                    .write_all(
                        format!(
                            "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// A PDS without the API is reported as unsupported, with its account page as the way out.
#[tokio::test]
async fn a_server_without_the_api_is_unsupported() {
    let w = World::start();
    let double = no_api_server().await;
    let err = devices::issuer(&w.accounts, &double).await.unwrap_err();
    let DevicesError::Unsupported { account_page } = &err else {
        panic!("unsupported: {err:?}")
    };
    assert_eq!(account_page, &format!("{double}/account"));
    let problem = err.explain();
    assert_eq!(problem.code, "devices_unsupported");
    assert!(problem.hint.unwrap().contains(&format!("{double}/account")));

    // A signed-in account whose PDS moved to such a server: every operation says the same.
    let acct = w.signed_in(w.net.pds1()).await;
    let did = acct.did.clone();
    let pds = double.clone();
    w.accounts
        .context()
        .state_file()
        .update(move |s| {
            s.accounts
                .iter_mut()
                .filter(|a| a.did == did)
                .for_each(|a| a.pds_url = pds.clone())
        })
        .unwrap();
    let err = devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "devices_unsupported", "{err:?}");
    let err = devices::devices(&w.accounts, &acct.did).await.unwrap_err();
    assert_eq!(err.explain().code, "devices_unsupported", "{err:?}");
}

/// The background check notices what appeared since the previous check: another device signing
/// in, and an app being given access. The first check only records what is there.
#[tokio::test]
async fn new_devices_and_apps_are_noticed() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .unwrap();
    assert!(
        stratos_core::devices::watch::new_sessions(&w.accounts)
            .await
            .is_empty(),
        "the first check is a baseline"
    );
    assert!(
        stratos_core::devices::watch::new_sessions(&w.accounts)
            .await
            .is_empty(),
        "nothing changed"
    );

    let elsewhere = World::start();
    let request = login(&acct.handle, &acct.password);
    elsewhere.accounts.login_password(request).await.unwrap();
    devices::sign_in(&elsewhere.accounts, &acct.did, &acct.password, None)
        .await
        .unwrap();
    let other_device = devices::devices(&elsewhere.accounts, &acct.did)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.is_current)
        .unwrap()
        .device_id;
    w.browser_sign_in(&acct).await;

    let new = stratos_core::devices::watch::new_sessions(&w.accounts).await;
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].did, acct.did);
    assert!(
        new[0].devices.iter().any(|d| d.device_id == other_device),
        "{new:?}"
    );
    assert_eq!(
        new[0].apps.len(),
        1,
        "the browser sign-in is a new app: {new:?}"
    );
    assert!(
        stratos_core::devices::watch::new_sessions(&w.accounts)
            .await
            .is_empty(),
        "reported once"
    );
}

/// An app that publishes a logo shows it: Stratos fetches it and hands the UI a `data:` URL
/// (the app's CSP loads no remote images). Logos that are not images or too large are skipped.
#[tokio::test]
async fn app_logo_is_fetched_for_the_apps_list() {
    let net = stratos_testkit::Network::shared();
    // A host of its own per run: the PDS caches a client's metadata by its id.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let client_id = format!("https://logo{run}.mytestapp.com/client-metadata.json");
    let client_id = client_id.as_str();
    let mut doc =
        stratos_core::config::oauth_client::hosted_document(&url::Url::parse(client_id).unwrap())
            .unwrap();
    doc["client_name"] = "Logo Test App".into();
    doc["logo_uri"] = net.image_url("png", 4000).into();
    net.register_client_metadata(client_id, &doc).await;
    let w = World::start_with(&[("STRATOS_OAUTH_CLIENT_ID", client_id)]);
    let acct = w.net.create_account(w.net.pds1()).await;
    w.browser_sign_in(&acct).await;
    devices::sign_in(&w.accounts, &acct.did, &acct.password, None)
        .await
        .expect("sign in to the account manager");

    let apps = devices::apps(&w.accounts, &acct.did).await.expect("apps");
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(apps[0].client_name.as_deref(), Some("Logo Test App"));
    let logo = apps[0].logo.as_deref().expect("the logo is fetched");
    let b64 = logo
        .strip_prefix("data:image/png;base64,")
        .unwrap_or_else(|| panic!("a PNG data URL: {}", &logo[..40.min(logo.len())]));
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    assert_eq!(bytes.len(), 4000);
    assert_eq!(&bytes[1..4], b"PNG");

    let http = reqwest::Client::new();
    let logo = stratos_core::net::image::data_url;
    assert!(logo(&http, &net.image_url("html", 0)).await.is_none());
    let too_big = stratos_core::net::image::MAX_BYTES + 1;
    assert!(logo(&http, &net.image_url("png", too_big)).await.is_none());
    assert!(logo(&http, "ftp://example.com/logo.png").await.is_none());
    assert!(logo(&http, "http://127.0.0.1:9/logo.png").await.is_none());
}
