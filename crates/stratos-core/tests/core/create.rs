//! Creating accounts on the real PDS: the form from describeServer, live handle checks, a new
//! account with and without a recovery key (first in its PLC rotation keys), refusals, and the
//! browser sign-up (`prompt=create`) for servers that need their own page.

use stratos_core::config::oauth_client::Redirect;
use stratos_core::create::{self, CreateError, NewAccount};
use stratos_core::keys::{self, KeyType};
use stratos_core::plc;

use crate::World;

/// How the authorize page embeds its mode (JSON inside a JS string, so the quotes are escaped).
const SIGN_UP_MODE: &str = r#"\"promptMode\":\"create\""#;

/// A handle label nobody has yet.
fn label() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("c{:x}", n % 0xfff_ffff_ffff)
}

fn new_account(pds_url: &str, domain: &str, recovery: Option<KeyType>) -> NewAccount {
    let l = label();
    NewAccount {
        pds_host: pds_url.to_owned(),
        handle: format!("{l}{domain}"),
        email: format!("{l}@example.com"),
        password: format!("pw-{l}-long-enough"),
        invite_code: None,
        recovery_key: recovery,
    }
}

/// The form lists the server's domains; a free handle is available until the account exists.
/// Created without a recovery key, the account is signed in and its DID has the PDS key only.
#[tokio::test]
async fn create_without_a_recovery_key_signs_in() {
    let w = World::start();
    let pds = w.net.pds1();
    let form = create::describe(&w.accounts, &pds.url)
        .await
        .expect("describe");
    assert_eq!(form.domains, vec![pds.domain.clone()]);
    assert_eq!(form.server_did, pds.did);
    assert!(!form.invite_code_required && !form.phone_verification_required);

    let new = new_account(&pds.url, &pds.domain, None);
    let check = create::check_handle(&w.accounts, &form, &new.handle.to_uppercase())
        .await
        .unwrap();
    assert!(check.available, "{check:?}");
    assert_eq!(check.handle, new.handle);

    let created = create::create(&w.accounts, new.clone())
        .await
        .expect("create");
    assert_eq!(created.account.handle, new.handle);
    assert!(created.recovery_key.is_none());
    let state = w.accounts.state().unwrap();
    assert_eq!(
        state.selected.as_deref(),
        Some(created.account.did.as_str())
    );
    w.accounts
        .check_auth(None)
        .await
        .expect("the session works");
    let data = plc::current(&w.accounts, &created.account.did)
        .await
        .unwrap();
    assert_eq!(data.fields.rotation_keys.len(), 1, "{data:?}");
    assert!(keys::list(&w.accounts).unwrap().is_empty());

    let again = create::check_handle(&w.accounts, &form, &new.handle)
        .await
        .unwrap();
    assert!(!again.available, "{again:?}");
    assert_eq!(again.reason.as_deref(), Some("already taken"));
}

/// With a recovery key, the key is made in the keychain and stands first in the new DID's
/// rotation keys, above the PDS's own key.
#[tokio::test]
async fn create_with_a_recovery_key_puts_it_first() {
    let w = World::start();
    let pds = w.net.pds2();
    for kind in [KeyType::K256, KeyType::P256] {
        let new = new_account(&pds.url, &pds.domain, Some(kind));
        let created = create::create(&w.accounts, new).await.expect("create");
        let key = created.recovery_key.expect("a recovery key");
        assert_eq!(key.kind, kind);
        let data = plc::current(&w.accounts, &created.account.did)
            .await
            .unwrap();
        assert_eq!(data.fields.rotation_keys.len(), 2, "{data:?}");
        assert_eq!(data.fields.rotation_keys[0], key.did_key);
        assert_eq!(
            keys::load(&w.accounts, &key.did_key)
                .await
                .unwrap()
                .did_key(),
            key.did_key
        );
    }
    assert_eq!(keys::list(&w.accounts).unwrap().len(), 2);
}

/// Taken and invalid handles, foreign domains and a used email are explained; a refused
/// creation leaves no recovery key behind.
#[tokio::test]
async fn refusals_are_explained() {
    let w = World::start();
    let pds = w.net.pds1();
    let existing = w.net.create_account(pds).await;
    let form = create::describe(&w.accounts, &pds.url).await.unwrap();

    let mut taken = new_account(&pds.url, &pds.domain, Some(KeyType::K256));
    taken.handle = existing.handle.clone();
    let err = create::create(&w.accounts, taken).await.unwrap_err();
    assert!(matches!(err, CreateError::HandleTaken { .. }), "{err}");
    assert_eq!(stratos_core::Explain::explain(&err).code, "handle_taken");
    assert!(keys::list(&w.accounts).unwrap().is_empty(), "no orphan key");

    let mut email = new_account(&pds.url, &pds.domain, None);
    email.email = existing.email.clone();
    let err = create::create(&w.accounts, email).await.unwrap_err();
    assert!(matches!(err, CreateError::EmailTaken { .. }), "{err}");

    for (handle, code) in [
        (format!("ab{}", pds.domain), "bad_handle"),
        ("alice.example.com".to_owned(), "unsupported_domain"),
    ] {
        let err = create::check_handle(&w.accounts, &form, &handle)
            .await
            .unwrap_err();
        assert_eq!(
            stratos_core::Explain::explain(&err).code,
            code,
            "{handle}: {err}"
        );
        let mut bad = new_account(&pds.url, &pds.domain, None);
        bad.handle = handle.clone();
        let err = create::create(&w.accounts, bad).await.unwrap_err();
        assert_eq!(
            stratos_core::Explain::explain(&err).code,
            code,
            "{handle}: {err}"
        );
    }
    assert!(w.accounts.state().unwrap().accounts.is_empty());
}

/// Browser sign-up: the pushed request carries `prompt=create`, so the PDS's authorize page opens
/// in its sign-up mode.
#[tokio::test]
async fn browser_sign_up_opens_the_sign_up_page() {
    let w = World::start();
    let listener = stratos_core::auth::oauth::callback::LoopbackListener::bind()
        .await
        .unwrap();
    let started = w
        .accounts
        .oauth_sign_up(
            &w.net.pds1().url,
            Redirect::Loopback {
                port: listener.port(),
            },
        )
        .await
        .expect("sign-up starts");
    assert!(
        started.authorize_url.contains("request_uri="),
        "{started:?}"
    );
    let page = reqwest::Client::new()
        .get(&started.authorize_url)
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .header("sec-fetch-site", "none")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(SIGN_UP_MODE),
        "the authorize page is in sign-up mode: {}",
        html.find("promptMode")
            .map(|i| &html[i.saturating_sub(200)..(i + 200).min(html.len())])
            .unwrap_or("no promptMode")
    );

    // A normal sign-in is not.
    let acct = w.net.create_account(w.net.pds1()).await;
    let normal = w
        .accounts
        .oauth_start(
            &acct.handle,
            Redirect::Loopback {
                port: listener.port(),
            },
        )
        .await
        .unwrap();
    let html = reqwest::Client::new()
        .get(&normal.authorize_url)
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .header("sec-fetch-site", "none")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("promptMode"), "page data present");
    assert!(!html.contains(SIGN_UP_MODE));
}
