//! PLC identity operations: read an account's `did:plc` data from the directory, have its PDS sign
//! a change (with the code it emails), and submit it.
//!
//! The reference PDS's `signPlcOperation` REPLACES every field it is given wholesale, so a change
//! must always carry the complete merged values: [`merge`] builds them for a move to a new PDS,
//! keeping the person's own rotation keys above the new PDS's key, other services and other
//! aliases. [`diff`] lists what a change does, for a confirmation step. The migration and the
//! `stratos account plc` verbs both build on these functions.

pub mod guard;
pub mod history;
pub mod operation;
pub mod watch;
pub mod words;

mod directory;

use std::collections::BTreeMap;

use jacquard_api::com_atproto::identity::get_recommended_did_credentials::GetRecommendedDidCredentials;
use jacquard_api::com_atproto::identity::request_plc_operation_signature::RequestPlcOperationSignature;
use jacquard_api::com_atproto::identity::sign_plc_operation::SignPlcOperation;
use jacquard_api::com_atproto::identity::submit_plc_operation::SubmitPlcOperation;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::value::Data;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::{AccountSession, SessionError};
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::XrpcError;

/// The PLC directory allows at most this many rotation keys.
pub const MAX_ROTATION_KEYS: usize = 5;

/// One service entry of a DID (e.g. `atproto_pds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlcService {
    /// Service type, e.g. `AtprotoPersonalDataServer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its URL.
    pub endpoint: String,
}

/// The four fields a PLC operation sets: what the DID document says and who may change it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PlcFields {
    /// `did:key`s allowed to sign the next operation, highest priority first.
    pub rotation_keys: Vec<String>,
    /// Signing keys by id; `atproto` is the repository signing key.
    pub verification_methods: BTreeMap<String, String>,
    /// Aliases; the first `at://` entry is the handle.
    pub also_known_as: Vec<String>,
    /// Services by id; `atproto_pds` is the account's PDS.
    pub services: BTreeMap<String, PlcService>,
}

/// The current PLC data of a DID, as the directory serves it (`GET <plc>/<did>/data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlcData {
    /// The DID.
    pub did: String,
    /// Its fields.
    #[serde(flatten)]
    pub fields: PlcFields,
}

/// One entry of a DID's history (`GET <plc>/<did>/log/audit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Content id of the operation; the next operation's `prev`.
    pub cid: String,
    /// When the directory accepted it (RFC 3339).
    pub created_at: String,
    /// True when a higher-priority rotation key overrode it.
    pub nullified: bool,
    /// The signed operation.
    pub operation: Value,
}

/// A PLC operation signed by a PDS, ready to submit. Kept as the exact JSON that was signed:
/// re-encoding it could change what the signature covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignedOperation(Value);

impl SignedOperation {
    /// Checks that `json` is a signed, non-genesis update operation (what a PDS can submit).
    pub fn from_json(json: Value) -> Result<Self, PlcError> {
        let bad = |why: &str| Err(PlcError::BadOperation(why.to_owned()));
        if json.get("type").and_then(Value::as_str) != Some("plc_operation") {
            return bad("its type is not plc_operation");
        }
        if json.get("sig").and_then(Value::as_str).is_none() {
            return bad("it is not signed (sign it first with `plc sign`)");
        }
        if json.get("prev").and_then(Value::as_str).is_none() {
            return bad("it has no prev: a genesis operation cannot be submitted through a PDS");
        }
        serde_json::from_value::<PlcFields>(json.clone())
            .map_err(|e| PlcError::BadOperation(e.to_string()))?;
        Ok(Self(json))
    }

    /// The operation as JSON, to save or show.
    pub fn json(&self) -> &Value {
        &self.0
    }

    /// The fields it sets.
    pub fn fields(&self) -> PlcFields {
        serde_json::from_value(self.0.clone()).expect("checked when the operation was made")
    }
}

/// What a [`merge`] keeps from the DID's current data.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The rotation keys of the PDS the account leaves (its own `getRecommendedDidCredentials`
    /// `rotationKeys`), which the result drops. Every other current rotation key counts as the
    /// person's own and is kept above the new PDS's keys. Leave it empty only when the old PDS
    /// cannot be asked: then its key stays, and keeps the power to change the identity.
    pub old_pds_keys: Vec<String>,
}

/// How one field changes, for a confirmation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// An entry is new.
    Added,
    /// An entry goes away.
    Removed,
    /// An entry keeps its name but gets a new value.
    Changed,
    /// A rotation key changes priority.
    Moved,
}

/// One change between two sets of PLC fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `rotationKeys`, `verificationMethods`, `alsoKnownAs` or `services`.
    pub field: &'static str,
    /// What happens.
    pub kind: ChangeKind,
    /// The entry: a key, an alias, or a method/service id.
    pub item: String,
    /// The old value (or old position), when there was one.
    pub before: Option<String>,
    /// The new value (or new position), when there is one.
    pub after: Option<String>,
    /// The change in one technical line, as goat prints it (the CLI, the log).
    pub description: String,
    /// The change in words a person reads ([`words::say`]).
    pub plain: String,
}

/// The result of a change applied through the PDS.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// The DID.
    pub did: String,
    /// The fields before.
    pub before: PlcFields,
    /// The fields now.
    pub after: PlcFields,
    /// What changed.
    pub changes: Vec<Change>,
    /// The operation that was submitted.
    pub operation: SignedOperation,
}

/// Why a PLC operation failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum PlcError {
    /// Finding the account or its session failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The call to the PDS failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The DID is not a `did:plc` (did:web identities are changed on their web server).
    #[error("{did} is not a did:plc; PLC operations only apply to did:plc identities")]
    NotPlc {
        /// The DID.
        did: String,
    },
    /// The PLC directory could not be read.
    #[error("could not read {did} from the PLC directory: {detail}")]
    Directory {
        /// The DID.
        did: String,
        /// What went wrong.
        detail: String,
    },
    /// The directory does not know the DID.
    #[error("the PLC directory has no identity {did}")]
    UnknownDid {
        /// The DID.
        did: String,
    },
    /// The identity was deactivated for good (tombstoned).
    #[error("{did} is tombstoned in the PLC directory: it can no longer change")]
    Tombstoned {
        /// The DID.
        did: String,
    },
    /// The PDS needs the emailed code to sign.
    #[error("the PDS needs the code it emails to sign a PLC operation")]
    CodeNeeded,
    /// The emailed code is not the one the PDS sent.
    #[error("the emailed PLC code is wrong")]
    WrongCode,
    /// The emailed code is older than the PDS accepts (15 minutes).
    #[error("the emailed PLC code has expired")]
    ExpiredCode,
    /// More rotation keys than the directory allows.
    #[error(
        "that makes {count} rotation keys; the PLC directory allows at most {MAX_ROTATION_KEYS}"
    )]
    TooManyRotationKeys {
        /// How many there would be.
        count: usize,
    },
    /// The key is already a rotation key.
    #[error("{key} is already a rotation key of this identity")]
    KeyAlreadyPresent {
        /// The key.
        key: String,
    },
    /// Not a public `did:key` of a curve atproto uses.
    #[error("{key:?} is not a secp256k1 or P-256 did:key")]
    BadKey {
        /// What was given.
        key: String,
    },
    /// The fields or operation given are not readable.
    #[error("not a usable PLC operation: {0}")]
    BadOperation(String),
    /// The PDS refused to submit the operation (its checks, or the directory's).
    #[error("the PDS refused the PLC operation: {reason}")]
    Refused {
        /// The server's reason.
        reason: String,
    },
}

impl Explain for PlcError {
    fn explain(&self) -> Problem {
        let p = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            PlcError::Accounts(e) => e.explain(),
            PlcError::Session(e) => e.explain(),
            PlcError::NotPlc { .. } => p("not_plc", None),
            PlcError::Directory { .. } => p(
                "plc_unreachable",
                Some("Check your connection; the PLC directory may be down (STRATOS_PLC_URL)."),
            ),
            PlcError::UnknownDid { .. } => p(
                "plc_unknown_did",
                Some("Check the DID, and that STRATOS_PLC_URL names the directory it lives in."),
            ),
            PlcError::Tombstoned { .. } => p("plc_tombstoned", None),
            PlcError::CodeNeeded => p(
                "code_needed",
                Some(
                    "Request a code first (`stratos account plc request-token`), then pass it with --token.",
                ),
            ),
            PlcError::ExpiredCode => p(
                "expired_code",
                Some(
                    "Codes live 15 minutes. Ask for a new one (run again without the code) and use it at once.",
                ),
            ),
            PlcError::WrongCode => p(
                "wrong_code",
                Some(
                    "Copy the newest code from the email exactly, or request a new one (codes expire after 15 minutes).",
                ),
            ),
            PlcError::TooManyRotationKeys { .. } => {
                p("too_many_rotation_keys", Some("Remove a key first."))
            }
            PlcError::KeyAlreadyPresent { .. } => p("key_already_present", None),
            PlcError::BadKey { .. } => p(
                "bad_key",
                Some(
                    "Give a public key such as did:key:zQ3sh… (`stratos key generate` makes one).",
                ),
            ),
            PlcError::BadOperation(_) => p("bad_operation", None),
            PlcError::Refused { .. } => p(
                "plc_refused",
                Some(
                    "Submit through the PDS named in the operation, with its key among the rotation keys.",
                ),
            ),
        }
    }
}

/// The fields the account's PDS would like the DID to have for it to host the account
/// (`com.atproto.identity.getRecommendedDidCredentials`): its rotation key, the account's signing
/// key, the handle and the PDS address.
pub async fn recommended(session: &AccountSession) -> Result<PlcFields, PlcError> {
    let out = session.call(&GetRecommendedDidCredentials).await?;
    let json = serde_json::to_value(&out).map_err(|e| PlcError::BadOperation(e.to_string()))?;
    serde_json::from_value(json).map_err(|e| PlcError::BadOperation(e.to_string()))
}

/// Asks the PDS to email the code that [`sign`] needs
/// (`com.atproto.identity.requestPlcOperationSignature`). Codes expire after 15 minutes.
pub async fn request_token(session: &AccountSession) -> Result<(), PlcError> {
    session.call(&RequestPlcOperationSignature).await?;
    log::info!("requested a PLC operation code for {}", session.did());
    Ok(())
}

/// Has the PDS sign an operation that sets exactly `fields` (`signPlcOperation`). All four fields
/// are always sent, because the PDS replaces each field it is given and keeps the others.
pub async fn sign(
    session: &AccountSession,
    token: &str,
    fields: &PlcFields,
) -> Result<SignedOperation, PlcError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(PlcError::CodeNeeded);
    }
    check_keys(&fields.rotation_keys)?;
    let req = SignPlcOperation::<SmolStr> {
        also_known_as: Some(fields.also_known_as.iter().map(SmolStr::new).collect()),
        rotation_keys: Some(fields.rotation_keys.iter().map(SmolStr::new).collect()),
        services: Some(to_data(&fields.services)?),
        verification_methods: Some(to_data(&fields.verification_methods)?),
        token: Some(SmolStr::new(token)),
        extra_data: None,
    };
    let out = session.call(&req).await.map_err(code_error)?;
    let json =
        serde_json::to_value(&out.operation).map_err(|e| PlcError::BadOperation(e.to_string()))?;
    log::info!("the PDS signed a PLC operation for {}", session.did());
    SignedOperation::from_json(json)
}

/// A value as the lexicon's untyped `Data`, the form jacquard sends.
fn to_data<T: Serialize>(value: &T) -> Result<Data<SmolStr>, PlcError> {
    let json = serde_json::to_value(value).map_err(|e| PlcError::BadOperation(e.to_string()))?;
    serde_json::from_value(json).map_err(|e| PlcError::BadOperation(e.to_string()))
}

/// Has the PDS send a signed operation to the PLC directory (`submitPlcOperation`). The PDS
/// checks that the operation keeps it as the account's PDS (its rotation key, endpoint, the
/// account's signing key and handle) before passing it on.
pub async fn submit(session: &AccountSession, op: &SignedOperation) -> Result<(), PlcError> {
    let req = SubmitPlcOperation::<SmolStr> {
        operation: to_data(&op.0)?,
        extra_data: None,
    };
    session.call(&req).await.map_err(|e| match e {
        SessionError::Xrpc(XrpcError::Server {
            status: 400,
            message,
            error,
            ..
        }) => PlcError::Refused {
            reason: message.unwrap_or(error),
        },
        other => other.into(),
    })?;
    log::info!("submitted a PLC operation for {}", session.did());
    Ok(())
}

/// The DID's current data from the PLC directory named in the configuration.
pub async fn current(accounts: &Accounts, did: &str) -> Result<PlcData, PlcError> {
    let json = directory_get(accounts, did, "data").await?;
    serde_json::from_value(json).map_err(|e| PlcError::Directory {
        did: did.to_owned(),
        detail: format!("unexpected data: {e}"),
    })
}

/// The DID's full history from the PLC directory, oldest first.
pub async fn audit(accounts: &Accounts, did: &str) -> Result<Vec<AuditEntry>, PlcError> {
    let json = directory_get(accounts, did, "log/audit").await?;
    serde_json::from_value(json).map_err(|e| PlcError::Directory {
        did: did.to_owned(),
        detail: format!("unexpected audit log: {e}"),
    })
}

async fn directory_get(accounts: &Accounts, did: &str, path: &str) -> Result<Value, PlcError> {
    directory::get(accounts, did, path).await
}

/// The fields to sign when the account moves to the PDS that recommended `recommended`.
///
/// Rules, so that moving never takes power away from the person:
/// - rotation keys: the person's own keys first, in their order, then the new PDS's keys. The
///   person's keys are the current keys that are neither the old PDS's ([`MergeOptions`]) nor the
///   new PDS's. At most [`MAX_ROTATION_KEYS`] in all.
/// - verification methods and services: the recommended entries (`atproto`, `atproto_pds`) replace
///   the current ones with the same id; entries with other ids (e.g. a labeler) are kept.
/// - aliases: the recommended ones first (the handle must come first), then the current ones
///   except the current handle (the first `at://` alias), which the new handle replaces.
pub fn merge(
    current: &PlcFields,
    recommended: &PlcFields,
    options: &MergeOptions,
) -> Result<PlcFields, PlcError> {
    let mut rotation_keys: Vec<String> = current
        .rotation_keys
        .iter()
        .filter(|k| !options.old_pds_keys.contains(k) && !recommended.rotation_keys.contains(k))
        .cloned()
        .collect();
    for k in &recommended.rotation_keys {
        if !rotation_keys.contains(k) {
            rotation_keys.push(k.clone());
        }
    }
    check_keys(&rotation_keys)?;

    let mut verification_methods = current.verification_methods.clone();
    verification_methods.extend(recommended.verification_methods.clone());
    let mut services = current.services.clone();
    services.extend(recommended.services.clone());

    let old_handle = current
        .also_known_as
        .iter()
        .position(|a| a.starts_with("at://"));
    let mut also_known_as = recommended.also_known_as.clone();
    for (i, alias) in current.also_known_as.iter().enumerate() {
        if Some(i) != old_handle && !also_known_as.contains(alias) {
            also_known_as.push(alias.clone());
        }
    }
    Ok(PlcFields {
        rotation_keys,
        verification_methods,
        also_known_as,
        services,
    })
}

/// `fields` with `key` added as a rotation key: first (highest priority) or last.
pub fn with_rotation_key(
    fields: &PlcFields,
    key: &str,
    first: bool,
) -> Result<PlcFields, PlcError> {
    let key = key.trim();
    check_did_key(key)?;
    if fields.rotation_keys.iter().any(|k| k == key) {
        return Err(PlcError::KeyAlreadyPresent {
            key: key.to_owned(),
        });
    }
    let mut out = fields.clone();
    if first {
        out.rotation_keys.insert(0, key.to_owned());
    } else {
        out.rotation_keys.push(key.to_owned());
    }
    check_keys(&out.rotation_keys)?;
    Ok(out)
}

/// Fields from a JSON document that may set only some of them (as `goat account plc sign` reads
/// a file): the ones it leaves out are taken from `current`, so nothing is dropped by accident.
pub fn fields_from_partial(json: &Value, current: &PlcFields) -> Result<PlcFields, PlcError> {
    let Some(given) = json.as_object() else {
        return Err(PlcError::BadOperation("expected a JSON object".into()));
    };
    let mut merged = serde_json::to_value(current).expect("PLC fields always serialise");
    for name in [
        "rotationKeys",
        "verificationMethods",
        "alsoKnownAs",
        "services",
    ] {
        if let Some(v) = given.get(name) {
            merged[name] = v.clone();
        }
    }
    serde_json::from_value(merged).map_err(|e| PlcError::BadOperation(e.to_string()))
}

/// Adds `key` as a rotation key through the account's PDS: reads the current data, signs the
/// complete fields with the emailed `token`, submits, and returns what changed.
pub async fn add_rotation_key(
    accounts: &Accounts,
    did: &str,
    key: &str,
    first: bool,
    token: &str,
) -> Result<Applied, PlcError> {
    let before = current(accounts, did).await?.fields;
    let after = with_rotation_key(&before, key, first)?;
    let session = accounts.session(did).await?;
    let operation = sign(&session, token, &after).await?;
    submit(&session, &operation).await?;
    guard::remember_submitted(accounts, did, operation.json()).await;
    log::info!("added rotation key {key} to {did}");
    Ok(Applied {
        did: did.to_owned(),
        changes: diff(&before, &after),
        before,
        after,
        operation,
    })
}

/// What changes from `before` to `after`, in the order a person reads a DID: rotation keys,
/// signing keys, aliases, services.
pub fn diff(before: &PlcFields, after: &PlcFields) -> Vec<Change> {
    diff_for(before, after, &words::Holders::default())
}

/// [`diff`], with each change said in words that name who holds each key (the person, the new
/// server, the old one), as far as the caller knows.
pub fn diff_for(before: &PlcFields, after: &PlcFields, holders: &words::Holders) -> Vec<Change> {
    let mut out = raw_diff(before, after);
    for c in &mut out {
        c.plain = words::say(c, &after.rotation_keys, holders);
    }
    out
}

fn raw_diff(before: &PlcFields, after: &PlcFields) -> Vec<Change> {
    let mut out = Vec::new();
    let change = |field, kind, item: &str, before: Option<String>, after: Option<String>| {
        let description = match kind {
            ChangeKind::Added => format!(
                "{field}: add {item}{}",
                after
                    .as_deref()
                    .filter(|a| *a != item)
                    .map(|a| format!(" = {a}"))
                    .unwrap_or_default()
            ),
            ChangeKind::Removed => format!("{field}: remove {item}"),
            ChangeKind::Changed => format!(
                "{field}: {item} changes from {} to {}",
                before.as_deref().unwrap_or(""),
                after.as_deref().unwrap_or("")
            ),
            ChangeKind::Moved => format!(
                "{field}: {item} moves from priority {} to {}",
                before.as_deref().unwrap_or(""),
                after.as_deref().unwrap_or("")
            ),
        };
        Change {
            field,
            kind,
            item: item.to_owned(),
            before,
            after,
            description,
            plain: String::new(),
        }
    };

    let (old, new) = (&before.rotation_keys, &after.rotation_keys);
    for (i, k) in new.iter().enumerate() {
        match old.iter().position(|o| o == k) {
            None => out.push(change(
                "rotationKeys",
                ChangeKind::Added,
                k,
                None,
                Some((i + 1).to_string()),
            )),
            Some(j) if j != i => out.push(change(
                "rotationKeys",
                ChangeKind::Moved,
                k,
                Some((j + 1).to_string()),
                Some((i + 1).to_string()),
            )),
            Some(_) => {}
        }
    }
    for k in old.iter().filter(|k| !new.contains(k)) {
        out.push(change("rotationKeys", ChangeKind::Removed, k, None, None));
    }
    for (id, b, a) in map_pairs(&before.verification_methods, &after.verification_methods) {
        push_map_change(&mut out, &change, "verificationMethods", id, b, a);
    }
    for a in after.also_known_as.iter() {
        if !before.also_known_as.contains(a) {
            out.push(change("alsoKnownAs", ChangeKind::Added, a, None, None));
        }
    }
    for b in before.also_known_as.iter() {
        if !after.also_known_as.contains(b) {
            out.push(change("alsoKnownAs", ChangeKind::Removed, b, None, None));
        }
    }
    let show = |s: &PlcService| format!("{} ({})", s.endpoint, s.kind);
    for (id, b, a) in map_pairs(&before.services, &after.services) {
        push_map_change(&mut out, &change, "services", id, b.map(show), a.map(show));
    }
    out
}

type MakeChange<'a> =
    dyn Fn(&'static str, ChangeKind, &str, Option<String>, Option<String>) -> Change + 'a;

fn push_map_change<V: ToString>(
    out: &mut Vec<Change>,
    change: &MakeChange<'_>,
    field: &'static str,
    id: &str,
    before: Option<V>,
    after: Option<V>,
) {
    let (b, a) = (before.map(|v| v.to_string()), after.map(|v| v.to_string()));
    match (&b, &a) {
        (None, Some(_)) => out.push(change(field, ChangeKind::Added, id, None, a)),
        (Some(_), None) => out.push(change(field, ChangeKind::Removed, id, b, None)),
        (Some(x), Some(y)) if x != y => out.push(change(field, ChangeKind::Changed, id, b, a)),
        _ => {}
    }
}

/// Every id of two maps, with its value on each side.
fn map_pairs<'a, V>(
    before: &'a BTreeMap<String, V>,
    after: &'a BTreeMap<String, V>,
) -> Vec<(&'a str, Option<&'a V>, Option<&'a V>)> {
    let mut ids: Vec<&str> = before
        .keys()
        .chain(after.keys())
        .map(String::as_str)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| (id, before.get(id), after.get(id)))
        .collect()
}

/// A public key the PLC directory accepts as a rotation key.
fn check_did_key(key: &str) -> Result<(), PlcError> {
    let bad = || PlcError::BadKey {
        key: key.to_owned(),
    };
    let multibase = key.strip_prefix("did:key:").ok_or_else(bad)?;
    match jacquard_common::types::crypto::PublicKey::decode(multibase) {
        Ok(k)
            if matches!(
                k.codec,
                jacquard_common::types::crypto::KeyCodec::Secp256k1
                    | jacquard_common::types::crypto::KeyCodec::P256
            ) =>
        {
            Ok(())
        }
        _ => Err(bad()),
    }
}

fn check_keys(keys: &[String]) -> Result<(), PlcError> {
    if keys.len() > MAX_ROTATION_KEYS {
        return Err(PlcError::TooManyRotationKeys { count: keys.len() });
    }
    Ok(())
}

/// Maps the PDS's refusals of `signPlcOperation` to what the person did wrong.
fn code_error(e: SessionError) -> PlcError {
    if let SessionError::Xrpc(x) = &e {
        match x.error_name() {
            Some("InvalidToken") => return PlcError::WrongCode,
            Some("ExpiredToken") => return PlcError::ExpiredCode,
            Some("InvalidRequest") if x.to_string().contains("token required") => {
                return PlcError::CodeNeeded;
            }
            _ => {}
        }
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real secp256k1 did:key from a fixed seed, so keys pass the format check.
    fn key(seed: u8) -> String {
        let k = k256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = k.verifying_key().to_encoded_point(true);
        format!(
            "did:key:{}",
            jacquard_common::types::crypto::multikey(0xE7, point.as_bytes())
        )
    }

    /// The person's key, the old PDS's key and the new PDS's key.
    fn keys() -> (&'static str, &'static str, &'static str) {
        static KEYS: std::sync::OnceLock<[String; 3]> = std::sync::OnceLock::new();
        let k = KEYS.get_or_init(|| [key(1), key(2), key(3)]);
        (&k[0], &k[1], &k[2])
    }

    fn service(url: &str) -> PlcService {
        PlcService {
            kind: "AtprotoPersonalDataServer".into(),
            endpoint: url.into(),
        }
    }

    fn current() -> PlcFields {
        let (user, old_pds, _) = keys();
        PlcFields {
            rotation_keys: vec![user.into(), old_pds.into()],
            verification_methods: BTreeMap::from([
                ("atproto".into(), "did:key:zOldSigning".into()),
                ("atproto_label".into(), "did:key:zLabel".into()),
            ]),
            also_known_as: vec!["at://alice.old.test".into(), "https://alice.example".into()],
            services: BTreeMap::from([
                ("atproto_pds".into(), service("https://old.example")),
                (
                    "atproto_labeler".into(),
                    PlcService {
                        kind: "AtprotoLabeler".into(),
                        endpoint: "https://labels.example".into(),
                    },
                ),
            ]),
        }
    }

    fn recommended() -> PlcFields {
        let (_, _, new_pds) = keys();
        PlcFields {
            rotation_keys: vec![new_pds.into()],
            verification_methods: BTreeMap::from([(
                "atproto".into(),
                "did:key:zNewSigning".into(),
            )]),
            also_known_as: vec!["at://alice.new.test".into()],
            services: BTreeMap::from([("atproto_pds".into(), service("https://new.example"))]),
        }
    }

    #[test]
    fn merge_keeps_the_users_keys_first_and_other_entries() {
        let (user, old_pds, new_pds) = keys();
        let opts = MergeOptions {
            old_pds_keys: vec![old_pds.into()],
        };
        let m = merge(&current(), &recommended(), &opts).unwrap();
        assert_eq!(m.rotation_keys, vec![user.to_owned(), new_pds.to_owned()]);
        assert_eq!(m.verification_methods["atproto"], "did:key:zNewSigning");
        assert_eq!(m.verification_methods["atproto_label"], "did:key:zLabel");
        assert_eq!(
            m.also_known_as,
            vec!["at://alice.new.test", "https://alice.example"]
        );
        assert_eq!(m.services["atproto_pds"].endpoint, "https://new.example");
        assert_eq!(m.services["atproto_labeler"].kind, "AtprotoLabeler");
    }

    #[test]
    fn merge_without_old_keys_keeps_them_and_counts_the_limit() {
        let (user, old_pds, new_pds) = keys();
        let m = merge(&current(), &recommended(), &MergeOptions::default()).unwrap();
        assert_eq!(m.rotation_keys, vec![user, old_pds, new_pds]);
        let mut many = current();
        many.rotation_keys = (0..5).map(|i| format!("did:key:zUser{i}")).collect();
        assert!(matches!(
            merge(&many, &recommended(), &MergeOptions::default()),
            Err(PlcError::TooManyRotationKeys { count: 6 })
        ));
    }

    #[test]
    fn merge_on_the_same_pds_changes_nothing() {
        let (_, old_pds, _) = keys();
        let mut rec = recommended();
        rec.rotation_keys = vec![old_pds.into()];
        rec.also_known_as = vec!["at://alice.old.test".into()];
        rec.services = current().services.clone();
        rec.verification_methods =
            BTreeMap::from([("atproto".into(), "did:key:zOldSigning".into())]);
        let m = merge(&current(), &rec, &MergeOptions::default()).unwrap();
        assert_eq!(m, current());
        assert!(diff(&current(), &m).is_empty());
    }

    #[test]
    fn diff_lists_every_change_readably() {
        let (user, old_pds, new_pds) = keys();
        let opts = MergeOptions {
            old_pds_keys: vec![old_pds.into()],
        };
        let m = merge(&current(), &recommended(), &opts).unwrap();
        let lines: Vec<String> = diff(&current(), &m)
            .into_iter()
            .map(|c| c.description)
            .collect();
        assert_eq!(
            lines,
            vec![
                format!("rotationKeys: add {new_pds} = 2"),
                format!("rotationKeys: remove {old_pds}"),
                "verificationMethods: atproto changes from did:key:zOldSigning to did:key:zNewSigning".to_owned(),
                "alsoKnownAs: add at://alice.new.test".to_owned(),
                "alsoKnownAs: remove at://alice.old.test".to_owned(),
                "services: atproto_pds changes from https://old.example (AtprotoPersonalDataServer) to https://new.example (AtprotoPersonalDataServer)".to_owned(),
            ]
        );
        let moved = PlcFields {
            rotation_keys: vec![old_pds.into(), user.into()],
            ..current()
        };
        let d = diff(&current(), &moved);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].kind, ChangeKind::Moved);
        assert_eq!(
            d[0].description,
            format!("rotationKeys: {old_pds} moves from priority 2 to 1")
        );
    }

    #[test]
    fn diff_says_each_change_in_words_naming_who_holds_each_key() {
        let (user, old_pds, new_pds) = keys();
        let opts = MergeOptions {
            old_pds_keys: vec![old_pds.into()],
        };
        let m = merge(&current(), &recommended(), &opts).unwrap();
        let holders = words::Holders {
            yours: vec![user.into()],
            new_server: vec![new_pds.into()],
            old_server: vec![old_pds.into()],
        };
        let lines: Vec<String> = diff_for(&current(), &m, &holders)
            .into_iter()
            .map(|c| c.plain)
            .collect();
        assert_eq!(
            lines,
            vec![
                "Your new server can update your identity, after your own key".to_owned(),
                "Your old server can no longer update your identity".to_owned(),
                "Your posts will be signed by a new key (did:key:zNewSigning)".to_owned(),
                "Your handle becomes alice.new.test".to_owned(),
                "alice.old.test is no longer your handle".to_owned(),
                "Your account's home becomes new.example".to_owned(),
            ]
        );
        // Without holders, a key is shown shortened and its place said.
        let plain = diff(&current(), &m);
        assert!(plain[0].plain.starts_with("The key "), "{}", plain[0].plain);
        assert!(
            plain[0].plain.ends_with("(in place 2)"),
            "{}",
            plain[0].plain
        );
    }

    #[test]
    fn rotation_keys_are_checked_and_placed() {
        let (user, old_pds, _) = keys();
        let base = PlcFields {
            rotation_keys: vec![old_pds.into()],
            ..current()
        };
        let first = with_rotation_key(&base, user, true).unwrap();
        assert_eq!(first.rotation_keys, vec![user, old_pds]);
        let last = with_rotation_key(&base, user, false).unwrap();
        assert_eq!(last.rotation_keys, vec![old_pds, user]);
        assert!(matches!(
            with_rotation_key(&base, old_pds, true),
            Err(PlcError::KeyAlreadyPresent { .. })
        ));
        for bad in [
            "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
            "did:key:zabc",
            "",
        ] {
            assert!(
                matches!(
                    with_rotation_key(&base, bad, true),
                    Err(PlcError::BadKey { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn partial_fields_keep_the_rest_and_operations_are_checked() {
        let (user, _, _) = keys();
        let json = serde_json::json!({ "rotationKeys": [user] });
        let f = fields_from_partial(&json, &current()).unwrap();
        assert_eq!(f.rotation_keys, vec![user]);
        assert_eq!(f.services, current().services);
        assert!(fields_from_partial(&serde_json::json!([1]), &current()).is_err());

        let mut op = serde_json::to_value(current()).unwrap();
        assert!(SignedOperation::from_json(op.clone()).is_err());
        op["type"] = "plc_operation".into();
        op["prev"] = "bafyreia".into();
        assert!(matches!(
            SignedOperation::from_json(op.clone()),
            Err(PlcError::BadOperation(m)) if m.contains("not signed")
        ));
        op["sig"] = "abc".into();
        let signed = SignedOperation::from_json(op.clone()).unwrap();
        assert_eq!(signed.fields(), current());
        op["prev"] = Value::Null;
        assert!(SignedOperation::from_json(op).is_err());
    }
}
