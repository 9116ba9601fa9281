//! The window: its size survives a restart, a second launch brings it forward, and closing it
//! with a tray host keeps Stratos in the tray.

use std::time::Duration;

use crate::support::app::{App, poll_until};
use crate::support::desktop::Desktop;
use crate::support::logs::{log_files_text, wait_log};
use crate::support::x11::{close_window_like_a_window_manager, window_viewable};

/// The window comes back at the size it had when Stratos quit (from the tray), and a second
/// launch does not start another Stratos but brings the running one forward.
#[tokio::test(flavor = "multi_thread")]
async fn window_size_survives_restart_and_second_launch_focuses() {
    let app = App::launch("window_state").await;
    app.client
        .set_window_rect(0, 0, 900, 640)
        .await
        .expect("resize the window");
    let (_, _, w, h) = app.client.get_window_rect().await.expect("window size");
    assert_eq!((w, h), (900, 640));

    // A second launch hands over to the first and ends.
    let mut second = app
        .desktop
        .command(env!("CARGO_BIN_EXE_stratos-app"))
        .env("STRATOS_DATA_DIR", &app.data_dir)
        .env("STRATOS_KEYRING_SERVICE", "stratos-e2e-window_state")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start a second copy");
    let mut status = None;
    let ended = poll_until(Duration::from_secs(30), || {
        status = second.try_wait().ok().flatten();
        let done = status.is_some();
        async move { done }
    })
    .await;
    assert!(ended, "the second launch ended");
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert!(wait_log(&app, "second launch: bringing the window to the front").await);
    assert!(app.app_is_running(), "the first copy still runs");

    assert!(
        poll_until(Duration::from_secs(30), || {
            let ok = app.tray_menu().is_some_and(|m| m.contains("Quit Stratos"));
            async move { ok }
        })
        .await
    );
    app.click_tray_item("Quit Stratos");
    let app = app.restart().await;
    let (_, _, w, h) = app.client.get_window_rect().await.expect("window size");
    assert_eq!((w, h), (900, 640), "the size came back");
    app.close().await;
}

/// Owns `org.kde.StatusNotifierWatcher` on the desktop's bus, so the app believes a tray host
/// shows its icon (Xvfb has none); the name is released when the connection drops.
fn pretend_tray_host(desktop: &Desktop) -> dbus::blocking::Connection {
    let mut channel = dbus::channel::Channel::open_private(&desktop.bus).expect("test bus");
    channel.register().expect("hello");
    let conn = dbus::blocking::Connection::from(channel);
    conn.request_name("org.kde.StatusNotifierWatcher", false, false, true)
        .expect("own the watcher name");
    conn
}

/// With a tray host, closing the window keeps Stratos running in the tray and says so once
/// (remembered across closes); "Open Stratos" brings the window back and Quit ends it.
#[tokio::test(flavor = "multi_thread")]
async fn closing_to_the_tray_is_explained_once() {
    let desktop = Desktop::start();
    let _tray_host = pretend_tray_host(&desktop);
    let app = App::launch_on(desktop, "close_to_tray", &[]).await;
    let state_file = app.data_dir.join("state.json");
    let explained = "explaining close-to-tray (first close)";
    let visible = |app: &App| window_viewable(&app.desktop.display, "Stratos");
    assert!(visible(&app), "the window is shown at start");

    for round in 1..=2 {
        assert!(
            close_window_like_a_window_manager(&app.desktop.display, "Stratos"),
            "the window is on the display"
        );
        assert!(
            poll_until(Duration::from_secs(30), || {
                let hidden = !visible(&app);
                async move { hidden }
            })
            .await,
            "round {round}: closing hid the window"
        );
        assert!(app.app_is_running(), "round {round}: Stratos keeps running");
        assert!(wait_log(&app, explained).await, "round {round}");
        let state = std::fs::read_to_string(&state_file).unwrap_or_default();
        assert!(state.contains("\"closeToTrayExplained\": true"), "{state}");

        // The tray brings it back.
        app.click_tray_item("Open Stratos");
        assert!(
            poll_until(Duration::from_secs(30), || {
                let shown = visible(&app);
                async move { shown }
            })
            .await,
            "round {round}: Open Stratos showed the window"
        );
    }
    assert_eq!(
        log_files_text(&app).matches(explained).count(),
        1,
        "said once, not on every close"
    );
    app.click_tray_item("Quit Stratos");
    assert!(
        poll_until(Duration::from_secs(30), || {
            let gone = !app.app_is_running();
            async move { gone }
        })
        .await,
        "Quit in the tray ends the app"
    );
}
