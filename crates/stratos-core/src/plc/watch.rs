//! The identity watch: the background task's round over every `did:plc` account. It runs the
//! guard's [`check`](super::guard::check), keeps what it found in the account's record (so the
//! tray, the overview's attention list and a restarted app show it at once), and says which
//! findings are new, so a desktop notification is shown once per change, not every round.

use chrono::{DateTime, Utc};

use super::guard::{self, Check, GuardError};
use super::history::KnownKeys;
use crate::accounts::Accounts;
use crate::store::state::IdentityWatch;

/// One account's round.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The account.
    pub did: String,
    /// Its handle, for a notification.
    pub handle: String,
    /// What the guard found.
    pub check: Check,
    /// What was recorded (and what the attention list will say).
    pub record: IdentityWatch,
    /// True when this round found something the previous one had not: a new unexpected
    /// operation, or a history that stopped verifying. Notify only then.
    pub news: bool,
}

/// Checks `did` now and records the finding in its account record.
pub async fn watch(
    accounts: &Accounts,
    did: &str,
    now: DateTime<Utc>,
) -> Result<Watched, GuardError> {
    let account = accounts.find(Some(did)).map_err(super::PlcError::from)?;
    let check = guard::check(accounts, &account.did, now).await?;
    let holds_key_above_pds = match super::current(accounts, &account.did).await {
        Ok(data) => {
            let keys = KnownKeys::of(accounts, &account.did).await;
            Some(holds_key_above_pds(&data.fields.rotation_keys, &keys))
        }
        Err(e) => {
            log::info!("could not read the current PLC data of {did}: {e}");
            account
                .identity
                .as_ref()
                .and_then(|w| w.holds_key_above_pds)
        }
    };
    let record = IdentityWatch {
        checked_at: Some(now),
        unexpected: check.unexpected.iter().map(|u| u.cid.clone()).collect(),
        summary: summary(&check),
        undo_until: check
            .undo
            .as_ref()
            .filter(|u| u.possible)
            .map(|u| u.deadline),
        failed: check.problem.as_ref().map(|p| p.to_string()),
        holds_key_above_pds,
    };
    let before = account.identity.unwrap_or_default();
    let news = record
        .unexpected
        .iter()
        .any(|cid| !before.unexpected.contains(cid))
        || (record.failed.is_some() && before.failed.is_none());
    let (kept, owned) = (record.clone(), account.did.clone());
    accounts.context().state_file().update(move |s| {
        for a in s.accounts.iter_mut().filter(|a| a.did == owned) {
            a.identity = Some(kept.clone());
        }
    })?;
    if news {
        log::warn!(
            "unexpected identity change on {} ({}): {}",
            account.handle,
            account.did,
            record.summary.join("; ")
        );
    }
    Ok(Watched {
        did: account.did,
        handle: account.handle,
        check,
        record,
        news,
    })
}

/// The unexpected changes in words, what matters most first: where the account lives (its PDS),
/// then its handle, its signing key, and who may change it.
fn summary(check: &Check) -> Vec<String> {
    let weight = |field: &str| match field {
        "services" => 0,
        "alsoKnownAs" => 1,
        "verificationMethods" => 2,
        _ => 3,
    };
    let mut changes: Vec<_> = check.unexpected.iter().flat_map(|u| &u.changes).collect();
    changes.sort_by_key(|c| weight(c.field));
    changes.into_iter().map(|c| c.description.clone()).collect()
}

/// One round over every signed-in `did:plc` account (a `did:web` has no PLC history). An account
/// that cannot be checked this round is logged and keeps its last finding.
pub async fn watch_all(accounts: &Accounts, now: DateTime<Utc>) -> Vec<Watched> {
    let Ok(state) = accounts.state() else {
        return Vec::new();
    };
    let rounds = state
        .accounts
        .iter()
        .filter(|a| a.did.starts_with("did:plc:"))
        .map(|a| watch(accounts, &a.did, now));
    let mut out = Vec::new();
    for (result, account) in futures::future::join_all(rounds).await.into_iter().zip(
        state
            .accounts
            .iter()
            .filter(|a| a.did.starts_with("did:plc:")),
    ) {
        match result {
            Ok(w) => out.push(w),
            Err(e) => log::warn!("could not check the identity of {}: {e}", account.handle),
        }
    }
    out
}

/// Whether one of the person's keys (in this keychain) stands above every key of the PDS in
/// `rotation_keys`: what lets them undo a change the PDS signs.
pub fn holds_key_above_pds(rotation_keys: &[String], keys: &KnownKeys) -> bool {
    let first = |set: &[String]| rotation_keys.iter().position(|k| set.contains(k));
    match (first(&keys.mine), first(&keys.pds)) {
        (Some(mine), Some(pds)) => mine < pds,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_mine_counts_only_above_the_pds() {
        let keys = KnownKeys {
            pds: vec!["did:key:pds".into()],
            mine: vec!["did:key:mine".into()],
        };
        let order = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(holds_key_above_pds(
            &order(&["did:key:mine", "did:key:pds"]),
            &keys
        ));
        assert!(!holds_key_above_pds(
            &order(&["did:key:pds", "did:key:mine"]),
            &keys
        ));
        assert!(!holds_key_above_pds(&order(&["did:key:pds"]), &keys));
        assert!(holds_key_above_pds(&order(&["did:key:mine"]), &keys));
    }
}
