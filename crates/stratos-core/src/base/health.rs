//! An account's state at a glance, as the tray and the account list show it.

use serde::{Deserialize, Serialize};

/// The one-word state of an account, ordered from fine to needing action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Signed in, PDS reachable, repository active.
    Active,
    /// Not checked yet, or the check gave no clear answer.
    Unknown,
    /// The account is deactivated by its owner.
    Deactivated,
    /// The PDS could not be reached.
    Unreachable,
    /// The PDS suspended the account.
    Suspended,
    /// The PDS took the account down.
    Takendown,
    /// The session ended; the person must sign in again.
    Expired,
}

/// How loudly a state should be signalled, e.g. the tray icon's badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing to do.
    Ok,
    /// Worth a look.
    Warning,
    /// Needs the person to act.
    Error,
}

impl Health {
    /// A short label in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Health::Active => "Active",
            Health::Unknown => "Not checked yet",
            Health::Deactivated => "Deactivated",
            Health::Unreachable => "PDS unreachable",
            Health::Suspended => "Suspended",
            Health::Takendown => "Taken down",
            Health::Expired => "Session expired: sign in again",
        }
    }

    /// How loudly to signal this state.
    pub fn severity(self) -> Severity {
        match self {
            Health::Active => Severity::Ok,
            Health::Unknown | Health::Deactivated | Health::Unreachable => Severity::Warning,
            Health::Suspended | Health::Takendown | Health::Expired => Severity::Error,
        }
    }

    /// Maps a repository/account status string from the PDS (`deactivated`, `takendown`...).
    pub fn from_account_status(active: bool, status: Option<&str>) -> Health {
        match (active, status) {
            (true, _) => Health::Active,
            (false, Some("deactivated")) => Health::Deactivated,
            (false, Some("suspended")) => Health::Suspended,
            (false, Some("takendown")) => Health::Takendown,
            (false, _) => Health::Unknown,
        }
    }
}

/// The worst severity among states, for a single tray icon; `Ok` when there are none.
pub fn worst(states: impl IntoIterator<Item = Health>) -> Severity {
    states
        .into_iter()
        .map(Health::severity)
        .max()
        .unwrap_or(Severity::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_state_wins() {
        assert_eq!(worst([]), Severity::Ok);
        assert_eq!(
            worst([Health::Active, Health::Deactivated]),
            Severity::Warning
        );
        assert_eq!(
            worst([Health::Unreachable, Health::Expired, Health::Active]),
            Severity::Error
        );
    }

    #[test]
    fn statuses_map() {
        assert_eq!(Health::from_account_status(true, None), Health::Active);
        assert_eq!(
            Health::from_account_status(false, Some("deactivated")),
            Health::Deactivated
        );
        assert_eq!(
            Health::from_account_status(false, Some("takendown")),
            Health::Takendown
        );
    }
}
