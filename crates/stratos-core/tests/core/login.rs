//! Password sign-in with and without email 2FA, check-auth, multi-account, sign-out.

use stratos_core::{AccountsError, LoginRequest};
use stratos_testkit::{subjects, xrpc_post};

use crate::{World, login};

/// Signing in by handle stores the tokens in the keychain (not the state file) and check-auth works.
#[tokio::test]
async fn login_by_handle_keeps_secrets_in_the_keychain() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let record = w
        .accounts
        .login_password(login(&acct.handle, &acct.password))
        .await
        .expect("login");
    assert_eq!(record.did, acct.did);
    assert_eq!(record.handle, acct.handle);
    assert_eq!(record.pds_url, w.net.pds1().url);

    let secret = w.secret(&acct.did).expect("secrets are in the keychain");
    assert!(secret.contains("refreshJwt"));
    let state_file =
        std::fs::read_to_string(w.accounts.context().state_file().path()).expect("state written");
    assert!(state_file.contains(&acct.did));
    assert!(
        !state_file.contains("Jwt") && !state_file.contains(&acct.password),
        "no secrets on disk"
    );

    // Another process (the CLI, a restarted app) sees the same account and session.
    let check = w
        .reopen()
        .check_auth(Some(&acct.handle))
        .await
        .expect("check-auth");
    assert_eq!(check.did, acct.did);
    assert_eq!(check.email.as_deref(), Some(acct.email.as_str()));
    assert!(check.activated && check.valid_did);
    assert!(!check.repo_rev.is_empty());
}

/// Signing in by DID, and by email with an explicit PDS, both work; email alone explains why not.
#[tokio::test]
async fn login_by_did_and_by_email() {
    let w = World::start();
    let a = w.net.create_account(w.net.pds1()).await;
    let b = w.net.create_account(w.net.pds2()).await;
    let ra = w
        .accounts
        .login_password(login(&a.did, &a.password))
        .await
        .expect("login by DID");
    assert_eq!(ra.did, a.did);
    let err = w
        .accounts
        .login_password(login(&b.email, &b.password))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AccountsError::Identity(stratos_core::identity::IdentityError::EmailNeedsPds)
        ),
        "{err}"
    );
    let rb = w
        .accounts
        .login_password(LoginRequest {
            pds_host: Some(w.net.pds2().url.clone()),
            ..login(&b.email, &b.password)
        })
        .await
        .expect("login by email");
    assert_eq!(rb.did, b.did);
    // Two accounts on two PDSes at once; the newest is selected; switching works.
    let state = w.accounts.state().unwrap();
    assert_eq!(state.accounts.len(), 2);
    assert_eq!(state.selected.as_deref(), Some(b.did.as_str()));
    w.accounts.select(&a.handle).unwrap();
    assert_eq!(
        w.accounts.state().unwrap().selected.as_deref(),
        Some(a.did.as_str())
    );
    assert_eq!(
        w.accounts
            .check_auth(None)
            .await
            .expect("selected account")
            .did,
        a.did
    );
    assert_eq!(
        w.accounts
            .check_auth(Some(&b.did))
            .await
            .expect("other account")
            .did,
        b.did
    );
}

/// With email 2FA on, sign-in asks for the code; a wrong code is refused; the mailed code works.
#[tokio::test]
async fn login_with_email_2fa() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    w.net.enable_email_2fa(&acct).await;
    let seen = w.net.count_mails(&acct.email, subjects::SIGN_IN_CODE).await;

    let err = w
        .accounts
        .login_password(login(&acct.handle, &acct.password))
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::AuthFactorRequired), "{err}");
    assert!(
        w.accounts.state().unwrap().accounts.is_empty(),
        "no account without the code"
    );
    let code = w
        .net
        .wait_code(&acct.email, subjects::SIGN_IN_CODE, seen)
        .await;

    let wrong = LoginRequest {
        auth_factor_token: Some("AAAAA-BBBBB".into()),
        ..login(&acct.handle, &acct.password)
    };
    let err = w.accounts.login_password(wrong).await.unwrap_err();
    assert!(matches!(err, AccountsError::WrongAuthFactor), "{err}");

    let right = LoginRequest {
        auth_factor_token: Some(code),
        ..login(&acct.handle, &acct.password)
    };
    let record = w
        .accounts
        .login_password(right)
        .await
        .expect("login with the code");
    assert_eq!(record.did, acct.did);
    let status = w.accounts.status(&acct.did).await.expect("status");
    let session = status
        .session
        .expect("signed-in status has the session part");
    assert!(session.email_auth_factor && session.email_confirmed);
}

/// Sign-out revokes the session on the server: its refresh token is refused afterwards.
#[tokio::test]
async fn logout_revokes_on_the_server() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.accounts
        .login_password(login(&acct.handle, &acct.password))
        .await
        .expect("login");
    let secret: serde_json::Value = serde_json::from_str(&w.secret(&acct.did).unwrap()).unwrap();
    let refresh = secret["refreshJwt"].as_str().unwrap().to_owned();

    let outcome = w.accounts.logout(Some(&acct.handle)).await.expect("logout");
    assert!(outcome.revoked_on_server, "{:?}", outcome.server_error);
    assert!(w.secret(&acct.did).is_none(), "keychain entry deleted");
    assert!(w.accounts.state().unwrap().accounts.is_empty());

    let reuse = xrpc_post(
        &w.net.pds1().url,
        "com.atproto.server.refreshSession",
        &serde_json::Value::Null,
        Some(&refresh),
    )
    .await;
    let err = reuse.expect_err("the old refresh token must be dead");
    assert!(
        matches!(err.error.as_str(), "ExpiredToken" | "InvalidToken"),
        "{err:?}"
    );
    let err = w.accounts.check_auth(Some(&acct.did)).await.unwrap_err();
    assert!(matches!(err, AccountsError::NotSignedIn { .. }), "{err}");
}
