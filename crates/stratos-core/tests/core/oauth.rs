//! Browser sign-in (atproto OAuth) against the reference PDS's own authorize page, driven by
//! headless Chromium: the happy path, restart, revocation, single-flight refresh and every way a
//! callback can be wrong.

use std::sync::Arc;
use std::time::Duration;

use jacquard_api::com_atproto::server::get_session::GetSession;
use stratos_core::auth::oauth::callback::LoopbackListener;
use stratos_core::auth::session::{StoredSecrets, load_secrets};
use stratos_core::config::oauth_client::Redirect;
use stratos_core::store::state::AuthKind;
use stratos_core::{AccountsError, Explain};
use stratos_testkit::xrpc_post;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::World;

fn code_of(e: AccountsError) -> &'static str {
    e.explain().code
}

/// Sign in through the browser: tokens and DPoP key go to the keychain, the session works for
/// XRPC (DPoP-bound), survives a restart, and sign-out revokes it on the server.
#[tokio::test]
async fn browser_sign_in_works_survives_restart_and_revokes() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let callback = w.browser_callback(&acct.handle, &acct, "approve").await;
    let record = w
        .accounts
        .oauth_finish(&callback)
        .await
        .expect("sign-in completes");
    assert_eq!(
        (record.did.as_str(), record.handle.as_str()),
        (acct.did.as_str(), acct.handle.as_str())
    );
    assert_eq!(record.auth_kind, AuthKind::Oauth);
    let info = record.oauth.as_ref().expect("oauth facts recorded");
    assert!(
        info.scope.split(' ').any(|s| s == "atproto"),
        "{}",
        info.scope
    );
    assert!(info.session_ends_by() > info.signed_in_at);

    let stored = w.secret(&acct.did).expect("secrets in the keychain");
    assert!(
        stored.contains("dpop_key") && stored.contains("refresh_token"),
        "tokens and DPoP key stored"
    );
    let on_disk = std::fs::read_to_string(w.accounts.context().state_file().path()).unwrap();
    assert!(
        !on_disk.contains("refresh_token") && !on_disk.contains("dpop"),
        "no secrets in the state file"
    );

    // A restart reads the session back from the keychain; calls are DPoP-bound.
    let restarted = w.reopen();
    let check = restarted
        .check_auth(Some(&acct.did))
        .await
        .expect("check-auth after restart");
    assert_eq!(check.did, acct.did);
    assert_eq!(
        check.email.as_deref(),
        Some(acct.email.as_str()),
        "account:email lets it see the email"
    );

    // Replaying the same callback is refused, and creates nothing.
    let replay = w.accounts.oauth_finish(&callback).await.unwrap_err();
    assert_eq!(code_of(replay), "oauth_state_mismatch");

    // Sign-out revokes: the stored access token is dead on the server afterwards.
    let secrets = load_secrets(w.keychain.as_ref(), &acct.did)
        .unwrap()
        .unwrap();
    let StoredSecrets::Oauth(oauth) = secrets else {
        panic!("an OAuth session is stored")
    };
    let outcome = restarted.logout(Some(&acct.did)).await.expect("logout");
    assert!(outcome.revoked_on_server, "{:?}", outcome.server_error);
    assert!(w.secret(&acct.did).is_none());
    let nonce = std::sync::Mutex::new(None);
    let dpop = stratos_core::net::xrpc::DpopAuth {
        token: oauth.session.token_set.access_token.as_str(),
        key: &oauth.session.dpop_data.dpop_key,
        nonce: &nonce,
    };
    let pds = url::Url::parse(&w.net.pds1().url).unwrap();
    let dead = restarted
        .context()
        .xrpc()
        .send_dpop(&pds, &GetSession, &dpop)
        .await;
    let err = dead.expect_err("the revoked token no longer works");
    assert!(
        err.to_string().contains("401") || err.is_expired_token() || err.error_name().is_some(),
        "{err}"
    );
}

/// 50 concurrent calls with an expired OAuth access token make exactly one token refresh.
#[tokio::test]
async fn fifty_concurrent_calls_share_one_oauth_refresh() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    let callback = w.browser_callback(&acct.did, &acct, "approve").await;
    w.accounts
        .oauth_finish(&callback)
        .await
        .expect("sign-in completes");

    let mut stored: serde_json::Value =
        serde_json::from_str(&w.secret(&acct.did).unwrap()).unwrap();
    let key_x = stored["session"]["dpop_key"]["x"]
        .as_str()
        .expect("DPoP public x")
        .to_owned();
    stored["session"]["expires_at"] = "2020-01-01T00:00:00.000Z".into();
    stratos_core::store::keychain::SecretStore::set(
        w.keychain.as_ref(),
        &acct.did,
        &stored.to_string(),
    )
    .unwrap();
    let before = w.net.request_count("oauth/token", &key_x).await;

    let accounts = Arc::new(w.reopen());
    let session = accounts.session(&acct.did).await.unwrap();
    let calls = (0..50).map(|_| {
        let session = session.clone();
        async move {
            session
                .call(&GetSession)
                .await
                .map(|s| s.did.as_str().to_owned())
        }
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(
            result.map_err(|e| e.to_string()).as_deref(),
            Ok(acct.did.as_str())
        );
    }
    assert_eq!(
        w.net.request_count("oauth/token", &key_x).await - before,
        1,
        "exactly one refresh"
    );
    let after: serde_json::Value = serde_json::from_str(&w.secret(&acct.did).unwrap()).unwrap();
    assert_ne!(
        after["session"]["refresh_token"], stored["session"]["refresh_token"],
        "new tokens persisted"
    );
}

/// A callback whose `state` or `iss` was tampered with is refused, and so is the real one after
/// the sign-in was cancelled; no account is created.
#[tokio::test]
async fn tampered_or_cancelled_callbacks_are_refused() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;

    let real = w.browser_callback(&acct.handle, &acct, "approve").await;
    let forged = real.replace("state=", "state=x");
    assert_eq!(
        code_of(w.accounts.oauth_finish(&forged).await.unwrap_err()),
        "oauth_state_mismatch"
    );
    let wrong_iss = {
        let mut u = url::Url::parse(&real).unwrap();
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "iss" {
                    "https://evil.example.com".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    let err = w.accounts.oauth_finish(&wrong_iss).await.unwrap_err();
    assert_eq!(code_of(err), "oauth_issuer_mismatch");
    // The issuer check consumed that sign-in: the genuine callback cannot be used afterwards.
    assert_eq!(
        code_of(w.accounts.oauth_finish(&real).await.unwrap_err()),
        "oauth_state_mismatch"
    );

    // Cancel in the app, then the browser comes back anyway.
    let listener = LoopbackListener::bind().await.unwrap();
    let started = w
        .accounts
        .oauth_start(
            &acct.handle,
            Redirect::Loopback {
                port: listener.port(),
            },
        )
        .await
        .unwrap();
    w.accounts.oauth_cancel(&started.state);
    let (late, _) = tokio::join!(
        listener.wait(Duration::from_secs(90)),
        w.net.browse(&started.authorize_url, &acct, "approve")
    );
    // Refused as cancelled here (the person is told so), and only once: a replay is a mismatch.
    let late = late.unwrap();
    assert_eq!(
        code_of(w.accounts.oauth_finish(&late).await.unwrap_err()),
        "oauth_cancelled_here"
    );
    assert_eq!(
        code_of(w.accounts.oauth_finish(&late).await.unwrap_err()),
        "oauth_state_mismatch"
    );
    assert!(
        w.accounts.state().unwrap().accounts.is_empty(),
        "no session was created"
    );
}

/// Denying in the browser fails as "cancelled"; if the handle moved to another account between
/// start and sign-in, the tokens name that other DID and are refused.
#[tokio::test]
async fn denied_and_wrong_account_sign_ins_fail() {
    let w = World::start();
    let a = w.net.create_account(w.net.pds1()).await;
    let b = w.net.create_account(w.net.pds1()).await;

    let denied = w.browser_callback(&a.handle, &a, "deny").await;
    let err = w.accounts.oauth_finish(&denied).await.unwrap_err();
    assert_eq!(code_of(err), "oauth_cancelled");

    // Start for A's handle; before the person signs in, A renames itself and B takes A's old
    // handle, so the authorize page (login_hint = that handle) signs in B.
    let listener = LoopbackListener::bind().await.unwrap();
    let started = w
        .accounts
        .oauth_start(
            &a.handle,
            Redirect::Loopback {
                port: listener.port(),
            },
        )
        .await
        .unwrap();
    let renamed = format!("r{}", &a.handle);
    for (acct, handle) in [(&a, renamed.as_str()), (&b, a.handle.as_str())] {
        let body = serde_json::json!({ "handle": handle });
        xrpc_post(
            &acct.pds_url,
            "com.atproto.identity.updateHandle",
            &body,
            Some(&acct.access_jwt),
        )
        .await
        .expect("handle update");
    }
    let (callback, (ok, _, err)) = tokio::join!(
        listener.wait(Duration::from_secs(90)),
        w.net.browse(&started.authorize_url, &b, "approve")
    );
    assert!(ok, "the browser robot failed: {err}");
    let p = w
        .accounts
        .oauth_finish(&callback.unwrap())
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "oauth_wrong_account");
    assert!(
        p.message.contains(&a.did) && p.message.contains(&b.did),
        "{}",
        p.message
    );
    assert!(w.accounts.state().unwrap().accounts.is_empty());
}

/// An authorize address with an unknown request_uri is refused by the server's page, and the
/// abandoned sign-in creates nothing.
#[tokio::test]
async fn unknown_request_uri_is_refused() {
    let w = World::start();
    let a = w.net.create_account(w.net.pds2()).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let started = w
        .accounts
        .oauth_start(
            &a.handle,
            Redirect::Loopback {
                port: listener.port(),
            },
        )
        .await
        .unwrap();
    let bogus = started
        .authorize_url
        .replace("request_uri=urn", "request_uri=urn%3Abogus");
    let (ok, _, err) = w.net.browse(&bogus, &a, "approve").await;
    assert!(!ok, "the server must not accept an unknown request_uri");
    assert!(!err.is_empty(), "the robot reports what the page said");
    w.accounts.oauth_cancel(&started.state);
    drop(listener);
    assert!(w.accounts.state().unwrap().accounts.is_empty());
}

/// TEST DOUBLE (a hostile authorization server): its metadata claims another `issuer` than the
/// server it was fetched from, which the reference PDS never does. Discovery must refuse it.
#[tokio::test]
async fn authorization_server_with_a_foreign_issuer_is_refused() {
    let w = World::start();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let origin = base.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let origin = origin.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let body = if head.starts_with("GET /.well-known/oauth-protected-resource") {
                    serde_json::json!({ "resource": origin, "authorization_servers": [origin] })
                } else {
                    serde_json::json!({
                        "issuer": "https://evil.example.com",
                        "authorization_endpoint": format!("{origin}/oauth/authorize"),
                        "token_endpoint": format!("{origin}/oauth/token"),
                        "pushed_authorization_request_endpoint": format!("{origin}/oauth/par"),
                        "require_pushed_authorization_requests": true,
                        "dpop_signing_alg_values_supported": ["ES256"],
                        "response_types_supported": ["code"],
                        "scopes_supported": ["atproto"],
                    })
                }
                .to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    let p = w
        .accounts
        .oauth_start(&base, Redirect::Loopback { port: 1 })
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "oauth_discovery", "{}", p.message);
    assert!(p.message.to_lowercase().contains("issuer"), "{}", p.message);
}

/// Two browser sign-ins on two PDSes live side by side and both stay usable.
#[tokio::test]
async fn browser_sessions_on_two_pdses_at_once() {
    let w = World::start();
    let a = w.net.create_account(w.net.pds1()).await;
    let b = w.net.create_account(w.net.pds2()).await;
    for acct in [&a, &b] {
        let callback = w.browser_callback(&acct.handle, acct, "approve").await;
        w.accounts
            .oauth_finish(&callback)
            .await
            .expect("sign-in completes");
    }
    let state = w.accounts.state().unwrap();
    assert_eq!(state.accounts.len(), 2);
    assert!(
        state
            .accounts
            .iter()
            .all(|r| r.auth_kind == AuthKind::Oauth)
    );
    for acct in [&a, &b] {
        let check = w
            .accounts
            .check_auth(Some(&acct.handle))
            .await
            .expect("check-auth");
        assert_eq!(
            (check.did.as_str(), check.pds_url.as_str()),
            (acct.did.as_str(), acct.pds_url.as_str())
        );
    }
}

/// A session signed in with basic access is refused what needs more (a handle change needs
/// `identity:*`) with a "sign in again" error; stepping up with full access replaces the session,
/// and the same call then works.
#[tokio::test]
async fn basic_access_steps_up_to_full() {
    use jacquard_api::com_atproto::identity::update_handle::UpdateHandle;
    use jacquard_common::types::string::Handle;
    use stratos_core::config::oauth_client::Access;

    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let sign_in = |access| {
        let (w, acct) = (&w, &acct);
        async move {
            let listener = LoopbackListener::bind().await.unwrap();
            let redirect = Redirect::Loopback {
                port: listener.port(),
            };
            let started = w
                .accounts
                .oauth_start_with(&acct.did, redirect, access)
                .await
                .unwrap();
            let (callback, (ok, _, err)) = tokio::join!(
                listener.wait(Duration::from_secs(90)),
                w.net.browse(&started.authorize_url, acct, "approve")
            );
            assert!(ok, "browser robot: {err}");
            w.accounts
                .oauth_finish(&callback.unwrap())
                .await
                .expect("sign-in completes")
        }
    };
    let basic = sign_in(Access::Basic).await;
    assert_eq!(basic.oauth.unwrap().scope, "atproto transition:generic");
    let renamed = format!("s{}", acct.handle);
    let update: UpdateHandle = UpdateHandle {
        handle: Handle::new_owned(&renamed).unwrap(),
        extra_data: None,
    };
    let refused = w
        .accounts
        .session(&acct.did)
        .await
        .unwrap()
        .call(&update)
        .await
        .unwrap_err();
    assert_eq!(refused.explain().code, "oauth_scope_missing", "{refused}");

    let full = sign_in(Access::Full).await;
    assert!(full.oauth.unwrap().scope.contains("identity:*"));
    w.accounts
        .session(&acct.did)
        .await
        .unwrap()
        .call(&update)
        .await
        .expect("the stepped-up session may");
    assert_eq!(
        w.accounts
            .lookup(&acct.did)
            .await
            .unwrap()
            .handle
            .as_deref(),
        Some(renamed.as_str())
    );
}
