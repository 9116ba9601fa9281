//! Creating an account in the window: the server's form with a live handle check, a recovery key
//! saved to a file, the new account opened, and the stored key signing a service-auth token.

use std::sync::Arc;

use stratos_core::keys::PrivateKey;
use stratos_core::store::keychain::NothingStored;
use stratos_core::{Accounts, Config};
use stratos_testkit::{Network, Sandbox};

use crate::support::app::{App, poll_until};
use crate::support::flows::overview_of;

/// The new DID's rotation keys, read from the PLC directory.
async fn rotation_keys(did: &str) -> Vec<String> {
    let sandbox = Sandbox::new("e2e");
    let config = Config::from_lookup(|k| sandbox.var(k)).unwrap();
    let accounts = Accounts::with_store(config, Arc::new(NothingStored));
    stratos_core::plc::current(&accounts, did)
        .await
        .expect("the PLC directory answers")
        .fields
        .rotation_keys
}

/// Welcome → Add account → Create an account on PDS1: a taken handle is flagged while typing, a
/// free one is accepted; with a recovery key the account opens after the key is saved to a file,
/// the key stands first in the DID's rotation keys, and Tools signs a token with it.
#[tokio::test(flavor = "multi_thread")]
async fn create_account_with_a_recovery_key() {
    let net = Network::shared();
    let pds = net.pds1();
    let existing = net.create_account(pds).await;
    // Where the system's save dialog "chooses" to put the key (a native dialog cannot be driven
    // through WebDriver; debug builds take the test's choice from STRATOS_E2E_PICK).
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("recovery.txt");
    let app = App::launch_with(
        "create_account",
        &[("STRATOS_E2E_PICK".to_owned(), path.display().to_string())],
    )
    .await;
    app.click("[data-testid=add-first-account]").await;
    app.el("[data-testid=create-account-open]").await;
    app.shot("add-account").await;
    app.click("[data-testid=create-account-open]").await;
    app.el("[data-testid=create-account-screen]").await;
    app.shot("server").await;
    app.fill(
        "[data-testid=create-server-form] input[name=pdsHost]",
        &pds.url,
    )
    .await;
    app.click("[data-testid=create-server-continue]").await;
    app.el("[data-testid=create-form]").await;

    let taken = existing.handle.trim_end_matches(pds.domain.as_str());
    app.fill("[data-testid=create-form] input[name=handle]", taken)
        .await;
    app.el("[data-testid=create-handle-status][data-state=taken]")
        .await;
    app.shot("handle-taken").await;

    let label = format!(
        "e{}",
        &existing.handle[1..existing.handle.len() - pds.domain.len()]
    );
    let handle = format!("{label}{}", pds.domain);
    app.fill("[data-testid=create-form] input[name=handle]", &label)
        .await;
    app.el("[data-testid=create-handle-status][data-state=available]")
        .await;
    app.fill(
        "[data-testid=create-form] input[name=email]",
        &format!("{label}@example.com"),
    )
    .await;
    app.fill(
        "[data-testid=create-form] input[name=password]",
        "Granite-Lantern-Orbit-42",
    )
    .await;
    app.el("[data-testid=password-strength][data-score='4']")
        .await;
    app.shot("form").await;
    app.click("[data-testid=create-submit]").await;

    app.el("[data-testid=create-done]").await;
    // Not before the key is saved (or the person explicitly skips saving it).
    app.el("[data-testid=create-open-account]:disabled").await;
    app.click("[data-testid=create-skip-export]").await;
    app.el("[data-testid=create-open-account]:enabled").await;
    app.click("[data-testid=create-skip-export]").await;
    app.el("[data-testid=create-open-account]:disabled").await;
    let key = app.text("[data-testid=create-recovery-key]").await;
    assert!(key.starts_with("did:key:zQ3s"), "{key}");
    app.click("[data-testid=create-export-pick]").await;
    // The dialog answers asynchronously; the field takes the chosen file when it does.
    let wanted = serde_json::json!(path.display().to_string());
    let filled = poll_until(std::time::Duration::from_secs(30), || {
        let client = app.client.clone();
        let wanted = wanted.clone();
        async move {
            client
                .execute(
                    "return document.querySelector('[data-testid=create-export-form] input[name=keyPath]').value",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == wanted)
        }
    })
    .await;
    assert!(filled, "the chosen file fills the field");
    app.click("[data-testid=create-export]").await;
    app.el("[data-testid=create-export-done] .mono").await;
    app.el("[data-testid=create-open-account]:enabled").await;
    app.shot("recovery-key-saved").await;
    let secret = std::fs::read_to_string(&path).expect("the key file was written");
    assert_eq!(
        PrivateKey::from_multibase(&secret).unwrap().did_key(),
        key,
        "the file holds the private half of the shown key"
    );

    app.click("[data-testid=create-open-account]").await;
    let did = app.full_text("[data-testid=overview-did]").await;
    app.el(&overview_of(&did)).await;
    assert_eq!(app.text("[data-testid=overview-handle]").await, handle);
    let keys = rotation_keys(&did).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], key, "the recovery key is first");

    app.click("[data-testid=tab-tools]").await;
    app.click("[data-testid=service-auth-mode-offline]").await;
    let source = "[data-testid=service-auth-key-source]";
    app.el(&format!("{source} option[value='{key}']")).await;
    app.click(&format!("{source} option[value='{key}']")).await;
    app.fill("[data-testid=service-auth-form] input[name=aud]", &pds.did)
        .await;
    app.click("[data-testid=service-auth-submit]").await;
    app.el("[data-testid=service-auth-result]").await;
    let signed_with = app
        .text("[data-testid=service-auth-claims] [data-claim=signingKey] dd")
        .await;
    assert_eq!(signed_with, key);
    app.shot("tools-stored-key").await;
    app.close().await;
}
