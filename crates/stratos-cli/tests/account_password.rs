//! `stratos account password-reset` end to end, in text and `--json` mode, with the mailed
//! reset code.

mod common;

use common::{Home, assert_fails};
use stratos_testkit::{Network, subjects};

/// Request by email + PDS host, reset with the code, then only the new password signs in.
#[tokio::test]
async fn password_reset_by_email() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "password-reset", &acct.handle],
        "email_unknown",
        "email address",
    )
    .await;
    let before = net.count_mails(&acct.email, subjects::PASSWORD_RESET).await;
    let sent = home
        .run(&[
            "--json",
            "account",
            "password-reset",
            &acct.email,
            "--pds-host",
            &acct.pds_url,
        ])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    let c = net
        .wait_code(&acct.email, subjects::PASSWORD_RESET, before)
        .await;
    let new = "a much longer new password 2026";
    let args = [
        "account",
        "password-reset",
        &acct.email,
        "--pds-host",
        &acct.pds_url,
        "--token",
        &c,
        "--new-password",
    ];
    assert_fails(
        &home,
        &[&args[..], &["short"]].concat(),
        "weak_password",
        "too weak",
    )
    .await;
    let done = home.run(&[&args[..], &[new]].concat()).await;
    assert!(done.ok().contains("Password changed"), "{done:#?}");
    home.run(&["account", "login", "-u", &acct.handle, "-p", new])
        .await
        .ok();
    assert!(
        net.create_session(&acct.pds_url, &acct.handle, &acct.password, None)
            .await
            .is_err()
    );
}
