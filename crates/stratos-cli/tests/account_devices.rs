//! `account devices|apps` end to end, in text and `--json` mode: Stratos's own browser sign-in is
//! listed as an app, and revoking it signs Stratos out on the server.

mod common;

use common::{Home, assert_fails};
use serde_json::Value;
use stratos_testkit::Network;

/// Lists devices and apps (the first call signs in with `--password`, later ones reuse the stored
/// device), then revokes the app: the OAuth session no longer works.
#[tokio::test]
async fn devices_and_apps_list_and_revoke_an_app() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let out = home.oauth_login(&acct).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without a password and no stored device sign-in, it says what to do.
    assert_fails(
        &home,
        &["account", "devices"],
        "devices_sign_in_needed",
        "with the account password to see",
    )
    .await;

    let devices = home
        .run(&["--json", "account", "devices", "--password", &acct.password])
        .await
        .ok_json();
    assert_eq!(devices["did"], acct.did.as_str());
    let list = devices["devices"].as_array().unwrap();
    assert!(
        list.iter().any(|d| d["isCurrent"] == true),
        "the current device is listed: {devices}"
    );
    // Text mode, with the stored device (no password).
    let run = home.run(&["account", "devices"]).await;
    let text = run.ok();
    assert!(
        text.starts_with("DEVICE ID") && text.contains("(Stratos)"),
        "{run:#?}"
    );

    let apps = home.run(&["--json", "account", "apps"]).await.ok_json();
    let list: &Vec<Value> = apps["apps"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{apps}");
    let token = list[0]["tokenId"].as_str().unwrap().to_owned();
    assert!(
        list[0]["clientId"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost"),
        "{apps}"
    );
    let run = home.run(&["account", "apps"]).await;
    let text = run.ok();
    assert!(
        text.starts_with("TOKEN ID") && text.contains(&token),
        "{run:#?}"
    );

    assert_fails(
        &home,
        &["account", "apps", "--revoke", "not-a-token"],
        "devices_not_found",
        "no app with the id",
    )
    .await;
    let revoked = home
        .run(&["--json", "account", "apps", "--revoke", &token])
        .await
        .ok_json();
    assert_eq!(revoked["revokedApp"], token.as_str());
    let apps = home.run(&["--json", "account", "apps"]).await.ok_json();
    assert_eq!(apps["apps"], serde_json::json!([]), "{apps}");
    // Stratos's own OAuth session was that app: it no longer works on the server.
    let check = home.run(&["--json", "account", "check-auth"]).await;
    assert!(!check.status.success(), "{check:#?}");
}
