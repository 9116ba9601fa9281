//! `stratos account create` end to end: with a recovery key (first in the PLC rotation keys),
//! without one, weak-password feedback, and refusals.

mod common;

use common::{Home, assert_fails};
use serde_json::Value;
use stratos_testkit::Network;

fn label() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("k{:x}", n % 0xfff_ffff_ffff)
}

async fn plc_rotation_keys(net: &Network, did: &str) -> Vec<String> {
    let data: Value = reqwest::get(format!("{}/{did}/data", net.plc))
        .await
        .expect("the PLC directory answers")
        .json()
        .await
        .expect("PLC data is JSON");
    data["rotationKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

/// `--recovery-key k256 --json`: the account is created, signed in and selected; its recovery key
/// is in `key list` and first in the DID's rotation keys.
#[tokio::test]
async fn create_with_a_recovery_key() {
    let net = Network::shared();
    let pds = net.pds1();
    let home = Home::new();
    let l = label();
    let handle = format!("{l}{}", pds.domain);
    let created = home
        .run(&[
            "--json",
            "account",
            "create",
            "--pds-host",
            &pds.url,
            "--handle",
            &handle,
            "--email",
            &format!("{l}@example.com"),
            "--password",
            "correct-horse-battery-staple-9",
            "--recovery-key",
            "k256",
        ])
        .await
        .ok_json();
    let did = created["account"]["did"].as_str().unwrap().to_owned();
    assert_eq!(created["account"]["handle"], handle.as_str());
    let key = created["recoveryKey"]["didKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("did:key:zQ3s"), "{created}");
    let rotation = plc_rotation_keys(net, &did).await;
    assert_eq!(rotation.len(), 2, "{rotation:?}");
    assert_eq!(rotation[0], key);

    let list = home.run(&["--json", "account", "list"]).await.ok_json();
    assert_eq!(list["selected"], did.as_str());
    let check = home
        .run(&["--json", "account", "check-auth"])
        .await
        .ok_json();
    assert_eq!(check["did"], did.as_str());
    let keys = home.run(&["--json", "key", "list"]).await.ok_json();
    assert_eq!(keys["keys"][0]["didKey"], key.as_str());
}

/// Text mode without a recovery key, with a weak password: it warns, creates, and signs in; the
/// DID has only the PDS's rotation key. The same handle again is `handle_taken`.
#[tokio::test]
async fn create_in_text_mode_and_refusals() {
    let net = Network::shared();
    let pds = net.pds2();
    let home = Home::new();
    let l = label();
    let handle = format!("{l}{}", pds.domain);
    let args = [
        "account",
        "create",
        "--pds-host",
        &pds.url,
        "--handle",
        &handle,
        "--email",
        &format!("{l}@example.com"),
        "--password",
        "password1",
    ];
    let run = home.run(&args).await;
    assert!(
        run.ok().starts_with(&format!("Created {handle} (did:plc:")),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("warning: this password is easy to guess"),
        "{run:#?}"
    );
    let did = home.run(&["--json", "account", "list"]).await.ok_json()["selected"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(plc_rotation_keys(net, &did).await.len(), 1);

    assert_fails(
        &home,
        &args,
        "handle_taken",
        &format!("The handle {handle} is already taken"),
    )
    .await;
    let short = format!("ab{}", pds.domain);
    assert_fails(
        &home,
        &[
            "account",
            "create",
            "--pds-host",
            &pds.url,
            "--handle",
            &short,
            "--email",
            "ab@example.com",
            "--password",
            "whatever-long-1",
        ],
        "bad_handle",
        "must be 3 to 18 characters",
    )
    .await;
    let run = home
        .run(&[
            "account",
            "create",
            "--pds-host",
            &pds.url,
            "--browser",
            "--handle",
            &handle,
        ])
        .await;
    assert!(
        !run.status.success() && run.stderr.contains("cannot be used with"),
        "{run:#?}"
    );
}
