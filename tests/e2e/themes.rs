//! Both themes at the smallest supported size and a large one: pictures of every screen,
//! labelled controls, keyboard focus.

use std::time::Duration;

use stratos_testkit::Network;

use crate::support::app::{App, poll_until};
use crate::support::flows::{SETTINGS, overview_of, sign_in_first_account, use_password};

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
    let png = net.png().await;
    stratos_testkit::set_profile(&a, "Theme Tester", Some(&png)).await;
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

        sign_in_first_account(&app, &a).await;
        app.el("[data-testid=overview-health][data-health=active]")
            .await;
        // The person's own picture and name, and the repository's figures.
        app.el(".overview-header img[data-testid=avatar-photo][src^='data:image/png;base64,']")
            .await;
        assert_eq!(
            app.text("[data-testid=overview-name]").await,
            "Theme Tester"
        );
        assert_eq!(app.text("[data-testid=overview-records]").await, "1");

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
            // The header is compact and the eight tabs stay on one row, each on screen, so the
            // account's content starts high enough to be seen.
            let layout = app
                .client
                .execute(
                    r#"const tabs = [...document.querySelectorAll('[data-testid=account-tabs] [role=tab]')].map((t) => t.getBoundingClientRect());
                       const header = document.querySelector('.overview-header').getBoundingClientRect();
                       const row = document.querySelector('[data-testid=account-tabs]').getBoundingClientRect();
                       return { tabs: tabs.length, rows: new Set(tabs.map((r) => Math.round(r.top))).size,
                                inside: tabs.every((r) => r.right <= row.right + 1 && r.left >= row.left - 1 && r.width > 0),
                                contentTop: Math.round(row.bottom), headerTop: Math.round(header.top) };"#,
                    vec![],
                )
                .await
                .expect("script runs");
            assert_eq!(layout["tabs"], 8, "{layout}");
            assert_eq!(layout["rows"], 1, "one row of tabs at {w}x{h}: {layout}");
            assert_eq!(
                layout["inside"], true,
                "every tab on screen at {w}x{h}: {layout}"
            );
            let used =
                layout["contentTop"].as_i64().unwrap() - layout["headerTop"].as_i64().unwrap();
            assert!(
                used <= 150,
                "header and tabs take {used} px at {w}x{h}: {layout}"
            );
            if w == 800 {
                // Every account section at the smallest size: labelled controls, a picture.
                for tab in [
                    "devices",
                    "app-passwords",
                    "security",
                    "identity",
                    "backups",
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
                    if tab == "devices" {
                        // Signed in with a password a moment ago: the lists, not the password again.
                        app.el("[data-testid=devices-list]").await;
                        assert_eq!(
                            app.count("[data-testid=devices-sign-in-form]").await,
                            0,
                            "Devices & apps does not ask again for the password just typed"
                        );
                    }
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
