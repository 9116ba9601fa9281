//! The real Stratos binary driven through WebKitWebDriver inside a private [`Desktop`].

use std::cell::Cell;
use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use stratos_testkit::Network;

use super::desktop::Desktop;

/// How long a UI step may take before the test fails (network calls included).
const STEP: Duration = Duration::from_secs(30);

/// A running app with a WebDriver session attached.
pub struct App {
    pub client: Client,
    pub desktop: Desktop,
    pub data_dir: PathBuf,
    pub artifacts: PathBuf,
    test: String,
    env: Vec<(String, String)>,
    shots: Cell<usize>,
    tray: std::sync::OnceLock<(String, String)>,
}

/// Polls `ready` every 50 ms until it holds or `limit` passes; for services that announce
/// nothing when they are up. Returns whether it became ready.
pub async fn poll_until<F, Fut>(limit: Duration, mut ready: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    while Instant::now() < deadline {
        tick.tick().await;
        if ready().await {
            return true;
        }
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl App {
    /// Starts a private desktop, then the app under WebKitWebDriver with its own data folder and
    /// keychain service, pointed at the shared test network.
    pub async fn launch(test: &str) -> App {
        Self::launch_with(test, &[]).await
    }

    /// Like [`App::launch`], with extra environment for the app (OAuth client, `$BROWSER`...).
    pub async fn launch_with(test: &str, env: &[(String, String)]) -> App {
        Self::launch_on(Desktop::start(), test, env).await
    }

    /// Like [`App::launch_with`] on a desktop the test prepared first (a tray host, say).
    pub async fn launch_on(desktop: Desktop, test: &str, env: &[(String, String)]) -> App {
        let artifacts = Desktop::artifacts(test);
        // Start from an empty folder so no screenshot from an earlier run is mistaken for this one's.
        for old in std::fs::read_dir(&artifacts)
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::remove_file(old.path());
        }
        Self::start(desktop, test, env.to_vec(), artifacts, 0).await
    }

    /// Quits the app and starts it again in the same desktop: same keychain, same data folder.
    pub async fn restart(self) -> App {
        let App {
            client,
            desktop,
            artifacts,
            test,
            env,
            shots,
            ..
        } = self;
        let _ = client.close().await;
        let gone = poll_until(STEP, || {
            let out = desktop
                .command("gdbus")
                .args([
                    "call",
                    "--session",
                    "--timeout",
                    "2",
                    "--dest",
                    "org.freedesktop.DBus",
                    "--object-path",
                    "/org/freedesktop/DBus",
                    "--method",
                    "org.freedesktop.DBus.NameHasOwner",
                    "social.stratos.desktop.SingleInstance",
                ])
                .output();
            let running = out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("true"));
            async move { !running }
        })
        .await;
        assert!(gone, "the app did not quit");
        Self::start(desktop, &test, env, artifacts, shots.get()).await
    }

    /// Like [`App::restart`], with `env` added to the app's environment (another theme, say).
    pub async fn restart_with(mut self, env: &[(String, String)]) -> App {
        self.env.extend(env.iter().cloned());
        self.restart().await
    }

    async fn start(
        mut desktop: Desktop,
        test: &str,
        env: Vec<(String, String)>,
        artifacts: PathBuf,
        shots: usize,
    ) -> App {
        // Two rustls providers are compiled in (ring via reqwest, aws-lc via fantoccini): pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = desktop.root.path().join("stratos-data");
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(artifacts.join("app.log"))
            .expect("log file");
        let mut cmd = desktop.command("WebKitWebDriver");
        cmd.arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("STRATOS_DATA_DIR", &data_dir)
            .env("STRATOS_KEYRING_SERVICE", format!("stratos-e2e-{test}"))
            .env("RUST_LOG", "stratos_app=info,stratos_core=info")
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in Network::shared()
            .env()
            .into_iter()
            .chain(env.iter().cloned())
        {
            cmd.env(k, v);
        }
        desktop.adopt(
            cmd.spawn()
                .expect("WebKitWebDriver is installed (webkit2gtk-driver)"),
        );

        let mut caps = serde_json::Map::new();
        caps.insert(
            "webkitgtk:browserOptions".into(),
            serde_json::json!({ "binary": env!("CARGO_BIN_EXE_stratos-app"), "args": [] }),
        );
        let url = format!("http://127.0.0.1:{port}");
        // The driver announces nothing when it is ready: poll its port within a deadline.
        let ready = poll_until(STEP, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
        assert!(
            ready,
            "WebKitWebDriver did not listen on port {port} (see {})",
            artifacts.display()
        );
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no WebDriver session with the app: {e} (see {})",
                    artifacts.display()
                )
            });
        // The sidebar is static HTML: wait until the scripts have booted before clicking anything.
        if let Err(e) = client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css("body[data-ready=true]"))
            .await
        {
            panic!(
                "the window did not finish loading: {e} (see {})",
                artifacts.display()
            );
        }
        App {
            client,
            desktop,
            data_dir,
            artifacts,
            test: test.to_owned(),
            env,
            shots: Cell::new(shots),
            tray: std::sync::OnceLock::new(),
        }
    }

    /// Waits for an element matching `css`.
    pub async fn el(&self, css: &str) -> Element {
        let deadline = Instant::now() + STEP;
        let found = loop {
            let found = self
                .client
                .wait()
                .at_most(deadline.saturating_duration_since(Instant::now()))
                .for_element(Locator::Css(css))
                .await;
            // A screen that re-renders while the driver looks can yield a stale node: look again.
            match &found {
                Err(e) if e.to_string().contains("Stale") && Instant::now() < deadline => continue,
                _ => break found,
            }
        };
        match found {
            Ok(e) => e,
            Err(e) => {
                self.shot("failure").await;
                let html = self.client.source().await.unwrap_or_default();
                std::fs::write(self.artifacts.join("failure.html"), html).ok();
                panic!(
                    "waited {STEP:?} for `{css}`: {e} (see {})",
                    self.artifacts.display()
                );
            }
        }
    }

    /// How many elements match `css` now (no waiting).
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .len()
    }

    /// Clicks the element matching `css` once it exists.
    pub async fn click(&self, css: &str) {
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Replaces the text of the input matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.el(css).await;
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        // WebDriver refuses an empty key sequence; clearing already did the job.
        if !text.is_empty() {
            input
                .send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("type into {css}: {e}"));
        }
    }

    /// Replaces the text of the input matching `css` as a person does (select all, type), with
    /// no intermediate empty value: a settings field applies its value when it loses focus.
    pub async fn retype(&self, css: &str, text: &str) {
        let input = self.el(css).await;
        self.client
            .execute(
                "arguments[0].focus(); arguments[0].select();",
                vec![serde_json::to_value(&input).expect("an element as a script argument")],
            )
            .await
            .unwrap_or_else(|e| panic!("select the text of {css}: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// The trimmed text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.el(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
            .trim()
            .to_owned()
    }

    /// The whole text of the element matching `css`, also where the window elides it (a long
    /// DID ends in "…" on screen; its copy button and this give it whole).
    pub async fn full_text(&self, css: &str) -> String {
        self.el(css).await;
        let script = format!(
            "return document.querySelector({}).textContent",
            serde_json::to_string(css).expect("a CSS selector as JSON")
        );
        self.client
            .execute(&script, vec![])
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Saves a numbered screenshot of the window under target/e2e-artifacts/<test>/.
    pub async fn shot(&self, name: &str) {
        // The page says when it has drawn what was asked: its fonts are loaded, nothing on
        // screen is still marked busy (a section loading sets aria-busy), then two frames paint
        // (WebKit snapshots the last painted frame). A busy state the test means to show (a
        // progress bar) is drawn after a bounded wait of 3 s.
        let _ = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const busy = () => [...document.querySelectorAll('[aria-busy=true]')].some((el) => el.offsetParent !== null);
                   const until = Date.now() + 3000;
                   const paint = () => requestAnimationFrame(() => requestAnimationFrame(() => done()));
                   const wait = () => (busy() && Date.now() < until ? setTimeout(wait, 50) : paint());
                   document.fonts.ready.then(wait);"#,
                vec![],
            )
            .await;
        let count = self.shots.get() + 1;
        self.shots.set(count);
        match self.client.screenshot().await {
            Ok(png) => std::fs::write(self.artifacts.join(format!("{count:02}-{name}.png")), png)
                .expect("write screenshot"),
            Err(e) => eprintln!("screenshot {name} failed: {e}"),
        }
    }

    /// Ends the WebDriver session (which stops the app); the desktop stops on drop.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// The tray menu as the app publishes it on the session bus (dbusmenu layout), or `None`
    /// when no menu is exported yet.
    pub fn tray_menu(&self) -> Option<String> {
        let (name, path) = self.tray_menu_object()?;
        self.gdbus(&[
            "call",
            "--session",
            "--dest",
            &name,
            "--object-path",
            &path,
            "--method",
            "com.canonical.dbusmenu.GetLayout",
            "--",
            "0",
            "-1",
            "[]",
        ])
    }

    /// Clicks the tray menu item labelled `label`, as a tray host would. A host reads the layout
    /// again when the app rebuilt the menu between reading and clicking (the item ids change), so
    /// this does too, a few times.
    pub fn click_tray_item(&self, label: &str) {
        for _ in 0..5 {
            let (name, path) = self
                .tray_menu_object()
                .expect("the tray menu is on the bus");
            let layout = self.tray_menu().expect("the tray menu has a layout");
            let id = item_id(&layout, label)
                .unwrap_or_else(|| panic!("no tray item {label:?} in {layout}"));
            let done = self.gdbus(&[
                "call",
                "--session",
                "--dest",
                &name,
                "--object-path",
                &path,
                "--method",
                "com.canonical.dbusmenu.Event",
                "--",
                &id.to_string(),
                "clicked",
                "<int32 0>",
                "0",
            ]);
            if done.is_some() {
                return;
            }
        }
        panic!("clicking tray item {label:?} failed five times");
    }

    /// Whether the app still holds its single-instance name on the session bus.
    pub fn app_is_running(&self) -> bool {
        self.gdbus(&[
            "call",
            "--session",
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.NameHasOwner",
            "social.stratos.desktop.SingleInstance",
        ])
        .is_some_and(|out| out.contains("true"))
    }

    /// The bus name and object path of the app's exported tray menu, found once and remembered.
    fn tray_menu_object(&self) -> Option<(String, String)> {
        if let Some(found) = self.tray.get() {
            return Some(found.clone());
        }
        let names = self.gdbus(&[
            "call",
            "--session",
            "--timeout",
            "2",
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.ListNames",
        ])?;
        // Ask each connection, with a short timeout (some peers never answer introspection), for
        // the children of the indicator root.
        let found = names
            .split('\'')
            .filter(|n| n.starts_with(":1."))
            .find_map(|name| {
                let xml = self.gdbus(&[
                    "call",
                    "--session",
                    "--timeout",
                    "1",
                    "--dest",
                    name,
                    "--object-path",
                    "/org/ayatana/NotificationItem",
                    "--method",
                    "org.freedesktop.DBus.Introspectable.Introspect",
                ])?;
                // gdbus prints the XML inside a single-quoted string: `<node name="CHILD"/>`.
                let child = xml.split("<node name=\"").nth(1)?.split('"').next()?;
                Some((
                    name.to_owned(),
                    format!("/org/ayatana/NotificationItem/{child}/Menu"),
                ))
            })?;
        let _ = self.tray.set(found.clone());
        Some(found)
    }

    fn gdbus(&self, args: &[&str]) -> Option<String> {
        let out = self.desktop.command("gdbus").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The dbusmenu id of the item labelled `label` in a GetLayout answer, whose items read
/// `<(ID, {..., 'label': <'LABEL'>, ...}, @av [])>`.
fn item_id(layout: &str, label: &str) -> Option<i32> {
    let at = layout.find(&format!("'label': <'{label}'>"))?;
    let start = layout[..at].rfind("<(")? + 2;
    let digits: String = layout[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
