//! `stratos account status` end to end: the public status of an account by handle and by DID on
//! both PDSes, in text and `--json` mode, and an unknown handle.
//!
//! Run through `scripts/test.sh`, which provides `STRATOS_TESTNET_INFO` and a session bus with an
//! unlocked Secret Service. Every test has its own data folder and keychain service ([`Home`]) and
//! its own fresh accounts, so tests run in parallel without seeing each other.

mod common;

use common::{Home, assert_fails, list_json, repo_rev};
use serde_json::{Value, json};
use stratos_testkit::Network;

/// `account status <handle>` prints the DID, the verified handle, the reachable PDS with its
/// service DID, and the active repository with its revision.
#[tokio::test]
async fn status_by_handle_prints_identity_pds_and_repository() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    let run = home.run(&["account", "status", &acct.handle]).await;
    let out = run.ok();
    let line = |label: &str| {
        out.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{out}"))
            .to_owned()
    };
    assert!(line("DID ").ends_with(&acct.did), "{out}");
    assert!(
        line("Handle ").contains(&format!("{} (verified both ways)", acct.handle)),
        "{out}"
    );
    assert!(line("PDS ").ends_with(&acct.pds_url), "{out}");
    assert!(line("  Reachable ").ends_with("yes"), "{out}");
    assert!(line("  Server DID ").ends_with(&net.pds1().did), "{out}");
    assert!(line("Repository ").ends_with("active"), "{out}");
    assert!(line("  Rev ").ends_with(&repo_rev(&acct).await), "{out}");
    assert!(
        run.stderr.is_empty(),
        "a healthy status warns about nothing: {run:#?}"
    );
}

/// `account status --json` by handle and by DID gives the same account with a verified handle,
/// the right PDS (by its service DID) and an active repository with a revision, on both PDSes.
#[tokio::test]
async fn status_json_by_handle_and_did_describes_the_account() {
    let net = Network::shared();
    let home = Home::new();
    for pds in [net.pds1(), net.pds2()] {
        let acct = net.create_account(pds).await;
        for id in [&acct.handle, &acct.did] {
            let r = home
                .run(&["account", "status", id, "--json"])
                .await
                .ok_json();
            assert_eq!(r["did"], acct.did.as_str(), "{r:#}");
            assert_eq!(r["handle"], acct.handle.as_str(), "{r:#}");
            assert_eq!(r["handleCheck"]["verified"], true, "{r:#}");
            assert_eq!(r["handleCheck"]["docHandle"], acct.handle.as_str(), "{r:#}");
            assert_eq!(r["handleCheck"]["problem"], Value::Null, "{r:#}");
            assert_eq!(r["handleCheck"]["service"]["outcome"], "found", "{r:#}");
            assert_eq!(
                r["handleCheck"]["service"]["did"],
                acct.did.as_str(),
                "{r:#}"
            );
            assert_eq!(r["pds"]["url"], pds.url.as_str(), "{r:#}");
            assert_eq!(r["pds"]["reachable"], true, "{r:#}");
            assert_eq!(r["pds"]["serverDid"], pds.did.as_str(), "{r:#}");
            let domains = r["pds"]["availableUserDomains"].as_array();
            assert!(
                domains.is_some_and(|d| d.contains(&json!(pds.domain))),
                "{r:#}"
            );
            assert_eq!(r["repo"]["active"], true, "{r:#}");
            assert_eq!(r["repo"]["rev"], repo_rev(&acct).await, "{r:#}");
            assert_eq!(r["session"], Value::Null, "status needs no sign-in: {r:#}");
        }
    }
    assert!(list_json(&home).await.is_empty(), "status signs nobody in");
}

/// `status` of a handle nobody has fails with `handle_not_found`.
#[tokio::test]
async fn status_of_an_unknown_handle_is_handle_not_found() {
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "status", "nobody-xyz.test"],
        "handle_not_found",
        "The handle nobody-xyz.test does not resolve to any account",
    )
    .await;
}
