//! What needs the person's attention, worst first: the list at the top of the overview and in the
//! tray's menu. It is computed from the state file alone (each account's last known health,
//! session, email, identity watch and backup), so it is there the moment Stratos starts and costs
//! no request; the background checks keep those records current.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::base::health::{Health, Severity};
use crate::store::state::{AccountRecord, State};

/// How soon a browser sign-in's end is worth a warning.
const SESSION_ENDING_WITHIN: Duration = Duration::days(2);

/// A backup older than this is "not recent" when no schedule says otherwise.
const BACKUP_STALE_AFTER: Duration = Duration::days(30);

/// How much an item matters: errors and warnings colour the tray icon, advice does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth doing (a recovery key, a first backup), nothing is wrong yet.
    Advice,
    /// Something will go wrong, or may have (a session about to end, an unconfirmed email).
    Warning,
    /// Something is wrong now (an identity change nobody here made, an expired session).
    Error,
}

/// One thing to look at, with the words to show and where to go.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attention {
    /// The account it is about.
    pub did: String,
    /// Its handle, for the words.
    pub handle: String,
    /// A stable name of the kind of item (`identity_changed`, `session_expired`, …), for tests
    /// and for the window to pick the section that fixes it.
    pub kind: &'static str,
    /// How much it matters.
    pub level: Level,
    /// One short line: what is the matter.
    pub title: String,
    /// What to do about it.
    pub action: String,
}

/// Every item of every account, worst first, then in account order.
pub fn of_state(state: &State, now: DateTime<Utc>) -> Vec<Attention> {
    let backup_every = state.settings.backup_every();
    let mut all: Vec<Attention> = state
        .accounts
        .iter()
        .flat_map(|a| of_account(a, backup_every, now))
        .collect();
    all.sort_by_key(|a| std::cmp::Reverse(a.level));
    all
}

/// The tray icon's state: the worst of the accounts' health and of the attention items that are
/// warnings or errors (an unexpected identity change makes an otherwise active account red).
pub fn worst(state: &State, now: DateTime<Utc>) -> Severity {
    let items = of_state(state, now).into_iter().map(|a| match a.level {
        Level::Advice => Severity::Ok,
        Level::Warning => Severity::Warning,
        Level::Error => Severity::Error,
    });
    let health = state.accounts.iter().filter_map(|a| a.health);
    items
        .chain(health.map(Health::severity))
        .max()
        .unwrap_or(Severity::Ok)
}

/// The items of one account. `backup_every` is the backup schedule's interval, if one is set.
pub fn of_account(
    account: &AccountRecord,
    backup_every: Option<Duration>,
    now: DateTime<Utc>,
) -> Vec<Attention> {
    let item = |kind, level, title: String, action: &str| Attention {
        did: account.did.clone(),
        handle: account.handle.clone(),
        kind,
        level,
        title,
        action: action.to_owned(),
    };
    let mut items = Vec::new();
    if let Some(watch) = &account.identity {
        if let Some(why) = &watch.failed {
            items.push(item(
                "identity_unverified",
                Level::Error,
                format!(
                    "The identity history of @{} does not verify",
                    account.handle
                ),
                &format!("{why}. Do not trust the directory's answer; open Identity for details."),
            ));
        }
        if !watch.unexpected.is_empty() {
            let what = match watch.summary.first() {
                Some(first) => format!(": {first}"),
                None => String::new(),
            };
            let action = match watch.undo_until {
                Some(until) if until > now => format!(
                    "If this was not you, undo it before {} (open Identity).",
                    until.format("%Y-%m-%d %H:%M UTC")
                ),
                _ => "Open Identity to see what changed and what you can still do.".to_owned(),
            };
            items.push(item(
                "identity_changed",
                Level::Error,
                format!("The identity of @{} changed{what}", account.handle),
                &action,
            ));
        }
    }
    match account.health {
        Some(Health::Expired) => items.push(item(
            "session_expired",
            Level::Error,
            format!("@{} is signed out: its session ended", account.handle),
            "Sign in again to manage this account.",
        )),
        Some(h @ (Health::Suspended | Health::Takendown | Health::Deactivated)) => {
            items.push(item(
                "account_inactive",
                if h == Health::Deactivated {
                    Level::Warning
                } else {
                    Level::Error
                },
                format!("@{} is {}", account.handle, h.label().to_lowercase()),
                "Open the account to see what its server says.",
            ))
        }
        Some(Health::Unreachable) => items.push(item(
            "pds_unreachable",
            Level::Warning,
            format!("The server of @{} does not answer", account.handle),
            "Check your connection; if the server is gone for good, recover the account from a backup.",
        )),
        _ => {}
    }
    if let Some(ends) = account.oauth.as_ref().map(|o| o.session_ends_by())
        && account.health != Some(Health::Expired)
        && ends > now
        && ends - now < SESSION_ENDING_WITHIN
    {
        items.push(item(
            "session_ending",
            Level::Warning,
            format!(
                "The sign-in of @{} ends {}",
                account.handle,
                ends.format("%Y-%m-%d %H:%M UTC")
            ),
            "Sign in again before then to keep managing it without interruption.",
        ));
    }
    if account.email_confirmed == Some(false) {
        items.push(item(
            "email_unconfirmed",
            Level::Warning,
            format!("The email address of @{} is not confirmed", account.handle),
            "Confirm it (Email section): a server resets passwords and sends sign-in codes only to a confirmed address.",
        ));
    }
    if account.did.starts_with("did:plc:")
        && account
            .identity
            .as_ref()
            .is_some_and(|w| w.holds_key_above_pds == Some(false))
    {
        items.push(item(
            "no_recovery_key",
            Level::Advice,
            format!("@{} has no recovery key of yours", account.handle),
            "Add one (Identity section): with it you can undo a change you did not make and move the account if its server disappears.",
        ));
    }
    let stale_after = backup_every.map_or(BACKUP_STALE_AFTER, |every| every * 2);
    match account.last_backup_at {
        None => items.push(item(
            "no_backup",
            Level::Advice,
            format!("@{} has never been backed up here", account.handle),
            "Back it up now, or turn on scheduled backups in Settings.",
        )),
        Some(at) if now - at > stale_after => items.push(item(
            "backup_old",
            if backup_every.is_some() {
                Level::Warning
            } else {
                Level::Advice
            },
            format!(
                "The last backup of @{} is {} days old",
                account.handle,
                (now - at).num_days()
            ),
            "Back it up now; check the backup folder if scheduled backups have stopped.",
        )),
        Some(_) => {}
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::state::{AuthKind, IdentityWatch, OAuthInfo};

    fn account(handle: &str) -> AccountRecord {
        AccountRecord {
            did: format!("did:plc:{handle}"),
            handle: handle.into(),
            pds_url: "https://pds.example.com".into(),
            auth_kind: AuthKind::Password,
            added_at: Utc::now(),
            health: Some(Health::Active),
            checked_at: None,
            oauth: None,
            email_confirmed: Some(true),
            identity: None,
            last_backup_at: Some(Utc::now()),
        }
    }

    fn kinds(items: &[Attention]) -> Vec<&'static str> {
        items.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn a_healthy_backed_up_account_needs_nothing() {
        assert!(of_account(&account("fine"), None, Utc::now()).is_empty());
    }

    #[test]
    fn an_unexpected_identity_change_comes_first_and_turns_the_tray_red() {
        let now = Utc::now();
        let mut changed = account("alice");
        changed.email_confirmed = Some(false);
        changed.identity = Some(IdentityWatch {
            unexpected: vec!["bafyreib".into()],
            summary: vec!["PDS → https://evil.example".into()],
            undo_until: Some(now + Duration::hours(70)),
            holds_key_above_pds: Some(true),
            ..Default::default()
        });
        let state = State {
            accounts: vec![account("bob"), changed],
            ..Default::default()
        };
        let items = of_state(&state, now);
        assert_eq!(kinds(&items), ["identity_changed", "email_unconfirmed"]);
        assert!(items[0].title.contains("https://evil.example"), "{items:?}");
        assert!(items[0].action.contains("undo it before"), "{items:?}");
        assert_eq!(worst(&state, now), Severity::Error);
    }

    #[test]
    fn sessions_backups_and_recovery_keys_are_named() {
        let now = Utc::now();
        let mut a = account("carol");
        a.auth_kind = AuthKind::Oauth;
        a.oauth = Some(OAuthInfo {
            scope: "atproto".into(),
            issuer: "https://pds.example.com".into(),
            signed_in_at: now - Duration::days(13),
            access_expires_at: None,
        });
        a.last_backup_at = Some(now - Duration::days(40));
        a.identity = Some(IdentityWatch {
            holds_key_above_pds: Some(false),
            ..Default::default()
        });
        let items = of_account(&a, None, now);
        assert_eq!(
            kinds(&items),
            ["session_ending", "no_recovery_key", "backup_old"]
        );
        // With a daily schedule, a 40-day-old backup is a warning, not advice.
        let scheduled = of_account(&a, Some(Duration::days(1)), now);
        assert_eq!(scheduled.last().unwrap().level, Level::Warning);
        a.health = Some(Health::Expired);
        a.last_backup_at = None;
        assert_eq!(
            kinds(&of_account(&a, None, now)),
            ["session_expired", "no_recovery_key", "no_backup"]
        );
    }
}
