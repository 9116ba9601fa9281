//! Service auth: a token from the PDS, and a token signed offline that another PDS accepts.

use std::time::Duration;

use serde_json::{Value, json};
use stratos_core::service_auth::{self, TokenRequest};
use stratos_testkit::{Network, xrpc_post};

use crate::{World, login};
use stratos_core::auth::step_up::StepUp;

const CREATE_ACCOUNT: &str = "com.atproto.server.createAccount";

/// The PDS signs a token whose decoded claims are what was asked for.
#[tokio::test]
async fn online_token_has_the_requested_claims() {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let req = TokenRequest {
        aud: w.net.pds2().did.clone(),
        lxm: Some(CREATE_ACCOUNT.into()),
        duration: Some(Duration::from_secs(600)),
    };
    let before = chrono::Utc::now().timestamp();
    let token = service_auth::request(&w.accounts, &acct.did, &req)
        .await
        .expect("getServiceAuth");
    let c = &token.claims;
    assert_eq!(c.iss, acct.did);
    assert_eq!(c.aud, w.net.pds2().did);
    assert_eq!(c.lxm.as_deref(), Some(CREATE_ACCOUNT));
    assert_eq!(c.alg, "ES256K");
    assert!((before + 599..=before + 602).contains(&c.exp), "{c:?}");
    assert_eq!(service_auth::decode(&token.token).unwrap(), *c);
    assert!(!format!("{token:?}").contains(&token.token));
}

/// A fresh did:plc whose #atproto key the test holds (see tests/network README).
async fn did_with_key(net: &Network, pds: &str) -> (String, String) {
    let mut url = url::Url::parse(&net.control).unwrap();
    url.set_path("/did-with-key");
    url.query_pairs_mut().append_pair("pds", pds);
    let v: Value = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("control server")
        .json()
        .await
        .expect("json");
    (
        v["did"].as_str().unwrap().to_owned(),
        v["signingKey"].as_str().unwrap().to_owned(),
    )
}

/// A token signed offline with the DID's own key lets PDS2 create an account for that existing
/// DID (the migration-style createAccount); one signed with another key is refused.
#[tokio::test]
async fn offline_token_is_accepted_by_a_pds() {
    let net = Network::shared();
    let pds2 = net.pds2();
    let (did, key) = did_with_key(net, &pds2.url).await;
    let (_, other_key) = did_with_key(net, &pds2.url).await;
    let req = TokenRequest {
        aud: pds2.did.clone(),
        lxm: Some(CREATE_ACCOUNT.into()),
        duration: Some(Duration::from_secs(300)),
    };
    let label = did.trim_start_matches("did:plc:")[..12].to_owned();
    let body = json!({
        "did": did,
        "handle": format!("o{label}{}", pds2.domain),
        "email": format!("o{label}@example.com"),
        "password": "offline-pw-123",
    });

    let forged = service_auth::sign_offline(&other_key, &did, &req).expect("sign");
    let err = xrpc_post(&pds2.url, CREATE_ACCOUNT, &body, Some(&forged.token))
        .await
        .expect_err("a token signed with another key is refused");
    assert_eq!(err.status, 401, "{err:?}");

    let token = service_auth::sign_offline(&key, &did, &req).expect("sign");
    assert_eq!(token.claims.iss, did);
    assert_eq!(token.claims.aud, pds2.did);
    assert_eq!(token.claims.alg, "ES256K");
    let out = xrpc_post(&pds2.url, CREATE_ACCOUNT, &body, Some(&token.token))
        .await
        .expect("PDS2 accepts the offline token");
    assert_eq!(out["did"], did.as_str());

    // The new account starts deactivated, and PDS2 will not activate it while the DID document
    // still carries the test's key instead of PDS2's: the error says so.
    let w = World::start();
    w.accounts
        .login_password(login(&did, "offline-pw-123"))
        .await
        .expect("login to the new account");
    let err = stratos_core::activation::activate(&w.accounts, &did, StepUp::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            stratos_core::activation::ActivationError::NotHostedHere { .. }
        ),
        "{err}"
    );
    assert_eq!(stratos_core::Explain::explain(&err).code, "not_hosted_here");
}
