//! Passwords, codes and confirmations when no one is at a terminal (`src/input.rs`): every verb
//! takes them from its flag, goat's environment variables or piped stdin, and without any of
//! them says so, naming all three.

mod common;

use std::process::Stdio;

use common::{Home, Run, list_json, login};
use stratos_testkit::Network;
use tokio::io::AsyncWriteExt;

/// What "nobody can type it" says for the account password.
const NO_PASSWORD: &str =
    "no password: pass --password, set ATP_AUTH_PASSWORD, or pipe it on stdin";

/// Whether `text` says [`NO_PASSWORD`] (as a message or, capitalised, as a hint).
fn says_no_password(text: &str) -> bool {
    text.to_lowercase().contains(&NO_PASSWORD.to_lowercase())
}

/// Runs `stratos <args>` with `input` piped on stdin (then closed).
async fn run_piped(home: &Home, args: &[&str], input: &str) -> Run {
    let mut child = home
        .command(args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("the stratos binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("stdin takes the input");
    drop(stdin);
    Run::from(child.wait_with_output().await.expect("stratos finishes"))
}

/// `account devices` for a browser sign-in needs the account password: without a terminal and
/// without one, the error names the flag, the variable and stdin (not "Enter the password");
/// piped on stdin, it signs in and lists the devices.
#[tokio::test]
async fn devices_read_the_password_from_piped_stdin_and_say_how_without_one() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let out = home.oauth_login(&acct).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = home.run(&["account", "devices"]).await;
    assert!(says_no_password(run.failed()), "{run:#?}");
    let err = home
        .run(&["--json", "account", "devices"])
        .await
        .assert_error_code("devices_sign_in_needed");
    let hint = err["hint"].as_str().expect("a hint");
    assert!(says_no_password(hint), "{err}");
    assert!(!hint.contains("Enter"), "nothing can be entered: {err}");

    let run = run_piped(
        &home,
        &["--json", "account", "devices"],
        &format!("{}\n", acct.password),
    )
    .await;
    let doc = run.ok_json();
    assert_eq!(doc["did"], acct.did.as_str(), "{doc}");
    assert!(
        doc["devices"]
            .as_array()
            .expect("a device list")
            .iter()
            .any(|d| d["isCurrent"] == true),
        "Stratos's own device sign-in is listed: {doc}"
    );
    assert!(
        !run.stderr.contains(&acct.password),
        "the piped password is not echoed: {run:#?}"
    );
}

/// `account login` without `--password` and no terminal: the error names every way; the password
/// piped on stdin signs in, and so does goat's `ATP_AUTH_PASSWORD`.
#[tokio::test]
async fn login_takes_the_password_from_stdin_or_atp_auth_password() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;

    let home = Home::new();
    let run = home.run(&["account", "login", "-u", &acct.handle]).await;
    assert!(says_no_password(run.failed()), "{run:#?}");
    home.run(&["--json", "account", "login", "-u", &acct.handle])
        .await
        .assert_error_code("input_needed");
    assert!(list_json(&home).await.is_empty());

    let run = run_piped(
        &home,
        &["--json", "account", "login", "-u", &acct.handle],
        &format!("{}\n", acct.password),
    )
    .await;
    assert_eq!(run.ok_json()["did"], acct.did.as_str(), "{run:#?}");

    let home = Home::new();
    let out = home
        .command(&["--json", "account", "login", "-u", &acct.handle])
        .env("ATP_AUTH_PASSWORD", &acct.password)
        .output()
        .await
        .expect("stratos runs");
    let run = Run::from(out);
    assert_eq!(run.ok_json()["did"], acct.did.as_str(), "{run:#?}");
}

/// A browser sign-in's step-up (here `app-password list`) takes the password from
/// `ATP_AUTH_PASSWORD`; a wrong one piped on stdin is refused as wrong, not as missing.
#[tokio::test]
async fn step_up_takes_the_password_from_the_environment_or_stdin() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let out = home.oauth_login(&acct).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = home.run(&["account", "app-password", "list"]).await;
    assert!(says_no_password(run.failed()), "{run:#?}");

    let out = home
        .command(&["--json", "account", "app-password", "list"])
        .env("ATP_AUTH_PASSWORD", &acct.password)
        .output()
        .await
        .expect("stratos runs");
    let doc = Run::from(out).ok_json();
    assert_eq!(doc["did"], acct.did.as_str(), "{doc}");
    assert_eq!(doc["passwords"], serde_json::json!([]), "{doc}");

    run_piped(
        &home,
        &["--json", "account", "app-password", "list"],
        "not the password\n",
    )
    .await
    .assert_error_code("wrong_password");
}

/// `account migrate` without the new server's password and no terminal stops before anything is
/// created, naming the flag, goat's `NEW_ACCOUNT_PASSWORD` and stdin.
#[tokio::test]
async fn migrate_without_a_new_password_says_how_to_give_it() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let handle = format!("moved{}", net.pds2().domain);
    let args = [
        "account",
        "migrate",
        "--pds-host",
        &net.pds2().url,
        "--new-handle",
        &handle,
        "--new-email",
        &acct.email,
    ];
    let run = home.run(&args).await;
    assert!(
        run.failed().contains(
            "No password: pass --new-password, set NEW_ACCOUNT_PASSWORD, or pipe it on stdin"
        ),
        "{run:#?}"
    );
    let json_args: Vec<&str> = ["--json"].iter().chain(&args).copied().collect();
    home.run(&json_args)
        .await
        .assert_error_code("migration_password_needed");
    let status = home
        .run(&["--json", "account", "migrate", "--resume"])
        .await;
    assert!(
        !status.status.success(),
        "no migration was started: {status:#?}"
    );
}
