//! PLC operations made and checked on this computer, without a PDS: the unsigned operation, its
//! canonical DAG-CBOR bytes, the signature by a rotation key in the keychain, its CID, the DID a
//! genesis operation names, and sending a signed operation straight to the directory.
//!
//! This is what lets a person act on their identity when their PDS will not (or must not): the
//! directory accepts any operation signed by one of the rotation keys in force, whoever sends it.
//! Encoding follows `@did-plc/lib` (`operations.ts`): the bytes signed are the DAG-CBOR of the
//! operation without `sig`; the CID and the DID hash the DAG-CBOR of the signed operation.
//! The published interop vectors (`tests/data/plc_interop`) check every step against the JS
//! library's own output.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ipld_core::ipld::Ipld;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{PlcError, PlcFields, PlcService};
use crate::accounts::Accounts;
use crate::base::did_key::PublicKey;
use crate::keys::PrivateKey;

/// Multicodec of DAG-CBOR, the codec of an operation's CID.
const DAG_CBOR: u64 = 0x71;
/// Multihash code of SHA-256.
const SHA2_256: u64 = 0x12;
/// How many base32 characters of the genesis hash a `did:plc` keeps.
const DID_HASH_CHARS: usize = 24;

/// What an operation does, once the legacy `create` format is read as a `plc_operation`
/// (as `normalizeOp` in `@did-plc/lib` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A `plc_operation` (or a legacy `create`): the fields the DID has after it.
    Update(PlcFields),
    /// A `plc_tombstone`: the DID is deactivated for good.
    Tombstone,
}

/// An operation's parts that every kind shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// What it does.
    pub content: Content,
    /// The CID of the operation it follows; `None` for a genesis.
    pub prev: Option<String>,
    /// The signature, still base64url text.
    pub sig: String,
}

/// The unsigned `plc_operation` that sets `fields`, following `prev` (`None` for a genesis), as
/// JSON ready for [`sign`].
pub fn unsigned(fields: &PlcFields, prev: Option<&str>) -> Value {
    let mut op = serde_json::to_value(fields).expect("PLC fields always serialise");
    op["type"] = "plc_operation".into();
    op["prev"] = prev.map(Value::from).unwrap_or(Value::Null);
    op
}

/// `op` (without `sig`) signed by `key`: `sig` is the base64url (unpadded) of the low-S r‖s
/// signature over the operation's DAG-CBOR, exactly as `addSignature` in `@did-plc/lib`.
pub fn sign(op: &Value, key: &PrivateKey) -> Result<Value, PlcError> {
    let mut op = op.clone();
    let Some(map) = op.as_object_mut() else {
        return Err(PlcError::BadOperation(
            "an operation is a JSON object".into(),
        ));
    };
    map.remove("sig");
    let bytes = dag_cbor(&op)?;
    let sig = URL_SAFE_NO_PAD.encode(key.sign(&bytes));
    op["sig"] = sig.into();
    Ok(op)
}

/// The canonical DAG-CBOR of a JSON value: map keys ordered by length, then bytes (the
/// serializer sorts every map; the interop vectors' CIDs check it).
pub fn dag_cbor(value: &Value) -> Result<Vec<u8>, PlcError> {
    serde_ipld_dagcbor::to_vec(&to_ipld(value)?)
        .map_err(|e| PlcError::BadOperation(format!("cannot encode it as DAG-CBOR: {e}")))
}

fn to_ipld(value: &Value) -> Result<Ipld, PlcError> {
    Ok(match value {
        Value::Null => Ipld::Null,
        Value::Bool(b) => Ipld::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ipld::Integer(i.into()),
            None => {
                return Err(PlcError::BadOperation(format!(
                    "{n} is not an integer; PLC operations hold none"
                )));
            }
        },
        Value::String(s) => Ipld::String(s.clone()),
        Value::Array(items) => Ipld::List(items.iter().map(to_ipld).collect::<Result<_, _>>()?),
        Value::Object(map) => Ipld::Map(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), to_ipld(v)?)))
                .collect::<Result<BTreeMap<_, _>, PlcError>>()?,
        ),
    })
}

/// The CID of a signed operation (CIDv1, dag-cbor, sha-256, base32 `b…`): what the next
/// operation names as `prev`, and what the directory lists it by.
pub fn cid(op: &Value) -> Result<String, PlcError> {
    let digest = Sha256::digest(dag_cbor(op)?);
    let hash = cid::multihash::Multihash::<64>::wrap(SHA2_256, &digest)
        .expect("a sha-256 digest fits a 64-byte multihash");
    Ok(cid::Cid::new_v1(DAG_CBOR, hash).to_string())
}

/// The `did:plc` a signed genesis operation creates: `did:plc:` + the first 24 characters of the
/// base32 (lower case) SHA-256 of its DAG-CBOR.
pub fn genesis_did(op: &Value) -> Result<String, PlcError> {
    let digest = Sha256::digest(dag_cbor(op)?);
    let b32 = multibase::Base::Base32Lower.encode(digest);
    Ok(format!("did:plc:{}", &b32[..DID_HASH_CHARS]))
}

/// Reads a signed operation of any kind the directory serves: `plc_operation`, `plc_tombstone`,
/// or the legacy genesis `create` (normalised as `@did-plc/lib`'s `normalizeOp`: rotation keys
/// `[recoveryKey, signingKey]`, the handle as `at://` alias, the service as `atproto_pds`).
pub fn parse(op: &Value) -> Result<Parsed, PlcError> {
    let bad = |why: String| PlcError::BadOperation(why);
    let text = |name: &str| {
        op.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("its {name} is missing or not text")))
    };
    let sig = text("sig")?;
    let prev = match op.get("prev") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("its prev is not a CID".into())),
    };
    let content = match op.get("type").and_then(Value::as_str) {
        Some("plc_operation") => {
            Content::Update(serde_json::from_value(op.clone()).map_err(|e| bad(e.to_string()))?)
        }
        Some("plc_tombstone") => Content::Tombstone,
        Some("create") => {
            let signing = text("signingKey")?;
            Content::Update(PlcFields {
                rotation_keys: vec![text("recoveryKey")?, signing.clone()],
                verification_methods: BTreeMap::from([("atproto".to_owned(), signing)]),
                also_known_as: vec![at_alias(&text("handle")?)],
                services: BTreeMap::from([(
                    "atproto_pds".to_owned(),
                    PlcService {
                        kind: "AtprotoPersonalDataServer".into(),
                        endpoint: http_url(&text("service")?),
                    },
                )]),
            })
        }
        other => return Err(bad(format!("unknown operation type {other:?}"))),
    };
    Ok(Parsed { content, prev, sig })
}

/// `ensureAtprotoPrefix` of `@did-plc/lib`.
fn at_alias(handle: &str) -> String {
    if handle.starts_with("at://") {
        return handle.to_owned();
    }
    format!(
        "at://{}",
        handle
            .replacen("http://", "", 1)
            .replacen("https://", "", 1)
    )
}

/// `ensureHttpPrefix` of `@did-plc/lib`.
fn http_url(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    }
}

/// Which of `keys` signed `op`: the index of the first key (highest priority) whose signature
/// check passes, as `assureValidSig` picks it; `None` when none did. A signature that is not
/// strict base64url (padding, stray characters) or not 64 bytes r‖s low-S counts as no
/// signature, as the directory refuses it. Keys that do not parse are skipped.
pub fn signer_index(op: &Value, keys: &[String]) -> Result<Option<usize>, PlcError> {
    let Some(sig) = op.get("sig").and_then(Value::as_str) else {
        return Err(PlcError::BadOperation("it is not signed".into()));
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return Ok(None);
    };
    let mut unsigned = op.clone();
    unsigned
        .as_object_mut()
        .expect("an object, since it has a sig")
        .remove("sig");
    let bytes = dag_cbor(&unsigned)?;
    Ok(keys
        .iter()
        .position(|k| PublicKey::parse(k).is_ok_and(|public| public.verify(&bytes, &sig))))
}

/// Sends a signed operation straight to the PLC directory (`POST <plc>/<did>`), as any key
/// holder may: no PDS involved. The directory checks it against the DID's history and refuses it
/// with a reason, which [`PlcError::Refused`] carries.
pub async fn publish(accounts: &Accounts, did: &str, op: &Value) -> Result<(), PlcError> {
    super::directory::post(accounts, did, op).await?;
    log::info!("sent a locally signed PLC operation for {did} to the directory");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyType;

    #[test]
    fn a_signed_genesis_verifies_and_names_its_did() {
        let key = PrivateKey::generate(KeyType::K256).unwrap();
        let fields = PlcFields {
            rotation_keys: vec![key.did_key()],
            ..PlcFields::default()
        };
        let op = sign(&unsigned(&fields, None), &key).unwrap();
        assert_eq!(signer_index(&op, &fields.rotation_keys).unwrap(), Some(0));
        let did = genesis_did(&op).unwrap();
        assert!(did.starts_with("did:plc:") && did.len() == 32, "{did}");
        assert!(cid(&op).unwrap().starts_with("bafyrei"));
        let mut forged = op.clone();
        forged["alsoKnownAs"] = serde_json::json!(["at://mallory.test"]);
        assert_eq!(signer_index(&forged, &fields.rotation_keys).unwrap(), None);
        let parsed = parse(&op).unwrap();
        assert_eq!(parsed.content, Content::Update(fields));
        assert_eq!(parsed.prev, None);
    }

    #[test]
    fn map_keys_are_ordered_by_length_then_bytes() {
        let op = serde_json::json!({"prev": null, "type": "t", "sig": "s", "services": {}});
        let bytes = dag_cbor(&op).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let at = |k: &str| text.find(k).unwrap();
        assert!(at("sig") < at("prev") && at("prev") < at("type") && at("type") < at("services"));
        assert!(dag_cbor(&serde_json::json!({"n": 1.5})).is_err());
    }
}
