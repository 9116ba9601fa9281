//! `stratos plc data|sign|submit` against the test network's PLC directory: the data read by
//! handle and by DID, an update signed with a rotation key in the keychain and submitted, a
//! genesis signed with a key given as goat takes it ($PLC_SIGNING_KEY), and what the directory
//! or Stratos refuses.

mod common;

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, subjects};

/// The DID's data as the PLC directory itself serves it.
async fn plc_data(net: &Network, did: &str) -> Value {
    reqwest::get(format!("{}/{did}/data", net.plc))
        .await
        .expect("the PLC directory answers")
        .json()
        .await
        .expect("PLC data is JSON")
}

fn write(home: &Home, name: &str, value: &Value) -> String {
    let path = home.path().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// `plc data` shows what the directory holds, by handle and by DID. With a rotation key of the
/// person's own (added through the PDS), `plc sign --key` signs an edited operation and
/// `plc submit --did` gets it accepted: the directory then holds the edit.
#[tokio::test]
async fn data_sign_and_submit_an_update() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let data = home
        .run(&["--json", "plc", "data", &acct.handle])
        .await
        .ok_json();
    let direct = plc_data(net, &acct.did).await;
    assert_eq!(data["did"], acct.did.as_str());
    for field in [
        "rotationKeys",
        "verificationMethods",
        "alsoKnownAs",
        "services",
    ] {
        assert_eq!(data[field], direct[field], "{field}: {data:#}");
    }
    let text = home.run(&["plc", "data", &acct.did]).await;
    assert!(text.ok().contains("atproto_pds"), "{text:#?}");
    // goat's --plc-host wins over the configured directory: here, one where nothing listens.
    let elsewhere = home
        .run(&[
            "--json",
            "plc",
            "data",
            &acct.did,
            "--plc-host",
            "http://127.0.0.1:9",
        ])
        .await;
    let error = elsewhere.assert_error_code("plc_unreachable");
    assert!(
        error["message"].as_str().unwrap().contains(&acct.did),
        "{error}"
    );

    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let seen = net.count_mails(&acct.email, subjects::PLC_OPERATION).await;
    home.run(&["account", "plc", "request-token"]).await.ok();
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

    let history = home
        .run(&["--json", "account", "plc", "history"])
        .await
        .ok_json();
    let prev = history["entries"]
        .as_array()
        .and_then(|e| e.last())
        .map(|e| e["cid"].clone())
        .expect("a history");
    let mut op = plc_data(net, &acct.did).await;
    op.as_object_mut().unwrap().remove("did");
    op["type"] = "plc_operation".into();
    op["prev"] = prev;
    op["alsoKnownAs"]
        .as_array_mut()
        .unwrap()
        .push("at://second-name.test".into());
    let unsigned = write(&home, "op.json", &op);
    let signed = home
        .run(&["--json", "plc", "sign", &unsigned, "--key", &key])
        .await
        .ok_json();
    assert!(
        signed["sig"].as_str().is_some_and(|s| s.len() == 86),
        "{signed:#}"
    );
    let signed_file = write(&home, "signed.json", &signed);
    let sent = home
        .run(&["--json", "plc", "submit", &signed_file, "--did", &acct.did])
        .await
        .ok_json();
    assert_eq!(sent["did"], acct.did.as_str());
    assert!(sent["cid"].as_str().unwrap().starts_with("bafyrei"));
    assert_eq!(
        plc_data(net, &acct.did).await["alsoKnownAs"][1],
        "at://second-name.test"
    );
    // Stratos made that change, so the identity guard does not raise it.
    let check = home
        .run(&["--json", "account", "plc", "check"])
        .await
        .ok_json();
    assert_eq!(check["unexpected"], json!([]), "{check:#}");

    // The same edit again is refused by the directory: its prev is no longer the newest.
    let again = home
        .run(&["--json", "plc", "submit", &signed_file, "--did", &acct.did])
        .await;
    again.assert_error_code("plc_refused");
}

/// A genesis signed with a private key from $PLC_SIGNING_KEY (as goat takes it) creates a new
/// DID in the directory; a genesis sent as an update, an unsigned operation and a directory
/// refusal (signed by a key that is not a rotation key) are errors.
#[tokio::test]
async fn sign_and_submit_a_genesis() {
    let net = Network::shared();
    let home = Home::new();
    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let exported = home.path().join("key.txt");
    home.run(&["key", "export", &key, "--out", exported.to_str().unwrap()])
        .await
        .ok();
    let private = std::fs::read_to_string(&exported)
        .unwrap()
        .trim()
        .to_owned();
    let genesis = json!({
        "type": "plc_operation",
        "rotationKeys": [key],
        "verificationMethods": {"atproto": key},
        "alsoKnownAs": ["at://genesis.example"],
        "services": {"atproto_pds": {"type": "AtprotoPersonalDataServer",
            "endpoint": "https://pds.example"}},
        "prev": null,
    });
    let unsigned = write(&home, "genesis.json", &genesis);
    assert_fails(
        &home,
        &["plc", "submit", &unsigned, "--genesis"],
        "bad_operation",
        "sig",
    )
    .await;

    let signed = home
        .command(&["--json", "plc", "sign", &unsigned])
        .env("PLC_SIGNING_KEY", &private)
        .output()
        .await
        .unwrap();
    let signed = common::Run::from(signed).ok_json();
    let signed_file = write(&home, "signed.json", &signed);
    assert_fails(
        &home,
        &[
            "plc",
            "submit",
            &signed_file,
            "--did",
            "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "bad_operation",
        "genesis",
    )
    .await;
    let sent = home
        .run(&["--json", "plc", "submit", &signed_file, "--genesis"])
        .await
        .ok_json();
    let did = sent["did"].as_str().expect("the new DID").to_owned();
    assert!(did.starts_with("did:plc:"), "{sent}");
    let data = home.run(&["--json", "plc", "data", &did]).await.ok_json();
    assert_eq!(data["rotationKeys"], json!([key]));
    assert_eq!(data["alsoKnownAs"], json!(["at://genesis.example"]));

    // An update signed by a key that is not a rotation key of the DID.
    let stranger = Home::new();
    let other = stranger
        .run(&["key", "generate"])
        .await
        .ok()
        .trim()
        .to_owned();
    let mut update = genesis.clone();
    update["prev"] = sent["cid"].clone();
    update["alsoKnownAs"] = json!(["at://taken.example"]);
    let update = write(&stranger, "update.json", &update);
    let forged = stranger
        .run(&["--json", "plc", "sign", &update, "--key", &other])
        .await
        .ok_json();
    let forged = write(&stranger, "forged.json", &forged);
    let refused = stranger
        .run(&["--json", "plc", "submit", &forged, "--did", &did])
        .await;
    refused.assert_error_code("plc_refused");
    assert_eq!(
        plc_data(net, &did).await["alsoKnownAs"],
        json!(["at://genesis.example"])
    );
}
