//! Backups that run by themselves: which accounts are due under the schedule in the settings, and
//! one scheduled run of an account — snapshot, verify, record it as the last good backup, prune to
//! the number of snapshots kept. The desktop app's background task calls [`run_due`] at start (to
//! catch up a missed run) and then every few minutes; "Back up now" calls [`run`].

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::snapshot::{SnapshotProgress, snapshot_account};
use super::store::Manifest;
use super::{BackupError, CancellationToken};
use crate::accounts::{Accounts, AccountsError};
use crate::config::Config;
use crate::store::state::{AccountRecord, Settings};

/// Where backups go: the folder chosen in the settings, else `backups` in Stratos's data folder.
pub fn folder(settings: &Settings, config: &Config) -> PathBuf {
    match settings.backup_folder.as_deref() {
        Some(f) if !f.trim().is_empty() => crate::config::expand_home(f.trim()),
        _ => config.data_dir.join("backups"),
    }
}

/// Whether `account` is due for a scheduled backup at `now`: the schedule is on, and its last
/// good backup is older than the interval (or there is none).
pub fn is_due(settings: &Settings, account: &AccountRecord, now: DateTime<Utc>) -> bool {
    match settings.backup_every() {
        None => false,
        Some(every) => account.last_backup_at.is_none_or(|at| now - at >= every),
    }
}

/// One account's backup: what was stored and what verification found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    /// The account.
    pub did: String,
    /// The snapshot taken.
    pub manifest: Manifest,
    /// How many old snapshots were pruned.
    pub pruned: usize,
}

/// Backs `did` up now into the configured folder: a snapshot, verified from the disk; only a
/// snapshot that verifies counts as the account's last good backup. Then the oldest snapshots
/// beyond `settings.backup_keep` are pruned.
pub async fn run(
    accounts: &Accounts,
    did: &str,
    progress: &(dyn Fn(SnapshotProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Done, BackupError> {
    let settings = accounts.state()?.settings;
    let root = folder(&settings, accounts.context().config());
    let manifest = snapshot_account(accounts, Some(did), &root, progress, cancel).await?;
    let report = super::verify::verify(&root, &manifest.did, Some(&manifest.id)).await?;
    if let Some(problem) = report.problems.first() {
        return Err(BackupError::Incomplete {
            did: manifest.did.clone(),
            detail: format!("it does not verify: {problem}"),
        });
    }
    let (owned, at) = (manifest.did.clone(), Utc::now());
    accounts
        .context()
        .state_file()
        .update(move |s| {
            for a in s.accounts.iter_mut().filter(|a| a.did == owned) {
                a.last_backup_at = Some(at);
            }
        })
        .map_err(AccountsError::from)?;
    let keep = usize::try_from(settings.backup_keep.max(1)).unwrap_or(usize::MAX);
    let pruned = super::prune::prune(&root, &manifest.did, keep).await?;
    log::info!(
        "backed up {} (snapshot {}, {} records), pruned {}",
        manifest.did,
        manifest.id,
        manifest.records.values().sum::<u64>(),
        pruned.removed.len()
    );
    Ok(Done {
        did: manifest.did.clone(),
        manifest,
        pruned: pruned.removed.len(),
    })
}

/// Runs the backup of every account that is due at `now`, one after the other (a backup is
/// network-bound; one at a time keeps the PDS and the disk calm). Each result is returned, so
/// the caller can notify about failures.
pub async fn run_due(
    accounts: &Accounts,
    now: DateTime<Utc>,
    progress: &(dyn Fn(SnapshotProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Vec<(AccountRecord, Result<Done, BackupError>)> {
    let Ok(state) = accounts.state() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for account in state
        .accounts
        .iter()
        .filter(|a| is_due(&state.settings, a, now))
    {
        if cancel.is_cancelled() {
            break;
        }
        let result = run(accounts, &account.did, progress, cancel).await;
        if let Err(e) = &result {
            log::warn!("the scheduled backup of {} failed: {e}", account.handle);
        }
        out.push((account.clone(), result));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::health::Health;
    use crate::store::state::AuthKind;
    use chrono::Duration;

    #[test]
    fn an_account_is_due_when_the_schedule_says_so() {
        let now = Utc::now();
        let mut account = AccountRecord {
            did: "did:plc:a".into(),
            handle: "a.test".into(),
            pds_url: "https://pds.example.com".into(),
            auth_kind: AuthKind::Password,
            added_at: now,
            health: Some(Health::Active),
            checked_at: None,
            oauth: None,
            email_confirmed: None,
            identity: None,
            last_backup_at: None,
        };
        let mut settings = Settings::default();
        assert!(!is_due(&settings, &account, now), "off by default");
        settings.backup_every_hours = 24;
        assert!(is_due(&settings, &account, now), "never backed up: at once");
        account.last_backup_at = Some(now - Duration::hours(23));
        assert!(!is_due(&settings, &account, now));
        account.last_backup_at = Some(now - Duration::hours(25));
        assert!(is_due(&settings, &account, now), "a missed run catches up");
    }
}
