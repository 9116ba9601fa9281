//! `stratos resolve` against the test network's PLC directory and handle resolver.

mod common;

use common::{Home, assert_fails};
use stratos_testkit::Network;

/// A handle and its DID resolve to the same DID document, which names the handle and the PDS;
/// `--did` prints only the DID.
#[tokio::test]
async fn a_handle_and_its_did_resolve_to_the_did_document() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();

    let by_handle = home
        .run(&["--json", "resolve", &acct.handle])
        .await
        .ok_json();
    assert_eq!(by_handle["id"], acct.did.as_str(), "{by_handle:#}");
    let aliases = by_handle["alsoKnownAs"].as_array().expect("alsoKnownAs");
    assert!(
        aliases.contains(&format!("at://{}", acct.handle).into()),
        "{by_handle:#}"
    );
    let pds = by_handle["service"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["type"] == "AtprotoPersonalDataServer")
        .expect("a PDS service");
    assert_eq!(
        pds["serviceEndpoint"]
            .as_str()
            .map(|u| u.trim_end_matches('/')),
        Some(acct.pds_url.trim_end_matches('/')),
        "{by_handle:#}"
    );

    let by_did = home.run(&["--json", "resolve", &acct.did]).await.ok_json();
    assert_eq!(by_did, by_handle, "both name the same document");

    // Text mode prints the document as goat does: JSON, readable.
    let text = home.run(&["resolve", &acct.handle]).await;
    assert_eq!(common::json(text.ok()), by_handle);

    let only = home.run(&["resolve", "--did", &acct.handle]).await;
    assert_eq!(only.ok().trim(), acct.did, "{only:#?}");
    let only = home
        .run(&["--json", "resolve", "-d", &acct.handle])
        .await
        .ok_json();
    assert_eq!(only["did"], acct.did.as_str());
}

/// A handle nobody has, a handle whose DID does not claim it back, and an email address each
/// fail with their own code.
#[tokio::test]
async fn unknown_unclaimed_and_email_identifiers_fail() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();

    assert_fails(
        &home,
        &["resolve", "nobody-here-at-all.test"],
        "handle_not_found",
        "does not resolve",
    )
    .await;

    let impostor = format!("impostor-{}", acct.handle);
    net.set_handle_override(&impostor, &acct.did).await;
    assert_fails(
        &home,
        &["resolve", &impostor],
        "handle_not_claimed",
        "does not claim the handle",
    )
    .await;
    // `--did` only follows the handle, as goat's does.
    let only = home
        .run(&["--json", "resolve", "--did", &impostor])
        .await
        .ok_json();
    assert_eq!(only["did"], acct.did.as_str());
    net.clear_handle_override(&impostor).await;

    assert_fails(
        &home,
        &["resolve", &acct.email],
        "bad_identifier",
        "is an email address",
    )
    .await;
}
