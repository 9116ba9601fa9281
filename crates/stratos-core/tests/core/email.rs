//! Email: show, confirm with the mailed code, change (code to the old address), email 2FA on/off.

use stratos_core::AccountsError;
use stratos_core::auth::step_up::StepUp;
use stratos_core::email::{self, EmailError};
use stratos_testkit::subjects;

use crate::{World, login};

/// An unconfirmed address is shown as such; a wrong code is refused; the mailed code confirms it.
#[tokio::test]
async fn confirm_with_the_mailed_code() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.sign_in(&acct).await;
    let info = email::show(&w.accounts, None).await.expect("show");
    assert_eq!(info.email, acct.email);
    assert!(!info.confirmed && !info.two_factor);

    let before = w
        .net
        .count_mails(&acct.email, subjects::EMAIL_CONFIRMATION)
        .await;
    email::request_confirmation(&w.accounts, Some(&acct.handle))
        .await
        .expect("request confirmation");
    let code = w
        .net
        .wait_code(&acct.email, subjects::EMAIL_CONFIRMATION, before)
        .await;
    let err = email::confirm(&w.accounts, None, "AAAAA-BBBBB")
        .await
        .unwrap_err();
    assert!(matches!(err, EmailError::WrongCode), "{err}");
    let info = email::confirm(&w.accounts, None, &code)
        .await
        .expect("confirm");
    assert!(info.confirmed);
    assert!(email::show(&w.accounts, None).await.unwrap().confirmed);
}

/// Changing a confirmed address needs the code mailed to the OLD address; without it the server
/// says a code is needed; afterwards the new address is shown, unconfirmed.
#[tokio::test]
async fn change_a_confirmed_address_with_the_code_sent_to_the_old_one() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.net.confirm_email(&acct).await;
    w.sign_in(&acct).await;
    let new = format!("new-{}", acct.email);

    let err = email::update(&w.accounts, None, &new, None, StepUp::default())
        .await
        .unwrap_err();
    assert!(matches!(err, EmailError::CodeNeeded), "{err}");
    let err = email::update(&w.accounts, None, "not-an-address", None, StepUp::default())
        .await
        .unwrap_err();
    assert!(matches!(err, EmailError::BadAddress { .. }), "{err}");

    let before = w.net.count_mails(&acct.email, subjects::EMAIL_UPDATE).await;
    let required = email::request_update(&w.accounts, None, StepUp::default())
        .await
        .expect("request update");
    assert!(required, "a confirmed address needs a code");
    let code = w
        .net
        .wait_code(&acct.email, subjects::EMAIL_UPDATE, before)
        .await;
    let info = email::update(&w.accounts, None, &new, Some(&code), StepUp::default())
        .await
        .expect("update");
    assert_eq!(info.email, new);
    assert!(!info.confirmed, "a new address starts unconfirmed");
    // Sign-in by the new address works.
    let by_email = w
        .net
        .create_session(&acct.pds_url, &new, &acct.password, None)
        .await
        .expect("sign in with the new address");
    assert_eq!(by_email["did"], acct.did.as_str());
}

/// Email 2FA on: password sign-in then asks for a code; off again: it does not.
#[tokio::test]
async fn turn_email_2fa_on_and_off() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds2()).await;
    w.net.confirm_email(&acct).await;
    w.sign_in(&acct).await;

    let before = w.net.count_mails(&acct.email, subjects::EMAIL_UPDATE).await;
    assert!(
        email::request_update(&w.accounts, None, StepUp::default())
            .await
            .expect("request update")
    );
    let c = w
        .net
        .wait_code(&acct.email, subjects::EMAIL_UPDATE, before)
        .await;
    let info = email::set_two_factor(&w.accounts, None, true, Some(&c), StepUp::default())
        .await
        .expect("2FA on");
    assert!(info.two_factor && info.confirmed);
    let other = World::start();
    let err = other
        .accounts
        .login_password(login(&acct.handle, &acct.password))
        .await
        .unwrap_err();
    assert!(matches!(err, AccountsError::AuthFactorRequired), "{err}");

    let before = w.net.count_mails(&acct.email, subjects::EMAIL_UPDATE).await;
    email::request_update(&w.accounts, None, StepUp::default())
        .await
        .expect("request update");
    let c = w
        .net
        .wait_code(&acct.email, subjects::EMAIL_UPDATE, before)
        .await;
    let info = email::set_two_factor(&w.accounts, None, false, Some(&c), StepUp::default())
        .await
        .expect("2FA off");
    assert!(!info.two_factor);
    other.sign_in(&acct).await;
}
