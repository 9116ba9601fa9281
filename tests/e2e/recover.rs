//! The recovery wizard against the real PLC directory and reference PDSes: an account on a PDS of
//! the test's own, with a recovery key added in the Identity tab and a backup made in the
//! Backups tab; then its PDS stops answering, and the wizard, opened from the attention list,
//! rebuilds the account on PDS2. On the way PDS2 refuses the account (its handle is taken),
//! Stratos is closed, and the recovery is continued from the Backups tab after a restart. At the
//! end the directory names PDS2 with the person's key first, and PDS2 serves as many records per
//! collection as the backup holds.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use stratos_testkit::{Network, Population, populate, subjects, xrpc_get, xrpc_post};

use crate::support::app::{App, poll_until};
use crate::support::flows::{launch_signed_in, overview_of};
use crate::support::logs::{files_under, log_files_text};

/// The account's password on PDS2.
const PASSWORD: &str = "a-new-password-on-pds2";

/// Makes the window look as the dark theme does: the stylesheet's own dark rules, inserted
/// without their media query (the theme itself follows the desktop's, fixed at launch), or
/// takes them out again.
async fn dark(app: &App, on: bool) {
    let script = if on {
        r#"const sheet = [...document.styleSheets].find((s) => [...s.cssRules].some((r) => r.media?.mediaText.includes('prefers-color-scheme: dark')));
           const rule = [...sheet.cssRules].find((r) => r.media?.mediaText.includes('prefers-color-scheme: dark'));
           const at = sheet.cssRules.length;
           [...rule.cssRules].forEach((r, i) => sheet.insertRule(r.cssText, at + i));
           sheet.insertRule(':root { color-scheme: dark; }', sheet.cssRules.length);
           window.__e2eDark = { sheet, from: at };"#
    } else {
        r#"const { sheet, from } = window.__e2eDark;
           while (sheet.cssRules.length > from) sheet.deleteRule(sheet.cssRules.length - 1);
           delete window.__e2eDark;"#
    };
    app.client
        .execute(script, vec![])
        .await
        .expect("script runs");
}

/// Pictures of the current page at 800×600 and 1280×800, light and dark.
async fn shots(app: &App, name: &str) {
    for (w, h) in [(800, 600), (1280, 800)] {
        app.client
            .set_window_rect(0, 0, w, h)
            .await
            .expect("resize the window");
        app.client
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .expect("script runs");
        app.shot(&format!("{name}-{w}-light")).await;
        dark(app, true).await;
        app.shot(&format!("{name}-{w}-dark")).await;
        dark(app, false).await;
    }
}

/// Records per collection on `pds`, read through its public `listRecords`.
async fn records_on(pds: &str, did: &str, collections: &[&String]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for collection in collections {
        let (mut count, mut cursor) = (0u64, None::<String>);
        loop {
            let mut q = vec![
                ("repo", did),
                ("collection", collection.as_str()),
                ("limit", "100"),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c));
            }
            let page = xrpc_get(pds, "com.atproto.repo.listRecords", &q, None)
                .await
                .expect("listRecords on the new server");
            let got = page["records"].as_array().expect("a list").len() as u64;
            count += got;
            match page["cursor"].as_str() {
                Some(c) if got > 0 => cursor = Some(c.to_owned()),
                _ => break,
            }
        }
        out.insert((*collection).clone(), count);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn recovers_onto_a_new_server_when_the_old_one_is_gone() {
    let net = Network::shared();
    let old = net.new_pds().await;
    let a = net.create_account(&old).await;
    populate(
        &a,
        Population {
            records: 9,
            blobs: 2,
        },
    )
    .await;
    let app = launch_signed_in("recover", &a).await;

    // Opened from the Backups tab before there is a key or a backup: both are missing, each
    // with what to do, and the wizard goes no further.
    app.click("[data-testid=tab-backups]").await;
    app.click("[data-testid=recover-open-wizard]").await;
    app.el("[data-testid=recover-need-key][data-ok=false]")
        .await;
    app.el("[data-testid=recover-need-backup][data-ok=false]")
        .await;
    app.el("[data-testid=recover-next][disabled]").await;
    shots(&app, "0-missing").await;
    app.click("[data-testid=recover-back]").await;
    app.el(&overview_of(&a.did)).await;

    // The person's recovery key, through the Identity tab's flow (as plc.rs does it).
    app.click("[data-testid=tab-identity]").await;
    app.click("[data-testid=recovery-key-start]").await;
    let copy = app.data_dir.join("recovery-key.txt");
    app.fill(
        "[data-testid=recovery-key-path]",
        copy.to_str().expect("a UTF-8 path"),
    )
    .await;
    app.click("[data-testid=recovery-key-save]").await;
    app.el("[data-testid=recovery-key-saved]:not(:empty)").await;
    app.click("[data-testid=recovery-key-kept]").await;
    let seen = net.count_mails(&a.email, subjects::PLC_OPERATION).await;
    app.click("[data-testid=recovery-key-send]").await;
    let code = net.wait_code(&a.email, subjects::PLC_OPERATION, seen).await;
    app.el("[data-testid=recovery-key-code]:not([disabled])")
        .await;
    app.fill("[data-testid=recovery-key-code]", &code).await;
    app.click("[data-testid=recovery-key-add]").await;
    app.el("[data-testid=recovery-key-held]").await;
    let before = net.plc_get(&a.did, "data").await;
    let keys_before = before["rotationKeys"].as_array().expect("a list").clone();
    let mine = keys_before[0].as_str().expect("a key").to_owned();
    assert_eq!(keys_before.len(), 2, "the person's key, then the PDS's");

    // A backup, made in the app.
    app.click("[data-testid=tab-backups]").await;
    app.click("[data-testid=backup-now]").await;
    let listed = poll_until(Duration::from_secs(60), || {
        let client = app.client.clone();
        async move {
            client
                .execute(
                    "return document.querySelectorAll('[data-testid=backups-list] [data-testid=snapshot]').length",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == json!(1))
        }
    })
    .await;
    assert!(listed, "the backup is listed");
    app.el("[data-testid=recover-card] [data-testid=recover-open-wizard]")
        .await;
    shots(&app, "backups-tab").await;
    let backup = stratos_core::backup::verify::verify(&app.data_dir.join("backups"), &a.did, None)
        .await
        .expect("the backup verifies from the disk");
    assert!(backup.ok(), "{:?}", backup.problems);

    // The old server dies; a check finds it, and the attention list offers the recovery.
    net.stop_pds(&old).await;
    app.click("[data-testid=tab-overview]").await;
    app.click("[data-testid=refresh-all]").await;
    app.el("[data-testid=attention-item][data-kind=pds_unreachable]")
        .await;
    shots(&app, "attention").await;
    app.click("[data-testid=attention-open-pds_unreachable]")
        .await;

    // (a) What you need: both there.
    app.el("[data-testid=recover-screen][data-page=needs]")
        .await;
    app.el("[data-testid=recover-need-key][data-ok=true]").await;
    app.el("[data-testid=recover-need-backup][data-ok=true]")
        .await;
    assert!(
        app.text("[data-testid=recover-need-key]")
            .await
            .contains(&mine[..18]),
        "the key named is the person's"
    );
    shots(&app, "1-needs").await;
    app.click("[data-testid=recover-next]:not([disabled])")
        .await;

    // (b) The new server and the account there. Someone holds the handle asked for on PDS2
    // (for now): the new server will refuse the account.
    let pds2 = net.pds2();
    let squatter = net.create_account(pds2).await;
    let handle = squatter.handle.clone();
    app.el("[data-testid=recover-screen][data-page=server]")
        .await;
    app.fill("[data-testid=recover-server]", &pds2.url).await;
    app.fill("[data-testid=recover-handle]", &handle).await;
    app.fill(
        "[data-testid=recover-email]",
        &format!("recovered-{}", a.email),
    )
    .await;
    app.fill("[data-testid=recover-password]", PASSWORD).await;
    shots(&app, "2-server").await;
    app.click("[data-testid=recover-next]").await;

    // (c) The identity change: the new server, the person's key first, the old server's dropped.
    app.el("[data-testid=recover-screen][data-page=identity]")
        .await;
    let host = pds2.url.trim_start_matches("http://");
    let pds_row = app.text("[data-testid=recover-diff-pds]").await;
    assert!(
        pds_row.contains(old.url.trim_start_matches("http://")) && pds_row.contains(host),
        "old → new server: {pds_row}"
    );
    app.el("[data-testid=recover-keys-after] li:first-child[data-holder=you]")
        .await;
    app.el("[data-testid=recover-keys-after] li:nth-child(2)[data-holder=newServer]")
        .await;
    assert_eq!(
        app.count("[data-testid=recover-keys-before] .rec-key--dropped")
            .await,
        1,
        "the old server's key is dropped"
    );
    shots(&app, "3-identity").await;
    app.click("[data-testid=recover-agree]").await;
    app.click("[data-testid=recover-start]").await;

    // (d) Progress: the new server refuses the account (the handle is taken). The window says so
    // in plain words, with the server's own words under Details; what was done is kept.
    app.el("[data-testid=recover-screen][data-page=progress]")
        .await;
    app.shot("4-progress").await;
    app.el("[data-testid=recover-error][data-code=recovery_create_refused]")
        .await;
    app.el("[data-testid=recover-steps] [data-step=signingKeyOp][data-state=done]")
        .await;
    app.el("[data-testid=recover-resume-password]").await;
    app.click("[data-testid=recover-error] summary").await;
    let details = app.text("[data-testid=recover-error] details").await;
    assert!(
        details.contains("refused"),
        "the detail is shown: {details}"
    );
    shots(&app, "4-refused").await;

    // The handle is freed, and Stratos is closed and started again: the Backups tab offers to
    // continue the recovery, which asks for the new server's password again (the account is not
    // made there yet) and runs to the end.
    xrpc_post(
        &pds2.url,
        "com.atproto.identity.updateHandle",
        &json!({ "handle": format!("moved-{}", squatter.handle) }),
        Some(&squatter.access_jwt),
    )
    .await
    .expect("the squatter moves to another handle");
    let app = app.restart().await;
    app.el(&overview_of(&a.did)).await;
    app.click("[data-testid=tab-backups]").await;
    let offered = poll_until(Duration::from_secs(10), || {
        let client = app.client.clone();
        async move {
            client
                .execute(
                    "return document.querySelector('[data-testid=recover-open-wizard]')?.textContent.includes('Continue')",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == json!(true))
        }
    })
    .await;
    assert!(offered, "the Backups tab offers to continue the recovery");
    app.click("[data-testid=recover-open-wizard]").await;
    app.el("[data-testid=recover-underway]").await;
    shots(&app, "5-underway").await;
    app.fill("[data-testid=recover-resume-password]", PASSWORD)
        .await;
    app.click("[data-testid=recover-resume]").await;
    let done = poll_until(Duration::from_secs(120), || {
        let client = app.client.clone();
        async move {
            client
                .execute(
                    "return !!document.querySelector('[data-testid=recover-done], [data-testid=recover-error]')",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == json!(true))
        }
    })
    .await;
    assert!(done, "the recovery ended");
    if app.count("[data-testid=recover-error]").await > 0 {
        app.shot("failure").await;
        panic!(
            "the recovery failed: {}",
            app.text("[data-testid=recover-error]").await
        );
    }
    app.el(&format!(
        "[data-testid=recover-done][data-pds='{}']",
        pds2.url
    ))
    .await;
    shots(&app, "6-done").await;
    // The account list follows: the account is active on PDS2.
    app.el(&format!(
        "[data-testid=account-row][data-did='{}'][data-health=active]",
        a.did
    ))
    .await;

    // The directory's word: PDS2, the person's key first, PDS2's after it, the old one's gone.
    let after = net.plc_get(&a.did, "data").await;
    assert_eq!(
        after["services"]["atproto_pds"]["endpoint"],
        Value::from(pds2.url.as_str()),
        "{after}"
    );
    let keys_after = after["rotationKeys"].as_array().expect("a list");
    assert_eq!(keys_after[0], Value::from(mine.as_str()), "{after}");
    assert_eq!(keys_after.len(), 2, "the person's and PDS2's: {after}");
    assert!(!keys_after.contains(&keys_before[1]), "{after}");
    assert_eq!(
        after["alsoKnownAs"][0],
        Value::from(format!("at://{handle}")),
        "{after}"
    );

    // PDS2's word: as many records per collection as the backup holds, and the window says so.
    let collections: Vec<&String> = backup.records.keys().collect();
    assert_eq!(
        records_on(&pds2.url, &a.did, &collections).await,
        backup.records,
        "records on PDS2 against the backup"
    );
    for (collection, n) in &backup.records {
        app.el(&format!(
            "[data-testid=recover-counts] tr[data-collection='{collection}'][data-count='{n}']"
        ))
        .await;
    }

    // The new server's password went to the shell and no further: not in the log, nor in the
    // data folder (the journal).
    let mut written = log_files_text(&app);
    for file in files_under(&app.data_dir) {
        written.push_str(&String::from_utf8_lossy(
            &std::fs::read(file).unwrap_or_default(),
        ));
    }
    assert!(
        !written.is_empty() && !written.contains(PASSWORD),
        "the password was written down"
    );

    // The account now lives on PDS2: it signs in there and its screen names the new host.
    app.click("[data-testid=recover-open]").await;
    app.el(&overview_of(&a.did)).await;
    let status = xrpc_get(
        &pds2.url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &a.did)],
        None,
    )
    .await
    .expect("PDS2 knows the account");
    assert_eq!(status["active"], json!(true), "{status}");
}
