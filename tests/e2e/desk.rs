//! The desktop side of Stratos: settings that apply while it runs, logs without secrets,
//! diagnostics, window and tray behaviour, and both themes at the smallest supported size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::{App, poll_until};
use crate::{overview_of, sign_in, use_password};
use stratos_testkit::Network;

const SETTINGS: &str = "[data-testid=settings-form]";

/// The app's own folders inside the test desktop: (log folder, config folder of the app).
fn app_dirs(app: &App) -> (PathBuf, PathBuf) {
    let root = app.desktop.root.path();
    (
        root.join("data/social.stratos.desktop/logs"),
        root.join("config/social.stratos.desktop"),
    )
}

/// Everything the app wrote to its log files so far.
fn log_files_text(app: &App) -> String {
    let (logs, _) = app_dirs(app);
    files_under(&logs)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn wait_log(app: &App, needle: &str) -> bool {
    poll_until(Duration::from_secs(30), || {
        let found = log_files_text(app).contains(needle);
        async move { found }
    })
    .await
}

async fn save_settings(app: &App) {
    // Clear the previous confirmation first so the wait below sees this save's.
    app.client
        .execute(
            "document.querySelector('[data-testid=settings-saved]')?.replaceChildren()",
            vec![],
        )
        .await
        .expect("script runs");
    app.click("[data-testid=settings-save]").await;
    app.el("[data-testid=settings-saved]:not(:empty)").await;
}

/// Every setting on the screen is saved and takes effect without a restart: the PLC directory
/// (a dead one breaks look-ups, the network's one mends them), the check interval, the log
/// level, start at login, and the OAuth client and access.
#[tokio::test(flavor = "multi_thread")]
async fn settings_take_effect_while_running() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let plc = net
        .env()
        .into_iter()
        .find(|(k, _)| k == "STRATOS_PLC_URL")
        .map(|(_, v)| v)
        .expect("the network names its PLC");
    // An empty variable counts as unset: the setting decides the PLC directory here.
    let app = App::launch_with(
        "settings_live",
        &[("STRATOS_PLC_URL".to_owned(), String::new())],
    )
    .await;

    // A PLC directory that is not there: looking up a did:plc fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    app.click("[data-testid=settings]").await;
    app.fill(&format!("{SETTINGS} input[name=plcUrl]"), &dead)
        .await;
    save_settings(&app).await;
    app.click("[data-testid=lookup]").await;
    app.fill("[data-testid=lookup-form] input[name=identifier]", &a.did)
        .await;
    app.click("[data-testid=lookup-submit]").await;
    app.el("[data-testid=lookup-screen] [data-testid=form-error]")
        .await;
    app.shot("lookup-with-dead-plc").await;

    // The network's PLC directory, set on the screen: the same look-up works, no restart.
    app.click("[data-testid=settings]").await;
    app.fill(&format!("{SETTINGS} input[name=plcUrl]"), &plc)
        .await;
    save_settings(&app).await;
    app.click("[data-testid=lookup]").await;
    app.fill("[data-testid=lookup-form] input[name=identifier]", &a.did)
        .await;
    app.click("[data-testid=lookup-submit]").await;
    app.el("[data-testid=lookup-result] [data-testid=overview-repo-status][data-status=active]")
        .await;

    // Interval, start at login, access.
    app.click("[data-testid=settings]").await;
    app.fill(
        &format!("{SETTINGS} input[name=refreshIntervalMinutes]"),
        "17",
    )
    .await;
    app.click(&format!("{SETTINGS} input[name=startAtLogin]"))
        .await;
    app.click("[data-testid=oauth-access-basic]").await;
    save_settings(&app).await;
    assert!(
        wait_log(&app, "next background check in 17 minute(s)").await,
        "the new interval is used at once:\n{}",
        log_files_text(&app)
    );
    let autostart = app
        .desktop
        .root
        .path()
        // auto-launch writes to $HOME/.config/autostart whatever XDG_CONFIG_HOME says.
        .join("home/.config/autostart/Stratos.desktop");
    let entry = std::fs::read_to_string(&autostart).expect("a login item was added");
    assert!(entry.contains("--autostart"), "{entry}");

    // At "warn" the save's info line is not written; back at "info" it is.
    app.el(&format!("{SETTINGS} select[name=logLevel]"))
        .await
        .select_by_value("warn")
        .await
        .expect("choose a log level");
    save_settings(&app).await;
    let state = std::fs::read_to_string(app.data_dir.join("state.json")).unwrap();
    for expected in [
        "\"refreshIntervalMinutes\": 17",
        "\"oauthAccess\": \"basic\"",
        "\"logLevel\": \"warn\"",
        "\"startAtLogin\": true",
        &format!("\"plcUrl\": \"{plc}\""),
    ] {
        assert!(state.contains(expected), "{expected} in {state}");
    }
    app.shot("settings-saved").await;

    let info_saves = |app: &App| {
        log_files_text(app)
            .matches("settings saved; log level Info")
            .count()
    };
    let before = info_saves(&app);
    app.el(&format!("{SETTINGS} select[name=logLevel]"))
        .await
        .select_by_value("info")
        .await
        .expect("choose a log level");
    app.click(&format!("{SETTINGS} input[name=startAtLogin]"))
        .await;
    save_settings(&app).await;
    assert!(
        poll_until(Duration::from_secs(30), || {
            let logged = info_saves(&app) > before;
            async move { logged }
        })
        .await
    );
    let log = log_files_text(&app);
    assert!(!log.contains("settings saved; log level Warn"), "{log}");
    assert!(!autostart.exists(), "the login item was removed");

    // A hosted client id switches browser sign-in to it at once; a bad one is refused.
    app.fill(
        &format!("{SETTINGS} input[name=oauthClientId]"),
        "http://not-https.example/client.json",
    )
    .await;
    app.click("[data-testid=settings-save]").await;
    app.el(&format!(
        "{SETTINGS} [data-testid=form-error][data-code=config]"
    ))
    .await;
    app.shot("settings-bad-client-id").await;
    app.fill(
        &format!("{SETTINGS} input[name=oauthClientId]"),
        "https://stratos.example.org/client-metadata.json",
    )
    .await;
    save_settings(&app).await;
    app.el("[data-testid=oauth-settings][data-client-kind=hosted]")
        .await;
    app.shot("settings-hosted-client").await;
    app.close().await;
}

/// A Secret Service secret: (session, parameters, value, content type).
type Secret = (dbus::strings::Path<'static>, Vec<u8>, Vec<u8>, String);

/// The secret values stored under a keychain service in the test desktop.
fn keychain_secrets(app: &App, service: &str) -> Vec<String> {
    use dbus::arg::{RefArg, Variant};
    use dbus::blocking::Connection;
    use dbus::strings::Path as ObjPath;
    let mut channel = dbus::channel::Channel::open_private(&app.desktop.bus).expect("test bus");
    channel.register().expect("hello");
    let conn = Connection::from(channel);
    let proxy = conn.with_proxy(
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        Duration::from_secs(5),
    );
    const SS: &str = "org.freedesktop.Secret.Service";
    let (_, session): (Variant<Box<dyn RefArg>>, ObjPath) = proxy
        .method_call(SS, "OpenSession", ("plain", Variant("")))
        .expect("open a Secret Service session");
    let query: HashMap<&str, &str> = HashMap::from([("service", service)]);
    let (unlocked, _locked): (Vec<ObjPath>, Vec<ObjPath>) = proxy
        .method_call(SS, "SearchItems", (query,))
        .expect("search the keychain");
    let (secrets,): (HashMap<ObjPath, Secret>,) = proxy
        .method_call(SS, "GetSecrets", (unlocked, session))
        .expect("read the secrets");
    secrets
        .into_values()
        .map(|(_, _, value, _)| String::from_utf8_lossy(&value).into_owned())
        .collect()
}

/// The string values of every field named like a token in a stored secret (JSON).
fn tokens_in(secret: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let k = k.to_ascii_lowercase();
                    match v.as_str() {
                        Some(s) if (k.contains("jwt") || k.contains("token")) && s.len() > 16 => {
                            out.push(s.to_owned())
                        }
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str(secret) {
        walk(&v, &mut out);
    }
    out
}

/// Sign in with a password, refresh from the tray, copy diagnostics, sign out: then no log
/// file, state file or app folder holds the password or any session token, and the log folder
/// is really there (so this test can fail).
#[tokio::test(flavor = "multi_thread")]
async fn secrets_stay_out_of_logs_and_files() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    let app = App::launch("secrets_grep").await;
    // Most detail, so that anything a debug line might leak is in the files.
    app.click("[data-testid=settings]").await;
    app.el(&format!("{SETTINGS} select[name=logLevel]"))
        .await
        .select_by_value("trace")
        .await
        .expect("choose a log level");
    save_settings(&app).await;

    app.click("[data-testid=add-account]").await;
    use_password(&app).await;
    sign_in(&app, &a.handle, &a.password).await;
    app.el(&overview_of(&a.did)).await;

    let service = "stratos-e2e-secrets_grep";
    let mut secrets = vec![a.password.clone()];
    for s in keychain_secrets(&app, service) {
        secrets.extend(tokens_in(&s));
    }
    assert!(
        secrets.len() >= 3,
        "the password and the session's access and refresh tokens: {} found",
        secrets.len()
    );

    // The tray's Refresh now re-checks the account (and may refresh tokens).
    assert!(
        poll_until(Duration::from_secs(30), || {
            let ok = app.tray_menu().is_some_and(|m| m.contains(&a.handle));
            async move { ok }
        })
        .await
    );
    app.click_tray_item("Refresh now");
    assert!(wait_log(&app, "tray menu: refresh").await);
    assert!(wait_log(&app, "next background check in").await);
    for s in keychain_secrets(&app, service) {
        secrets.extend(tokens_in(&s));
    }

    // Diagnostics: the account's server and state, nothing secret.
    app.click("[data-testid=settings]").await;
    app.click("[data-testid=copy-diagnostics]").await;
    let report = app
        .text("[data-testid=diagnostics-text]:not([hidden])")
        .await;
    assert!(
        report.contains(&a.handle) && report.contains(&a.pds_url) && report.contains("Active"),
        "{report}"
    );
    assert!(
        report.contains("Stratos ") && report.contains("OS "),
        "{report}"
    );
    app.shot("diagnostics").await;

    app.click(&format!("[data-testid=account-row][data-did='{}']", a.did))
        .await;
    app.click("[data-testid=logout]").await;
    app.click("[data-testid=logout-confirm]").await;
    app.el("[data-testid=welcome]").await;

    let (logs, config) = app_dirs(&app);
    let log_files = files_under(&logs);
    assert!(!log_files.is_empty(), "the log folder {logs:?} has files");
    let log = log_files_text(&app);
    assert!(
        log.contains(&a.did) && log.contains("tray menu: refresh"),
        "the log records what happened:\n{log}"
    );
    let mut scanned = 0;
    for file in log_files
        .into_iter()
        .chain(files_under(&app.data_dir))
        .chain(files_under(&config))
        .chain([report_file(&app, &report)])
        .chain([app.artifacts.join("app.log")])
    {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        scanned += 1;
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret ({} chars) is in {}",
                secret.len(),
                file.display()
            );
        }
        assert!(
            !text.contains("eyJ"),
            "something JWT-shaped is in {}",
            file.display()
        );
    }
    assert!(scanned >= 3, "scanned {scanned} files");
    app.close().await;
}

/// The diagnostics text as a file among the scanned ones.
fn report_file(app: &App, report: &str) -> PathBuf {
    let path = app.artifacts.join("diagnostics.txt");
    std::fs::write(&path, report).expect("write diagnostics");
    path
}

/// Asserts that every form control on the current screen has an accessible name (a label,
/// `aria-label` or `aria-labelledby`) and that keyboard focus is drawn visibly.
async fn audit_labels(app: &App, screen: &str) {
    let unlabeled = app
        .client
        .execute(
            r#"return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
                .filter((el) => el.offsetParent !== null)
                .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
                .map((el) => el.outerHTML.slice(0, 120));"#,
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(
        unlabeled,
        serde_json::json!([]),
        "controls without a label on {screen}"
    );
}

/// Tabs from the top of the window and reports which element has focus and whether it draws a
/// focus ring (an outline or a box shadow).
async fn tab_and_check_focus(app: &App, presses: usize) -> Vec<(String, bool)> {
    let mut seen = Vec::new();
    for _ in 0..presses {
        app.client
            .active_element()
            .await
            .expect("an active element")
            .send_keys("\u{e004}")
            .await
            .expect("press Tab");
        let info = app
            .client
            .execute(
                r#"const el = document.activeElement; const cs = getComputedStyle(el);
                   const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
                   return [(el.dataset.testid || el.getAttribute('aria-label') || el.textContent || el.tagName).trim().slice(0, 40), ring];"#,
                vec![],
            )
            .await
            .expect("script runs");
        seen.push((
            info[0].as_str().unwrap_or_default().to_owned(),
            info[1].as_bool().unwrap_or(false),
        ));
    }
    seen
}

/// Pictures of the main screens in the light and the dark theme, at the smallest supported size
/// (800×600) and a large one; every control is labelled, the keyboard reaches the sidebar and
/// the account tabs with a visible focus ring, and arrow keys move between tabs.
#[tokio::test(flavor = "multi_thread")]
async fn themes_sizes_and_keyboard() {
    let net = Network::shared();
    let a = net.create_account(net.pds1()).await;
    for (theme, env) in [
        ("light", vec![]),
        // WebKitGTK takes prefers-color-scheme from the GTK theme variant.
        (
            "dark",
            vec![("GTK_THEME".to_owned(), "Adwaita:dark".to_owned())],
        ),
    ] {
        let app = App::launch_with(&format!("themes_{theme}"), &env).await;
        let dark = app
            .client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(dark, serde_json::json!(theme == "dark"), "{theme} theme");
        // The shell names the platform before the first layout, and on Linux the stylesheet
        // then uses fontconfig's family: WebKitGTK looked system-ui up per size and weight.
        let fonts = app
            .client
            .execute(
                "return [document.documentElement.dataset.os, getComputedStyle(document.body).fontFamily]",
                vec![],
            )
            .await
            .expect("script runs");
        let family = if cfg!(target_os = "linux") {
            "sans-serif"
        } else {
            "system-ui, sans-serif"
        };
        assert_eq!(
            fonts,
            serde_json::json!([std::env::consts::OS, family]),
            "{theme} theme"
        );

        app.click("[data-testid=add-first-account]").await;
        use_password(&app).await;
        sign_in(&app, &a.handle, &a.password).await;
        app.el(&overview_of(&a.did)).await;
        app.el("[data-testid=overview-health][data-health=active]")
            .await;

        // Keyboard: from the top, Tab reaches the skip link, the sidebar and the account row,
        // each with a focus ring.
        app.client
            .execute(
                "document.activeElement?.blur(); window.scrollTo(0, 0);",
                vec![],
            )
            .await
            .expect("script runs");
        let focus = tab_and_check_focus(&app, 4).await;
        assert!(
            focus.iter().all(|(_, ring)| *ring),
            "every focused control shows a ring: {focus:?}"
        );
        // Arrow keys move between the account tabs.
        app.click("[data-testid=tab-overview]").await;
        app.el("[data-testid=tab-overview]")
            .await
            .send_keys("\u{e014}")
            .await
            .expect("press ArrowRight");
        let selected = app
            .client
            .execute(
                "return [document.activeElement.getAttribute('role'), document.activeElement.getAttribute('aria-selected'), document.activeElement.dataset.testid]",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(selected[0], "tab", "{selected}");
        assert_eq!(selected[1], "true", "{selected}");
        assert_ne!(selected[2], "tab-overview", "{selected}");
        app.click("[data-testid=tab-overview]").await;
        audit_labels(&app, "overview").await;

        for (w, h) in [(800, 600), (1280, 800)] {
            app.client
                .set_window_rect(0, 0, w, h)
                .await
                .expect("resize the window");
            app.click(&format!("[data-testid=account-row][data-did='{}']", a.did))
                .await;
            app.el(&overview_of(&a.did)).await;
            app.el("[data-testid=overview-health][data-health=active]")
                .await;
            app.shot(&format!("{theme}-{w}x{h}-overview")).await;
            if w == 800 {
                // Every account section at the smallest size: labelled controls, a picture.
                for tab in [
                    "devices",
                    "app-passwords",
                    "security",
                    "handle",
                    "tools",
                    "danger",
                ] {
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
                    assert!(loaded, "the {tab} section finished loading");
                    audit_labels(&app, tab).await;
                    app.shot(&format!("{theme}-{w}x{h}-tab-{tab}")).await;
                }
                app.click("[data-testid=tab-overview]").await;
            }
            app.click("[data-testid=settings]").await;
            app.el(SETTINGS).await;
            audit_labels(&app, "settings").await;
            app.shot(&format!("{theme}-{w}x{h}-settings")).await;
            app.click("[data-testid=copy-diagnostics]").await;
            app.el("[data-testid=diagnostics-text]:not([hidden])").await;
            app.client
                .execute(
                    "document.querySelector('[data-testid=oauth-settings]').scrollIntoView({block: 'start'})",
                    vec![],
                )
                .await
                .expect("script runs");
            app.shot(&format!("{theme}-{w}x{h}-settings-sign-in")).await;
            app.client
                .execute(
                    "document.querySelector('[data-testid=logs-settings]').scrollIntoView({block: 'start'})",
                    vec![],
                )
                .await
                .expect("script runs");
            app.shot(&format!("{theme}-{w}x{h}-settings-logs")).await;
            app.click("[data-testid=add-account]").await;
            use_password(&app).await;
            audit_labels(&app, "add account").await;
            app.shot(&format!("{theme}-{w}x{h}-add-account")).await;
            // Nothing spills sideways at this size.
            let overflow = app
                .client
                .execute(
                    "return document.documentElement.scrollWidth > window.innerWidth",
                    vec![],
                )
                .await
                .expect("script runs");
            assert_eq!(overflow, serde_json::json!(false), "{theme} {w}x{h}");
        }
        app.close().await;
    }
}

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
fn pretend_tray_host(desktop: &crate::desktop::Desktop) -> dbus::blocking::Connection {
    let mut channel = dbus::channel::Channel::open_private(&desktop.bus).expect("test bus");
    channel.register().expect("hello");
    let conn = dbus::blocking::Connection::from(channel);
    conn.request_name("org.kde.StatusNotifierWatcher", false, false, true)
        .expect("own the watcher name");
    conn
}

/// Runs `f` on the top-level X window titled `title` on `display`; `None` when there is none.
/// Plain Xlib (through x11-dl), so the tests need no extra X tools.
fn with_x_window<T>(
    display: &str,
    title: &str,
    f: impl FnOnce(&x11_dl::xlib::Xlib, *mut x11_dl::xlib::Display, x11_dl::xlib::Window) -> T,
) -> Option<T> {
    use std::ffi::{CStr, CString};
    let x = x11_dl::xlib::Xlib::open().expect("libX11");
    let name = CString::new(display).unwrap();
    // SAFETY: plain Xlib calls on a display this function opens and closes; every pointer Xlib
    // returns is checked and freed with XFree.
    unsafe {
        let dpy = (x.XOpenDisplay)(name.as_ptr());
        assert!(!dpy.is_null(), "open display {display}");
        let root = (x.XDefaultRootWindow)(dpy);
        let (mut r, mut p, mut kids, mut n) = (0, 0, std::ptr::null_mut(), 0u32);
        (x.XQueryTree)(dpy, root, &mut r, &mut p, &mut kids, &mut n);
        let mut target = None;
        for i in 0..n as usize {
            let w = *kids.add(i);
            let mut wname = std::ptr::null_mut();
            if (x.XFetchName)(dpy, w, &mut wname) != 0 && !wname.is_null() {
                if CStr::from_ptr(wname).to_string_lossy() == title {
                    target = Some(w);
                }
                (x.XFree)(wname.cast());
            }
        }
        if !kids.is_null() {
            (x.XFree)(kids.cast());
        }
        let out = target.map(|w| f(&x, dpy, w));
        (x.XCloseDisplay)(dpy);
        out
    }
}

/// Whether the window titled `title` is mapped and viewable.
fn window_viewable(display: &str, title: &str) -> bool {
    with_x_window(display, title, |x, dpy, window| {
        // SAFETY: a valid display and window from `with_x_window`; the struct is plain data.
        unsafe {
            let mut attrs: x11_dl::xlib::XWindowAttributes = std::mem::zeroed();
            (x.XGetWindowAttributes)(dpy, window, &mut attrs) != 0
                && attrs.map_state == x11_dl::xlib::IsViewable
        }
    })
    .unwrap_or(false)
}

/// Asks the window titled `title` to close, as a window manager does when its close button is
/// pressed: a WM_DELETE_WINDOW client message. Returns false when no such window exists.
fn close_window_like_a_window_manager(display: &str, title: &str) -> bool {
    use std::ffi::CString;
    use x11_dl::xlib;
    with_x_window(display, title, |x, dpy, window| {
        // SAFETY: a valid display and window from `with_x_window`; the event is plain data.
        unsafe {
            let atom = |s: &str| {
                let s = CString::new(s).unwrap();
                (x.XInternAtom)(dpy, s.as_ptr(), xlib::False)
            };
            let mut data = xlib::ClientMessageData::new();
            data.set_long(0, atom("WM_DELETE_WINDOW") as std::os::raw::c_long);
            data.set_long(1, xlib::CurrentTime as std::os::raw::c_long);
            let mut event = xlib::XEvent {
                client_message: xlib::XClientMessageEvent {
                    type_: xlib::ClientMessage,
                    serial: 0,
                    send_event: xlib::True,
                    display: dpy,
                    window,
                    message_type: atom("WM_PROTOCOLS"),
                    format: 32,
                    data,
                },
            };
            (x.XSendEvent)(dpy, window, xlib::False, xlib::NoEventMask, &mut event);
            (x.XFlush)(dpy);
        }
    })
    .is_some()
}

/// With a tray host, closing the window keeps Stratos running in the tray and says so once
/// (remembered across closes); "Open Stratos" brings the window back and Quit ends it.
#[tokio::test(flavor = "multi_thread")]
async fn closing_to_the_tray_is_explained_once() {
    let desktop = crate::desktop::Desktop::start();
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
