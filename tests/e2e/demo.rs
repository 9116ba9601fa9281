//! `scripts/run.sh --demo`. run.sh itself installs packages and builds in release mode, so the
//! test runs what `scripts/lib/demo.sh run` does after starting the network, on the test run's
//! network: its seeding step (`demo.sh seed`, with the CLI built next to the app), then the app
//! on the demo's data folder and keychain service. It proves the window comes up signed in to
//! both sample accounts, each with what the demo promises: records and blobs, an app password,
//! a second device, an app with access, a recovery key held here and a backup. It also takes the
//! README's pictures of the main screens in both themes (scripts/screenshots.sh picks them).
//!
//! Not covered here: `demo.sh run`'s own start and stop of the network, bus and keyring (the
//! helpers of scripts/test.sh and scripts/dev-env.sh, scripts/lib/testenv.sh).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::app::{App, poll_until};
use crate::support::desktop::Desktop;
use crate::support::flows::overview_of;

/// Waits until the visible tab panel `tab` has content and nothing in it is still loading.
async fn tab_loaded(app: &App, tab: &str) {
    app.click(&format!("[data-testid=tab-{tab}]")).await;
    let panel = format!("[role=tabpanel][data-tab={tab}]:not([hidden])");
    app.el(&panel).await;
    let script = format!(
        "const p = document.querySelector('{panel}'); return !!p && p.children.length > 0 && !p.querySelector('[aria-busy=true]');"
    );
    let loaded = poll_until(Duration::from_secs(30), || {
        let client = app.client.clone();
        let script = script.clone();
        async move {
            client
                .execute(&script, vec![])
                .await
                .is_ok_and(|v| v == serde_json::json!(true))
        }
    })
    .await;
    assert!(loaded, "the {tab} tab finished loading");
}

/// The seeded demo, opened in the app: both accounts listed and signed in, Alice's devices,
/// app, app password, recovery key and backup on their tabs, Bob's app password; pictures of
/// overview, devices and apps, identity, backups and the migration screen in both themes.
#[tokio::test(flavor = "multi_thread")]
async fn demo_opens_signed_in_to_both() {
    let cli = Path::new(env!("CARGO_BIN_EXE_stratos-app")).with_file_name("stratos");
    assert!(
        cli.exists(),
        "the demo seeds with the stratos CLI: build it next to the app (cargo build -p stratos-cli)"
    );
    let desktop = Desktop::start();
    let data = desktop.root.path().join("demo-data");
    let service = "stratos-e2e-demo".to_owned();
    // Unique handles on the run's shared network; scripts/screenshots.sh sets the suffix empty
    // on a network of its own, for plain names in the pictures.
    let suffix = std::env::var("STRATOS_DEMO_SUFFIX").unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .subsec_nanos();
        format!("{:08x}", nanos ^ std::process::id())
    });
    let mut seed =
        desktop.command(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/lib/demo.sh"));
    seed.arg("seed")
        .env("STRATOS_CLI", &cli)
        .env("STRATOS_DATA_DIR", &data)
        .env("STRATOS_KEYRING_SERVICE", &service)
        .env("STRATOS_DEMO_SUFFIX", &suffix);
    let out = tokio::task::spawn_blocking(move || seed.output())
        .await
        .expect("the seeding thread")
        .expect("demo.sh runs");
    assert!(
        out.status.success(),
        "demo.sh seed failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("state.json")).expect("state"))
            .expect("the state file is JSON");
    let did_of = |handle: &str| {
        state["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["handle"] == handle)
            .and_then(|a| a["did"].as_str())
            .unwrap_or_else(|| panic!("{handle} is in the demo's account list: {state}"))
            .to_owned()
    };
    let alice = did_of(&format!("alice{suffix}.test"));
    let bob = did_of(&format!("bob{suffix}.pds2.test"));

    let env = vec![
        ("STRATOS_DATA_DIR".to_owned(), data.display().to_string()),
        ("STRATOS_KEYRING_SERVICE".to_owned(), service),
    ];
    let mut app = App::launch_on(desktop, "demo", &env).await;
    // It opens on Alice, the account made last.
    app.el(&overview_of(&alice)).await;
    for theme in ["light", "dark"] {
        if theme == "dark" {
            // WebKitGTK takes prefers-color-scheme from the GTK theme variant.
            app = app
                .restart_with(&[("GTK_THEME".to_owned(), "Adwaita:dark".to_owned())])
                .await;
        }
        app.client
            .set_window_rect(0, 0, 1280, 800)
            .await
            .expect("resize the window");
        assert_eq!(app.count("[data-testid=account-row]").await, 2);
        for did in [&bob, &alice] {
            app.click(&format!("[data-testid=account-row][data-did='{did}']"))
                .await;
            app.el(&overview_of(did)).await;
            app.el("[data-testid=overview-health][data-health=active]")
                .await;
        }
        app.el(&format!(
            "{} .overview-body:not([aria-busy])",
            overview_of(&alice)
        ))
        .await;
        app.shot(&format!("{theme}-overview")).await;

        tab_loaded(&app, "devices").await;
        assert_eq!(
            app.count("[data-testid=devices-list] [data-testid=device-row]")
                .await,
            2,
            "the demo's Stratos and the second device"
        );
        assert_eq!(app.count("[data-testid=app-row]").await, 1);
        app.shot(&format!("{theme}-devices")).await;

        tab_loaded(&app, "app-passwords").await;
        assert!(
            app.text("[data-testid=app-password-list]")
                .await
                .contains("Phone app")
        );

        tab_loaded(&app, "identity").await;
        app.el("[data-testid=recovery-key-held]").await;
        app.el("[data-testid=rotation-keys]").await;
        app.client
            .execute(
                "document.querySelector('[data-testid=identity-section]').scrollIntoView({block: 'start'})",
                vec![],
            )
            .await
            .expect("script runs");
        app.shot(&format!("{theme}-identity")).await;

        tab_loaded(&app, "backups").await;
        assert_eq!(
            app.count("[data-testid=backups-list] [data-testid=snapshot]")
                .await,
            1
        );
        app.shot(&format!("{theme}-backups")).await;

        tab_loaded(&app, "tools").await;
        app.click("[data-testid=migration-open-wizard]").await;
        app.el("[data-testid=migration-plan]").await;
        app.shot(&format!("{theme}-migrate")).await;
        app.click("[data-testid=migration-back]").await;

        app.click(&format!("[data-testid=account-row][data-did='{bob}']"))
            .await;
        app.el(&overview_of(&bob)).await;
        tab_loaded(&app, "app-passwords").await;
        assert!(
            app.text("[data-testid=app-password-list]")
                .await
                .contains("Feed reader")
        );
        app.click(&format!("[data-testid=account-row][data-did='{alice}']"))
            .await;
        app.el(&overview_of(&alice)).await;
    }
    app.close().await;
}
