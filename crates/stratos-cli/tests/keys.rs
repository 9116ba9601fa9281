//! `stratos key generate|list|export` and `account service-auth-offline --key` end to end, in
//! text and `--json` mode: keys held in the keychain.

mod common;

use common::{Home, assert_fails};

/// `key generate|list|export`: the did:key is printed, listed, and the export holds the private
/// key behind a warning, once; unknown keys are explained.
#[tokio::test]
async fn key_generate_list_export() {
    let home = Home::new();
    let run = home.run(&["key", "generate"]).await;
    let k256 = run.ok().trim().to_owned();
    assert!(k256.starts_with("did:key:zQ3s"), "{run:#?}");
    assert!(run.stderr.contains("keychain"), "{run:#?}");
    let p256 = home
        .run(&["--json", "key", "generate", "--type", "p256"])
        .await
        .ok_json();
    assert_eq!(p256["type"], "p256");
    let p256 = p256["didKey"].as_str().unwrap().to_owned();
    assert!(p256.starts_with("did:key:zDn"), "{p256}");

    let list = home.run(&["--json", "key", "list"]).await.ok_json();
    let listed: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["didKey"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![k256.as_str(), p256.as_str()]);
    let text = home.run(&["key", "list"]).await;
    assert!(text.ok().contains(&format!("{k256}  k256")), "{text:#?}");

    let file = home.path().join("key.txt");
    let file_arg = file.to_str().unwrap();
    let run = home.run(&["key", "export", &k256, "--out", file_arg]).await;
    assert!(run.ok().contains("Wrote the private key"), "{run:#?}");
    assert!(
        run.stderr
            .contains("warning: This file holds a private key"),
        "{run:#?}"
    );
    let secret = std::fs::read_to_string(&file).unwrap();
    assert!(
        secret.starts_with('z') && secret.ends_with('\n'),
        "multibase"
    );
    assert_fails(
        &home,
        &["key", "export", &k256, "--out", file_arg],
        "file_exists",
        "already exists",
    )
    .await;
    assert_fails(
        &home,
        &[
            "key",
            "export",
            "did:key:zQ3shnothere",
            "--out",
            "/tmp/never-written",
        ],
        "key_not_found",
        "No private key for did:key:zQ3shnothere",
    )
    .await;

    // The exported key signs service auth the same as the stored one.
    let common = ["--iss", "did:plc:abc", "--aud", "did:web:pds.example"];
    let stored: Vec<&str> = ["--json", "account", "service-auth-offline", "--key", &k256]
        .into_iter()
        .chain(common)
        .collect();
    let doc = home.run(&stored).await.ok_json();
    assert_eq!(doc["signingKey"], k256.as_str());
    assert_eq!(doc["claims"]["alg"], "ES256K");
    let pasted: Vec<&str> = [
        "--json",
        "account",
        "service-auth-offline",
        "--atproto-signing-key",
        secret.trim(),
    ]
    .into_iter()
    .chain(common)
    .collect();
    assert_eq!(
        home.run(&pasted).await.ok_json()["signingKey"],
        k256.as_str()
    );
    let both: Vec<&str> = stored
        .iter()
        .copied()
        .chain(["--atproto-signing-key", secret.trim()])
        .collect();
    let run = home.run(&both).await;
    assert!(
        !run.status.success() && run.stderr.contains("cannot be used with"),
        "{run:#?}"
    );
}

/// `key export --words` writes the 24 recovery words; `key import --words` in another home puts
/// the same key back (same did:key, now held); a mistyped word is named by its position and
/// nothing is imported; `key inspect` says curve, canonical did:key and whether it is held.
#[tokio::test]
async fn recovery_words_round_trip_and_inspect() {
    let home = Home::new();
    let key = home.run(&["key", "generate"]).await.ok().trim().to_owned();
    let file = home.path().join("words.txt");
    home.run(&[
        "key",
        "export",
        &key,
        "--words",
        "--out",
        file.to_str().unwrap(),
    ])
    .await
    .ok();
    let words = std::fs::read_to_string(&file).unwrap();
    let list: Vec<&str> = words.split_whitespace().collect();
    assert_eq!(list.len(), 24, "{words}");

    let other = Home::new();
    let info = other
        .run(&["--json", "key", "inspect", &key])
        .await
        .ok_json();
    assert_eq!(info["didKey"], key.as_str());
    assert_eq!(info["type"], "k256");
    assert_eq!(info["held"], false);

    let mut typo = list.clone();
    typo[6] = "zebraa";
    let mut args = vec!["key", "import", "--words"];
    args.extend(typo.iter().copied());
    assert_fails(&other, &args, "bad_recovery_words", "Word 7 (\"zebraa\")").await;
    let listed = other.run(&["--json", "key", "list"]).await.ok_json();
    assert_eq!(listed["keys"], serde_json::json!([]), "nothing imported");

    let mut args = vec!["--json", "key", "import", "--words"];
    args.extend(list.iter().copied());
    let imported = other.run(&args).await.ok_json();
    assert_eq!(imported["didKey"], key.as_str());
    let info = other
        .run(&[
            "--json",
            "key",
            "inspect",
            key.strip_prefix("did:key:").unwrap(),
        ])
        .await
        .ok_json();
    assert_eq!(info["held"], true);
    let text = other.run(&["key", "inspect", &key]).await;
    assert!(text.ok().contains("secp256k1"), "{text:#?}");

    assert_fails(
        &other,
        &["key", "inspect", "did:key:zzz"],
        "bad_key",
        "did:key:zzz",
    )
    .await;
}
