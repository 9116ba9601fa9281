//! Password reset: the mailed code sets a new password; the old one stops working.

use stratos_core::password::{self, PasswordResetError};
use stratos_testkit::subjects;

use crate::World;

/// By email and PDS host (nobody signed in): reset, then only the new password signs in.
#[tokio::test]
async fn reset_by_email_then_only_the_new_password_works() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    let before = w
        .net
        .count_mails(&acct.email, subjects::PASSWORD_RESET)
        .await;
    let target = password::request(&w.accounts, &acct.email, Some(&acct.pds_url))
        .await
        .expect("request reset");
    assert_eq!(target.pds_url, acct.pds_url);
    let c = w
        .net
        .wait_code(&acct.email, subjects::PASSWORD_RESET, before)
        .await;

    let new = "correct horse battery staple 42";
    let err = password::reset(&w.accounts, &acct.email, Some(&acct.pds_url), &c, "abc")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PasswordResetError::WeakPassword { .. }),
        "{err}"
    );
    let err = password::reset(
        &w.accounts,
        &acct.email,
        Some(&acct.pds_url),
        "AAAAA-BBBBB",
        new,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PasswordResetError::WrongCode), "{err}");
    password::reset(&w.accounts, &acct.email, Some(&acct.pds_url), &c, new)
        .await
        .expect("reset");

    let ok = w
        .net
        .create_session(&acct.pds_url, &acct.handle, new, None)
        .await
        .expect("the new password signs in");
    assert_eq!(ok["did"], acct.did.as_str());
    let old = w
        .net
        .create_session(&acct.pds_url, &acct.handle, &acct.password, None)
        .await
        .unwrap_err();
    assert_eq!(old.error, "AuthenticationRequired", "{old}");
}

/// By handle: the PDS comes from the DID document and the email from the signed-in session; a
/// handle that is not signed in cannot be reset without its email.
#[tokio::test]
async fn reset_by_handle_of_a_signed_in_account() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let err = password::request(&w.accounts, &acct.handle, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PasswordResetError::EmailUnknown { .. }),
        "{err}"
    );

    w.sign_in(&acct).await;
    let before = w
        .net
        .count_mails(&acct.email, subjects::PASSWORD_RESET)
        .await;
    let target = password::request(&w.accounts, &acct.handle, None)
        .await
        .expect("request by handle");
    assert_eq!(target.email.as_deref(), Some(acct.email.as_str()));
    assert_eq!(target.pds_url, acct.pds_url);
    let c = w
        .net
        .wait_code(&acct.email, subjects::PASSWORD_RESET, before)
        .await;
    let new = "Another-Long pass 9876";
    password::reset(&w.accounts, &acct.did, None, &c, new)
        .await
        .expect("reset by DID");
    w.net
        .create_session(&acct.pds_url, &acct.did, new, None)
        .await
        .expect("the new password signs in");
    assert!(
        w.net
            .create_session(&acct.pds_url, &acct.did, &acct.password, None)
            .await
            .is_err()
    );
}

/// The strength estimate is usable by a meter: a score 0-4 and words of advice.
#[test]
fn strength_estimate() {
    let weak = password::estimate("password");
    assert!(weak.score <= 1 && !weak.feedback.is_empty());
    let strong = password::estimate("correct horse battery staple 42");
    assert_eq!(strong.score, 4);
}
