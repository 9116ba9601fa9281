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

/// The identity guard from the command line: `check` passes (exit 0) on a history Stratos knows;
/// `update` signed with a keychain key shows the change, then sends it with --yes; a hostile
/// operation by the PDS's own key makes `check` exit non-zero with the change in its one JSON
/// document; `undo --yes` with the person's higher key restores the data and `history` shows
/// the hostile operation nullified.
#[tokio::test]
async fn plc_check_update_undo_and_history() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let seen = plc_mails(net, &acct).await;
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
    let check = home
        .run(&["--json", "account", "plc", "check"])
        .await
        .ok_json();
    assert_eq!(check["unexpected"], json!([]), "{check}");

    let extra = Home::new()
        .run(&["key", "generate", "--type", "p256"])
        .await
        .ok()
        .trim()
        .to_owned();
    let before = plc_data(net, &acct.did).await;
    let args = [
        "account",
        "plc",
        "update",
        "--add-rotation-key",
        &extra,
        "--key",
        &key,
    ];
    let shown = home.run(&args).await;
    assert!(
        shown
            .ok()
            .contains(&format!("rotationKeys: add {extra} = 3")),
        "{shown:#?}"
    );
    assert!(shown.ok().contains("--yes"), "{shown:#?}");
    assert_eq!(plc_data(net, &acct.did).await, before, "nothing sent yet");
    let mut yes: Vec<&str> = vec!["--json"];
    yes.extend(args);
    yes.push("--yes");
    let sent = home.run(&yes).await.ok_json();
    let after = plc_data(net, &acct.did).await;
    assert_eq!(after["rotationKeys"][2], extra.as_str());
    assert_eq!(sent["fields"]["rotationKeys"], after["rotationKeys"]);
    home.run(&["account", "plc", "check"]).await.ok();

    let (hostile, _) = net.hostile_plc_op(&acct.did, "https://evil.example").await;
    let alarm = home.run(&["--json", "account", "plc", "check"]).await;
    assert!(!alarm.status.success(), "{alarm:#?}");
    let doc = common::json(&alarm.stdout);
    assert_eq!(doc["unexpected"][0]["cid"], hostile.as_str());
    assert_eq!(doc["unexpected"][0]["signer"]["kind"], "pds");
    assert_eq!(doc["undo"]["possible"], true);
    assert!(alarm.stderr.contains("did not make"), "{alarm:#?}");
    let text = home.run(&["account", "plc", "check"]).await;
    assert!(text.failed().contains("plc undo"), "{text:#?}");
    assert!(text.stdout.contains("https://evil.example"), "{text:#?}");

    let preview = home.run(&["account", "plc", "undo"]).await;
    assert!(preview.ok().contains("--yes"), "{preview:#?}");
    assert_eq!(
        plc_data(net, &acct.did).await["services"]["atproto_pds"]["endpoint"],
        "https://evil.example"
    );
    let undone = home
        .run(&["--json", "account", "plc", "undo", "--yes"])
        .await
        .ok_json();
    assert_eq!(undone["replaced"], json!([hostile]));
    assert_eq!(plc_data(net, &acct.did).await, after);
    home.run(&["account", "plc", "check"]).await.ok();

    let history = home
        .run(&["--json", "account", "plc", "history"])
        .await
        .ok_json();
    let entries = history["entries"].as_array().unwrap();
    let marked: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["signer"]["kind"].as_str().unwrap(),
                e["nullified"] == true,
            )
        })
        .collect();
    assert_eq!(
        marked,
        vec![
            ("pds", false),
            ("pds", false),
            ("mine", false),
            ("pds", true),
            ("mine", false)
        ]
    );
    assert_eq!(history["problem"], Value::Null);
}

/// Bad input to the guard's verbs: a DID that is not did:plc, a signing key this keychain does
/// not hold, an update that asks for nothing; nothing is sent.
#[tokio::test]
async fn plc_guard_bad_input() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    assert_fails(
        &home,
        &["account", "plc", "history", "did:web:example.com"],
        "not_plc",
        "did:web:example.com is not a did:plc",
    )
    .await;
    let before = plc_data(net, &acct.did).await;
    let stranger = Home::new()
        .run(&["key", "generate"])
        .await
        .ok()
        .trim()
        .to_owned();
    assert_fails(
        &home,
        &[
            "account", "plc", "update", "--handle", "x.test", "--key", &stranger,
        ],
        "key_not_in_force",
        "is not a rotation key",
    )
    .await;
    let pds_key = before["rotationKeys"][0].as_str().unwrap();
    assert_fails(
        &home,
        &[
            "account", "plc", "update", "--handle", "x.test", "--key", pds_key,
        ],
        "key_not_found",
        "private key for",
    )
    .await;
    assert_eq!(plc_data(net, &acct.did).await, before);
}
