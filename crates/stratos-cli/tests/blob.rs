//! `stratos blob upload|ls|download` against the reference PDS: a file uploaded, referenced by a
//! record, listed and downloaded back byte for byte, also by a Stratos where nobody is signed
//! in; and what is refused.

mod common;

use common::{Home, assert_fails, login};
use serde_json::json;
use stratos_testkit::{Network, cid_of, create_record, upload_blob};

/// upload prints the blob reference; once a record references it, `ls` lists it and `download`
/// writes the same bytes, refusing to overwrite a file.
#[tokio::test]
async fn upload_list_and_download() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = home.path().join("photo.bin");
    std::fs::write(&file, &bytes).unwrap();

    let up = home
        .run(&["--json", "blob", "upload", file.to_str().unwrap()])
        .await
        .ok_json();
    assert_eq!(up["did"], acct.did.as_str());
    assert_eq!(up["blob"]["size"], bytes.len());
    let cid = up["blob"]["ref"]["$link"]
        .as_str()
        .expect("a CID")
        .to_owned();
    let direct = upload_blob(&acct, &bytes, "application/octet-stream").await;
    assert_eq!(cid, cid_of(&direct), "the PDS stored the file's bytes");
    create_record(
        &acct,
        "com.example.gallery",
        json!({"$type": "com.example.gallery", "files": [up["blob"]]}),
    )
    .await;

    let listed = home.run(&["--json", "blob", "ls"]).await.ok_json();
    assert_eq!(listed["cids"], json!([cid]));
    let text = home.run(&["blob", "list", &acct.handle]).await;
    assert_eq!(text.ok().trim(), cid, "{text:#?}");

    let out = home.path().join("back.bin");
    let out = out.to_str().unwrap();
    let got = home
        .run(&["--json", "blob", "download", &acct.handle, &cid, "-o", out])
        .await
        .ok_json();
    assert_eq!(got["bytes"], bytes.len());
    assert_eq!(std::fs::read(out).unwrap(), bytes);
    assert_fails(
        &home,
        &["blob", "download", &acct.did, &cid, "-o", out],
        "file_exists",
        "already exists",
    )
    .await;
    // Blobs are public: a Stratos with no account signed in reads them too, by handle.
    let stranger = Home::new();
    let listed = stranger
        .run(&["--json", "blob", "ls", &acct.handle])
        .await
        .ok_json();
    assert_eq!(listed["cids"], json!([cid]));
    assert_eq!(listed["did"], acct.did.as_str());
    let copy = stranger.path().join("copy.bin");
    stranger
        .run(&[
            "blob",
            "download",
            &acct.handle,
            &cid,
            "-o",
            copy.to_str().unwrap(),
        ])
        .await
        .ok();
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    assert_fails(
        &stranger,
        &["blob", "ls", "nobody-here.test"],
        "handle_not_found",
        "nobody-here.test",
    )
    .await;
    assert_fails(
        &home,
        &["blob", "download", &acct.did, "not-a-cid"],
        "bad_cid",
        "not a CID",
    )
    .await;
}
