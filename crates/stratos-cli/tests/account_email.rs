//! `stratos account email` end to end, in text and `--json` mode, with mailed codes: show,
//! confirm, change the address, and email 2FA.

mod common;

use common::{Home, assert_fails, login};
use stratos_testkit::{Network, subjects};

/// Show, confirm (wrong code refused), change with the code sent to the old address, 2FA on.
#[tokio::test]
async fn email_show_confirm_update_and_two_factor() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let out = home.run(&["account", "email"]).await;
    assert!(out.ok().contains(&acct.email), "{out:#?}");
    assert!(out.stdout.contains("Confirmed    no"), "{out:#?}");

    let before = net
        .count_mails(&acct.email, subjects::EMAIL_CONFIRMATION)
        .await;
    let sent = home
        .run(&["--json", "account", "email", "--confirm"])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    assert_eq!(sent["sentTo"], acct.email.as_str());
    let c = net
        .wait_code(&acct.email, subjects::EMAIL_CONFIRMATION, before)
        .await;
    assert_fails(
        &home,
        &["account", "email", "--confirm", "--token", "AAAAA-BBBBB"],
        "wrong_code",
        "wrong",
    )
    .await;
    let done = home
        .run(&["account", "email", &acct.handle, "--confirm", "--token", &c])
        .await;
    assert!(done.ok().contains("confirmed"), "{done:#?}");
    let info = home.run(&["--json", "account", "email"]).await.ok_json();
    assert_eq!(info["confirmed"], true);

    let new = format!("new-{}", acct.email);
    let before = net.count_mails(&acct.email, subjects::EMAIL_UPDATE).await;
    let asked = home.run(&["account", "email", "--update", &new]).await;
    assert!(
        asked.ok().contains(&acct.email),
        "the code goes to the old address: {asked:#?}"
    );
    let c = net
        .wait_code(&acct.email, subjects::EMAIL_UPDATE, before)
        .await;
    let changed = home
        .run(&[
            "--json", "account", "email", "--update", &new, "--token", &c,
        ])
        .await
        .ok_json();
    assert_eq!(changed["email"], new.as_str());
    assert_eq!(changed["confirmed"], false);

    // The new address is unconfirmed, so turning 2FA on needs no code.
    let on = home.run(&["account", "email", "--two-factor", "on"]).await;
    assert!(on.ok().contains("Email 2FA is now on"), "{on:#?}");
    let info = home.run(&["--json", "account", "email"]).await.ok_json();
    assert_eq!(info["twoFactor"], true);
}
