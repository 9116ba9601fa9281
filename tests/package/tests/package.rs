//! The Linux packages that `scripts/bundle.sh --debug` makes from the app `cargo test` built,
//! unpacked into a scratch root as the system would install them: the binary, its icons, and a
//! desktop entry that starts the app with a deep link (`Exec=… %u`, `MimeType=x-scheme-handler/…`).
//! Beside the app, the `stratos` command line with its bash, zsh and fish completions and a man
//! page per verb, and `stratos --version` runs from the unpacked package.
//! A missing or stale package fails: scripts/test.sh makes them before running the tests.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use stratos_package_tests::{
    App, desktop_entry, expected_scheme, find_package, png_size, profile_dir, run, same_bytes,
    unpack_deb, unpack_rpm,
};

#[test]
fn deb_installs_the_app_its_icons_and_a_desktop_entry_for_deep_links() {
    let app = App::from_config();
    let deb = find_package(&app, "deb");

    let fields = run(Command::new("dpkg-deb")
        .arg("--field")
        .arg(&deb)
        .args(["Package", "Version", "Depends"]));
    assert!(
        fields.contains(&format!("Package: {}\n", app.product_name.to_lowercase())),
        "{fields}"
    );
    assert!(
        fields.contains(&format!("Version: {}\n", app.version)),
        "{fields}"
    );
    // The window, and the tray library the app loads at run time.
    for needed in ["libwebkit2gtk-4.1-0", "libayatana-appindicator3-1"] {
        assert!(fields.contains(needed), "Depends lacks {needed}: {fields}");
    }

    let root = tempfile::tempdir().expect("a scratch root");
    unpack_deb(&deb, root.path());
    check_installed_tree(root.path(), &app);
    check_command_line(
        root.path(),
        &app,
        "usr/share/zsh/vendor-completions/_stratos",
    );
}

#[test]
fn rpm_installs_the_app_its_icons_and_a_desktop_entry_for_deep_links() {
    let app = App::from_config();
    let rpm = find_package(&app, "rpm");

    let name = run(Command::new("rpm")
        .args(["-qp", "--queryformat", "%{NAME} %{VERSION}"])
        .arg(&rpm));
    assert_eq!(
        name,
        format!("{} {}", app.product_name.to_lowercase(), app.version)
    );
    let requires = run(Command::new("rpm").args(["-qp", "--requires"]).arg(&rpm));
    for needed in ["libwebkit2gtk-4.1.so.0", "libayatana-appindicator3.so.1"] {
        assert!(
            requires.contains(needed),
            "Requires lacks {needed}: {requires}"
        );
    }
    let files = run(Command::new("rpm").arg("-qlp").arg(&rpm));
    let binary = format!("/usr/bin/{}", app.binary);
    assert!(
        files.lines().any(|f| f == binary),
        "{binary} not in {files}"
    );
    assert!(
        files
            .lines()
            .any(|f| f.starts_with("/usr/share/applications/") && f.ends_with(".desktop")),
        "no desktop entry in {files}"
    );

    let root = tempfile::tempdir().expect("a scratch root");
    unpack_rpm(&rpm, root.path());
    check_installed_tree(root.path(), &app);
    check_command_line(root.path(), &app, "usr/share/zsh/site-functions/_stratos");
}

/// What an installed package must have put under `root`.
fn check_installed_tree(root: &Path, app: &App) {
    let scheme = format!("x-scheme-handler/{}", expected_scheme());

    // The binary: executable, and the very one the tests built (else the package is stale).
    let binary = root.join("usr/bin").join(&app.binary);
    let meta = std::fs::metadata(&binary)
        .unwrap_or_else(|e| panic!("the package has no {}: {e}", binary.display()));
    assert!(meta.is_file(), "{} is not a file", binary.display());
    assert_eq!(
        meta.permissions().mode() & 0o111,
        0o111,
        "{} is not executable by everyone",
        binary.display()
    );
    let built = profile_dir().join(&app.binary);
    assert!(
        same_bytes(&binary, &built),
        "the packaged {} differs from {}: the package is stale, make it again with \
         scripts/bundle.sh --debug",
        app.binary,
        built.display()
    );

    // Every PNG icon, in the hicolor theme directory of its size, named after the binary.
    let hicolor = root.join("usr/share/icons/hicolor");
    let installed: Vec<_> = std::fs::read_dir(&hicolor)
        .unwrap_or_else(|e| panic!("the package has no {}: {e}", hicolor.display()))
        .flatten()
        .map(|size_dir| {
            let icon = size_dir
                .path()
                .join("apps")
                .join(format!("{}.png", app.binary));
            (size_dir.file_name().to_string_lossy().into_owned(), icon)
        })
        .filter(|(_, icon)| icon.is_file())
        .collect();
    assert!(
        !app.png_icons.is_empty(),
        "tauri.conf.json lists no PNG icon"
    );
    for source in &app.png_icons {
        let (w, h) = png_size(source);
        assert!(
            installed
                .iter()
                .any(|(size, icon)| size.starts_with(&format!("{w}x{h}"))
                    && same_bytes(icon, source)),
            "{} ({w}x{h}) is not installed as hicolor/{w}x{h}*/apps/{}.png; installed: {installed:?}",
            source.display(),
            app.binary
        );
    }

    // One desktop entry, valid by desktop-file-validate, that opens deep links.
    let applications = root.join("usr/share/applications");
    let entries: Vec<_> = std::fs::read_dir(&applications)
        .unwrap_or_else(|e| panic!("the package has no {}: {e}", applications.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "desktop"))
        .collect();
    let [entry] = entries.as_slice() else {
        panic!("expected one desktop entry, found {entries:?}");
    };
    run(Command::new("desktop-file-validate").arg(entry));
    let keys = desktop_entry(entry);
    let key = |k: &str| {
        keys.get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{} has no {k}: {keys:?}", entry.display()))
    };
    assert_eq!(key("Type"), "Application");
    assert_eq!(key("Name"), app.product_name);
    assert_eq!(
        key("Icon"),
        app.binary,
        "the icon is named after the binary"
    );
    // The browser's `<scheme>:/oauth/callback?…` reaches the app as its one argument.
    let exec: Vec<&str> = key("Exec").split_whitespace().collect();
    assert_eq!(
        exec,
        [app.binary.as_str(), "%u"],
        "Exec must start the packaged binary with the URL"
    );
    assert!(
        key("MimeType").split(';').any(|m| m == scheme),
        "MimeType lacks {scheme}: {}",
        key("MimeType")
    );
}

/// An executable file that is byte for byte the one the tests built.
fn assert_fresh_executable(packaged: &Path, built: &Path) {
    let meta = std::fs::metadata(packaged)
        .unwrap_or_else(|e| panic!("the package has no {}: {e}", packaged.display()));
    assert!(meta.is_file(), "{} is not a file", packaged.display());
    assert_eq!(
        meta.permissions().mode() & 0o111,
        0o111,
        "{} is not executable by everyone",
        packaged.display()
    );
    assert!(
        same_bytes(packaged, built),
        "the packaged {} differs from {}: the package is stale, make it again with \
         scripts/bundle.sh --debug",
        packaged.display(),
        built.display()
    );
}

/// The verbs `stratos <path> --help` lists under "Commands:" (without `help`).
fn verbs(cli: &Path, path: &[String]) -> Vec<String> {
    let help = run(Command::new(cli).args(path).arg("--help"));
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        // A verb's line starts with two spaces; wrapped descriptions are indented further.
        .filter_map(|line| line.strip_prefix("  ").filter(|l| !l.starts_with(' ')))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|verb| *verb != "help")
        .map(str::to_owned)
        .collect()
}

/// Every verb's man page (`stratos-account-login.1.gz`), found by walking `--help`; returns
/// how many there are.
fn check_man_pages(cli: &Path, man1: &Path, path: &mut Vec<String>) -> usize {
    let name = std::iter::once("stratos".to_owned())
        .chain(path.iter().cloned())
        .collect::<Vec<_>>()
        .join("-");
    let page = man1.join(format!("{name}.1.gz"));
    let text = run(Command::new("gzip").arg("-dc").arg(&page));
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!(".TH {name} 1 "))),
        "{} is not the man page of {name}: {}",
        page.display(),
        &text[..text.len().min(200)]
    );
    let mut count = 1;
    for verb in verbs(cli, path) {
        path.push(verb);
        count += check_man_pages(cli, man1, path);
        path.pop();
    }
    count
}

/// The command line beside the app: the binary the tests built, runnable from the package, its
/// completions where bash, zsh (`zsh_completion`, which differs between Debian and Fedora) and
/// fish look, and a man page for every verb.
fn check_command_line(root: &Path, app: &App, zsh_completion: &str) {
    let cli = root.join("usr/bin/stratos");
    assert_fresh_executable(&cli, &profile_dir().join("stratos"));
    let version = run(Command::new(&cli).arg("--version"));
    assert_eq!(version.trim(), format!("stratos {}", app.version));

    for (path, marker) in [
        (
            "usr/share/bash-completion/completions/stratos",
            "complete -F",
        ),
        (zsh_completion, "#compdef stratos"),
        (
            "usr/share/fish/vendor_completions.d/stratos.fish",
            "complete -c stratos",
        ),
    ] {
        let file = root.join(path);
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("the package has no {}: {e}", file.display()));
        assert!(text.contains(marker), "{} lacks {marker:?}", file.display());
        for verb in ["migrate", "resolve", "describe", "prefs"] {
            assert!(text.contains(verb), "{} lacks {verb}", file.display());
        }
    }

    let man1 = root.join("usr/share/man/man1");
    let pages = check_man_pages(&cli, &man1, &mut Vec::new());
    let installed = std::fs::read_dir(&man1)
        .unwrap_or_else(|e| panic!("the package has no {}: {e}", man1.display()))
        .count();
    assert_eq!(
        installed,
        pages,
        "one man page per verb, no more: {}",
        man1.display()
    );
}
