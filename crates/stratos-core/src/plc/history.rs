//! A DID's history, checked on this computer: every operation in the directory's audit log is
//! verified the way the directory itself verifies it (`@did-plc/lib` `data.ts`), so a directory
//! that serves a forged or altered log is caught; and a readable view of who changed what, when.
//!
//! The rules [`verify`] applies, in log order:
//! - each entry's CID is the hash of its operation (the directory cannot relabel operations);
//! - the genesis has no `prev`, is signed by one of its own rotation keys, and hashes to the DID;
//! - every later operation names as `prev` an operation still in the active history, and is
//!   signed by a rotation key of that operation; nothing follows a tombstone;
//! - an operation whose `prev` is not the newest active operation replaces (nullifies) the ones
//!   after its `prev`: it must be signed by a key strictly above (lower index than) the key that
//!   signed the first replaced operation, in the rotation keys of `prev`, no later than 72 hours
//!   after that operation, and later than every operation before it;
//! - the directory's `nullified` marks are exactly the operations so replaced.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::operation::{self, Content};
use super::{AuditEntry, Change, PlcError, PlcFields};
use crate::accounts::Accounts;
use crate::base::problem::{Explain, Problem};

/// How long a higher rotation key may replace an operation signed by a lower one.
pub const RECOVERY_WINDOW: Duration = Duration::hours(72);

/// One operation of a log that passed [`verify`].
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedOp {
    /// Its position in the audit log (0 is the genesis).
    pub index: usize,
    /// Its CID.
    pub cid: String,
    /// When the directory accepted it.
    pub created_at: DateTime<Utc>,
    /// Whether a higher key replaced it.
    pub nullified: bool,
    /// What it sets (or a tombstone).
    pub content: Content,
    /// The rotation key that signed it.
    pub signer: String,
    /// The signer's index (0 = highest priority) in the rotation keys it was checked against:
    /// those of the operation it follows, or its own for the genesis.
    pub signer_position: usize,
    /// The fields of the operation it follows (`None` for the genesis).
    pub before: Option<PlcFields>,
}

/// A log that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The DID.
    pub did: String,
    /// Every operation, in log order, nullified ones included.
    pub ops: Vec<VerifiedOp>,
}

impl Verified {
    /// The active history (what the DID document is built from), oldest first.
    pub fn active(&self) -> impl Iterator<Item = &VerifiedOp> {
        self.ops.iter().filter(|op| !op.nullified)
    }

    /// The fields now, `None` when the DID is tombstoned.
    pub fn current(&self) -> Option<&PlcFields> {
        match &self.active().last()?.content {
            Content::Update(fields) => Some(fields),
            Content::Tombstone => None,
        }
    }
}

/// What is wrong with one operation of a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The directory served no operations at all.
    #[error("the log is empty")]
    Empty,
    /// The entry cannot be read as an operation.
    #[error("it is not a readable operation: {0}")]
    Unreadable(String),
    /// The CID listed is not the hash of the operation served with it.
    #[error("the directory lists it as {served}, but its content hashes to {computed}")]
    CidMismatch {
        /// What the directory said.
        served: String,
        /// The hash of what it served.
        computed: String,
    },
    /// The genesis does not hash to the DID.
    #[error("the genesis operation creates {computed}, not this DID")]
    WrongDid {
        /// The DID the genesis creates.
        computed: String,
    },
    /// The genesis names a `prev`, or is a tombstone.
    #[error("the first operation is not a genesis (it has a prev or is a tombstone)")]
    NotAGenesis,
    /// No rotation key in force signed it.
    #[error("its signature is not by any rotation key in force before it")]
    BadSignature,
    /// `prev` names no operation of the active history.
    #[error("its prev {prev:?} is not an operation of the active history")]
    BrokenPrev {
        /// What it names.
        prev: Option<String>,
    },
    /// An operation follows a tombstone.
    #[error("it follows a tombstone, which ends the identity")]
    AfterTombstone,
    /// It replaces operations but its key does not outrank theirs.
    #[error(
        "it replaces an operation signed by rotation key #{disputed}, but is signed by key #{signer}, which does not outrank it"
    )]
    WeakerKey {
        /// 1-based position of the key that signed it.
        signer: usize,
        /// 1-based position of the key that signed the first replaced operation.
        disputed: usize,
    },
    /// It replaces an operation more than 72 hours old.
    #[error("it replaces an operation from {replaced} more than 72 hours later")]
    TooLate {
        /// When the replaced operation was made.
        replaced: DateTime<Utc>,
    },
    /// It replaces operations but is not newer than the newest operation.
    #[error("it replaces operations but is dated before the newest one")]
    NotNewer,
    /// The directory's `nullified` mark disagrees with the rules.
    #[error("the directory marks it {}, but by the rules it is {}", word(*.marked), word(!*.marked))]
    WrongMark {
        /// What the directory says.
        marked: bool,
    },
}

fn word(nullified: bool) -> &'static str {
    if nullified { "nullified" } else { "active" }
}

/// A log that failed verification: which operation and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the PLC history of {did} does not verify: operation {} ({cid}): {fault}", index + 1)]
pub struct HistoryError {
    /// The DID.
    pub did: String,
    /// The operation's position in the log (0 = genesis).
    pub index: usize,
    /// Its CID as the directory listed it.
    pub cid: String,
    /// What is wrong.
    pub fault: Fault,
}

/// As JSON: where (index, CID), what (`fault`, one sentence) and the whole message.
impl Serialize for HistoryError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("HistoryError", 4)?;
        s.serialize_field("index", &self.index)?;
        s.serialize_field("cid", &self.cid)?;
        s.serialize_field("fault", &self.fault.to_string())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

impl Explain for HistoryError {
    fn explain(&self) -> Problem {
        Problem::new(
            "plc_history_invalid",
            self,
            Some(
                "The directory served a history that its own rules reject: it may be damaged, \
                 or not the real directory. Check STRATOS_PLC_URL, and do not sign changes based \
                 on this history.",
            ),
        )
    }
}

/// Checks a DID's audit log against every rule (see the module documentation).
pub fn verify(did: &str, log: &[AuditEntry]) -> Result<Verified, HistoryError> {
    let fail = |index: usize, fault: Fault| HistoryError {
        did: did.to_owned(),
        index,
        cid: log.get(index).map(|e| e.cid.clone()).unwrap_or_default(),
        fault,
    };
    if log.is_empty() {
        return Err(fail(0, Fault::Empty));
    }
    let mut ops: Vec<VerifiedOp> = Vec::with_capacity(log.len());
    // Indices (into `ops`) of the active history so far.
    let mut chain: Vec<usize> = Vec::new();
    for (i, entry) in log.iter().enumerate() {
        let unreadable = |e: PlcError| fail(i, Fault::Unreadable(e.to_string()));
        let parsed = operation::parse(&entry.operation).map_err(unreadable)?;
        let computed = operation::cid(&entry.operation).map_err(unreadable)?;
        if computed != entry.cid {
            return Err(fail(
                i,
                Fault::CidMismatch {
                    served: entry.cid.clone(),
                    computed,
                },
            ));
        }
        let created_at = DateTime::parse_from_rfc3339(&entry.created_at)
            .map_err(|e| fail(i, Fault::Unreadable(format!("createdAt: {e}"))))?
            .with_timezone(&Utc);
        let signed_by = |keys: &[String]| operation::signer_index(&entry.operation, keys);

        if i == 0 {
            let (Content::Update(fields), None) = (&parsed.content, &parsed.prev) else {
                return Err(fail(0, Fault::NotAGenesis));
            };
            let position = signed_by(&fields.rotation_keys)
                .map_err(unreadable)?
                .ok_or_else(|| fail(0, Fault::BadSignature))?;
            let created = operation::genesis_did(&entry.operation).map_err(unreadable)?;
            if created != did {
                return Err(fail(0, Fault::WrongDid { computed: created }));
            }
            ops.push(VerifiedOp {
                index: 0,
                cid: entry.cid.clone(),
                created_at,
                nullified: false,
                signer: fields.rotation_keys[position].clone(),
                signer_position: position,
                before: None,
                content: parsed.content,
            });
            chain.push(0);
            continue;
        }

        let at = parsed
            .prev
            .as_deref()
            .and_then(|prev| chain.iter().position(|&c| ops[c].cid == prev))
            .ok_or_else(|| {
                fail(
                    i,
                    Fault::BrokenPrev {
                        prev: parsed.prev.clone(),
                    },
                )
            })?;
        let Content::Update(before) = ops[chain[at]].content.clone() else {
            return Err(fail(i, Fault::AfterTombstone));
        };
        let keys = &before.rotation_keys;
        let position = if at + 1 == chain.len() {
            signed_by(keys)
                .map_err(unreadable)?
                .ok_or_else(|| fail(i, Fault::BadSignature))?
        } else {
            let first_replaced = &ops[chain[at + 1]];
            let disputed = first_replaced.signer_position;
            let Some(position) = signed_by(&keys[..disputed]).map_err(unreadable)? else {
                let signer = signed_by(keys)
                    .map_err(unreadable)?
                    .map(|p| p + 1)
                    .ok_or_else(|| fail(i, Fault::BadSignature))?;
                return Err(fail(
                    i,
                    Fault::WeakerKey {
                        signer,
                        disputed: disputed + 1,
                    },
                ));
            };
            if created_at <= ops[i - 1].created_at {
                return Err(fail(i, Fault::NotNewer));
            }
            if created_at - first_replaced.created_at > RECOVERY_WINDOW {
                return Err(fail(
                    i,
                    Fault::TooLate {
                        replaced: first_replaced.created_at,
                    },
                ));
            }
            for &c in &chain[at + 1..] {
                ops[c].nullified = true;
            }
            chain.truncate(at + 1);
            position
        };
        ops.push(VerifiedOp {
            index: i,
            cid: entry.cid.clone(),
            created_at,
            nullified: false,
            signer: keys[position].clone(),
            signer_position: position,
            before: Some(before),
            content: parsed.content,
        });
        chain.push(i);
    }
    if let Some(op) = ops
        .iter()
        .find(|op| op.nullified != log[op.index].nullified)
    {
        return Err(fail(
            op.index,
            Fault::WrongMark {
                marked: log[op.index].nullified,
            },
        ));
    }
    Ok(Verified {
        did: did.to_owned(),
        ops,
    })
}

/// Who signed an operation, in the person's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SignerKind {
    /// A rotation key the account's PDS holds (it recommends it for the account).
    Pds,
    /// One of the person's own keys, held in this computer's keychain.
    Mine,
    /// Neither: a key Stratos does not know (another PDS's, or a key held elsewhere).
    Unknown,
}

/// The key that signed an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    /// The `did:key`, when one of the keys in force signed it.
    pub key: Option<String>,
    /// Its priority (1 = highest) among the rotation keys in force.
    pub position: Option<usize>,
    /// Whose key it is.
    pub kind: SignerKind,
}

/// Whose keys are whose, to name signers.
#[derive(Debug, Clone, Default)]
pub struct KnownKeys {
    /// The rotation keys of the account's PDS.
    pub pds: Vec<String>,
    /// The keys in this computer's keychain.
    pub mine: Vec<String>,
}

impl KnownKeys {
    /// The signer `key` at `position` (0-based), named.
    pub fn signer(&self, key: Option<&str>, position: Option<usize>) -> Signer {
        let kind = match key {
            Some(k) if self.mine.iter().any(|m| m == k) => SignerKind::Mine,
            Some(k) if self.pds.iter().any(|p| p == k) => SignerKind::Pds,
            _ => SignerKind::Unknown,
        };
        Signer {
            key: key.map(str::to_owned),
            position: position.map(|p| p + 1),
            kind,
        }
    }

    /// The keys of `accounts`'s keychain, and the PDS's keys when the account is signed in here
    /// (when it is not, or the PDS does not answer, PDS keys show as unknown).
    pub async fn of(accounts: &Accounts, did: &str) -> Self {
        let mine = crate::keys::list(accounts)
            .map(|keys| keys.into_iter().map(|k| k.did_key).collect())
            .unwrap_or_default();
        let pds = match accounts.session(did).await {
            Ok(session) => super::recommended(&session)
                .await
                .map(|f| f.rotation_keys)
                .unwrap_or_else(|e| {
                    log::info!("could not ask the PDS of {did} for its keys: {e}");
                    Vec::new()
                }),
            Err(_) => Vec::new(),
        };
        Self { pds, mine }
    }
}

/// One operation of a history, for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Its CID.
    pub cid: String,
    /// When the directory accepted it (RFC 3339, as served).
    pub created_at: String,
    /// Replaced by a higher key.
    pub nullified: bool,
    /// It ends the identity.
    pub tombstone: bool,
    /// Who signed it.
    pub signer: Signer,
    /// What it changed against the operation it follows (everything, for the genesis).
    pub changes: Vec<Change>,
}

/// A DID's history with the verdict of [`verify`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// The DID.
    pub did: String,
    /// Every operation, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// Why the log does not verify; `None` when it does.
    pub problem: Option<HistoryError>,
}

/// The history view of a log. Built leniently so that a log that fails verification can still
/// be shown: each operation is compared with the one its `prev` names, wherever it is.
pub fn view(did: &str, log: &[AuditEntry], keys: &KnownKeys) -> History {
    let mut entries = Vec::with_capacity(log.len());
    for entry in log {
        let parsed = operation::parse(&entry.operation).ok();
        let before = parsed
            .as_ref()
            .and_then(|p| p.prev.as_deref())
            .and_then(|prev| log.iter().find(|e| e.cid == prev))
            .and_then(|e| match operation::parse(&e.operation).ok()?.content {
                Content::Update(f) => Some(f),
                Content::Tombstone => None,
            });
        let after = parsed.as_ref().and_then(|p| match &p.content {
            Content::Update(f) => Some(f.clone()),
            Content::Tombstone => None,
        });
        let in_force = before.as_ref().or(after.as_ref()).map(|f| &f.rotation_keys);
        let position =
            in_force.and_then(|k| operation::signer_index(&entry.operation, k).ok().flatten());
        let key = position.and_then(|p| in_force.map(|k| k[p].as_str()));
        entries.push(HistoryEntry {
            cid: entry.cid.clone(),
            created_at: entry.created_at.clone(),
            nullified: entry.nullified,
            tombstone: parsed
                .as_ref()
                .is_some_and(|p| p.content == Content::Tombstone),
            signer: keys.signer(key, position),
            changes: super::diff(&before.unwrap_or_default(), &after.unwrap_or_default()),
        });
    }
    History {
        did: did.to_owned(),
        entries,
        problem: verify(did, log).err(),
    }
}

/// The history of `did` from the configured directory, verified, with signers named.
pub async fn history(accounts: &Accounts, did: &str) -> Result<History, PlcError> {
    let log = super::audit(accounts, did).await?;
    let keys = KnownKeys::of(accounts, did).await;
    Ok(view(did, &log, &keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published interop vectors (see tests/data/plc_interop/README.md).
    macro_rules! vector {
        ($kind:literal, $name:literal) => {
            (
                $name,
                include_str!(concat!(
                    "../../tests/data/plc_interop/",
                    $kind,
                    "/",
                    $name,
                    ".json"
                )),
            )
        };
    }

    fn run(text: &str) -> Result<Verified, HistoryError> {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let did = json[0]["did"].as_str().unwrap().to_owned();
        let log: Vec<AuditEntry> = serde_json::from_value(json).unwrap();
        verify(&did, &log)
    }

    #[test]
    fn every_valid_vector_verifies() {
        for (name, text) in [
            vector!("valid", "log_bnewbold_robocracy"),
            vector!("valid", "log_bskyapp"),
            vector!("valid", "log_duplicate_rotation_keys"),
            vector!("valid", "log_empty_rotation_keys"),
            vector!("valid", "log_legacy_dholms"),
            vector!("valid", "log_nullification"),
            vector!("valid", "log_nullification_at_exactly_72h"),
            vector!("valid", "log_nullification_nontrivial"),
            vector!("valid", "log_nullified_tombstone"),
            vector!("valid", "log_tombstone"),
        ] {
            let verified = run(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!verified.ops.is_empty(), "{name}");
        }
    }

    #[test]
    fn every_invalid_vector_fails_for_its_reason() {
        for (name, text, want) in [
            (
                vector!("invalid", "log_invalid_nullification_reused_key"),
                "WeakerKey",
            ),
            (
                vector!("invalid", "log_invalid_nullification_too_slow"),
                "TooLate",
            ),
            (
                vector!("invalid", "log_invalid_sig_b64_newline"),
                "BadSignature",
            ),
            (
                vector!("invalid", "log_invalid_sig_b64_padding_bits"),
                "BadSignature",
            ),
            (
                vector!("invalid", "log_invalid_sig_b64_padding_chars"),
                "BadSignature",
            ),
            (vector!("invalid", "log_invalid_sig_der"), "BadSignature"),
            (
                vector!("invalid", "log_invalid_sig_k256_high_s"),
                "BadSignature",
            ),
            (
                vector!("invalid", "log_invalid_sig_p256_high_s"),
                "BadSignature",
            ),
            (
                vector!("invalid", "log_invalid_update_nullified"),
                "BrokenPrev",
            ),
            (
                vector!("invalid", "log_invalid_update_tombstoned"),
                "AfterTombstone",
            ),
        ]
        .map(|((name, text), want)| (name, text, want))
        {
            let err = run(text).expect_err(name);
            let got = format!("{:?}", err.fault);
            assert!(got.starts_with(want), "{name}: {got} ({err})");
        }
    }

    #[test]
    fn the_legacy_create_reads_as_the_js_library_normalises_it() {
        let (_, text) = vector!("valid", "log_legacy_dholms");
        let verified = run(text).unwrap();
        let Content::Update(genesis) = &verified.ops[0].content else {
            panic!("a create is an update");
        };
        assert_eq!(genesis.rotation_keys.len(), 2);
        assert_eq!(
            genesis.services["atproto_pds"].kind,
            "AtprotoPersonalDataServer"
        );
        assert!(genesis.also_known_as[0].starts_with("at://"));
    }

    #[test]
    fn nullified_ops_and_the_directory_marks_are_checked() {
        let (_, text) = vector!("valid", "log_nullification");
        let verified = run(text).unwrap();
        assert!(verified.ops[1].nullified);
        assert_eq!(verified.active().count(), verified.ops.len() - 1);
        // A directory that hides the nullification is caught.
        let mut json: serde_json::Value = serde_json::from_str(text).unwrap();
        json[1]["nullified"] = false.into();
        let err = run(&json.to_string()).unwrap_err();
        assert_eq!(err.index, 1);
        assert_eq!(err.fault, Fault::WrongMark { marked: false });
        // A relabelled operation is caught by its CID.
        let mut json: serde_json::Value = serde_json::from_str(text).unwrap();
        json[0]["operation"]["alsoKnownAs"] = serde_json::json!(["at://mallory"]);
        let err = run(&json.to_string()).unwrap_err();
        assert!(matches!(err.fault, Fault::CidMismatch { .. }), "{err}");
    }
}
