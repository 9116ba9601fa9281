//! `stratos repo ls|inspect` on a CAR the reference PDS exported (`repo export`), checked against
//! what the test put in the account and what the PDS reports; and files that are no repository.

mod common;

use common::{Home, assert_fails, login, repo_rev};
use stratos_testkit::{Network, Population, populate};

/// `ls` lists every record the account holds, in key order, with the CIDs the PDS gives them;
/// `inspect` shows the commit the PDS reports (DID, revision) and the records per collection.
#[tokio::test]
async fn ls_and_inspect_read_an_export() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let filled = populate(
        &acct,
        Population {
            records: 30,
            blobs: 1,
        },
    )
    .await;
    let home = Home::new();
    login(&home, &acct).await;
    let car = home.path().join("export.car");
    let car = car.to_str().expect("a UTF-8 temp path");
    home.run(&["repo", "export", "-o", car]).await.ok();

    let listed = home.run(&["--json", "repo", "ls", car]).await.ok_json();
    assert_eq!(listed["did"], acct.did.as_str());
    let records = listed["records"].as_array().expect("records");
    let total: u64 = filled.records.values().sum();
    assert_eq!(records.len() as u64, total, "{listed:#}");
    let paths: Vec<&str> = records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted, "records come in key order");
    // Each CID is the one the PDS serves for that record.
    let first = &records[0];
    let (collection, rkey) = first["path"].as_str().unwrap().split_once('/').unwrap();
    let got = stratos_testkit::xrpc_get(
        &acct.pds_url,
        "com.atproto.repo.getRecord",
        &[
            ("repo", &acct.did),
            ("collection", collection),
            ("rkey", rkey),
        ],
        None,
    )
    .await
    .expect("getRecord");
    assert_eq!(got["cid"], first["cid"]);
    let text = home.run(&["repo", "list", car]).await;
    let lines: Vec<&str> = text.ok().lines().collect();
    assert_eq!(lines.len(), records.len(), "{text:#?}");
    assert_eq!(
        lines[0],
        format!("{}\t{}", paths[0], first["cid"].as_str().unwrap())
    );

    let inspected = home
        .run(&["--json", "repo", "inspect", car])
        .await
        .ok_json();
    assert_eq!(inspected["did"], acct.did.as_str());
    assert_eq!(inspected["version"], 3);
    assert_eq!(inspected["rev"], repo_rev(&acct).await.as_str());
    for (collection, n) in &filled.records {
        assert_eq!(inspected["collections"][collection], *n, "{inspected:#}");
    }
    assert!(inspected["commit"].as_str().unwrap().starts_with("bafyrei"));
    let text = home.run(&["repo", "inspect", car]).await;
    assert!(
        text.ok().contains(&format!("DID: {}", acct.did)),
        "{text:#?}"
    );
}

/// A file that is not a CAR, and a CAR cut short, are refused with what is wrong.
#[tokio::test]
async fn ls_refuses_what_is_not_a_whole_repository() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let not_car = home.path().join("notes.txt");
    std::fs::write(&not_car, "not a CAR").unwrap();
    let not_car = not_car.to_str().unwrap();
    assert_fails(
        &home,
        &["repo", "ls", not_car],
        "not_a_repo",
        "not a repository CAR",
    )
    .await;

    let car = home.path().join("whole.car");
    home.run(&["repo", "export", "-o", car.to_str().unwrap()])
        .await
        .ok();
    let bytes = std::fs::read(&car).unwrap();
    let cut = home.path().join("cut.car");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    assert_fails(
        &home,
        &["repo", "inspect", cut.to_str().unwrap()],
        "not_a_repo",
        "runs past the end",
    )
    .await;
}
