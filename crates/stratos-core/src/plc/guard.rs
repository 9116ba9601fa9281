//! The identity guard: notice PLC operations the person did not make, and undo them with their
//! own rotation key while the directory still allows it.
//!
//! Stratos remembers, per DID, the operations (CIDs) it made or the person acknowledged
//! (`known_plc_operations` in the state file). The first time a DID is looked at, its whole
//! history is taken as known. [`check`] verifies the directory's log ([`super::history::verify`])
//! and lists the active operations that are not known, with what each changed, who signed it,
//! and whether [`undo`] can replace them: that needs a key in this keychain that stands above the
//! unexpected operation's signer in the rotation keys of the last known-good operation, within
//! 72 hours of the first unexpected operation (the directory's recovery rule).
//!
//! [`prepare_update`] and [`submit_update`] change the identity with a rotation key of the
//! keychain, signed here and sent straight to the directory (no PDS, no emailed code).
//!
//! Every function takes the clock as `now`, so callers (and tests) decide what time it is.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::history::{self, HistoryError, KnownKeys, RECOVERY_WINDOW, Signer, Verified};
use super::operation::{self, Content};
use super::{Change, PlcError, PlcFields, PlcService};
use crate::accounts::Accounts;
use crate::base::did_key::PublicKey;
use crate::base::problem::{Explain, Problem};
use crate::keys::KeyError;
use crate::store::state::StateError;

/// An operation the person did not make (as far as Stratos knows).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unexpected {
    /// Its CID (what [`acknowledge`] takes).
    pub cid: String,
    /// When the directory accepted it.
    pub created_at: DateTime<Utc>,
    /// Who signed it.
    pub signer: Signer,
    /// What it changed against the operation it follows.
    pub changes: Vec<Change>,
    /// It deactivates the identity for good.
    pub tombstone: bool,
}

/// Whether the unexpected operations can be undone from this computer, and until when.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoChance {
    /// True when [`undo`] would be accepted now.
    pub possible: bool,
    /// The keychain key that would sign the undo (the highest-priority one that outranks the
    /// signer), when there is one.
    pub key: Option<String>,
    /// The last moment the directory accepts the undo: the first unexpected operation's time
    /// plus 72 hours.
    pub deadline: DateTime<Utc>,
    /// Why it is not possible, in a sentence; `None` when it is.
    pub reason: Option<String>,
}

/// What [`check`] found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// The DID.
    pub did: String,
    /// Why the directory's history does not verify (`None`: it does). Nothing else in this
    /// report can be trusted when it is set.
    pub problem: Option<HistoryError>,
    /// True when this was the first look at the DID: its whole history was taken as known.
    pub first_look: bool,
    /// Active operations nobody here made or acknowledged, oldest first.
    pub unexpected: Vec<Unexpected>,
    /// Whether they can be undone (`None` when there are none).
    pub undo: Option<UndoChance>,
}

impl Check {
    /// True when something needs the person's attention: an unexpected change or a history that
    /// does not verify.
    pub fn alarming(&self) -> bool {
        self.problem.is_some() || !self.unexpected.is_empty()
    }
}

/// A change the person asks for, applied to the current fields by [`edited`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    /// A new handle (`alice.example.com`); replaces the first `at://` alias.
    pub handle: Option<String>,
    /// A new PDS URL for `atproto_pds`.
    pub pds: Option<String>,
    /// A rotation key to add, and whether first (highest priority) rather than last.
    pub add_rotation_key: Option<(String, bool)>,
    /// A rotation key to remove.
    pub remove_rotation_key: Option<String>,
    /// A new repository signing key (`verificationMethods.atproto`).
    pub atproto_key: Option<String>,
}

/// A locally signed change, ready to be shown and then submitted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prepared {
    /// The DID.
    pub did: String,
    /// The operation it follows (the newest active one when prepared).
    pub prev: String,
    /// The fields now.
    pub before: PlcFields,
    /// The fields after.
    pub after: PlcFields,
    /// What changes.
    pub changes: Vec<Change>,
    /// The keychain key that signs it.
    pub key: String,
}

/// An operation Stratos signed and the directory accepted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    /// The DID.
    pub did: String,
    /// The new operation's CID.
    pub cid: String,
    /// The operation as sent.
    pub operation: Value,
    /// The fields the DID has now.
    pub fields: PlcFields,
    /// The operations it replaced (an undo), CIDs.
    pub replaced: Vec<String>,
}

/// Why the guard could not do what was asked. Nothing was submitted.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// Reading or writing the directory failed.
    #[error(transparent)]
    Plc(#[from] PlcError),
    /// The directory's history does not verify (boxed: it is large, and rare).
    #[error(transparent)]
    History(Box<HistoryError>),
    /// The keychain failed or does not hold the key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The state file could not be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// There is no unexpected operation to undo.
    #[error("{did} has no unexpected PLC operation to undo")]
    NothingToUndo {
        /// The DID.
        did: String,
    },
    /// None of the rotation keys that count is in this keychain.
    #[error("this keychain holds none of the rotation keys of {did} that could sign this")]
    NoKeyHeld {
        /// The DID.
        did: String,
    },
    /// The key given is not among the rotation keys that count.
    #[error("{key} is not a rotation key of {did} at that point of its history")]
    KeyNotInForce {
        /// The key.
        key: String,
        /// The DID.
        did: String,
    },
    /// The key does not stand above the unexpected operation's signer.
    #[error(
        "{key} is rotation key #{key_position}, but the unexpected change was signed by {signer} at #{signer_position}: only a key above #{signer_position} can undo it"
    )]
    KeyDoesNotOutrank {
        /// The key offered.
        key: String,
        /// Its 1-based position.
        key_position: usize,
        /// The unexpected operation's signer.
        signer: String,
        /// Its 1-based position.
        signer_position: usize,
    },
    /// More than 72 hours passed since the first unexpected operation.
    #[error("the undo window closed at {deadline} (72 hours after the unexpected change)")]
    WindowClosed {
        /// The last moment an undo was accepted.
        deadline: DateTime<Utc>,
    },
    /// The identity changed between preparing and submitting.
    #[error("the identity of {did} changed since the change was prepared; prepare it again")]
    HistoryMoved {
        /// The DID.
        did: String,
    },
    /// The identity is tombstoned.
    #[error("{did} is tombstoned: it can no longer change")]
    Tombstoned {
        /// The DID.
        did: String,
    },
    /// The edit asks for nothing, or for something impossible.
    #[error("{0}")]
    BadEdit(String),
}

impl From<HistoryError> for GuardError {
    fn from(e: HistoryError) -> Self {
        GuardError::History(Box::new(e))
    }
}

impl Explain for GuardError {
    fn explain(&self) -> Problem {
        let p = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            GuardError::Plc(e) => e.explain(),
            GuardError::History(e) => e.explain(),
            GuardError::Key(e) => e.explain(),
            GuardError::State(e) => Problem::new(
                "state_file",
                e,
                Some("Check that the Stratos data folder is writable."),
            ),
            GuardError::NothingToUndo { .. } => p("nothing_to_undo", None),
            GuardError::NoKeyHeld { .. } => p(
                "no_rotation_key_held",
                Some(
                    "Import the recovery key into this computer (`stratos key import`), or ask \
                     the PDS that signed the change.",
                ),
            ),
            GuardError::KeyNotInForce { .. } => p(
                "key_not_in_force",
                Some("`stratos account plc history` shows the rotation keys at each point."),
            ),
            GuardError::KeyDoesNotOutrank { .. } => p(
                "key_does_not_outrank",
                Some(
                    "Only a higher-priority rotation key can undo a change. Put your own key \
                     first in the rotation keys so it can undo anything a PDS signs.",
                ),
            ),
            GuardError::WindowClosed { .. } => p(
                "undo_window_closed",
                Some(
                    "The directory no longer lets any key replace that change. A rotation key in \
                     force now can still sign a new change that sets the fields back.",
                ),
            ),
            GuardError::HistoryMoved { .. } => p("plc_history_moved", None),
            GuardError::Tombstoned { .. } => p("plc_tombstoned", None),
            GuardError::BadEdit(_) => p("bad_edit", None),
        }
    }
}

/// The operations of `did` known here, `None` when the DID was never looked at.
pub fn known(accounts: &Accounts, did: &str) -> Result<Option<BTreeSet<String>>, StateError> {
    Ok(accounts
        .context()
        .state_file()
        .load()?
        .known_plc_operations
        .get(did)
        .cloned())
}

/// Records `cids` as known for `did`: operations Stratos made, or the person acknowledged. On a
/// DID never looked at, its whole current history is taken as known as well (so the first
/// [`check`] after Stratos's own change does not call the older ones unexpected).
pub async fn remember(accounts: &Accounts, did: &str, cids: &[String]) -> Result<(), GuardError> {
    let mut all: Vec<String> = cids.to_vec();
    if known(accounts, did)?.is_none() {
        all.extend(
            super::audit(accounts, did)
                .await?
                .into_iter()
                .map(|e| e.cid),
        );
    }
    let did = did.to_owned();
    accounts.context().state_file().update(move |s| {
        s.known_plc_operations.entry(did).or_default().extend(all);
    })?;
    Ok(())
}

/// Records an operation Stratos just had submitted (through a PDS, or signed here) as known.
/// The operation is already in the directory, so a failure to record it only logs a warning:
/// the next [`check`] then shows it as unexpected, and the person can acknowledge it.
pub async fn remember_submitted(accounts: &Accounts, did: &str, op: &Value) {
    let recorded = match operation::cid(op) {
        Ok(cid) => remember(accounts, did, &[cid]).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = recorded {
        log::warn!("could not record the PLC operation just made for {did} as known: {e}");
    }
}

/// What [`submit_signed`] sent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// The DID (for a genesis, the one the operation names).
    pub did: String,
    /// The operation's CID.
    pub cid: String,
}

/// Sends an operation signed elsewhere (a file, goat's `plc submit`) straight to the directory,
/// which checks the signature against the DID's history. `did` is the identity it changes;
/// `None` says it is a genesis, whose DID it names. The kind is checked first, so a genesis is
/// not sent as an update by mistake (or the reverse). Recorded as known once accepted.
pub async fn submit_signed(
    accounts: &Accounts,
    did: Option<&str>,
    op: &Value,
) -> Result<Sent, GuardError> {
    let parsed = operation::parse(op)?;
    let did = match (did, &parsed.prev) {
        (None, None) => operation::genesis_did(op)?,
        (Some(did), Some(_)) => did.to_owned(),
        (None, Some(_)) => {
            return Err(PlcError::BadOperation(
                "it follows another operation (it has a prev), so it is not a genesis".into(),
            )
            .into());
        }
        (Some(_), None) => {
            return Err(
                PlcError::BadOperation("it is a genesis (no prev); send it as one".into()).into(),
            );
        }
    };
    if !did.starts_with("did:plc:") {
        return Err(PlcError::NotPlc { did }.into());
    }
    operation::publish(accounts, &did, op).await?;
    remember_submitted(accounts, &did, op).await;
    Ok(Sent {
        cid: operation::cid(op)?,
        did,
    })
}

/// "This was me": the given operations stop counting as unexpected.
pub async fn acknowledge(
    accounts: &Accounts,
    did: &str,
    cids: &[String],
) -> Result<(), GuardError> {
    remember(accounts, did, cids).await?;
    log::info!("acknowledged {} PLC operation(s) of {did}", cids.len());
    Ok(())
}

/// Reads and verifies the history of `did` and reports what is unexpected (see the module
/// documentation). On the first look, the history is recorded as known.
pub async fn check(
    accounts: &Accounts,
    did: &str,
    now: DateTime<Utc>,
) -> Result<Check, GuardError> {
    let log = super::audit(accounts, did).await?;
    let keys = KnownKeys::of(accounts, did).await;
    let known = known(accounts, did)?;
    let report = assess(did, &log, known.as_ref(), &keys, now);
    if report.first_look && report.problem.is_none() {
        let cids: Vec<String> = log.iter().map(|e| e.cid.clone()).collect();
        let did = did.to_owned();
        accounts.context().state_file().update(move |s| {
            s.known_plc_operations.entry(did).or_default().extend(cids);
        })?;
    }
    Ok(report)
}

/// [`check`]'s judgement of a log, without I/O: `known` is `None` on the first look.
pub fn assess(
    did: &str,
    log: &[super::AuditEntry],
    known: Option<&BTreeSet<String>>,
    keys: &KnownKeys,
    now: DateTime<Utc>,
) -> Check {
    let mut report = Check {
        did: did.to_owned(),
        problem: None,
        first_look: known.is_none(),
        unexpected: Vec::new(),
        undo: None,
    };
    let verified = match history::verify(did, log) {
        Ok(v) => v,
        Err(e) => {
            report.problem = Some(e);
            return report;
        }
    };
    let Some(known) = known else {
        return report;
    };
    report.unexpected = verified
        .active()
        .filter(|op| !known.contains(&op.cid))
        .map(|op| Unexpected {
            cid: op.cid.clone(),
            created_at: op.created_at,
            signer: keys.signer(Some(&op.signer), Some(op.signer_position)),
            changes: super::diff(
                &op.before.clone().unwrap_or_default(),
                &match &op.content {
                    Content::Update(f) => f.clone(),
                    Content::Tombstone => PlcFields::default(),
                },
            ),
            tombstone: op.content == Content::Tombstone,
        })
        .collect();
    if !report.unexpected.is_empty() {
        let deadline = report.unexpected[0].created_at + RECOVERY_WINDOW;
        report.undo = Some(match plan_undo(&verified, known, &keys.mine, None, now) {
            Ok(plan) => UndoChance {
                possible: true,
                key: Some(plan.key),
                deadline,
                reason: None,
            },
            Err(e) => UndoChance {
                possible: false,
                key: None,
                deadline,
                reason: Some(e.to_string()),
            },
        });
    }
    report
}

/// What an undo would sign.
struct UndoPlan {
    key: String,
    last_good_cid: String,
    restore: PlcFields,
    replaced: Vec<String>,
    deadline: DateTime<Utc>,
}

/// Decides whether the unexpected operations can be undone with a key in `mine` (or `wanted`,
/// when the person named one).
fn plan_undo(
    verified: &Verified,
    known: &BTreeSet<String>,
    mine: &[String],
    wanted: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UndoPlan, GuardError> {
    let did = &verified.did;
    let active: Vec<_> = verified.active().collect();
    let Some(first) = active.iter().position(|op| !known.contains(&op.cid)) else {
        return Err(GuardError::NothingToUndo {
            did: did.to_owned(),
        });
    };
    let bad = &active[first];
    let deadline = bad.created_at + RECOVERY_WINDOW;
    let fail = Err;
    let (Some(last_good), Some(restore)) = (first.checked_sub(1).map(|i| active[i]), &bad.before)
    else {
        // The genesis itself is unknown: there is nothing earlier to go back to.
        return fail(GuardError::NothingToUndo {
            did: did.to_owned(),
        });
    };
    let rotation = &restore.rotation_keys;
    let signer_position = bad.signer_position;
    let key = match wanted {
        Some(w) => {
            let w = PublicKey::parse(w)
                .map(|k| k.did_key())
                .unwrap_or_else(|_| w.trim().to_owned());
            let Some(position) = rotation.iter().position(|k| *k == w) else {
                return fail(GuardError::KeyNotInForce {
                    key: w,
                    did: did.to_owned(),
                });
            };
            if position >= signer_position {
                return fail(GuardError::KeyDoesNotOutrank {
                    key: w,
                    key_position: position + 1,
                    signer: bad.signer.clone(),
                    signer_position: signer_position + 1,
                });
            }
            w
        }
        None => {
            let Some(position) = rotation.iter().position(|k| mine.contains(k)) else {
                return fail(GuardError::NoKeyHeld {
                    did: did.to_owned(),
                });
            };
            if position >= signer_position {
                return fail(GuardError::KeyDoesNotOutrank {
                    key: rotation[position].clone(),
                    key_position: position + 1,
                    signer: bad.signer.clone(),
                    signer_position: signer_position + 1,
                });
            }
            rotation[position].clone()
        }
    };
    if now > deadline {
        return fail(GuardError::WindowClosed { deadline });
    }
    Ok(UndoPlan {
        key,
        last_good_cid: last_good.cid.clone(),
        restore: restore.clone(),
        replaced: active[first..].iter().map(|op| op.cid.clone()).collect(),
        deadline,
    })
}

/// What [`undo`] would do, decided without sending anything.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoPreview {
    /// The DID.
    pub did: String,
    /// The keychain key that would sign the undo.
    pub key: String,
    /// The last known-good operation, which the undo follows.
    pub last_good: String,
    /// The operations it would replace (CIDs, oldest first).
    pub replaced: Vec<String>,
    /// The fields it restores (those of the last known-good operation).
    pub restore: PlcFields,
    /// What changes from now back to them.
    pub changes: Vec<Change>,
    /// The last moment the directory accepts it.
    pub deadline: DateTime<Utc>,
}

/// Decides whether the unexpected operations of `did` can be undone now with `key` (or the
/// highest-priority keychain key that can): the refusals are [`undo`]'s, and nothing is sent.
pub async fn preview_undo(
    accounts: &Accounts,
    did: &str,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UndoPreview, GuardError> {
    let log = super::audit(accounts, did).await?;
    let verified = history::verify(did, &log)?;
    let known =
        known(accounts, did)?.unwrap_or_else(|| log.iter().map(|e| e.cid.clone()).collect());
    let mine = KnownKeys::of(accounts, did).await.mine;
    let plan = plan_undo(&verified, &known, &mine, key, now)?;
    let current = match verified.current() {
        Some(f) => f.clone(),
        None => PlcFields::default(),
    };
    Ok(UndoPreview {
        did: did.to_owned(),
        changes: super::diff(&current, &plan.restore),
        key: plan.key,
        last_good: plan.last_good_cid,
        replaced: plan.replaced,
        restore: plan.restore,
        deadline: plan.deadline,
    })
}

/// Replaces the unexpected operations with one that restores the fields of the last known-good
/// operation, signed by `key` (or the highest-priority keychain key that can) and sent to the
/// directory; the new operation is recorded as known. Refused, with nothing sent, when the key
/// does not outrank the unexpected operation's signer or the 72-hour window has closed.
pub async fn undo(
    accounts: &Accounts,
    did: &str,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Submitted, GuardError> {
    let plan = preview_undo(accounts, did, key, now).await?;
    let private = crate::keys::load(accounts, &plan.key).await?;
    let op = operation::sign(
        &operation::unsigned(&plan.restore, Some(&plan.last_good)),
        &private,
    )?;
    operation::publish(accounts, did, &op).await?;
    let cid = operation::cid(&op)?;
    remember(accounts, did, std::slice::from_ref(&cid)).await?;
    log::info!(
        "undid {} PLC operation(s) of {did} with {}",
        plan.replaced.len(),
        plan.key
    );
    Ok(Submitted {
        did: did.to_owned(),
        cid,
        operation: op,
        fields: plan.restore,
        replaced: plan.replaced,
    })
}

/// `fields` with `edit` applied, checked: keys must be atproto public keys, at most
/// [`super::MAX_ROTATION_KEYS`] rotation keys, and at least one of them left.
pub fn edited(fields: &PlcFields, edit: &Edit) -> Result<PlcFields, GuardError> {
    if *edit == Edit::default() {
        return Err(GuardError::BadEdit(
            "nothing to change: give a handle, a PDS, a rotation key or a signing key".into(),
        ));
    }
    let canonical = |k: &str| {
        PublicKey::parse(k)
            .map(|p| p.did_key())
            .map_err(|e| GuardError::BadEdit(e.to_string()))
    };
    let mut out = fields.clone();
    if let Some(handle) = &edit.handle {
        let handle = handle
            .trim()
            .trim_start_matches('@')
            .trim_start_matches("at://");
        if handle.is_empty() || !handle.contains('.') {
            return Err(GuardError::BadEdit(format!("{handle:?} is not a handle")));
        }
        let alias = format!("at://{handle}");
        match out
            .also_known_as
            .iter()
            .position(|a| a.starts_with("at://"))
        {
            Some(i) => out.also_known_as[i] = alias,
            None => out.also_known_as.insert(0, alias),
        }
    }
    if let Some(pds) = &edit.pds {
        let url = url::Url::parse(pds.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| GuardError::BadEdit(format!("{pds:?} is not an http(s) URL")))?;
        out.services.insert(
            "atproto_pds".into(),
            PlcService {
                kind: "AtprotoPersonalDataServer".into(),
                endpoint: url.as_str().trim_end_matches('/').to_owned(),
            },
        );
    }
    if let Some(key) = &edit.atproto_key {
        out.verification_methods
            .insert("atproto".into(), canonical(key)?);
    }
    if let Some(key) = &edit.remove_rotation_key {
        let key = canonical(key)?;
        if !out.rotation_keys.contains(&key) {
            return Err(GuardError::BadEdit(format!(
                "{key} is not a rotation key of this identity"
            )));
        }
        out.rotation_keys.retain(|k| *k != key);
    }
    if let Some((key, first)) = &edit.add_rotation_key {
        out = super::with_rotation_key(&out, &canonical(key)?, *first)?;
    }
    if out.rotation_keys.is_empty() {
        return Err(GuardError::BadEdit(
            "that leaves no rotation key: nobody could ever change the identity again".into(),
        ));
    }
    Ok(out)
}

/// Prepares a change of `did` signed by the keychain key `key`, which must be a rotation key in
/// force now. Nothing is sent: show [`Prepared::changes`], then [`submit_update`].
pub async fn prepare_update(
    accounts: &Accounts,
    did: &str,
    edit: &Edit,
    key: &str,
) -> Result<Prepared, GuardError> {
    let log = super::audit(accounts, did).await?;
    let verified = history::verify(did, &log)?;
    let prev = verified
        .active()
        .last()
        .expect("a verified log has a genesis")
        .cid
        .clone();
    let Some(before) = verified.current().cloned() else {
        return Err(GuardError::Tombstoned {
            did: did.to_owned(),
        });
    };
    let key = PublicKey::parse(key)
        .map_err(|e| GuardError::BadEdit(e.to_string()))?
        .did_key();
    if !before.rotation_keys.contains(&key) {
        return Err(GuardError::KeyNotInForce {
            key,
            did: did.to_owned(),
        });
    }
    crate::keys::load(accounts, &key).await?;
    let after = edited(&before, edit)?;
    Ok(Prepared {
        did: did.to_owned(),
        changes: super::diff(&before, &after),
        prev,
        before,
        after,
        key,
    })
}

/// Signs and sends a prepared change, refused when the identity changed since it was prepared
/// (signing on an old `prev` would replace the newer operations instead of following them).
/// The new operation is recorded as known.
pub async fn submit_update(
    accounts: &Accounts,
    prepared: &Prepared,
) -> Result<Submitted, GuardError> {
    let did = &prepared.did;
    let log = super::audit(accounts, did).await?;
    let verified = history::verify(did, &log)?;
    if verified.active().last().map(|op| &op.cid) != Some(&prepared.prev) {
        return Err(GuardError::HistoryMoved {
            did: did.to_owned(),
        });
    }
    let private = crate::keys::load(accounts, &prepared.key).await?;
    let op = operation::sign(
        &operation::unsigned(&prepared.after, Some(&prepared.prev)),
        &private,
    )?;
    operation::publish(accounts, did, &op).await?;
    let cid = operation::cid(&op)?;
    remember(accounts, did, std::slice::from_ref(&cid)).await?;
    log::info!("sent a PLC change of {did} signed by {}", prepared.key);
    Ok(Submitted {
        did: did.to_owned(),
        cid,
        operation: op,
        fields: prepared.after.clone(),
        replaced: Vec::new(),
    })
}
