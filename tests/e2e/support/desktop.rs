//! A private desktop for one test: Xvfb, a session bus with a real Secret Service
//! (gnome-keyring), and HOME/XDG folders in a temp dir. Children stop when it drops.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running private desktop session.
pub struct Desktop {
    /// Temp folder holding HOME, XDG dirs and the bus socket.
    pub root: tempfile::TempDir,
    /// `:N` of the Xvfb server.
    pub display: String,
    /// The private session bus address.
    pub bus: String,
    children: Vec<Child>,
}

fn first_line(child: &mut Child, what: &str) -> String {
    let out = child
        .stdout
        .take()
        .unwrap_or_else(|| panic!("{what}: stdout is piped"));
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        !line.trim().is_empty(),
        "{what} exited before announcing itself"
    );
    line.trim().to_owned()
}

impl Desktop {
    /// Starts Xvfb, dbus-daemon and an unlocked gnome-keyring, waiting for each to be ready.
    pub fn start() -> Desktop {
        let root = tempfile::Builder::new()
            .prefix("stratos-e2e-")
            .tempdir()
            .expect("temp dir");
        for d in ["home", "config", "data", "cache", "runtime"] {
            std::fs::create_dir_all(root.path().join(d)).expect("xdg dir");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                root.path().join("runtime"),
                std::fs::Permissions::from_mode(0o700),
            )
            .expect("chmod");
        }
        let mut children = Vec::new();
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (tests/run.sh installs it)");
        let display = format!(":{}", first_line(&mut xvfb, "Xvfb"));
        children.push(xvfb);
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!(
                "--address=unix:dir={}",
                root.path().join("runtime").display()
            ))
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon is installed");
        let bus = first_line(&mut dbus, "dbus-daemon");
        children.push(dbus);
        let mut desktop = Desktop {
            root,
            display,
            bus,
            children,
        };
        let mut keyring = desktop
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed");
        keyring
            .stdin
            .take()
            .expect("piped")
            .write_all(b"stratos-test")
            .expect("unlock password");
        desktop.children.push(keyring);
        let waited = desktop
            .command("gdbus")
            .args([
                "wait",
                "--session",
                "--timeout",
                "20",
                "org.freedesktop.secrets",
            ])
            .status()
            .expect("gdbus is installed");
        assert!(
            waited.success(),
            "the Secret Service did not appear on the private bus"
        );
        desktop
    }

    /// A command that runs inside this desktop (display, bus, HOME, XDG dirs).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c
    }

    /// The environment of this desktop.
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |d: &str| self.root.path().join(d).display().to_string();
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            ("HOME".into(), p("home")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("XDG_RUNTIME_DIR".into(), p("runtime")),
            ("GDK_BACKEND".into(), "x11".into()),
            ("NO_AT_BRIDGE".into(), "1".into()),
        ]
    }

    /// Takes a screenshot of the whole X screen (window decorations, tray-less desktop).
    pub fn screenshot(&self, path: &Path) {
        let ok = self
            .command("import")
            .args(["-window", "root"])
            .arg(path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("note: could not take an X screenshot to {}", path.display());
        }
    }

    /// Where a test's artifacts go: target/e2e-artifacts/<test>/.
    pub fn artifacts(test: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/e2e-artifacts")
            .join(test);
        std::fs::create_dir_all(&dir).expect("artifact dir");
        dir
    }

    /// Adds a child to stop with the desktop.
    pub fn adopt(&mut self, child: Child) {
        self.children.push(child);
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // Newest first: the app before the bus before the display.
        for child in self.children.iter_mut().rev() {
            // SIGTERM first so daemons clean up their sockets; SIGKILL if they linger.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
        for child in self.children.iter_mut().rev() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if std::time::Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::yield_now(),
                }
            }
        }
    }
}
