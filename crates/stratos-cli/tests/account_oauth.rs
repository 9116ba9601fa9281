//! `stratos account login --oauth`: the browser sign-in from the command line, against the real
//! PDS authorize page driven by headless Chromium (`tests/network/oauth-browser.sh` as `$BROWSER`).

mod common;

use std::process::Stdio;

use common::Home;
use serde_json::Value;
use stratos_testkit::Network;
use tokio::io::AsyncWriteExt;

/// With the loopback redirect the CLI opens `$BROWSER`, takes the callback on 127.0.0.1, stores
/// an OAuth session, and the session works for check-auth and is revoked by logout.
#[tokio::test]
async fn oauth_login_with_loopback_then_check_auth_and_logout() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let out = home.oauth_login(&acct).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "login failed: {stderr}");
    assert!(
        stderr.contains("/oauth/authorize?"),
        "the address is printed: {stderr}"
    );
    let record: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(record["did"], acct.did.as_str());
    assert_eq!(record["authKind"], "oauth");
    assert!(
        record["oauth"]["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == "atproto")
    );

    let check = home
        .run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    assert_eq!(check["did"], acct.did.as_str());
    assert_eq!(check["email"], acct.email.as_str());

    let logout = home.run(&["--json", "account", "logout"]).await.ok_json();
    assert_eq!(logout["revokedOnServer"], true, "{logout}");
}

/// When the browser cannot reach the terminal (deep-link redirect, another machine), the address
/// the browser ends on can be pasted into the waiting CLI.
#[tokio::test]
async fn oauth_login_accepts_a_pasted_callback() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let client_id = "https://cli.mytestapp.com/client-metadata.json";
    let doc =
        stratos_core::config::oauth_client::hosted_document(&url::Url::parse(client_id).unwrap())
            .unwrap();
    net.register_client_metadata(client_id, &doc).await;
    let home = Home::new();
    // `$BROWSER` is a script that only records the address, as a browser elsewhere would.
    let seen = home.path().join("authorize-url");
    let fake_browser = home.path().join("record-url.sh");
    std::fs::write(
        &fake_browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", seen.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake_browser, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut child = home
        .command(&[
            "--json",
            "account",
            "login",
            "--oauth",
            "--redirect",
            "deep-link",
            &acct.handle,
        ])
        .env("STRATOS_OAUTH_CLIENT_ID", client_id)
        .env("BROWSER", &fake_browser)
        .stdin(Stdio::piped())
        .spawn()
        .expect("stratos runs");
    // Wait for the recorded address (the CLI writes it before waiting for the callback).
    let mut authorize = String::new();
    let appeared = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
        loop {
            tick.tick().await;
            if let Ok(s) = std::fs::read_to_string(&seen)
                && !s.is_empty()
            {
                return s;
            }
        }
    })
    .await;
    authorize.push_str(&appeared.expect("the CLI opened the browser"));
    // The person signs in elsewhere; the browser ends on the app's deep link, which they copy.
    let (ok, callback, err) = net.browse(&authorize, &acct, "approve").await;
    assert!(ok, "browser robot: {err}");
    assert!(
        callback.starts_with("com.mytestapp.cli:/oauth/callback?"),
        "{callback}"
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{callback}\n").as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(record["did"], acct.did.as_str());
    assert_eq!(record["authKind"], "oauth");
}
