//! `stratos pds describe` against the test network's reference PDSes.

mod common;

use common::{Home, assert_fails};
use stratos_testkit::Network;

/// The reference PDS describes itself: its service DID and handle domains, in JSON as the server
/// sent it and as aligned text.
#[tokio::test]
async fn describe_shows_what_the_pds_says() {
    let net = Network::shared();
    let pds = net.pds2();
    let home = Home::new();

    let doc = home
        .run(&["--json", "pds", "describe", &pds.url])
        .await
        .ok_json();
    assert_eq!(doc["did"], pds.did.as_str(), "{doc:#}");
    let domains = doc["availableUserDomains"].as_array().expect("domains");
    assert!(domains.contains(&pds.domain.as_str().into()), "{doc:#}");
    assert!(doc["inviteCodeRequired"].is_boolean(), "{doc:#}");

    let run = home.run(&["pds", "describe", &pds.url]).await;
    let text = run.ok();
    assert!(text.contains(&pds.did), "{run:#?}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("Handle domains") && l.contains(&pds.domain)),
        "{run:#?}"
    );
}

/// A server that is not a PDS, and an address that is not a server address, are named as such.
#[tokio::test]
async fn describe_refuses_what_is_not_a_pds() {
    let home = Home::new();
    assert_fails(
        &home,
        &["pds", "describe", "ftp://pds.example.com"],
        "bad_server_url",
        "ftp://pds.example.com",
    )
    .await;
    // The PLC directory answers HTTP, but not describeServer.
    assert_fails(
        &home,
        &["pds", "describe", &Network::shared().plc],
        "pds_bad_response",
        "may not be an atproto PDS",
    )
    .await;
}
