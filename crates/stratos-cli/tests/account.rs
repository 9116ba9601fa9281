//! `stratos account login|logout|list|check-auth` end to end against the local PDS network and
//! a real keychain: password sign-in (by handle, DID or email, with email 2FA), two accounts on
//! two PDSes, unreachable servers, a missing keychain, and refusals.
//!
//! Run through `scripts/test.sh`, which provides `STRATOS_TESTNET_INFO` and a session bus with an
//! unlocked Secret Service. Every test has its own data folder and keychain service ([`Home`]) and
//! its own fresh accounts, so tests run in parallel without seeing each other.

mod common;

use std::process::Stdio;

use common::{Home, Relay, assert_fails, list_json, login, repo_rev, selected_json};
use serde_json::{Value, json};
use stratos_testkit::{Network, subjects, xrpc_post};
use tokio::io::AsyncWriteExt;

/// How many sign-in code mails `email` has received so far.
async fn sign_in_mails(net: &Network, email: &str) -> usize {
    net.mails(email)
        .await
        .iter()
        .filter(|m| m.subject.contains(subjects::SIGN_IN_CODE))
        .count()
}

/// Text mode: login by handle, then `list` marks the account selected, `check-auth` proves the
/// session, and `logout` revokes it so `list` is empty and `check-auth` fails.
#[tokio::test]
async fn login_by_handle_list_check_auth_logout_in_text_mode() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();

    let out = home
        .run(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .await;
    assert_eq!(
        out.ok().trim(),
        format!(
            "Signed in as {} ({}) on {}",
            acct.handle, acct.did, acct.pds_url
        )
    );

    let list = home.run(&["account", "list"]).await;
    let lines: Vec<&str> = list.ok().lines().collect();
    assert_eq!(lines.len(), 1, "{list:#?}");
    assert!(
        lines[0].starts_with("* "),
        "the only account is selected: {list:#?}"
    );
    for part in [acct.handle.as_str(), &acct.did, &acct.pds_url, "Active"] {
        assert!(lines[0].contains(part), "{part:?} missing: {list:#?}");
    }

    let check = home.run(&["account", "check-auth"]).await;
    let out = check.ok();
    assert!(
        out.starts_with(&format!(
            "Session OK for {} ({}) on {}",
            acct.handle, acct.did, acct.pds_url
        )),
        "{out}"
    );
    for line in [
        format!("{:<17}{}", "Email", acct.email),
        format!("{:<17}yes", "Active"),
        format!("{:<17}yes", "Activated"),
        format!("{:<17}yes", "DID points here"),
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "no line {line:?} in:\n{out}"
        );
    }

    let logout = home.run(&["account", "logout"]).await;
    assert_eq!(
        logout.ok().trim(),
        format!(
            "Signed out {}; the session was revoked on its server.",
            acct.did
        )
    );
    let list = home.run(&["account", "list"]).await;
    assert_eq!(
        list.ok().trim(),
        "No accounts signed in. Use `stratos account login`."
    );
    assert_fails(
        &home,
        &["account", "check-auth", &acct.handle],
        "not_signed_in",
        &format!("{} is not signed in to Stratos", acct.handle),
    )
    .await;
    assert_fails(
        &home,
        &["account", "logout"],
        "not_signed_in",
        "No account is signed in",
    )
    .await;
}

/// JSON mode: login by DID saves the session in the keychain, `list`/`check-auth` describe the
/// account, and `logout` revokes the refresh token on the PDS and deletes the keychain entry.
#[tokio::test]
async fn login_by_did_json_and_logout_revokes_the_session_on_the_server() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();

    let rec = home
        .run(&[
            "--json",
            "account",
            "login",
            "-u",
            &acct.did,
            "-p",
            &acct.password,
        ])
        .await
        .ok_json();
    assert_eq!(rec["did"], acct.did.as_str(), "{rec:#}");
    assert_eq!(rec["handle"], acct.handle.as_str(), "{rec:#}");
    assert_eq!(rec["pdsUrl"], acct.pds_url.as_str(), "{rec:#}");
    assert_eq!(rec["authKind"], "password", "{rec:#}");
    assert_eq!(rec["health"], "active", "{rec:#}");
    let tokens = home
        .stored_tokens(&acct.did)
        .await
        .expect("login stores the session in the keychain");

    let list = list_json(&home).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["did"], acct.did.as_str());
    assert_eq!(list[0]["handle"], acct.handle.as_str());
    assert_eq!(list[0]["pdsUrl"], acct.pds_url.as_str());
    for (k, v) in list[0].as_object().expect("records are objects") {
        let v = v.to_string();
        assert!(
            !v.contains(&tokens.refresh_jwt) && !v.contains(&tokens.access_jwt),
            "{k} leaks a token"
        );
    }

    let check = home
        .run(&["account", "check-auth", &acct.did, "--json"])
        .await
        .ok_json();
    assert_eq!(check["did"], acct.did.as_str(), "{check:#}");
    assert_eq!(check["handle"], acct.handle.as_str(), "{check:#}");
    assert_eq!(check["pdsUrl"], acct.pds_url.as_str(), "{check:#}");
    assert_eq!(check["email"], acct.email.as_str(), "{check:#}");
    assert_eq!(check["active"], true, "{check:#}");
    assert_eq!(check["activated"], true, "{check:#}");
    assert_eq!(check["validDid"], true, "{check:#}");
    assert_eq!(check["repoRev"], repo_rev(&acct).await, "{check:#}");

    let revocations = net
        .request_count("com.atproto.server.deleteSession", &acct.did)
        .await;
    let out = home
        .run(&["--json", "account", "logout", &acct.handle])
        .await
        .ok_json();
    assert_eq!(
        out,
        json!({ "did": acct.did, "revokedOnServer": true, "serverError": null })
    );
    assert_eq!(
        net.request_count("com.atproto.server.deleteSession", &acct.did)
            .await,
        revocations + 1,
        "logout calls deleteSession once"
    );
    let refused = xrpc_post(
        &acct.pds_url,
        "com.atproto.server.refreshSession",
        &Value::Null,
        Some(&tokens.refresh_jwt),
    )
    .await
    .expect_err("the PDS no longer accepts the signed-out refresh token");
    assert!(
        matches!(refused.status, 400 | 401),
        "refused as a bad token: {refused}"
    );
    xrpc_post(
        &acct.pds_url,
        "com.atproto.server.refreshSession",
        &Value::Null,
        Some(&acct.refresh_jwt),
    )
    .await
    .expect("logout revokes only Stratos's session, not the account's other sessions");
    assert!(
        home.stored_tokens(&acct.did).await.is_none(),
        "logout deletes the keychain entry"
    );
    assert!(list_json(&home).await.is_empty());
    let err = home
        .run(&["--json", "account", "check-auth", &acct.did])
        .await
        .assert_error_code("not_signed_in");
    assert!(
        err["hint"]
            .as_str()
            .is_some_and(|h| h.contains("stratos account list")),
        "{err}"
    );
}

/// An email address signs in only together with `--pds-host`, and then finds the right account.
#[tokio::test]
async fn login_by_email_requires_and_uses_the_pds_host() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "login", "-u", &acct.email, "-p", &acct.password],
        "email_needs_pds",
        "An email address can only be used together with the PDS address",
    )
    .await;
    let rec = home
        .run(&[
            "--json",
            "account",
            "login",
            "-u",
            &acct.email,
            "-p",
            &acct.password,
            "--pds-host",
            &acct.pds_url,
        ])
        .await
        .ok_json();
    assert_eq!(rec["did"], acct.did.as_str(), "{rec:#}");
    assert_eq!(rec["handle"], acct.handle.as_str(), "{rec:#}");
    assert_eq!(rec["pdsUrl"], acct.pds_url.as_str(), "{rec:#}");
    let check = home
        .run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    assert_eq!(check["did"], acct.did.as_str(), "{check:#}");
    assert_eq!(check["validDid"], true, "{check:#}");
}

/// Accounts on two PDSes share one home: both are listed, each checks out against its own
/// PDS, and logging out the selected one leaves the other signed in and selected.
#[tokio::test]
async fn two_accounts_on_two_pdses_are_managed_independently() {
    let net = Network::shared();
    let (a, b) = tokio::join!(
        net.create_account(net.pds1()),
        net.create_account(net.pds2())
    );
    let home = Home::new();
    login(&home, &a).await;
    login(&home, &b).await;

    let list = list_json(&home).await;
    let dids: Vec<&str> = list.iter().filter_map(|r| r["did"].as_str()).collect();
    assert_eq!(dids, [a.did.as_str(), b.did.as_str()], "in sign-in order");
    assert_eq!(
        selected_json(&home).await.as_deref(),
        Some(b.did.as_str()),
        "the latest sign-in is selected"
    );
    let text = home.run(&["account", "list"]).await;
    let lines: Vec<&str> = text.ok().lines().collect();
    assert_eq!(lines.len(), 2, "{text:#?}");
    assert!(
        lines[0].starts_with("  ") && lines[0].contains(&a.handle),
        "{text:#?}"
    );
    assert!(
        lines[1].starts_with("* ") && lines[1].contains(&b.handle),
        "the latest sign-in is selected: {text:#?}"
    );

    for acct in [&a, &b] {
        let check = home
            .run(&["--json", "account", "check-auth", &acct.handle])
            .await
            .ok_json();
        assert_eq!(check["did"], acct.did.as_str(), "{check:#}");
        assert_eq!(check["pdsUrl"], acct.pds_url.as_str(), "{check:#}");
        assert_eq!(check["validDid"], true, "{check:#}");
    }

    let out = home
        .run(&["--json", "account", "logout", &b.handle])
        .await
        .ok_json();
    assert_eq!(out["did"], b.did.as_str());
    assert_eq!(out["revokedOnServer"], true);
    assert!(home.stored_tokens(&b.did).await.is_none());
    assert!(home.stored_tokens(&a.did).await.is_some(), "a is untouched");

    let list = list_json(&home).await;
    assert_eq!(
        selected_json(&home).await.as_deref(),
        Some(a.did.as_str()),
        "the other account is selected"
    );
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["did"], a.did.as_str());
    let text = home.run(&["account", "list"]).await;
    assert!(
        text.ok().starts_with(&format!("* {}", a.handle)),
        "the remaining account becomes selected: {text:#?}"
    );
    home.run(&["--json", "account", "check-auth", &b.did])
        .await
        .assert_error_code("not_signed_in");
    let check = home
        .run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    assert_eq!(check["did"], a.did.as_str(), "the default account is now a");
}

/// When the PDS stops answering, `check-auth` fails with `pds_unreachable` and `list` shows
/// it; `logout` still signs out locally and says the server could not be told.
#[tokio::test]
async fn an_unreachable_pds_is_reported_and_logout_still_signs_out_locally() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let relay = Relay::start(&acct.pds_url).await;
    let rec = home
        .run(&[
            "--json",
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            &acct.password,
            "--pds-host",
            &relay.url,
        ])
        .await
        .ok_json();
    assert_eq!(rec["did"], acct.did.as_str(), "{rec:#}");
    assert_eq!(
        rec["pdsUrl"],
        relay.url.as_str(),
        "the session belongs to the given host"
    );
    home.run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    let tokens = home
        .stored_tokens(&acct.did)
        .await
        .expect("login stores the session in the keychain");

    relay.cut().await;
    assert_fails(
        &home,
        &["account", "check-auth", &acct.handle],
        "pds_unreachable",
        "Could not reach 127.0.0.1",
    )
    .await;
    let list = list_json(&home).await;
    assert_eq!(list[0]["health"], "unreachable", "{list:?}");
    let text = home.run(&["account", "list"]).await;
    assert!(text.ok().contains("PDS unreachable"), "{text:#?}");

    let logout = home.run(&["account", "logout"]).await;
    let out = logout.ok();
    assert!(
        out.starts_with(&format!(
            "Signed out {} locally; the server could not be told: could not reach 127.0.0.1",
            acct.did
        )),
        "{logout:#?}"
    );
    assert!(list_json(&home).await.is_empty());
    assert!(
        home.stored_tokens(&acct.did).await.is_none(),
        "the local secrets are gone even though the server was not told"
    );
    xrpc_post(
        &acct.pds_url,
        "com.atproto.server.refreshSession",
        &Value::Null,
        Some(&tokens.refresh_jwt),
    )
    .await
    .expect("the server was not told, so its session still works");
}

/// With email 2FA on and no code to read, login fails with `auth_factor_required`; the code the
/// PDS mailed then signs in through `--auth-factor-token`.
#[tokio::test]
async fn email_2fa_without_a_code_fails_and_the_mailed_code_signs_in() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    net.enable_email_2fa(&acct).await;
    let home = Home::new();

    let seen = sign_in_mails(net, &acct.email).await;
    let run = home
        .run(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .await;
    let stderr = run.failed();
    assert!(
        stderr.contains("Enter it"),
        "the code is asked for: {run:#?}"
    );
    assert!(
        stderr.contains("The server emailed a sign-in code"),
        "{run:#?}"
    );
    let err = home
        .run(&[
            "--json",
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            &acct.password,
        ])
        .await
        .assert_error_code("auth_factor_required");
    assert!(err["hint"].as_str().is_some(), "{err}");
    assert!(
        list_json(&home).await.is_empty(),
        "nothing is saved without the code"
    );

    // Two attempts mailed two codes; the latest one is the valid one.
    let code = net
        .wait_mail(&acct.email, subjects::SIGN_IN_CODE, seen + 1)
        .await
        .code
        .expect("the sign-in mail has a code");
    let rec = home
        .run(&[
            "--json",
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            &acct.password,
            "--auth-factor-token",
            &code,
        ])
        .await
        .ok_json();
    assert_eq!(rec["did"], acct.did.as_str(), "{rec:#}");
    let check = home
        .run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    assert_eq!(check["did"], acct.did.as_str(), "{check:#}");
}

/// With email 2FA on, login asks for the code on stderr and reads it from stdin, then signs in.
#[tokio::test]
async fn email_2fa_code_typed_on_stdin_signs_in() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    net.enable_email_2fa(&acct).await;
    let home = Home::new();

    let seen = sign_in_mails(net, &acct.email).await;
    let mut child = home
        .command(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the stratos binary starts");
    let code = net
        .wait_mail(&acct.email, subjects::SIGN_IN_CODE, seen)
        .await
        .code
        .expect("the sign-in mail has a code");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(format!("{code}\n").as_bytes())
        .await
        .expect("the code can be typed");
    drop(stdin);
    let run = common::Run::from(
        child
            .wait_with_output()
            .await
            .expect("the stratos binary finishes"),
    );
    assert!(
        run.ok()
            .contains(&format!("Signed in as {} ({})", acct.handle, acct.did)),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("The server emailed you a sign-in code. Enter it: "),
        "{run:#?}"
    );
    let list = list_json(&home).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["did"], acct.did.as_str());
}

/// A wrong emailed code is refused with `wrong_auth_factor` and signs nobody in.
#[tokio::test]
async fn email_2fa_wrong_code_is_refused() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    net.enable_email_2fa(&acct).await;
    let home = Home::new();
    assert_fails(
        &home,
        &[
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            &acct.password,
            "--auth-factor-token",
            "AAAAA-BBBBB",
        ],
        "wrong_auth_factor",
        "The sign-in code is wrong or has expired",
    )
    .await;
    assert!(list_json(&home).await.is_empty());
    assert!(home.stored_tokens(&acct.did).await.is_none());
}

/// Login with an empty username fails with `empty_field` before any network call.
#[tokio::test]
async fn login_with_an_empty_username_is_empty_field() {
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "login", "-u", "", "-p", "secret"],
        "empty_field",
        "The handle, DID or email is empty",
    )
    .await;
    assert_fails(
        &home,
        &["account", "login", "-u", "   ", "-p", "secret"],
        "empty_field",
        "The handle, DID or email is empty",
    )
    .await;
}

/// A wrong password fails with `wrong_password` and saves nothing.
#[tokio::test]
async fn login_with_a_wrong_password_is_wrong_password() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let wrong = format!("{}x", acct.password);
    assert_fails(
        &home,
        &["account", "login", "-u", &acct.handle, "-p", &wrong],
        "wrong_password",
        "Wrong handle or password",
    )
    .await;
    assert!(list_json(&home).await.is_empty());
    assert!(home.stored_tokens(&acct.did).await.is_none());
}

/// Without a reachable keychain, listing accounts still works (it needs no secret; the keychain
/// is only reached on first use) and a sign-in fails with `keychain_unavailable`, saving nothing.
/// Linux: the Secret Service is taken away by pointing D-Bus nowhere.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn without_a_keychain_list_works_and_login_says_why() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let no_bus = async |args: &[&str]| {
        let mut cmd = home.command(args);
        cmd.env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/stratos-bus",
        );
        common::Run::from(cmd.output().await.expect("the stratos binary runs"))
    };
    let list = no_bus(&["--json", "account", "list"]).await;
    assert_eq!(list.ok_json()["accounts"], json!([]));
    let (handle, password) = (acct.handle.as_str(), acct.password.as_str());
    let login = no_bus(&["--json", "account", "login", "-u", handle, "-p", password]).await;
    let err = login.assert_error_code("keychain_unavailable");
    assert!(
        err["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("Secret Service"),
        "{err}"
    );
    assert!(list_json(&home).await.is_empty(), "nothing saved");
}

/// Login through a PDS host nobody listens on fails with `pds_unreachable`.
#[tokio::test]
async fn login_through_an_unreachable_pds_host_is_pds_unreachable() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    assert_fails(
        &home,
        &[
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            &acct.password,
            "--pds-host",
            "http://127.0.0.1:9",
        ],
        "pds_unreachable",
        "Could not reach",
    )
    .await;
    assert!(list_json(&home).await.is_empty());
}

/// A DID whose document names no PDS gives `no_pds`, for `status` and for `login`.
#[tokio::test]
async fn a_did_without_a_pds_is_no_pds() {
    let net = Network::shared();
    let did = net.did_without_pds().await;
    let home = Home::new();
    let message = format!("The DID document of {did} does not name a PDS");
    assert_fails(&home, &["account", "status", &did], "no_pds", &message).await;
    assert_fails(
        &home,
        &["account", "login", "-u", &did, "-p", "secret"],
        "no_pds",
        &message,
    )
    .await;
}

/// Text that is neither a handle, a DID nor an email gives `bad_identifier`.
#[tokio::test]
async fn a_garbage_identifier_is_bad_identifier() {
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "status", "not a handle"],
        "bad_identifier",
        "\"not a handle\" is not a valid handle",
    )
    .await;
    assert_fails(
        &home,
        &["account", "status", "did:nope"],
        "bad_identifier",
        "\"did:nope\" is not a valid DID",
    )
    .await;
    assert_fails(
        &home,
        &["account", "login", "-u", "not a handle", "-p", "secret"],
        "bad_identifier",
        "is not a valid handle",
    )
    .await;
}
