//! `stratos account plc …` end to end, in text and `--json` mode, with the PLC directory read
//! directly to check what changed.

mod common;

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, TestAccount, subjects};

/// The DID's data as the PLC directory itself serves it.
async fn plc_data(net: &Network, did: &str) -> Value {
    reqwest::get(format!("{}/{did}/data", net.plc))
        .await
        .expect("the PLC directory answers")
        .json()
        .await
        .expect("PLC data is JSON")
}

async fn plc_mails(net: &Network, acct: &TestAccount) -> usize {
    net.mails(&acct.email)
        .await
        .iter()
        .filter(|m| m.subject.contains(subjects::PLC_OPERATION))
        .count()
}

/// `plc current` and `plc recommended` agree for a fresh account; `add-rotation-key` without a
/// code emails one, and with it adds the key on top while the PDS key stays.
#[tokio::test]
async fn plc_current_recommended_and_add_rotation_key() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let current = home
        .run(&["--json", "account", "plc", "current"])
        .await
        .ok_json();
    assert_eq!(current, plc_data(net, &acct.did).await);
    let recommended = home
        .run(&["--json", "account", "plc", "recommended"])
        .await
        .ok_json();
    for field in [
        "rotationKeys",
        "alsoKnownAs",
        "services",
        "verificationMethods",
    ] {
        assert_eq!(recommended[field], current[field], "{field}");
    }
    let text = home.run(&["account", "plc", "current", &acct.did]).await;
    assert!(
        text.ok().contains(&format!(
            "  1. {}",
            current["rotationKeys"][0].as_str().unwrap()
        )),
        "{text:#?}"
    );
    assert!(
        text.ok().contains(&format!("at://{}", acct.handle)),
        "{text:#?}"
    );

    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let seen = plc_mails(net, &acct).await;
    let asked = home
        .run(&[
            "--json",
            "account",
            "plc",
            "add-rotation-key",
            &key,
            "--first",
        ])
        .await
        .ok_json();
    assert_eq!(asked["requested"], true);
    assert_eq!(
        plc_data(net, &acct.did).await,
        current,
        "nothing changed yet"
    );
    let code = net
        .wait_mail(&acct.email, subjects::PLC_OPERATION, seen)
        .await
        .code
        .expect("a code");
    let run = home
        .run(&[
            "account",
            "plc",
            "add-rotation-key",
            &key,
            "--first",
            "--token",
            &code,
        ])
        .await;
    assert!(
        run.ok().contains(&format!("Added rotation key {key}")),
        "{run:#?}"
    );
    assert!(run.ok().contains(&format!("  1. {key}")), "{run:#?}");
    let after = plc_data(net, &acct.did).await;
    assert_eq!(
        after["rotationKeys"],
        json!([key, current["rotationKeys"][0]]),
        "{after}"
    );
    assert_eq!(after["services"], current["services"]);

    let seen = plc_mails(net, &acct).await;
    assert_fails(
        &home,
        &["account", "plc", "add-rotation-key", "did:key:nope"],
        "bad_key",
        "is not a secp256k1 or P-256 did:key",
    )
    .await;
    assert_eq!(
        plc_mails(net, &acct).await,
        seen,
        "no code mailed for a bad key"
    );
}

/// `plc request-token`, `plc sign <file> --token`, `plc submit <file>`: a partial file keeps the
/// other fields; a wrong code is `wrong_code`; an unsigned file is refused before submitting.
#[tokio::test]
async fn plc_sign_and_submit_files() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let before = plc_data(net, &acct.did).await;

    let fields = home.path().join("fields.json");
    let aliases = json!([format!("at://{}", acct.handle), "https://alice.example"]);
    std::fs::write(&fields, json!({ "alsoKnownAs": aliases }).to_string()).unwrap();
    let fields_arg = fields.to_str().unwrap();

    let seen = plc_mails(net, &acct).await;
    let run = home.run(&["account", "plc", "request-token"]).await;
    assert!(run.ok().contains("emailed a code"), "{run:#?}");
    let code = net
        .wait_mail(&acct.email, subjects::PLC_OPERATION, seen)
        .await
        .code
        .expect("a code");
    assert_fails(
        &home,
        &[
            "account",
            "plc",
            "sign",
            fields_arg,
            "--token",
            "AAAAA-BBBBB",
        ],
        "wrong_code",
        "The emailed PLC code is wrong",
    )
    .await;
    let run = home
        .run(&["account", "plc", "sign", fields_arg, "--token", &code])
        .await;
    assert!(
        run.stderr
            .contains("alsoKnownAs: add https://alice.example"),
        "{run:#?}"
    );
    let op: Value = serde_json::from_str(run.ok()).expect("the signed operation is JSON");
    assert!(op["sig"].is_string() && op["prev"].is_string(), "{op}");
    let op_file = home.path().join("op.json");
    std::fs::write(&op_file, run.ok()).unwrap();

    let unsigned = home.path().join("unsigned.json");
    std::fs::write(&unsigned, before.to_string()).unwrap();
    assert_fails(
        &home,
        &["account", "plc", "submit", unsigned.to_str().unwrap()],
        "bad_operation",
        "Not a usable PLC operation",
    )
    .await;

    let done = home
        .run(&[
            "--json",
            "account",
            "plc",
            "submit",
            op_file.to_str().unwrap(),
        ])
        .await
        .ok_json();
    assert_eq!(done["submitted"], true);
    let after = plc_data(net, &acct.did).await;
    assert_eq!(after["alsoKnownAs"], aliases);
    for field in ["rotationKeys", "services", "verificationMethods"] {
        assert_eq!(after[field], before[field], "{field} kept");
    }
}
