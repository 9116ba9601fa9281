//! `stratos account delete` end to end, in text and `--json` mode: the typed handle, the mailed
//! code, and the account gone from the PDS and from Stratos.

mod common;

use common::{Home, assert_fails, list_json, login};
use stratos_testkit::{Network, subjects};

/// A wrong typed handle is refused before anything happens; the code is mailed; with it and the
/// password the account is deleted on the PDS and from Stratos.
#[tokio::test]
async fn delete_with_typed_handle_and_code() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    assert_fails(
        &home,
        &["account", "delete", "--confirm-handle", "someone.else.test"],
        "handle_mismatch",
        "is not the handle",
    )
    .await;
    let before = net
        .count_mails(&acct.email, subjects::ACCOUNT_DELETION)
        .await;
    let sent = home
        .run(&[
            "--json",
            "account",
            "delete",
            "--confirm-handle",
            &acct.handle,
        ])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    let c = net
        .wait_code(&acct.email, subjects::ACCOUNT_DELETION, before)
        .await;
    let args = [
        "account",
        "delete",
        "--confirm-handle",
        &acct.handle,
        "--token",
        &c,
    ];
    assert_fails(
        &home,
        &[&args[..], &["-p", "wrong-password"]].concat(),
        "wrong_password",
        "Wrong password",
    )
    .await;
    let gone = home
        .run(&[&["--json"], &args[..], &["-p", &acct.password]].concat())
        .await
        .ok_json();
    assert_eq!(gone["did"], acct.did.as_str());
    assert!(list_json(&home).await.is_empty());
    assert!(
        net.create_session(&acct.pds_url, &acct.handle, &acct.password, None)
            .await
            .is_err()
    );
}
