//! Token refresh: single-flight under concurrency, persisted atomically, never looping.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jacquard_api::com_atproto::server::get_session::GetSession;
use stratos_core::auth::session::SessionError;
use stratos_core::store::keychain::SecretStore;
use stratos_testkit::xrpc_post;

use crate::World;

const REFRESH: &str = "com.atproto.server.refreshSession";

/// Signs in and returns the world, the DID and the stored secrets JSON.
async fn signed_in() -> (World, String, serde_json::Value) {
    let w = World::start();
    let acct = w.signed_in(w.net.pds1()).await;
    let secrets = serde_json::from_str(&w.secret(&acct.did).unwrap()).unwrap();
    (w, acct.did, secrets)
}

/// Replaces the stored access token, keeping the refresh token.
fn store_access(w: &World, did: &str, secrets: &serde_json::Value, access: &str) {
    let mut s = secrets.clone();
    s["accessJwt"] = access.into();
    w.keychain.set(did, &s.to_string()).unwrap();
}

/// The real access token with its `exp` moved into the past (signature no longer matches, but
/// the client refreshes before ever sending it).
fn expired_copy(jwt: &str) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = (chrono_now() - 600).into();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn concurrent_get_sessions(
    w: &World,
    did: &str,
    n: usize,
) -> Vec<Result<String, SessionError>> {
    // A fresh Accounts reads the forged token from the keychain, as after a restart.
    let accounts = Arc::new(w.reopen());
    let session = accounts.session(did).await.expect("session restores");
    let calls = (0..n).map(|_| {
        let session = session.clone();
        async move {
            session
                .call(&GetSession)
                .await
                .map(|s| s.did.as_str().to_owned())
        }
    });
    futures::future::join_all(calls).await
}

/// 20 concurrent calls with an expired access token share exactly one refreshSession.
#[tokio::test]
async fn twenty_concurrent_calls_on_an_expired_token_refresh_once() {
    let (w, did, secrets) = signed_in().await;
    store_access(
        &w,
        &did,
        &secrets,
        &expired_copy(secrets["accessJwt"].as_str().unwrap()),
    );
    let before = w.net.request_count(REFRESH, &did).await;

    let results = concurrent_get_sessions(&w, &did, 20).await;
    for r in &results {
        assert_eq!(r.as_deref().map_err(|e| e.to_string()), Ok(did.as_str()));
    }
    assert_eq!(
        w.net.request_count(REFRESH, &did).await - before,
        1,
        "exactly one refreshSession"
    );

    // The new tokens were persisted: the keychain holds a different, working pair.
    let stored: serde_json::Value = serde_json::from_str(&w.secret(&did).unwrap()).unwrap();
    assert_ne!(stored["refreshJwt"], secrets["refreshJwt"]);
    let again = concurrent_get_sessions(&w, &did, 1).await;
    assert!(again[0].is_ok());
    assert_eq!(
        w.net.request_count(REFRESH, &did).await - before,
        1,
        "the new access token is used as is"
    );
}

/// When the server refuses a token the client believed fresh, 20 callers still refresh once.
#[tokio::test]
async fn refused_token_is_refreshed_once_and_retried() {
    let (w, did, secrets) = signed_in().await;
    let access = secrets["accessJwt"].as_str().unwrap();
    let broken = format!(
        "{}.{}",
        &access[..access.rfind('.').unwrap()],
        "c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtbWF0Y2g"
    );
    store_access(&w, &did, &secrets, &broken);
    let before = w.net.request_count(REFRESH, &did).await;

    let results = concurrent_get_sessions(&w, &did, 20).await;
    for r in &results {
        assert_eq!(r.as_deref().map_err(|e| e.to_string()), Ok(did.as_str()));
    }
    assert_eq!(w.net.request_count(REFRESH, &did).await - before, 1);
}

/// A session revoked elsewhere ends as "expired" for every caller, with one refresh attempt and
/// no retry loop.
#[tokio::test]
async fn revoked_session_becomes_expired_without_looping() {
    let (w, did, secrets) = signed_in().await;
    let refresh = secrets["refreshJwt"].as_str().unwrap();
    xrpc_post(
        &w.net.pds1().url,
        "com.atproto.server.deleteSession",
        &serde_json::Value::Null,
        Some(refresh),
    )
    .await
    .expect("revoke elsewhere");
    store_access(
        &w,
        &did,
        &secrets,
        &expired_copy(secrets["accessJwt"].as_str().unwrap()),
    );
    let before = w.net.request_count(REFRESH, &did).await;

    let results = concurrent_get_sessions(&w, &did, 10).await;
    for r in &results {
        assert!(matches!(r, Err(SessionError::Expired { .. })), "{r:?}");
    }
    assert_eq!(
        w.net.request_count(REFRESH, &did).await - before,
        1,
        "one attempt, no loop"
    );

    // The account shows as expired, for the tray and the UI.
    let accounts = w.reopen();
    let refreshed = accounts
        .refresh(&did)
        .await
        .expect("refresh records the state");
    assert_eq!(
        refreshed.health,
        Some(stratos_core::base::health::Health::Expired)
    );
}

/// The app and the CLI are separate processes sharing one keychain: when both find the access
/// token expired at the same moment, only one refreshes and the other uses its new tokens
/// (a second refresh with the same single-use token would end the session).
#[tokio::test]
async fn two_processes_share_one_refresh() {
    let (w, did, secrets) = signed_in().await;
    store_access(
        &w,
        &did,
        &secrets,
        &expired_copy(secrets["accessJwt"].as_str().unwrap()),
    );
    let before = w.net.request_count(REFRESH, &did).await;

    // Two independent stores, as two processes would have, on the same data folder and keychain.
    let (app, cli) = (w.reopen(), w.reopen());
    let (from_app, from_cli) = (
        app.session(&did).await.unwrap(),
        cli.session(&did).await.unwrap(),
    );
    let (a, b) = tokio::join!(from_app.call(&GetSession), from_cli.call(&GetSession));
    assert_eq!(
        a.map(|s| s.did.as_str().to_owned())
            .map_err(|e| e.to_string()),
        Ok(did.clone())
    );
    assert_eq!(
        b.map(|s| s.did.as_str().to_owned())
            .map_err(|e| e.to_string()),
        Ok(did.clone())
    );
    assert_eq!(
        w.net.request_count(REFRESH, &did).await - before,
        1,
        "one refresh across both"
    );
    assert!(cli.check_auth(Some(&did)).await.is_ok() && app.check_auth(Some(&did)).await.is_ok());
}
