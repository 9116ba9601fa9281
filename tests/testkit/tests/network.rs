//! Proves the local test network and the testkit work together: accounts on
//! both PDSes, handle resolution, mailed codes, email 2FA, handle overrides.
//! Needs the network: run through tests/run.sh (or set STRATOS_TESTNET_INFO).

use stratos_testkit::{Network, subjects, xrpc_get};

#[tokio::test]
async fn accounts_on_both_pdses_resolve_through_the_resolver() {
    let net = Network::shared();
    let alice = net.create_account(net.pds1()).await;
    let bob = net.create_account(net.pds2()).await;

    assert!(alice.handle.ends_with(".test") && !alice.handle.ends_with(".pds2.test"));
    assert!(bob.handle.ends_with(".pds2.test"));
    assert!(alice.did.starts_with("did:plc:"), "{}", alice.did);
    assert_ne!(alice.did, bob.did);

    assert_eq!(
        net.resolve_handle(&alice.handle).await.as_deref(),
        Some(alice.did.as_str())
    );
    assert_eq!(
        net.resolve_handle(&bob.handle).await.as_deref(),
        Some(bob.did.as_str())
    );
    assert_eq!(net.resolve_handle("nobody-here.test").await, None);

    // The DID document in the PLC directory points at the PDS that holds the account.
    let doc: serde_json::Value = reqwest::get(format!("{}/{}", net.plc, bob.did))
        .await
        .expect("the PLC directory answers")
        .json()
        .await
        .expect("the PLC directory answers JSON");
    assert_eq!(
        doc["service"][0]["serviceEndpoint"],
        serde_json::json!(net.pds2().url)
    );
}

#[tokio::test]
async fn wait_mail_returns_the_mailed_code_and_confirm_email_uses_it() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    assert!(net.mails(&acct.email).await.is_empty());

    net.confirm_email(&acct).await;

    let mail = net
        .wait_mail(&acct.email, subjects::EMAIL_CONFIRMATION, 0)
        .await;
    let code = mail.code.expect("the confirmation mail carries a code");
    assert_eq!(code.len(), 11, "{code}");
    assert_eq!(mail.to, acct.email);
    let session = xrpc_get(
        &acct.pds_url,
        "com.atproto.server.getSession",
        &[],
        Some(&acct.access_jwt),
    )
    .await
    .expect("getSession works");
    assert_eq!(session["emailConfirmed"], serde_json::json!(true));
}

#[tokio::test]
async fn email_2fa_requires_the_mailed_sign_in_code() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    net.enable_email_2fa(&acct).await;

    let err = net
        .create_session(&acct.pds_url, &acct.handle, &acct.password, None)
        .await
        .expect_err("a password alone is not enough with email 2FA on");
    assert_eq!(err.error, "AuthFactorTokenRequired", "{err}");
    assert_eq!(err.status, 401);

    let mail = net.wait_mail(&acct.email, subjects::SIGN_IN_CODE, 0).await;
    let code = mail.code.expect("the sign-in mail carries a code");

    let wrong = net
        .create_session(
            &acct.pds_url,
            &acct.handle,
            &acct.password,
            Some("AAAAA-BBBBB"),
        )
        .await
        .expect_err("a wrong code is refused");
    assert_eq!(wrong.error, "InvalidToken", "{wrong}");

    let session = net
        .create_session(&acct.pds_url, &acct.email, &acct.password, Some(&code))
        .await
        .expect("the mailed code completes the sign-in");
    assert_eq!(session["did"], serde_json::json!(acct.did));
    assert_eq!(session["emailAuthFactor"], serde_json::json!(true));
    assert_eq!(
        session["emailConfirmed"],
        serde_json::json!(true),
        "enabling 2FA keeps the email confirmed"
    );
}

#[tokio::test]
async fn handle_override_lets_an_account_take_a_custom_domain_handle() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let custom = format!("{}.example.org", acct.handle.trim_end_matches(".test"));
    let update = |handle: String| {
        let body = serde_json::json!({ "handle": handle });
        let (url, jwt) = (acct.pds_url.clone(), acct.access_jwt.clone());
        async move {
            stratos_testkit::xrpc_post(&url, "com.atproto.identity.updateHandle", &body, Some(&jwt))
                .await
        }
    };

    let refused = update(custom.clone())
        .await
        .expect_err("an unresolvable domain is refused");
    assert!(refused.message.contains("did not resolve"), "{refused}");

    net.set_handle_override(&custom, &acct.did).await;
    update(custom.clone())
        .await
        .expect("the PDS verifies the handle through the override");
    assert_eq!(
        net.resolve_handle(&custom).await.as_deref(),
        Some(acct.did.as_str())
    );

    net.clear_handle_override(&custom).await;
    assert_eq!(net.resolve_handle(&custom).await, None);
}

#[tokio::test]
async fn a_pds_of_the_tests_own_stops_refusing_connections_and_starts_again_with_its_data() {
    let net = Network::shared();
    let pds = net.new_pds().await;
    assert_ne!(pds.url, net.pds1().url);
    assert_ne!(pds.url, net.pds2().url);
    let acct = net.create_account(&pds).await;
    assert!(acct.handle.ends_with(&pds.domain), "{}", acct.handle);
    assert_eq!(
        net.resolve_handle(&acct.handle).await.as_deref(),
        Some(acct.did.as_str())
    );

    net.stop_pds(&pds).await;
    let refused = reqwest::get(format!("{}/xrpc/_health", pds.url))
        .await
        .expect_err("a stopped PDS must not answer");
    assert!(refused.is_connect(), "{refused:?}");
    // The shared PDSes are untouched.
    let other = net.create_account(net.pds1()).await;
    assert!(other.handle.ends_with(".test"));

    net.start_pds(&pds).await;
    let session = net
        .create_session(&pds.url, &acct.handle, &acct.password, None)
        .await
        .expect("the restarted PDS kept the account");
    assert_eq!(session["did"], serde_json::json!(acct.did));
}
