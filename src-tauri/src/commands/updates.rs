//! Signed updates of the app: the feed built in, the check, the download with progress and its
//! signature check, and the install on the person's word. `tauri-plugin-updater` does the network,
//! the minisign check and the install (it is the only one that can replace the installed
//! package); `stratos_core::updates` decides which version is newer, when a check is due and what
//! to say, and this file translates between the two.
//!
//! The feed URL and the public key are build-time variables (`STRATOS_UPDATE_FEED`,
//! `STRATOS_UPDATE_PUBKEY`). Without both, the plugin is not even registered, so no request is
//! ever made. A debug build also reads them from the environment at run time, so the E2E tests
//! can point a test build at the test network's feed; a release build never does.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use stratos_core::updates::{self, Comparison, Finding, UpdateError};
use stratos_core::{Explain, Problem};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::{CommandError, failed};
use crate::jobs::{JobKey, Jobs, report_progress};
use crate::models::UpdatesView;

/// How long reading the feed may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may stay silent during the download.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The whole download at most (a slow link still fetches a Release package in this time).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where updates come from and the key their signatures must verify with.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The feed's URL (a static `latest.json` or an update server).
    pub url: tauri::Url,
    /// The minisign public key, as `tauri signer generate` prints it (base64).
    pub pubkey: String,
}

/// A build variable, or in a debug build the same-named environment variable when set.
fn build_setting(name: &str, built: Option<&'static str>) -> Option<String> {
    #[cfg(debug_assertions)]
    if let Ok(value) = std::env::var(name)
        && !value.trim().is_empty()
    {
        return Some(value.trim().to_owned());
    }
    let _ = name;
    built
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The feed this build checks, or `None` when it was built without one (then nothing is asked).
pub fn feed() -> Option<Feed> {
    let url = build_setting("STRATOS_UPDATE_FEED", option_env!("STRATOS_UPDATE_FEED"))?;
    let pubkey = build_setting(
        "STRATOS_UPDATE_PUBKEY",
        option_env!("STRATOS_UPDATE_PUBKEY"),
    )?;
    match tauri::Url::parse(&url) {
        // The plugin refuses plain http outside debug builds (and would stop the app starting).
        Ok(url) if url.scheme() != "https" && !cfg!(debug_assertions) => {
            log::error!("updates: the update feed built in is not https ({url}); updates are off");
            None
        }
        Ok(url) => Some(Feed { url, pubkey }),
        Err(e) => {
            log::error!("updates: the update feed built in is not a URL ({e}); updates are off");
            None
        }
    }
}

/// Adds the updater plugin's configuration (the key and the feed) to the app's, which the
/// plugin reads when it starts; done here rather than in `tauri.conf.json` because both come
/// from the build's variables.
pub fn configure<R: Runtime>(context: &mut tauri::Context<R>, feed: &Feed) {
    context.config_mut().plugins.0.insert(
        "updater".to_owned(),
        serde_json::json!({ "pubkey": feed.pubkey, "endpoints": [feed.url.as_str()] }),
    );
}

/// What the last check found and the verified download waiting to be installed.
#[derive(Default)]
struct Known {
    checked_at: Option<DateTime<Utc>>,
    finding: Option<Finding>,
    problem: Option<Problem>,
    /// The update the last check offered, to download.
    offered: Option<Update>,
    /// A download whose signature checked out, with the update it belongs to.
    verified: Option<(Update, Vec<u8>)>,
    /// The newest version a notification was shown for (once per version).
    notified: Option<String>,
}

/// The updates' state in the app: the feed (if built in), what is known, and the scheduler's
/// wake-up (the setting changed).
pub struct Updates {
    feed: Option<Feed>,
    known: Mutex<Known>,
    /// Wakes the scheduled check, for instance when the setting is turned on.
    pub wake: Arc<tokio::sync::Notify>,
}

impl Updates {
    /// The state for a build with `feed` (or none).
    pub fn new(feed: Option<Feed>) -> Self {
        Self {
            feed,
            known: Mutex::default(),
            wake: Arc::default(),
        }
    }

    /// Whether this build has a feed.
    pub fn built_in(&self) -> bool {
        self.feed.is_some()
    }

    /// When the last check ran (this run of Stratos).
    pub fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.known().checked_at
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The plugin's error as the core words it; `downloading` tells a network failure of the download
/// from one of the feed.
fn translate(e: tauri_plugin_updater::Error, downloading: bool) -> UpdateError {
    use tauri_plugin_updater::Error as E;
    match e {
        E::Minisign(minisign_verify::Error::InvalidSignature) => UpdateError::Tampered,
        E::Minisign(minisign_verify::Error::UnexpectedKeyId) => UpdateError::UntrustedKey,
        E::Minisign(e) => UpdateError::UnreadableSignature(e.to_string()),
        e @ (E::Base64(_) | E::SignatureUtf8(_) | E::MissingSignedVersion) => {
            UpdateError::UnreadableSignature(e.to_string())
        }
        E::SignedVersionMismatch { signed, announced } => {
            UpdateError::VersionMismatch { signed, announced }
        }
        E::TargetNotFound(t) => UpdateError::NoDownloadForSystem(t),
        E::TargetsNotFound(t) => UpdateError::NoDownloadForSystem(t.join(", ")),
        e @ (E::Reqwest(_) | E::Network(_)) if downloading => UpdateError::Download(e.to_string()),
        e if downloading => UpdateError::Install(e.to_string()),
        e => UpdateError::Feed(e.to_string()),
    }
}

/// A release date from the plugin's clock type.
fn published(update: &Update) -> Option<DateTime<Utc>> {
    update
        .date
        .and_then(|d| DateTime::from_timestamp(d.unix_timestamp(), 0))
}

/// Asks the feed once and remembers what it said (also a failure, for the settings screen).
pub async fn check(app: &AppHandle) -> Result<Finding, UpdateError> {
    let updates = app.state::<Updates>();
    if updates.feed.is_none() {
        return Err(UpdateError::NotBuiltIn);
    }
    let result = ask_feed(app).await;
    let mut known = updates.known();
    known.checked_at = Some(Utc::now());
    match &result {
        Ok((finding, update)) => {
            log::info!("updates: {}", finding.message());
            // A download belongs to the offer it was made for; a new check makes a new offer.
            known.verified = None;
            known.finding = Some(finding.clone());
            known.problem = None;
            known.offered = update.clone();
        }
        Err(e) => {
            log::warn!("updates: the check failed: {e}");
            known.problem = Some(e.explain());
        }
    }
    result.map(|(finding, _)| finding)
}

async fn ask_feed(app: &AppHandle) -> Result<(Finding, Option<Update>), UpdateError> {
    // The comparator is asked about every release the feed names; what it saw is how an older
    // version can be named to the person (the plugin then answers "no update").
    let offered: Arc<Mutex<Option<semver::Version>>> = Arc::default();
    let seen = offered.clone();
    let updater = app
        .updater_builder()
        .timeout(CHECK_TIMEOUT)
        .configure_client(|client| {
            client
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(READ_TIMEOUT)
        })
        .version_comparator(move |current, release| {
            *seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(release.version.clone());
            updates::compare(&current, &release.version) == Comparison::Newer
        })
        .build()
        .map_err(|e| translate(e, false))?;
    let current = app.package_info().version.clone();
    match updater.check().await.map_err(|e| translate(e, false))? {
        Some(update) => {
            let version = semver::Version::parse(&update.version)
                .map_err(|e| UpdateError::Feed(format!("version {}: {e}", update.version)))?;
            let finding = Finding::from_feed(
                &current,
                Some((version, update.body.clone(), published(&update))),
            );
            Ok((finding, Some(update)))
        }
        None => {
            let version = offered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            Ok((
                Finding::from_feed(&current, version.map(|v| (v, None, None))),
                None,
            ))
        }
    }
}

/// Downloads `update`, reporting progress as job `job_id`, stopping past the size limit or when
/// cancelled; the plugin checks the signature before handing the bytes back.
async fn download(
    app: &AppHandle,
    update: &Update,
    job_id: &str,
    cancel: &stratos_core::backup::CancellationToken,
) -> Result<Vec<u8>, UpdateError> {
    let too_big = Arc::new(tokio::sync::Notify::new());
    let over = too_big.clone();
    let reporter = app.clone();
    let job = job_id.to_owned();
    let mut received: u64 = 0;
    let mut reported: u64 = 0;
    let on_chunk = move |len: usize, total: Option<u64>| {
        received += len as u64;
        if received > updates::MAX_DOWNLOAD_BYTES
            || total.is_some_and(|t| t > updates::MAX_DOWNLOAD_BYTES)
        {
            over.notify_one();
        }
        // About a hundred reports for the whole download, not one per network chunk.
        let step = total.map_or(256 * 1024, |t| (t / 100).max(64 * 1024));
        if received - reported >= step || total == Some(received) {
            reported = received;
            report_progress(&reporter, &job, "download", received, total);
        }
    };
    let mut update = update.clone();
    update.timeout = Some(DOWNLOAD_TIMEOUT);
    tokio::select! {
        result = update.download(on_chunk, || {}) => result.map_err(|e| translate(e, true)),
        _ = too_big.notified() => Err(UpdateError::TooLarge),
        _ = cancel.cancelled() => Err(UpdateError::Cancelled),
    }
}

fn view(app: &AppHandle, updates: &Updates) -> Result<UpdatesView, CommandError> {
    let check_for_updates = app
        .state::<crate::AppState>()
        .current()
        .ok()
        .and_then(|a| a.state().ok())
        .is_none_or(|s| s.settings.check_for_updates);
    let known = updates.known();
    Ok(UpdatesView {
        built_in: updates.built_in(),
        current_version: app.package_info().version.to_string(),
        check_for_updates,
        checked_at: known.checked_at,
        message: known.finding.as_ref().map(Finding::message),
        finding: known.finding.clone(),
        problem: known.problem.clone(),
        verified: known.verified.as_ref().map(|(u, _)| u.version.clone()),
        kept: updates::KEPT,
    })
}

/// What is known about updates: built in or not, the setting, the last check and a download
/// ready to install.
#[tauri::command]
pub async fn updates_status(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<UpdatesView, CommandError> {
    view(&app, &updates)
}

/// Asks the feed now.
#[tauri::command]
pub async fn updates_check(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<UpdatesView, CommandError> {
    check(&app).await.map_err(failed)?;
    view(&app, &updates)
}

/// Downloads the offered update with progress (job `job_id`) and checks its signature; the
/// verified bytes wait in memory for [`updates_install`].
#[tauri::command]
pub async fn updates_download(
    app: AppHandle,
    updates: State<'_, Updates>,
    jobs: State<'_, Jobs>,
    job_id: String,
) -> Result<UpdatesView, CommandError> {
    let offered = {
        let mut known = updates.known();
        known.verified = None;
        known.offered.clone()
    };
    let Some(update) = offered else {
        return Err(failed(UpdateError::NothingDownloaded));
    };
    let job = jobs.start(JobKey::Tool(job_id.clone()));
    log::info!("updates: downloading {}", update.version);
    match download(&app, &update, &job_id, job.token()).await {
        Ok(bytes) => {
            log::info!(
                "updates: {} downloaded ({} bytes), signature verified",
                update.version,
                bytes.len()
            );
            updates.known().verified = Some((update, bytes));
            view(&app, &updates)
        }
        Err(e) => {
            log::warn!("updates: download of {} refused: {e}", update.version);
            Err(failed(e))
        }
    }
}

/// Installs the verified download (the plugin checks the signature once more) and restarts into
/// the new version. On Windows the installer closes Stratos itself.
#[tauri::command]
pub async fn updates_install(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<(), CommandError> {
    let verified = updates.known().verified.take();
    let Some((update, bytes)) = verified else {
        return Err(failed(UpdateError::NothingDownloaded));
    };
    log::info!("updates: installing {}", update.version);
    let installed = tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await
        .map_err(|e| failed(UpdateError::Install(e.to_string())))?;
    installed.map_err(|e| failed(translate(e, true)))?;
    log::info!("updates: installed; restarting");
    app.restart()
}

/// The scheduled check: at start (after the first paint) and then once a day while the setting
/// is on; a newer version found is told once per version as a notification, and the window is
/// told (`updates-changed`). Not started at all in a build without a feed.
pub fn spawn_schedule(app: AppHandle) {
    if !app.state::<Updates>().built_in() {
        log::info!("updates: no update feed built in; Stratos never checks for updates");
        return;
    }
    tauri::async_runtime::spawn(async move {
        app.state::<crate::first_paint::FirstPaint>()
            .wait(Duration::from_secs(10))
            .await;
        let wake = app.state::<Updates>().wake.clone();
        let mut was_enabled = None;
        loop {
            let enabled = app
                .state::<crate::AppState>()
                .current()
                .ok()
                .and_then(|a| a.state().ok())
                .is_none_or(|s| s.settings.check_for_updates);
            if was_enabled != Some(enabled) && !enabled {
                log::info!("updates: looking for updates is off in the settings");
            }
            was_enabled = Some(enabled);
            let last = app.state::<Updates>().checked_at();
            if updates::check_due(enabled, last, Utc::now()) {
                if let Ok(Finding::Available(offer)) = check(&app).await {
                    notify_once(&app, &offer);
                }
                let _ = app.emit("updates-changed", ());
            }
            // Hourly: a computer that slept through the due time catches up within the hour.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60 * 60)) => {}
                _ = wake.notified() => {}
            }
        }
    });
}

fn notify_once(app: &AppHandle, offer: &updates::Offer) {
    use tauri_plugin_notification::NotificationExt;
    {
        let updates = app.state::<Updates>();
        let mut known = updates.known();
        if known.notified.as_deref() == Some(offer.version.as_str()) {
            return;
        }
        known.notified = Some(offer.version.clone());
    }
    let result = app
        .notification()
        .builder()
        .title(format!("Stratos {} is available", offer.version))
        .body("Open Settings › Updates to see what is new and install it.")
        .show();
    if let Err(e) = result {
        log::warn!("could not show a notification: {e}");
    }
}
