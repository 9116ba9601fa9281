//! App passwords: create, list, revoke, proven by what the PDS does with them afterwards.

use stratos_core::Explain;
use stratos_core::app_passwords::{self, AppPasswordError};
use stratos_testkit::xrpc_post;

use crate::{World, login};
use stratos_core::auth::step_up::StepUp;

/// Created passwords are listed with their flags; a revoked one can no longer refresh a session
/// signed in with it (access JWTs outlive revocation, so the refresh is the proof).
#[tokio::test]
async fn create_list_revoke_and_revocation_ends_its_sessions() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.sign_in(&acct).await;

    let laptop = app_passwords::create(&w.accounts, &acct.did, "laptop", false, StepUp::default())
        .await
        .expect("create");
    assert_eq!(laptop.name, "laptop");
    assert!(!laptop.privileged);
    assert_eq!(laptop.password.len(), 19, "xxxx-xxxx-xxxx-xxxx");
    assert!(!format!("{laptop:?}").contains(&laptop.password));
    let chat = app_passwords::create(&w.accounts, &acct.did, "chat", true, StepUp::default())
        .await
        .expect("create privileged");
    assert!(chat.privileged);

    let listed = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .expect("list");
    let mut names: Vec<_> = listed
        .iter()
        .map(|p| (p.name.as_str(), p.privileged))
        .collect();
    names.sort();
    assert_eq!(names, [("chat", true), ("laptop", false)]);
    assert!(listed.iter().all(|p| !p.created_at.is_empty()));

    let again = app_passwords::create(&w.accounts, &acct.did, "laptop", false, StepUp::default())
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppPasswordError::NameTaken { .. }),
        "{again:?}"
    );

    // Another app signs in with the app password.
    let app = w
        .net
        .create_session(&acct.pds_url, &acct.handle, &laptop.password, None)
        .await
        .expect("the app password signs in");
    let refresh = app["refreshJwt"].as_str().unwrap().to_owned();

    app_passwords::revoke(&w.accounts, &acct.did, "laptop", StepUp::default())
        .await
        .expect("revoke");
    let listed = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "chat");
    let err = xrpc_post(
        &acct.pds_url,
        "com.atproto.server.refreshSession",
        &serde_json::Value::Null,
        Some(&refresh),
    )
    .await
    .expect_err("the revoked app password's session cannot refresh");
    assert!(
        matches!(err.error.as_str(), "ExpiredToken" | "InvalidToken"),
        "{err:?}"
    );
    let err = w
        .net
        .create_session(&acct.pds_url, &acct.handle, &laptop.password, None)
        .await
        .expect_err("the revoked app password no longer signs in");
    assert_eq!(err.status, 401, "{err:?}");

    let err = app_passwords::revoke(&w.accounts, &acct.did, "laptop", StepUp::default())
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "app_password_not_found", "{err}");
    let err = app_passwords::create(&w.accounts, &acct.did, "  ", false, StepUp::default())
        .await
        .unwrap_err();
    assert_eq!(err.explain().code, "empty_field");
}

/// Signed in with an app password, Stratos can list app passwords but not create one, and says why.
#[tokio::test]
async fn an_app_password_session_cannot_create_app_passwords() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    let owner = World::start();
    owner.sign_in(&acct).await;
    let created =
        app_passwords::create(&owner.accounts, &acct.did, "cli", false, StepUp::default())
            .await
            .expect("create");

    w.accounts
        .login_password(login(&acct.handle, &created.password))
        .await
        .expect("an app password signs in");
    let listed = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .expect("app-password sessions may list");
    assert_eq!(listed.len(), 1);
    let err = app_passwords::create(&w.accounts, &acct.did, "other", false, StepUp::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppPasswordError::NeedsAccountPassword),
        "{err:?}"
    );
    let problem = err.explain();
    assert_eq!(problem.code, "app_password_session");
    assert_eq!(
        problem.message,
        "An app password session cannot create app passwords"
    );
    assert!(problem.hint.unwrap().contains("account password"));
    // Still only one: nothing was created.
    assert_eq!(
        app_passwords::list(&owner.accounts, &acct.did, StepUp::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A browser (OAuth) account steps up with its password for app passwords (`password_needed`
/// without one), while the handle change and service auth work on the OAuth session itself.
#[tokio::test]
async fn browser_accounts_step_up_with_the_password() {
    use stratos_core::{AccountsError, handle, service_auth};

    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.browser_sign_in(&acct).await;

    let err = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppPasswordError::Accounts(AccountsError::PasswordNeeded)
        ),
        "{err:?}"
    );
    assert_eq!(err.explain().code, "password_needed");
    let created = app_passwords::create(
        &w.accounts,
        &acct.did,
        "stepped-up",
        false,
        StepUp {
            password: Some(&acct.password),
            auth_factor_token: None,
        },
    )
    .await
    .expect("create with the password");
    assert_eq!(created.name, "stepped-up");
    // Within the step-up time the password is not asked again...
    let listed = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .expect("kept for a while");
    assert!(listed.iter().any(|p| p.name == "stepped-up"));
    // ...and with a step-up time of 0 it is asked every time.
    let mut settings = w.accounts.state().unwrap().settings;
    settings.step_up_minutes = 0;
    w.accounts.save_settings(settings).unwrap();
    let again = app_passwords::list(&w.accounts, &acct.did, StepUp::default())
        .await
        .unwrap_err();
    assert_eq!(again.explain().code, "password_needed");

    let label = acct.handle.trim_end_matches(".test");
    let new = format!("b{}.test", &label[1..]);
    let change = handle::update(&w.accounts, &acct.did, &new)
        .await
        .expect("OAuth (identity scope) changes the handle");
    assert_eq!(change.doc_handle, new);

    let token = service_auth::request(
        &w.accounts,
        &acct.did,
        &service_auth::TokenRequest {
            aud: w.net.pds2().did.clone(),
            lxm: Some("com.atproto.server.createAccount".into()),
            duration: None,
        },
    )
    .await
    .expect("OAuth (rpc scope) gets a service-auth token");
    assert_eq!(token.claims.iss, acct.did);
}
