//! Updates of the desktop app from a signed feed: whether a scheduled check is due, whether an
//! offered version is an update, and what to tell the person about each outcome.
//!
//! The desktop shell does the network and the signature check with `tauri-plugin-updater` (it
//! must also install, which only the plugin can do); this module decides and words the outcome,
//! so the shell only translates the plugin's answers into these types. An update replaces the
//! installed program only: the accounts and settings live in the data folder and the system
//! keychain, which an update never touches ([`KEPT`]).

use chrono::{DateTime, Duration, Utc};
use semver::Version;
use serde::Serialize;

use crate::base::problem::{Explain, Problem};

/// How often the app looks for an update when the setting is on (and once at start).
pub fn check_every() -> Duration {
    Duration::hours(24)
}

/// The largest update download accepted: Stratos's release packages are about 12 MB, an AppImage
/// several times that; anything past this is not a Stratos package and is not read further.
pub const MAX_DOWNLOAD_BYTES: u64 = 400 * 1024 * 1024;

/// What an update keeps, said wherever an update is offered so nobody fears for their accounts.
pub const KEPT: &str = "Your accounts and settings stay: they live in Stratos's data folder and \
                        the system keychain, not where the program is installed.";

/// Whether the scheduled check should run at `now`: checks are on, and the last one is a day old
/// or there was none since Stratos started (so a start always checks).
pub fn check_due(enabled: bool, last_checked: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    enabled && last_checked.is_none_or(|at| now - at >= check_every())
}

/// How an offered version stands to the running one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Comparison {
    /// Offered is newer: an update.
    Newer,
    /// The same version (build metadata aside): nothing to do.
    Same,
    /// Offered is older: refused, Stratos never goes back.
    Older,
}

/// Compares by semver precedence, so `1.2.0-rc.1` is older than `1.2.0` and build metadata
/// (`+linux`) does not make a version newer.
pub fn compare(current: &Version, offered: &Version) -> Comparison {
    match offered.cmp_precedence(current) {
        std::cmp::Ordering::Greater => Comparison::Newer,
        std::cmp::Ordering::Equal => Comparison::Same,
        std::cmp::Ordering::Less => Comparison::Older,
    }
}

/// A newer version the feed offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// The version offered.
    pub version: String,
    /// The running version.
    pub current: String,
    /// What is new, as the release's notes say (plain text).
    pub notes: Option<String>,
    /// When it was published, when the feed says.
    pub published_at: Option<DateTime<Utc>>,
}

/// What a check found, with the sentence the person reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Finding {
    /// The feed offers nothing newer.
    UpToDate {
        /// The running version.
        current: String,
    },
    /// A newer version is there to download.
    Available(Offer),
    /// The feed offers an older version; it is refused.
    Older {
        /// The running version.
        current: String,
        /// The version the feed offered.
        offered: String,
    },
}

impl Finding {
    /// What the feed's answer means: `offered` is the version it announced with its notes and
    /// date, or `None` when it announced nothing (an empty answer).
    pub fn from_feed(
        current: &Version,
        offered: Option<(Version, Option<String>, Option<DateTime<Utc>>)>,
    ) -> Finding {
        let Some((version, notes, published_at)) = offered else {
            return Finding::UpToDate {
                current: current.to_string(),
            };
        };
        match compare(current, &version) {
            Comparison::Newer => Finding::Available(Offer {
                version: version.to_string(),
                current: current.to_string(),
                notes: notes.filter(|n| !n.trim().is_empty()),
                published_at,
            }),
            Comparison::Same => Finding::UpToDate {
                current: current.to_string(),
            },
            Comparison::Older => Finding::Older {
                current: current.to_string(),
                offered: version.to_string(),
            },
        }
    }

    /// The sentence shown for this finding.
    pub fn message(&self) -> String {
        match self {
            Finding::UpToDate { current } => format!("Stratos {current} is the newest version."),
            Finding::Available(o) => format!(
                "Stratos {} is available (you have {}). {KEPT}",
                o.version, o.current
            ),
            Finding::Older { current, offered } => format!(
                "The update feed offers Stratos {offered}, which is older than this one \
                 ({current}). Stratos does not go back to an older version; nothing was \
                 downloaded."
            ),
        }
    }
}

/// Why a check, a download or an install did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// This build has no feed (a development build, or a package a distribution updates).
    #[error("this Stratos was built without an update feed")]
    NotBuiltIn,
    /// The feed could not be reached or read.
    #[error("could not read the update feed: {0}")]
    Feed(String),
    /// The feed has no package for this system and package kind.
    #[error("the update feed has no download for this system ({0})")]
    NoDownloadForSystem(String),
    /// The download failed on the way.
    #[error("could not download the update: {0}")]
    Download(String),
    /// The download grew past [`MAX_DOWNLOAD_BYTES`].
    #[error("the update download is larger than {} MB, which no Stratos package is", MAX_DOWNLOAD_BYTES / 1024 / 1024)]
    TooLarge,
    /// The bytes do not match the signature made with the trusted key: changed after signing.
    #[error(
        "the downloaded update does not match its signature: the file was changed after it was signed; nothing was installed"
    )]
    Tampered,
    /// The signature was made with another key than the one this build trusts.
    #[error("the update is not signed with the key this Stratos trusts; nothing was installed")]
    UntrustedKey,
    /// The signature (or the built-in public key) is not a minisign signature (or key).
    #[error("the update's signature could not be read: {0}")]
    UnreadableSignature(String),
    /// The signature names another version than the feed announced (a feed pointing a new
    /// version number at an old package).
    #[error(
        "the update is signed as version {signed}, but the feed announces {announced}; nothing was installed"
    )]
    VersionMismatch {
        /// The version in the signature's trusted comment.
        signed: String,
        /// The version the feed announced.
        announced: String,
    },
    /// The person stopped the download.
    #[error("the download was cancelled; nothing was installed")]
    Cancelled,
    /// Install was asked for with no verified download at hand.
    #[error("there is no verified download to install")]
    NothingDownloaded,
    /// The system refused the install (a cancelled password prompt, a read-only location).
    #[error("the update could not be installed: {0}")]
    Install(String),
}

impl Explain for UpdateError {
    fn explain(&self) -> Problem {
        match self {
            UpdateError::NotBuiltIn => Problem::new(
                "updates_not_built_in",
                self,
                Some(
                    "Update Stratos the way you installed it (your package manager or the download page).",
                ),
            ),
            UpdateError::Feed(detail) => Problem::new(
                "update_feed_unreachable",
                "could not read the update feed",
                Some("Check your internet connection; Stratos tries again tomorrow, or check now."),
            )
            .with_detail(detail.clone()),
            UpdateError::NoDownloadForSystem(targets) => Problem::new(
                "update_not_for_this_system",
                "the update feed has no download for this system",
                Some(
                    "This release was not published for your system yet; try again later or use the download page.",
                ),
            )
            .with_detail(format!("looked for: {targets}")),
            UpdateError::Download(detail) => Problem::new(
                "update_download_failed",
                "could not download the update",
                Some("Try the download again; nothing was changed."),
            )
            .with_detail(detail.clone()),
            UpdateError::TooLarge => Problem::new(
                "update_too_large",
                self,
                Some(
                    "The feed may be misconfigured or tampered with; nothing was installed. Tell the Stratos maintainers.",
                ),
            ),
            UpdateError::Tampered
            | UpdateError::UntrustedKey
            | UpdateError::VersionMismatch { .. } => Problem::new(
                match self {
                    UpdateError::Tampered => "update_tampered",
                    UpdateError::UntrustedKey => "update_untrusted_key",
                    _ => "update_version_mismatch",
                },
                self,
                Some(
                    "Do not install this file by other means. Tell the Stratos maintainers; your current version keeps working.",
                ),
            ),
            UpdateError::UnreadableSignature(detail) => Problem::new(
                "update_signature_unreadable",
                "the update's signature could not be read; nothing was installed",
                Some(
                    "Tell the Stratos maintainers; your current version keeps working.",
                ),
            )
            .with_detail(detail.clone()),
            UpdateError::Cancelled => Problem::new("cancelled", self, None),
            UpdateError::NothingDownloaded => Problem::new(
                "update_not_downloaded",
                self,
                Some(
                    "Download the update first; it is installed only once its signature checks out.",
                ),
            ),
            UpdateError::Install(detail) => Problem::new(
                "update_install_failed",
                "the update could not be installed",
                Some(
                    "Your current version is unchanged. Install the new version from the download page, or try again.",
                ),
            )
            .with_detail(detail.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn a_check_is_due_at_start_and_then_daily_when_on() {
        let now = Utc::now();
        assert!(check_due(true, None, now));
        assert!(!check_due(true, Some(now - Duration::hours(23)), now));
        assert!(check_due(true, Some(now - Duration::hours(24)), now));
        assert!(!check_due(false, None, now));
        assert!(!check_due(false, Some(now - Duration::days(9)), now));
    }

    #[test]
    fn versions_compare_by_precedence() {
        assert_eq!(compare(&v("0.1.0"), &v("0.2.0")), Comparison::Newer);
        assert_eq!(compare(&v("0.1.0"), &v("0.1.0")), Comparison::Same);
        assert_eq!(compare(&v("0.1.0"), &v("0.1.0+other")), Comparison::Same);
        assert_eq!(compare(&v("1.2.0"), &v("1.2.0-rc.1")), Comparison::Older);
        assert_eq!(compare(&v("1.2.0-rc.1"), &v("1.2.0")), Comparison::Newer);
        assert_eq!(compare(&v("0.10.0"), &v("0.9.9")), Comparison::Older);
    }

    #[test]
    fn technical_causes_go_to_the_details() {
        let p = UpdateError::Feed("error sending request for url (https://x/latest.json)".into())
            .explain();
        assert_eq!(p.message, "Could not read the update feed");
        assert!(p.detail.unwrap().contains("error sending request"));
        let p = UpdateError::UntrustedKey.explain();
        assert_eq!(p.code, "update_untrusted_key");
        assert!(p.message.contains("nothing was installed"), "{}", p.message);
    }

    #[test]
    fn findings_say_what_to_do() {
        let current = v("0.1.0");
        assert_eq!(
            Finding::from_feed(&current, None),
            Finding::UpToDate {
                current: "0.1.0".into()
            }
        );
        let newer = Finding::from_feed(&current, Some((v("0.2.0"), Some("  ".into()), None)));
        let Finding::Available(offer) = &newer else {
            panic!("{newer:?}")
        };
        assert_eq!(offer.notes, None, "blank notes are no notes");
        assert!(newer.message().contains("0.2.0 is available"));
        assert!(newer.message().contains("keychain"));
        let older = Finding::from_feed(&current, Some((v("0.0.9"), None, None)));
        assert!(matches!(older, Finding::Older { .. }));
        assert!(
            older.message().contains("older than this one"),
            "{}",
            older.message()
        );
    }
}
