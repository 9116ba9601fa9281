//! `stratos account recover` end to end: refused with the reason when no rotation key of the
//! person's is in force; with one, the account is rebuilt on PDS2 from the backup folder, in
//! `--json` mode, and the PLC directory (read directly) names PDS2 with the person's key first.

mod common;

use common::{Home, assert_fails, login};
use stratos_testkit::{Network, Population, populate, subjects};

#[tokio::test]
async fn recover_is_refused_without_a_key_then_rebuilds_the_account_with_one() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    populate(
        &acct,
        Population {
            records: 12,
            blobs: 1,
        },
    )
    .await;
    let home = Home::new();
    login(&home, &acct).await;
    home.run(&["backup", "run"]).await.ok();
    let backups = home.path().join("backups").display().to_string();
    let label = acct.handle.split('.').next().unwrap();
    let handle = format!("{label}{}", net.pds2().domain);
    let email = format!("recovered-{}", acct.email);
    let args = [
        "account",
        "recover",
        "--pds-host",
        &net.pds2().url,
        "--handle",
        &handle,
        "--email",
        &email,
        "--password",
        "a-new-password-for-pds2",
        "--from-backup",
        &backups,
        "--yes",
    ];
    assert_fails(
        &home,
        &args,
        "recovery_no_rotation_key",
        "rotation keys in force",
    )
    .await;

    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let seen = net.count_mails(&acct.email, subjects::PLC_OPERATION).await;
    home.run(&["account", "plc", "add-rotation-key", &key, "--first"])
        .await
        .ok();
    let code = net
        .wait_code(&acct.email, subjects::PLC_OPERATION, seen)
        .await;
    home.run(&[
        "account",
        "plc",
        "add-rotation-key",
        &key,
        "--first",
        "--token",
        &code,
    ])
    .await
    .ok();
    let with_json: Vec<&str> = ["--json"].iter().chain(&args).copied().collect();
    let done = home.run(&with_json).await.ok_json();
    assert_eq!(done["recovered"], true, "{done}");
    assert_eq!(done["journal"]["rotationKey"], key.as_str());
    let data = net.plc_get(&acct.did, "data").await;
    assert_eq!(data["rotationKeys"][0], key.as_str(), "{data}");
    assert_eq!(
        data["services"]["atproto_pds"]["endpoint"]
            .as_str()
            .unwrap()
            .trim_end_matches('/'),
        net.pds2().url.trim_end_matches('/')
    );
    net.create_session(&net.pds2().url, &acct.did, "a-new-password-for-pds2", None)
        .await
        .expect("the new password signs in on PDS2");
}
