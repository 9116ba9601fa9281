//! `stratos account service-auth` and `service-auth-offline` end to end, in text and `--json`
//! mode: a token from the PDS, and one signed here with a pasted key that another PDS accepts.

mod common;

use common::{Home, assert_fails, login};
use serde_json::{Value, json};
use stratos_testkit::{Network, xrpc_post};

/// `service-auth`: the token alone on stdout in text mode, token plus claims with `--json`.
#[tokio::test]
async fn service_auth_from_the_pds() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let lxm = "com.atproto.server.createAccount";
    let aud = net.pds2().did.as_str();
    let run = home
        .run(&["account", "service-auth", "--aud", aud, "--lxm", lxm])
        .await;
    let token = run.ok().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("for {} to {aud}, method {lxm}", acct.did))
    );
    let doc = home
        .run(&[
            "--json",
            "account",
            "service-auth",
            "--aud",
            aud,
            "--lxm",
            lxm,
            "--duration-sec",
            "300",
        ])
        .await
        .ok_json();
    assert_eq!(doc["claims"]["iss"], acct.did.as_str());
    assert_eq!(doc["claims"]["aud"], aud);
    assert_eq!(doc["claims"]["lxm"], lxm);
    let span = doc["claims"]["exp"].as_i64().unwrap() - doc["claims"]["iat"].as_i64().unwrap();
    assert!((299..=302).contains(&span), "{doc}");
    assert_fails(
        &home,
        &["account", "service-auth", "--aud", "not-a-did"],
        "bad_identifier",
        "The audience \"not-a-did\" is not a DID",
    )
    .await;
}

/// `service-auth-offline` signs with a pasted key; PDS2 accepts the token for createAccount with
/// that DID. A public key pasted by mistake is explained.
#[tokio::test]
async fn service_auth_offline_is_accepted_by_a_pds() {
    let net = Network::shared();
    let pds2 = net.pds2();
    let mut url = url::Url::parse(&net.control).unwrap();
    url.set_path("/did-with-key");
    url.query_pairs_mut().append_pair("pds", &pds2.url);
    let made: Value = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("control server")
        .json()
        .await
        .expect("json");
    let did = made["did"].as_str().unwrap();
    let key = made["signingKey"].as_str().unwrap();
    let home = Home::new();
    let lxm = "com.atproto.server.createAccount";
    let args = [
        "account",
        "service-auth-offline",
        "--atproto-signing-key",
        key,
        "--iss",
        did,
        "--aud",
        &pds2.did,
        "--lxm",
        lxm,
        "--duration-sec",
        "120",
    ];
    let run = home.run(&args).await;
    let text_token = run.ok().trim().to_owned();
    assert_eq!(text_token.split('.').count(), 3, "{run:#?}");
    assert!(run.stderr.contains("ES256K"), "{run:#?}");
    assert!(run.stderr.contains("Signed by did:key:z"), "{run:#?}");
    let json_args: Vec<&str> = ["--json"].iter().chain(args.iter()).copied().collect();
    let doc = home.run(&json_args).await.ok_json();
    assert_eq!(doc["claims"]["iss"], did);
    assert_eq!(doc["claims"]["alg"], "ES256K");

    let label = &did.trim_start_matches("did:plc:")[..12];
    let body = json!({
        "did": did,
        "handle": format!("c{label}{}", pds2.domain),
        "email": format!("c{label}@example.com"),
        "password": "offline-cli-pw",
    });
    let out = xrpc_post(
        &pds2.url,
        "com.atproto.server.createAccount",
        &body,
        doc["token"].as_str(),
    )
    .await
    .expect("PDS2 accepts the offline token");
    assert_eq!(out["did"], did);

    assert_fails(
        &home,
        &[
            "account",
            "service-auth-offline",
            "--atproto-signing-key",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
            "--iss",
            did,
            "--aud",
            &pds2.did,
        ],
        "bad_signing_key",
        "this is a public did:key",
    )
    .await;
}
