//! Group B verbs end to end: `account email`, `password-reset`, `delete`, `backup`,
//! `missing-blobs`, in text and `--json` mode, against the real network with mailed codes.

use serde_json::{Value, json};
use stratos_testkit::{Network, TestAccount, subjects, xrpc_post};

use crate::common::Home;
use crate::{assert_fails, list_json, login};

/// How many mails with `subject` the address has received so far.
async fn seen(net: &Network, email: &str, subject: &str) -> usize {
    net.mails(email)
        .await
        .iter()
        .filter(|m| m.subject.contains(subject))
        .count()
}

/// The code of the next mail with `subject` after `before` of them.
async fn code(net: &Network, email: &str, subject: &str, before: usize) -> String {
    net.wait_mail(email, subject, before)
        .await
        .code
        .expect("the mail has a code")
}

/// Uploads `bytes` as a blob of `acct` and references it from a record; returns the blob JSON
/// and the record's rkey.
async fn blob_in_record(acct: &TestAccount, bytes: &[u8]) -> (Value, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", acct.pds_url))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("uploadBlob");
    assert!(response.status().is_success(), "{response:?}");
    let blob = response.json::<Value>().await.unwrap()["blob"].clone();
    let body = json!({"repo": acct.did, "collection": "com.example.gallery",
        "record": {"files": [blob], "createdAt": "2026-01-01T00:00:00Z"}});
    let out = xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.createRecord",
        &body,
        Some(&acct.access_jwt),
    )
    .await
    .expect("createRecord");
    let rkey = out["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    (blob, rkey.to_owned())
}

/// Show, confirm (wrong code refused), change with the code sent to the old address, 2FA on.
#[tokio::test]
async fn email_show_confirm_update_and_two_factor() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let out = home.run(&["account", "email"]).await;
    assert!(out.ok().contains(&acct.email), "{out:#?}");
    assert!(out.stdout.contains("Confirmed    no"), "{out:#?}");

    let before = seen(net, &acct.email, subjects::EMAIL_CONFIRMATION).await;
    let sent = home
        .run(&["--json", "account", "email", "--confirm"])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    assert_eq!(sent["sentTo"], acct.email.as_str());
    let c = code(net, &acct.email, subjects::EMAIL_CONFIRMATION, before).await;
    assert_fails(
        &home,
        &["account", "email", "--confirm", "--token", "AAAAA-BBBBB"],
        "wrong_code",
        "wrong",
    )
    .await;
    let done = home
        .run(&["account", "email", &acct.handle, "--confirm", "--token", &c])
        .await;
    assert!(done.ok().contains("confirmed"), "{done:#?}");
    let info = home.run(&["--json", "account", "email"]).await.ok_json();
    assert_eq!(info["confirmed"], true);

    let new = format!("new-{}", acct.email);
    let before = seen(net, &acct.email, subjects::EMAIL_UPDATE).await;
    let asked = home.run(&["account", "email", "--update", &new]).await;
    assert!(
        asked.ok().contains(&acct.email),
        "the code goes to the old address: {asked:#?}"
    );
    let c = code(net, &acct.email, subjects::EMAIL_UPDATE, before).await;
    let changed = home
        .run(&[
            "--json", "account", "email", "--update", &new, "--token", &c,
        ])
        .await
        .ok_json();
    assert_eq!(changed["email"], new.as_str());
    assert_eq!(changed["confirmed"], false);

    // The new address is unconfirmed, so turning 2FA on needs no code.
    let on = home.run(&["account", "email", "--two-factor", "on"]).await;
    assert!(on.ok().contains("Email 2FA is now on"), "{on:#?}");
    let info = home.run(&["--json", "account", "email"]).await.ok_json();
    assert_eq!(info["twoFactor"], true);
}

/// Request by email + PDS host, reset with the code, then only the new password signs in.
#[tokio::test]
async fn password_reset_by_email() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let home = Home::new();
    assert_fails(
        &home,
        &["account", "password-reset", &acct.handle],
        "email_unknown",
        "email address",
    )
    .await;
    let before = seen(net, &acct.email, subjects::PASSWORD_RESET).await;
    let sent = home
        .run(&[
            "--json",
            "account",
            "password-reset",
            &acct.email,
            "--pds-host",
            &acct.pds_url,
        ])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    let c = code(net, &acct.email, subjects::PASSWORD_RESET, before).await;
    let new = "a much longer new password 2026";
    let args = [
        "account",
        "password-reset",
        &acct.email,
        "--pds-host",
        &acct.pds_url,
        "--token",
        &c,
        "--new-password",
    ];
    assert_fails(
        &home,
        &[&args[..], &["short"]].concat(),
        "weak_password",
        "too weak",
    )
    .await;
    let done = home.run(&[&args[..], &[new]].concat()).await;
    assert!(done.ok().contains("Password changed"), "{done:#?}");
    home.run(&["account", "login", "-u", &acct.handle, "-p", new])
        .await
        .ok();
    assert!(
        net.create_session(&acct.pds_url, &acct.handle, &acct.password, None)
            .await
            .is_err()
    );
}

/// A wrong typed handle is refused before anything happens; the code is mailed; with it and the
/// password the account is deleted on the PDS and from Stratos.
#[tokio::test]
async fn delete_with_typed_handle_and_code() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    assert_fails(
        &home,
        &["account", "delete", "--confirm-handle", "someone.else.test"],
        "handle_mismatch",
        "is not the handle",
    )
    .await;
    let before = seen(net, &acct.email, subjects::ACCOUNT_DELETION).await;
    let sent = home
        .run(&[
            "--json",
            "account",
            "delete",
            "--confirm-handle",
            &acct.handle,
        ])
        .await
        .ok_json();
    assert_eq!(sent["codeSent"], true);
    let c = code(net, &acct.email, subjects::ACCOUNT_DELETION, before).await;
    let args = [
        "account",
        "delete",
        "--confirm-handle",
        &acct.handle,
        "--token",
        &c,
    ];
    assert_fails(
        &home,
        &[&args[..], &["-p", "wrong-password"]].concat(),
        "wrong_password",
        "Wrong password",
    )
    .await;
    let gone = home
        .run(&[&["--json"], &args[..], &["-p", &acct.password]].concat())
        .await
        .ok_json();
    assert_eq!(gone["did"], acct.did.as_str());
    assert!(list_json(&home).await.is_empty());
    assert!(
        net.create_session(&acct.pds_url, &acct.handle, &acct.password, None)
            .await
            .is_err()
    );
}

/// `backup` writes the CAR and the blob (text and JSON); `missing-blobs` lists what an import
/// left missing, fails to repair from a server without it, and repairs from one with it.
#[tokio::test]
async fn backup_and_missing_blobs() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let bytes = format!("cli blob of {}", acct.did).repeat(30).into_bytes();
    let (blob, rkey) = blob_in_record(&acct, &bytes).await;
    let cid = blob["ref"]["$link"].as_str().unwrap().to_owned();
    let home = Home::new();
    login(&home, &acct).await;

    let folder = home.path().join("backup");
    let folder_s = folder.to_str().unwrap();
    let text = home.run(&["account", "backup", "--to", folder_s]).await;
    assert!(text.ok().contains("1 blobs (1 downloaded"), "{text:#?}");
    let summary = home
        .run(&[
            "--json",
            "account",
            "backup",
            &acct.handle,
            "--to",
            folder_s,
        ])
        .await
        .ok_json();
    assert_eq!(summary["blobsTotal"], 1);
    assert_eq!(summary["blobsSkipped"], 1);
    assert_eq!(
        std::fs::read(folder.join("blobs").join(&cid)).unwrap(),
        bytes
    );
    let car = std::fs::read(folder.join("repo.car")).unwrap();
    assert!(!car.is_empty() && car[1] == 0xa2, "a CAR header");

    let none = home
        .run(&["--json", "account", "missing-blobs"])
        .await
        .ok_json();
    assert_eq!(none["count"], 0);

    // Lose the blob: delete the record (the PDS drops the blob), import the old CAR again.
    xrpc_post(
        &acct.pds_url,
        "com.atproto.repo.deleteRecord",
        &json!({"repo": acct.did, "collection": "com.example.gallery", "rkey": rkey}),
        Some(&acct.access_jwt),
    )
    .await
    .expect("deleteRecord");
    let r = reqwest::Client::new()
        .post(format!("{}/xrpc/com.atproto.repo.importRepo", acct.pds_url))
        .bearer_auth(&acct.access_jwt)
        .header("content-type", "application/vnd.ipld.car")
        .body(car)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "importRepo: {r:?}");

    let listed = home.run(&["account", "missing-blobs"]).await;
    assert!(listed.ok().contains(&cid), "{listed:#?}");
    let missing = home
        .run(&["--json", "account", "missing-blobs"])
        .await
        .ok_json();
    assert_eq!(missing["count"], 1);
    assert_eq!(missing["blobs"][0]["cid"], cid.as_str());

    assert_fails(
        &home,
        &["account", "missing-blobs", "--repair-from", &acct.pds_url],
        "blobs_not_repaired",
        "could not be copied",
    )
    .await;
    let other = net.create_account(net.pds2()).await;
    blob_in_record(&other, &bytes).await;
    let repaired = home
        .run(&[
            "--json",
            "account",
            "missing-blobs",
            "--repair-from",
            &other.pds_url,
            "--source-did",
            &other.did,
        ])
        .await
        .ok_json();
    assert_eq!(repaired["repaired"], json!([cid]));
    assert_eq!(repaired["stillMissing"], 0);
    let after = home.run(&["account", "missing-blobs"]).await;
    assert!(after.ok().contains("No missing blobs"), "{after:#?}");
}
