//! The Security tab: confirming the email, the emailed sign-in code, and a password reset.

use stratos_testkit::{Network, subjects};

use crate::support::flows::launch_signed_in;

/// Security: confirm the email with the mailed code, turn on the emailed sign-in code (the
/// server then asks for one), and change the password through the emailed reset code.
#[tokio::test(flavor = "multi_thread")]
async fn security_email_sign_in_code_and_password() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let app = launch_signed_in("security", &a).await;

    app.click("[data-testid=tab-security]").await;
    app.el("[data-testid=email-status][data-confirmed=false]")
        .await;
    let before = net
        .count_mails(&a.email, subjects::EMAIL_CONFIRMATION)
        .await;
    app.click("[data-testid=email-confirm-start]").await;
    let code = net
        .wait_code(&a.email, subjects::EMAIL_CONFIRMATION, before)
        .await;
    app.fill(
        "[data-testid=email-confirm-form] input[name=emailCode]",
        &code,
    )
    .await;
    app.click("[data-testid=email-confirm-submit]").await;
    app.el("[data-testid=email-status][data-confirmed=true]")
        .await;

    let before = net.count_mails(&a.email, subjects::EMAIL_UPDATE).await;
    app.click("[data-testid=two-factor-toggle]").await;
    let code = net
        .wait_code(&a.email, subjects::EMAIL_UPDATE, before)
        .await;
    app.fill(
        "[data-testid=two-factor-form] input[name=twoFactorCode]",
        &code,
    )
    .await;
    app.click("[data-testid=two-factor-submit]").await;
    app.el("[data-testid=two-factor-toggle][data-enabled=true]")
        .await;
    app.shot("email-confirmed-and-sign-in-code-on").await;
    let asked = net
        .create_session(&a.pds_url, &a.handle, &a.password, None)
        .await
        .unwrap_err();
    assert_eq!(
        asked.error, "AuthFactorTokenRequired",
        "sign-in now needs the emailed code"
    );

    let before = net.count_mails(&a.email, subjects::PASSWORD_RESET).await;
    app.click("[data-testid=password-reset-start]").await;
    let code = net
        .wait_code(&a.email, subjects::PASSWORD_RESET, before)
        .await;
    let new_password = format!("{}-Longer-And-Stranger-42!", a.password);
    app.fill(
        "[data-testid=password-reset-form] input[name=resetCode]",
        &code,
    )
    .await;
    app.fill(
        "[data-testid=password-reset-form] input[name=newPassword]",
        &new_password,
    )
    .await;
    app.fill(
        "[data-testid=password-reset-form] input[name=newPasswordAgain]",
        &new_password,
    )
    .await;
    app.el("[data-testid=password-strength][data-score='4']")
        .await;
    app.shot("password-reset-strong").await;
    app.click("[data-testid=password-reset-submit]").await;
    app.el("[data-testid=password-reset-done]").await;
    let old = net
        .create_session(&a.pds_url, &a.handle, &a.password, None)
        .await
        .unwrap_err();
    assert_eq!(
        old.error, "AuthenticationRequired",
        "the old password is refused"
    );
    let new = net
        .create_session(&a.pds_url, &a.handle, &new_password, None)
        .await
        .unwrap_err();
    assert_eq!(
        new.error, "AuthFactorTokenRequired",
        "the new password is accepted (then the code)"
    );
    app.close().await;
}
