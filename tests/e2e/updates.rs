//! Settings › Updates against an update feed on the test network (static files, as a release
//! host serves them), signed with minisign exactly as `tauri signer` signs: a newer version is
//! offered with its notes, downloaded with progress and verified; a changed file, a foreign key
//! and an older version are refused with a clear message. Installing is not tested: it replaces
//! the package the test runs.
//!
//! A debug build reads the feed and key from the environment (a release build only from the
//! build's variables; see src-tauri/src/commands/updates.rs).

use std::io::Cursor;
use std::time::Duration;

use base64::Engine;
use stratos_testkit::Network;

use crate::support::app::{App, poll_until};
use crate::support::flows::save_settings;
use crate::support::logs::{log_files_text, wait_log};

/// A throw-away signing key (no password), made fresh for each test and never written anywhere.
struct Signer(minisign::KeyPair);

impl Signer {
    fn new() -> Signer {
        Signer(minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair"))
    }

    /// The public key as `tauri signer generate` prints it: the minisign public key file, base64.
    fn pubkey(&self) -> String {
        let text = self.0.pk.to_box().expect("public key box").to_string();
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    /// The `.sig` file's content as the Tauri bundler writes it (the minisign signature file,
    /// base64), with the version in the trusted comment as the CLI records it.
    fn sign(&self, bytes: &[u8], version: &str) -> String {
        let comment = format!(
            "timestamp:1764590400\tfile:Stratos_{version}_amd64.AppImage\tversion:{version}"
        );
        let signature = minisign::sign(
            Some(&self.0.pk),
            &self.0.sk,
            Cursor::new(bytes),
            Some(&comment),
            None,
        )
        .expect("signing works");
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

/// A package's bytes: large enough for the download to report progress more than once.
fn package(version: &str) -> Vec<u8> {
    let mut bytes = format!("Stratos {version} test package\n").into_bytes();
    bytes.extend((0..600_000u32).map(|i| (i % 251) as u8));
    bytes
}

/// The feed file a release publishes (`latest.json`, Tauri's static format).
fn feed(version: &str, url: &str, signature: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": version,
        "notes": "- Updates you can trust: signed and checked before they install\n- A faster start",
        "pub_date": "2026-12-01T12:00:00Z",
        "platforms": {
            "linux-x86_64": { "url": url, "signature": signature },
            "windows-x86_64": { "url": url, "signature": signature },
            "darwin-aarch64": { "url": url, "signature": signature },
        },
    }))
    .expect("JSON")
}

/// Publishes `bytes` as the package and a feed announcing `version` with `signature`; returns
/// the feed's URL.
async fn publish(
    net: &Network,
    dir: &str,
    version: &str,
    bytes: Vec<u8>,
    signature: &str,
) -> String {
    let url = net
        .publish_update_file(
            &format!("{dir}/Stratos.AppImage"),
            "application/octet-stream",
            bytes,
        )
        .await;
    net.publish_update_file(
        &format!("{dir}/latest.json"),
        "application/json",
        feed(version, &url, signature),
    )
    .await
}

fn feed_env(feed: &str, signer: &Signer) -> Vec<(String, String)> {
    vec![
        ("STRATOS_UPDATE_FEED".to_owned(), feed.to_owned()),
        ("STRATOS_UPDATE_PUBKEY".to_owned(), signer.pubkey()),
    ]
}

const OFFER: &str = "[data-testid=updates-offer][data-version='9.0.0']";

/// A screenshot of the Updates section (scrolled into view; it is below the fold at 1000×680).
async fn shot(app: &App, name: &str) {
    app.client
        .execute(
            "document.querySelector('[data-testid=updates-settings]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .expect("script runs");
    app.shot(name).await;
}

/// A newer signed version is found at start, shown with its notes, downloaded with progress and
/// verified; then the same feed serving a changed file, a file signed with a foreign key and an
/// older version is refused each time with its own message, and nothing older is downloaded.
#[tokio::test(flavor = "multi_thread")]
async fn updates_are_offered_verified_and_refused() {
    let net = Network::shared();
    let dir = format!("updates-{}", std::process::id());
    let signer = Signer::new();
    let good = package("9.0.0");
    let feed_url = publish(
        net,
        &dir,
        "9.0.0",
        good.clone(),
        &signer.sign(&good, "9.0.0"),
    )
    .await;
    let app = App::launch_with("updates_offered", &feed_env(&feed_url, &signer)).await;

    // The check at start found it: the feed was asked without anyone clicking.
    app.click("[data-testid=settings]").await;
    let offer = app.el(OFFER).await;
    let text = offer.text().await.expect("text");
    assert!(text.contains("Stratos 9.0.0"), "{text}");
    assert!(text.contains("A faster start"), "the notes show: {text}");
    assert!(
        text.contains("keychain"),
        "it says the accounts stay: {text}"
    );
    assert!(
        net.update_feed_requests(&format!("{dir}/latest.json"))
            .await
            >= 1
    );
    assert_eq!(
        net.update_feed_requests(&format!("{dir}/Stratos.AppImage"))
            .await,
        0,
        "nothing is downloaded before the person asks"
    );
    shot(&app, "offer").await;

    app.click("[data-testid=updates-download]").await;
    let verified = app.text("[data-testid=updates-verified]").await;
    assert!(verified.contains("signature checks out"), "{verified}");
    app.el("[data-testid=updates-install]").await;
    assert!(
        wait_log(&app, "signature verified").await,
        "{}",
        log_files_text(&app)
    );
    shot(&app, "verified").await;

    // The same announcement, but the file was changed after it was signed.
    let mut changed = good.clone();
    changed[40] ^= 0x01;
    publish(net, &dir, "9.0.0", changed, &signer.sign(&good, "9.0.0")).await;
    refused(&app, "update_tampered", "changed after it was signed").await;
    shot(&app, "tampered").await;

    // A well-formed signature, but by a key this build does not trust.
    let stranger = Signer::new();
    publish(
        net,
        &dir,
        "9.0.0",
        good.clone(),
        &stranger.sign(&good, "9.0.0"),
    )
    .await;
    refused(&app, "update_untrusted_key", "not signed with the key").await;
    shot(&app, "foreign-key").await;

    // An older version, properly signed: refused before any download.
    let downloads = net
        .update_feed_requests(&format!("{dir}/Stratos.AppImage"))
        .await;
    let old = package("0.0.1");
    publish(net, &dir, "0.0.1", old.clone(), &signer.sign(&old, "0.0.1")).await;
    check_now(&app).await;
    let older = app.text("[data-testid=updates-older]").await;
    assert!(older.contains("0.0.1"), "{older}");
    assert!(older.contains("older than this one"), "{older}");
    assert_eq!(app.count("[data-testid=updates-download]").await, 0);
    assert_eq!(
        net.update_feed_requests(&format!("{dir}/Stratos.AppImage"))
            .await,
        downloads,
        "an older version is never downloaded"
    );
    shot(&app, "older").await;
    app.close().await;

    // The offer and a refusal in the dark theme.
    publish(
        net,
        &dir,
        "9.0.0",
        good.clone(),
        &signer.sign(&good, "9.0.0"),
    )
    .await;
    let dark_env = [
        feed_env(&feed_url, &signer),
        vec![("GTK_THEME".to_owned(), "Adwaita:dark".to_owned())],
    ]
    .concat();
    let dark = App::launch_with("updates_offered_dark", &dark_env).await;
    dark.click("[data-testid=settings]").await;
    dark.el(OFFER).await;
    shot(&dark, "offer-dark").await;
    dark.click("[data-testid=updates-download]").await;
    dark.el("[data-testid=updates-verified]").await;
    shot(&dark, "verified-dark").await;
    publish(
        net,
        &dir,
        "9.0.0",
        good.clone(),
        &stranger.sign(&good, "9.0.0"),
    )
    .await;
    refused(&dark, "update_untrusted_key", "not signed with the key").await;
    shot(&dark, "foreign-key-dark").await;
    dark.close().await;
}

/// Clicks "Check now" and waits until the section shows that new check's answer.
async fn check_now(app: &App) {
    let checked_at = |app: &App| {
        let client = app.client.clone();
        async move {
            client
                .execute(
                    "return document.querySelector('[data-testid=updates-settings]')?.dataset.checkedAt ?? ''",
                    vec![],
                )
                .await
                .expect("script runs")
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let before = checked_at(app).await;
    app.click("[data-testid=updates-check]").await;
    let answered = poll_until(Duration::from_secs(30), || {
        let now = checked_at(app);
        let before = before.clone();
        async move { now.await != before }
    })
    .await;
    assert!(
        answered,
        "the check did not finish:\n{}",
        log_files_text(app)
    );
}

/// Checks again, downloads, and expects the download refused with `code` and `words`; the
/// install button is gone.
async fn refused(app: &App, code: &str, words: &str) {
    check_now(app).await;
    app.click(&format!("{OFFER} [data-testid=updates-download]"))
        .await;
    let error = app
        .text(&format!("[data-testid=updates-error][data-code={code}]"))
        .await;
    assert!(error.contains(words), "{error}");
    assert!(error.contains("nothing was installed"), "{error}");
    assert_eq!(app.count("[data-testid=updates-install]").await, 0);
}

/// With "Look for updates" off, a start asks the feed nothing; "Check now" still does.
#[tokio::test(flavor = "multi_thread")]
async fn updates_turned_off_are_not_checked_at_start() {
    let net = Network::shared();
    let dir = format!("updates-off-{}", std::process::id());
    let signer = Signer::new();
    let good = package("9.0.0");
    let feed_url = publish(
        net,
        &dir,
        "9.0.0",
        good.clone(),
        &signer.sign(&good, "9.0.0"),
    )
    .await;
    let feed_path = format!("{dir}/latest.json");
    let app = App::launch_with("updates_off", &feed_env(&feed_url, &signer)).await;
    app.click("[data-testid=settings]").await;
    app.el(OFFER).await;
    app.click("input[name=checkForUpdates]").await;
    save_settings(&app).await;
    assert!(
        wait_log(&app, "looking for updates is off in the settings").await,
        "{}",
        log_files_text(&app)
    );

    // Counted before the restart: the new run's start must add nothing.
    let asked = net.update_feed_requests(&feed_path).await;
    let app = app.restart().await;
    app.click("[data-testid=settings]").await;
    let toggle = app.el("input[name=checkForUpdates]").await;
    assert_eq!(
        toggle.prop("checked").await.expect("checked").as_deref(),
        Some("false"),
        "the setting was saved"
    );
    // The scheduler's round at start has run once it says so; it asked nothing.
    let said = "looking for updates is off in the settings";
    assert!(
        poll_until(Duration::from_secs(30), || async {
            log_files_text(&app).matches(said).count() >= 2
        })
        .await,
        "{}",
        log_files_text(&app)
    );
    assert_eq!(net.update_feed_requests(&feed_path).await, asked);
    check_now(&app).await;
    app.el(OFFER).await;
    assert_eq!(net.update_feed_requests(&feed_path).await, asked + 1);
    shot(&app, "off").await;
    app.close().await;
}

/// A build without a feed (the tests' build, with no feed in the environment) never registers
/// the updater: Settings says where updates come from instead, and the log says it never checks.
#[tokio::test(flavor = "multi_thread")]
async fn no_feed_means_no_updater_and_no_request() {
    let app = App::launch("updates_no_feed").await;
    assert!(
        wait_log(
            &app,
            "no update feed built in; Stratos never checks for updates"
        )
        .await,
        "{}",
        log_files_text(&app)
    );
    app.click("[data-testid=settings]").await;
    let note = app.text("[data-testid=updates-not-built-in]").await;
    assert!(note.contains("without an update feed"), "{note}");
    assert_eq!(app.count("input[name=checkForUpdates]").await, 0);
    assert_eq!(app.count("[data-testid=updates-check]").await, 0);
    shot(&app, "no-feed").await;
    assert!(
        !log_files_text(&app).contains("checking for updates"),
        "the updater asked something:\n{}",
        log_files_text(&app)
    );
    app.close().await;
}
