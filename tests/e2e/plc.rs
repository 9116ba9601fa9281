//! The account screen's Identity tab against the real PDS and PLC directory: add a recovery key
//! of the person's own, then a hostile PDS rewrites the identity; the window and the tray raise
//! it, and Undo restores the document with the person's key.

use std::time::Duration;

use stratos_testkit::{Network, subjects};

use crate::support::app::poll_until;
use crate::support::flows::launch_signed_in;

#[tokio::test(flavor = "multi_thread")]
async fn recovery_key_then_hostile_change_is_raised_and_undone() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = launch_signed_in("identity", &a).await;

    // Without a key of the person's, the Identity tab says so and offers one.
    app.click("[data-testid=tab-identity]").await;
    app.el("[data-testid=recovery-key-missing]").await;
    assert_eq!(
        app.count("[data-testid=rotation-keys] [data-holder=pds]")
            .await,
        1,
        "the PDS's key is named as the PDS's"
    );
    app.shot("01-no-recovery-key").await;
    // The tray counts the accounts without one (the first background check has read the key).
    let mut menu = String::new();
    let counted = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = menu.contains("1 account without a recovery key");
        async move { ok }
    })
    .await;
    assert!(counted, "the tray counts the unguarded account:\n{menu}");

    // The recovery-key flow: a key in the keychain, a saved copy, the emailed code, added first.
    app.click("[data-testid=recovery-key-start]").await;
    let copy = app.data_dir.join("recovery-key.txt");
    app.fill(
        "[data-testid=recovery-key-path]",
        copy.to_str().expect("a UTF-8 path"),
    )
    .await;
    app.click("[data-testid=recovery-key-save]").await;
    app.el("[data-testid=recovery-key-saved]:not(:empty)").await;
    assert!(copy.exists(), "the copy was written");
    let words_file = app.data_dir.join("recovery-words.txt");
    app.fill(
        "[data-testid=recovery-words-path]",
        words_file.to_str().expect("a UTF-8 path"),
    )
    .await;
    app.click("[data-testid=recovery-words-save]").await;
    let words = poll_until(Duration::from_secs(10), || {
        let n = std::fs::read_to_string(&words_file)
            .map(|t| t.split_whitespace().count())
            .unwrap_or(0);
        async move { n == 24 }
    })
    .await;
    assert!(words, "the 24 words were written");
    app.click("[data-testid=recovery-key-kept]").await;
    let seen = net.count_mails(&a.email, subjects::PLC_OPERATION).await;
    app.click("[data-testid=recovery-key-send]").await;
    let code = net.wait_code(&a.email, subjects::PLC_OPERATION, seen).await;
    // The mail can arrive before the window hears back from its request: the field opens then.
    app.el("[data-testid=recovery-key-code]:not([disabled])")
        .await;
    app.fill("[data-testid=recovery-key-code]", &code).await;
    app.shot("02-recovery-key-flow").await;
    app.click("[data-testid=recovery-key-add]").await;
    app.el("[data-testid=recovery-key-held]").await;
    app.el("[data-testid=rotation-keys] li:first-child[data-holder=mine]")
        .await;
    let before = net.plc_get(&a.did, "data").await;
    app.shot("03-recovery-key-held").await;

    // A hacked PDS points the account elsewhere and drops the person's key.
    let (hostile, _) = net.hostile_plc_op(&a.did, "https://evil.example").await;
    assert_ne!(net.plc_get(&a.did, "data").await, before);
    // The background check (started at once by "Refresh now") finds it: the tray and the
    // window say so.
    app.click_tray_item("Refresh now");
    let raised = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = menu.contains(&format!("The identity of @{} changed", a.handle));
        async move { ok }
    })
    .await;
    assert!(raised, "the tray names the change:\n{menu}");
    app.el("[data-testid=identity-banner]").await;
    let banner = app.text("[data-testid=identity-banner]").await;
    assert!(
        banner.contains("Your account's home becomes evil.example") && banner.contains("your PDS"),
        "the banner says what changed and who signed it: {banner}"
    );
    app.click("[data-testid=tab-overview]").await;
    app.el("[data-testid=attention-item][data-kind=identity_changed]")
        .await;
    app.shot("04-attention").await;
    app.click("[data-testid=attention-open-identity_changed]")
        .await;
    app.el("[data-testid=identity-undo]").await;
    app.shot("05-identity-banner").await;

    // Undo with the person's key: the directory marks the hostile operation nullified and the
    // document is as before; the banner and the tray's item go.
    app.click("[data-testid=identity-undo]").await;
    app.el(&format!(
        "[data-testid=history-entry][data-cid='{hostile}'][data-nullified=true]"
    ))
    .await;
    assert_eq!(app.count("[data-testid=identity-banner]").await, 0);
    assert_eq!(
        net.plc_get(&a.did, "data").await,
        before,
        "the document is restored"
    );
    let audit = net.plc_get(&a.did, "log/audit").await;
    assert!(
        audit
            .as_array()
            .expect("the audit log is a list")
            .iter()
            .any(|e| e["cid"] == hostile.as_str() && e["nullified"] == true),
        "the directory nullified the hostile operation"
    );
    let cleared = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = !menu.contains("changed") && menu.contains(&a.handle);
        async move { ok }
    })
    .await;
    assert!(cleared, "the tray's alarm cleared:\n{menu}");
    app.shot("06-undone").await;
}
