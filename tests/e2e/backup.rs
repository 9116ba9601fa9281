//! The Backups tab and the backup schedule against the real PDS: turning the schedule on runs the
//! missed backup at once, the snapshot verifies, and the overview's attention list and the
//! account record follow.

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::poll_until;
use crate::support::flows::{launch_signed_in, overview_of, save_settings};

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_backup_runs_verifies_and_is_shown() {
    let net = Network::shared();
    let a = net.create_account(net.pds2()).await;
    let app = launch_signed_in("backup", &a).await;

    // Never backed up: the overview says so, as advice.
    app.el("[data-testid=attention-item][data-kind=no_backup]")
        .await;
    app.click("[data-testid=tab-backups]").await;
    app.el("[data-testid=backups-empty]").await;
    app.shot("01-no-backups").await;

    // A daily schedule: the backup it missed runs at once.
    app.click("[data-testid=settings]").await;
    app.click("[data-testid=backup-every] option[value='24']")
        .await;
    save_settings(&app).await;
    app.shot("02-schedule").await;
    let state_file = app.data_dir.join("state.json");
    let mut state = String::new();
    let ran = poll_until(Duration::from_secs(60), || {
        state = std::fs::read_to_string(&state_file).unwrap_or_default();
        let ok = state.contains("\"lastBackupAt\"");
        async move { ok }
    })
    .await;
    assert!(ran, "the scheduled backup ran and verified:\n{state}");
    assert!(state.contains("\"backupEveryHours\": 24"), "{state}");

    // The account's Backups tab lists it; it verifies from the disk.
    app.click("[data-testid=account-row]").await;
    app.el(&overview_of(&a.did)).await;
    assert_eq!(
        app.count("[data-testid=attention-item][data-kind=no_backup]")
            .await,
        0,
        "the advice is gone"
    );
    app.el("[data-testid=last-backup]").await;
    let mut menu = String::new();
    let in_tray = poll_until(Duration::from_secs(30), || {
        menu = app.tray_menu().unwrap_or_default();
        let ok = menu.contains(&format!("{} — Active · backed up", a.handle));
        async move { ok }
    })
    .await;
    assert!(in_tray, "the tray shows the backup's age:\n{menu}");
    app.click("[data-testid=tab-backups]").await;
    app.el("[data-testid=backups-list] [data-testid=snapshot]")
        .await;
    app.click("[data-testid=snapshot-verify]").await;
    app.el("[data-testid=snapshot-verified][data-ok=true]")
        .await;
    app.shot("03-verified").await;

    // Back up now adds a second snapshot (nothing changed: it stores almost nothing).
    app.click("[data-testid=backup-now]").await;
    let two = poll_until(Duration::from_secs(60), || {
        let client = app.client.clone();
        async move {
            client
                .execute(
                    "return document.querySelectorAll('[data-testid=backups-list] [data-testid=snapshot]').length",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == serde_json::json!(2))
        }
    })
    .await;
    assert!(two, "a second snapshot is listed");
    let folder = app.data_dir.join("backups");
    assert!(
        folder.is_dir(),
        "snapshots are in the data folder's backups"
    );
    app.shot("04-two-snapshots").await;
}
