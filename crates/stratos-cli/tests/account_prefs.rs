//! `stratos account prefs export|import` against the reference PDS's preferences store.

mod common;

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, xrpc_get};

/// What the PDS itself holds, asked with the account's own session (not through Stratos).
async fn server_prefs(acct: &stratos_testkit::TestAccount) -> Value {
    xrpc_get(
        &acct.pds_url,
        "app.bsky.actor.getPreferences",
        &[],
        Some(&acct.access_jwt),
    )
    .await
    .expect("getPreferences answers")["preferences"]
        .clone()
}

/// Import puts a goat-format file's preferences on the server; export gives them back, on stdout
/// and into a file that imports again unchanged.
#[tokio::test]
async fn import_then_export_round_trips_the_preferences() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let empty = home
        .run(&["--json", "account", "prefs", "export"])
        .await
        .ok_json();
    assert_eq!(empty["did"], acct.did.as_str());
    assert_eq!(empty["preferences"], server_prefs(&acct).await);

    let prefs = json!([
        { "$type": "app.bsky.actor.defs#adultContentPref", "enabled": true },
        { "$type": "app.bsky.actor.defs#contentLabelPref", "label": "gore", "visibility": "warn" }
    ]);
    let file = home.path().join("prefs.json");
    std::fs::write(&file, prefs.to_string()).unwrap();
    let file = file.to_str().unwrap();
    let done = home
        .run(&["--json", "account", "prefs", "import", file])
        .await
        .ok_json();
    assert_eq!(done["imported"], 2, "{done}");
    assert_eq!(server_prefs(&acct).await, prefs, "the server holds them");

    // Text-mode export is goat's file: the array itself.
    let text = home.run(&["account", "prefs", "export"]).await;
    assert_eq!(common::json(text.ok()), prefs);

    let out = home.path().join("out.json");
    let out = out.to_str().unwrap();
    let wrote = home
        .run(&["--json", "account", "prefs", "export", "--out", out])
        .await
        .ok_json();
    assert_eq!(wrote["count"], 2, "{wrote}");
    assert_eq!(common::json(&std::fs::read_to_string(out).unwrap()), prefs);
    home.run(&["account", "prefs", "import", out, &acct.handle])
        .await
        .ok();
    assert_eq!(server_prefs(&acct).await, prefs);
}

/// A file that is not a list of typed preferences is refused before anything is sent.
#[tokio::test]
async fn import_refuses_a_file_that_is_not_preferences() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let before = server_prefs(&acct).await;

    let file = home.path().join("bad.json");
    std::fs::write(&file, r#"[{"enabled": true}]"#).unwrap();
    assert_fails(
        &home,
        &["account", "prefs", "import", file.to_str().unwrap()],
        "bad_prefs_file",
        "entry 1 has no \"$type\"",
    )
    .await;
    std::fs::write(&file, "not json").unwrap();
    assert_fails(
        &home,
        &["account", "prefs", "import", file.to_str().unwrap()],
        "bad_prefs_file",
        "Not a preferences file",
    )
    .await;
    assert_eq!(server_prefs(&acct).await, before, "nothing was sent");
}
