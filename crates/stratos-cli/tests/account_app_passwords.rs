//! `stratos account app-password list|create|revoke` end to end, in text and `--json` mode,
//! against the real network: a revoked password no longer signs in, and an app-password session
//! cannot make new ones.

mod common;

use common::{Home, assert_fails, login};
use serde_json::json;
use stratos_testkit::Network;

/// `app-password create|list|revoke` in both modes; a revoked password no longer signs in.
#[tokio::test]
async fn app_password_create_list_revoke() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let run = home
        .run(&["account", "app-password", "create", "laptop"])
        .await;
    let text = run.ok();
    assert!(
        text.starts_with("Created app password \"laptop\": "),
        "{run:#?}"
    );
    assert!(text.contains("cannot be shown again"), "{run:#?}");
    let created = home
        .run(&[
            "--json",
            "account",
            "app-password",
            "create",
            "chat",
            "--privileged",
        ])
        .await
        .ok_json();
    assert_eq!(created["name"], "chat");
    assert_eq!(created["privileged"], true);
    let chat_password = created["password"].as_str().unwrap().to_owned();

    let list = home
        .run(&["--json", "account", "app-password", "list"])
        .await
        .ok_json();
    assert_eq!(list["did"], acct.did.as_str());
    let mut names: Vec<_> = list["passwords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["privileged"].clone(),
            )
        })
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        names,
        [
            ("chat".to_owned(), json!(true)),
            ("laptop".to_owned(), json!(false))
        ]
    );
    let run = home.run(&["account", "app-password", "list"]).await;
    let text = run.ok();
    assert!(
        text.lines()
            .any(|l| l.starts_with("chat") && l.ends_with("(privileged)")),
        "{run:#?}"
    );
    assert!(text.lines().any(|l| l.starts_with("laptop")), "{run:#?}");

    net.create_session(&acct.pds_url, &acct.handle, &chat_password, None)
        .await
        .expect("the app password signs in");
    let run = home
        .run(&["account", "app-password", "revoke", "chat", &acct.handle])
        .await;
    assert!(
        run.ok().contains("Revoked app password \"chat\""),
        "{run:#?}"
    );
    net.create_session(&acct.pds_url, &acct.handle, &chat_password, None)
        .await
        .expect_err("a revoked app password no longer signs in");
    let revoked = home
        .run(&["--json", "account", "app-password", "revoke", "laptop"])
        .await
        .ok_json();
    assert_eq!(revoked, json!({ "did": acct.did, "revoked": "laptop" }));
    assert_fails(
        &home,
        &["account", "app-password", "revoke", "laptop"],
        "app_password_not_found",
        "There is no app password named \"laptop\"",
    )
    .await;
}

/// Signed in with an app password, `app-password create` fails with a clear message and hint.
#[tokio::test]
async fn app_password_session_cannot_create() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let owner = Home::new();
    login(&owner, &acct).await;
    let created = owner
        .run(&["--json", "account", "app-password", "create", "cli"])
        .await
        .ok_json();
    let app_home = Home::new();
    app_home
        .run(&[
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            created["password"].as_str().unwrap(),
        ])
        .await
        .ok();
    assert_fails(
        &app_home,
        &["account", "app-password", "create", "other"],
        "app_password_session",
        "An app password session cannot create app passwords",
    )
    .await;
    let run = app_home
        .run(&["account", "app-password", "create", "other"])
        .await;
    assert!(
        run.failed()
            .contains("hint: Sign in to Stratos with the account password")
    );
}
