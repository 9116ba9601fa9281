//! Bad input and broken servers: each gives a specific error quickly, never a panic or a hang.

use std::time::Duration;

use stratos_core::config::Config;
use stratos_core::{Accounts, Explain, LoginRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{World, login};

/// A password sign-in request, at the PDS `pds` when given.
fn login_at(id: &str, password: &str, pds: Option<&str>) -> LoginRequest {
    LoginRequest {
        pds_host: pds.map(Into::into),
        ..login(id, password)
    }
}

async fn code_of_login(w: &World, req: LoginRequest) -> &'static str {
    w.accounts
        .login_password(req)
        .await
        .expect_err("must fail")
        .explain()
        .code
}

/// Empty fields, garbage identifiers, unknown handles, wrong passwords: each has its own code.
#[tokio::test]
async fn typed_mistakes_have_specific_errors() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    assert_eq!(
        code_of_login(&w, login_at("", "pw", None)).await,
        "empty_field"
    );
    assert_eq!(
        code_of_login(&w, login_at(&acct.handle, "", None)).await,
        "empty_field"
    );
    assert_eq!(
        code_of_login(&w, login_at("not a handle", "pw", None)).await,
        "bad_identifier"
    );
    assert_eq!(
        code_of_login(&w, login_at("nobody-here.test", "pw", None)).await,
        "handle_not_found"
    );
    assert_eq!(
        code_of_login(&w, login_at(&acct.handle, "wrong-password", None)).await,
        "wrong_password"
    );
    assert_eq!(
        code_of_login(&w, login_at(&acct.handle, "pw", Some("ftp://x"))).await,
        "bad_server_url"
    );
    let lookup = w
        .accounts
        .lookup("nobody-here.test")
        .await
        .unwrap_err()
        .explain();
    assert_eq!(lookup.code, "handle_not_found");
    assert!(
        lookup.message.contains("nobody-here.test"),
        "{}",
        lookup.message
    );
    assert!(
        w.accounts.state().unwrap().accounts.is_empty(),
        "nothing half-added"
    );
}

/// A real DID whose document names no PDS is reported as such, for status and for login.
#[tokio::test]
async fn did_without_a_pds() {
    let w = World::start();
    let did = w.net.did_without_pds().await;
    let p = w.accounts.lookup(&did).await.unwrap_err().explain();
    assert_eq!(p.code, "no_pds");
    assert!(p.message.contains(&did));
    assert_eq!(
        code_of_login(&w, login_at(&did, "pw", None)).await,
        "no_pds"
    );
    let unknown = w
        .accounts
        .lookup("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
        .await
        .unwrap_err()
        .explain();
    assert_eq!(unknown.code, "did_document_unavailable");
}

/// A PDS address where nothing listens fails fast as unreachable.
#[tokio::test]
async fn unreachable_pds() {
    let w = World::start();
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let acct = w.net.create_account(w.net.pds1()).await;
    let p = w
        .accounts
        .login_password(login_at(&acct.handle, &acct.password, Some(&url)))
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "pds_unreachable");
    // Plain words for the person; the system's own words only in the detail.
    assert!(
        p.message.contains("nothing answers at that address"),
        "{}",
        p.message
    );
    assert!(!p.message.contains("os error"), "{}", p.message);
    let detail = p.detail.expect("the technical cause is kept for Details");
    assert!(detail.contains("os error 111"), "{detail}");
}

/// TEST DOUBLE (a hostile PDS): answers every request with `response` (status line, content
/// type, body), or never answers when it is `None`. A real PDS cannot be made to answer HTML or
/// hang, so this stands in for a broken server or proxy.
async fn hostile_pds(response: Option<(&str, &str, &str)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let raw = response.map(|(status, ctype, body)| {
        format!("HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    });
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let raw = raw.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                match raw {
                    Some(raw) => {
                        let _ = sock.write_all(raw.as_bytes()).await;
                    }
                    // Never answer: hold the connection open until the client gives up.
                    None => {
                        let _ = sock.read(&mut buf).await;
                    }
                }
            });
        }
    });
    url
}

/// A PDS answering HTML, or a 500 with no XRPC body, gives a clear error naming the server.
#[tokio::test]
async fn broken_pds_answers() {
    let w = World::start();
    let html = hostile_pds(Some(("200 OK", "text/html", "<html>Parked domain</html>"))).await;
    let p = w
        .accounts
        .login_password(login_at("someone@example.com", "pw", Some(&html)))
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "pds_bad_response");
    assert!(p.message.contains("Parked domain"), "{}", p.message);

    let five = hostile_pds(Some(("500 Internal Server Error", "text/plain", "oops!"))).await;
    let p = w
        .accounts
        .login_password(login_at("someone@example.com", "pw", Some(&five)))
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "pds_bad_response");
    assert!(p.message.contains("HTTP 500"), "{}", p.message);

    let xrpc500 = hostile_pds(Some((
        "500 Internal Server Error",
        "application/json",
        r#"{"error":"InternalServerError","message":"db is on fire"}"#,
    )))
    .await;
    let p = w
        .accounts
        .login_password(login_at("someone@example.com", "pw", Some(&xrpc500)))
        .await
        .unwrap_err()
        .explain();
    assert_eq!(p.code, "pds_error");
    assert!(p.message.contains("db is on fire"), "{}", p.message);
}

/// A PDS that accepts the connection and never answers times out instead of hanging.
#[tokio::test]
async fn silent_pds_times_out() {
    let w = World::start();
    let silent = hostile_pds(None).await;
    let mut config: Config = w.config.clone();
    config.request_timeout = Duration::from_millis(1500);
    let accounts = Accounts::open(config).unwrap();
    let started = std::time::Instant::now();
    let err = accounts
        .login_password(login_at("someone@example.com", "pw", Some(&silent)))
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "pds_timeout", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the configured timeout"
    );
}
