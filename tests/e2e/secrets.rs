//! Secrets stay in the keychain: no log file, state file, app folder or diagnostics text holds
//! the password or a session token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::{App, poll_until};
use crate::support::flows::{SETTINGS, add_account_by_password, save_settings};
use crate::support::logs::{app_dirs, files_under, log_files_text, wait_log};

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

    add_account_by_password(&app, &a).await;

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
