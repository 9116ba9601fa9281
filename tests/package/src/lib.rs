//! Helpers for the package test (`tests/package.rs`): what the root `tauri.conf.json` says the
//! packages must hold, where `scripts/bundle.sh --debug` put them, and unpacking them into a
//! scratch root with the system's own tools (`dpkg -x`, `rpm2archive`), without installing.
//!
//! Linux only: `.deb` and `.rpm` are Linux packages. CI checks the macOS and Windows bundles by
//! making them (`.github/workflows/ci.yml`).
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the packages must contain, from the root `tauri.conf.json`, the one place that names the
/// product, its version, its binary and its icons (the bundler reads the same file).
pub struct App {
    /// `productName`: the desktop entry's `Name`, and the start of the package file names.
    pub product_name: String,
    /// `version`: the packages' version.
    pub version: String,
    /// `mainBinaryName`: the executable under `/usr/bin`, also the icon's name.
    pub binary: String,
    /// The PNG files of `bundle.icon`, as paths in the repository.
    pub png_icons: Vec<PathBuf>,
}

impl App {
    /// Reads the root `tauri.conf.json`.
    pub fn from_config() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let path = repo.join("tauri.conf.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let config: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let string = |key: &str| {
            config[key]
                .as_str()
                .unwrap_or_else(|| panic!("tauri.conf.json has no string {key}"))
                .to_owned()
        };
        let png_icons = config["bundle"]["icon"]
            .as_array()
            .expect("tauri.conf.json lists bundle.icon")
            .iter()
            .filter_map(|icon| icon.as_str())
            .filter(|icon| icon.ends_with(".png"))
            .map(|icon| repo.join(icon))
            .collect();
        App {
            product_name: string("productName"),
            version: string("version"),
            binary: string("mainBinaryName"),
            png_icons,
        }
    }
}

/// The deep-link scheme the packages must register: `$STRATOS_DEEP_LINK_SCHEME`, which
/// `scripts/test.sh` sets for both `scripts/bundle.sh` and this test.
pub fn expected_scheme() -> String {
    std::env::var("STRATOS_DEEP_LINK_SCHEME")
        .ok()
        .filter(|s| !s.is_empty())
        .expect(
            "STRATOS_DEEP_LINK_SCHEME is not set: run scripts/test.sh, or set it for both \
             scripts/bundle.sh --debug and this test",
        )
}

/// The profile directory this test was built into (`<target>/debug`): the app binary that
/// `cargo test` built is there, and `scripts/bundle.sh --debug` puts the packages in its `bundle/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // <target>/<profile>/deps/<test binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_path_buf()
}

/// The one package of `kind` (`deb` or `rpm`) for this product and version, or a failure that
/// says how to make it.
pub fn find_package(app: &App, kind: &str) -> PathBuf {
    let dir = profile_dir().join("bundle").join(kind);
    // The bundler's names: Stratos_0.1.0_amd64.deb, Stratos-0.1.0-1.x86_64.rpm.
    let prefix = match kind {
        "deb" => format!("{}_{}_", app.product_name, app.version),
        _ => format!("{}-{}-", app.product_name, app.version),
    };
    let suffix = format!(".{kind}");
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(&suffix)
        })
        .collect();
    match found.as_slice() {
        [one] => one.clone(),
        [] => panic!(
            "no .{kind} package of {} {} in {}: build the app, then make the packages with \
             `scripts/bundle.sh --debug --bundles deb,rpm` (scripts/test.sh does both)",
            app.product_name,
            app.version,
            dir.display()
        ),
        many => panic!("several .{kind} packages, expected one: {many:?}"),
    }
}

/// Runs a command and returns its standard output; fails with its standard error otherwise.
pub fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e} (scripts/deps.sh test installs it)")
    });
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the command prints UTF-8")
}

/// Unpacks a `.deb` into `root` as dpkg would install it, without installing (`dpkg -x`).
pub fn unpack_deb(deb: &Path, root: &Path) {
    run(Command::new("dpkg").arg("-x").arg(deb).arg(root));
}

/// Unpacks an `.rpm` into `root`: rpm's own `rpm2archive` turns the payload into a tar stream
/// (uncompressed, so it is quick), which `tar` writes out.
pub fn unpack_rpm(rpm: &Path, root: &Path) {
    let mut archive = Command::new("rpm2archive")
        .args(["-n", "-"])
        .stdin(File::open(rpm).expect("the rpm opens"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rpm2archive starts (scripts/deps.sh test installs rpm)");
    let stream = archive
        .stdout
        .take()
        .expect("rpm2archive's output is piped");
    run(Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(root)
        .stdin(stream));
    let status = archive.wait_with_output().expect("rpm2archive ends");
    assert!(
        status.status.success(),
        "rpm2archive failed on {}: {}",
        rpm.display(),
        String::from_utf8_lossy(&status.stderr)
    );
}

/// The keys of a desktop entry's `[Desktop Entry]` group.
pub fn desktop_entry(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut in_entry = false;
    let mut keys = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
        } else if let (true, Some((key, value))) = (in_entry, line.split_once('=')) {
            keys.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    keys
}

/// Whether two files hold the same bytes, read in chunks (a debug binary is hundreds of MB).
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    let open = |p: &Path| {
        let file = File::open(p).unwrap_or_else(|e| panic!("cannot open {}: {e}", p.display()));
        let len = file.metadata().expect("the file has metadata").len();
        (len, BufReader::with_capacity(1 << 20, file))
    };
    let ((len_a, mut a), (len_b, mut b)) = (open(a), open(b));
    if len_a != len_b {
        return false;
    }
    let (mut buf_a, mut buf_b) = (vec![0; 1 << 20], vec![0; 1 << 20]);
    loop {
        let n = a.read(&mut buf_a).expect("the file reads");
        if n == 0 {
            return true;
        }
        b.read_exact(&mut buf_b[..n]).expect("the file reads");
        if buf_a[..n] != buf_b[..n] {
            return false;
        }
    }
}

/// A PNG's width and height, from its IHDR chunk (bytes 16..24). Hand-written: eight bytes of a
/// fixed header do not need an image crate.
pub fn png_size(path: &Path) -> (u32, u32) {
    let mut header = [0u8; 24];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert_eq!(
        &header[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}
