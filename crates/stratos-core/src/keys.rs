//! atproto keypairs held in the OS keychain: a recovery (rotation) key for a PLC identity, or a
//! signing key for offline service auth.
//!
//! Keys are secp256k1 (`k256`, what the reference PDS uses) or P-256. The private key is stored
//! only in the keychain, under `key:<did:key>` in the same service as the sessions; `state.json`
//! keeps a public index (the `did:key`, the curve, when it was made) so keys can be listed without
//! unlocking anything. Formats follow the atproto cryptography spec: the public key is a `did:key`
//! (multicodec `secp256k1-pub` 0xe7 or `p256-pub` 0x1200, compressed point, base58btc), the private
//! key a multibase string (`secp256k1-priv` 0x1301 or `p256-priv` 0x1306), as goat prints it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use jacquard_common::types::crypto::multikey;
use serde::Serialize;

use crate::accounts::Accounts;
use crate::base::problem::{Explain, Problem};
use crate::store::keychain::{KeychainError, SecretStore, Slot};
use crate::store::state::StateError;
pub use crate::store::state::{KeyRecord, KeyType};

impl std::str::FromStr for KeyType {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "k256" | "secp256k1" => Ok(KeyType::K256),
            "p256" | "p-256" => Ok(KeyType::P256),
            other => Err(KeyError::BadKey(format!(
                "{other:?} is not a key type (k256 or p256)"
            ))),
        }
    }
}

/// Multicodec prefixes (varint) of private keys: secp256k1-priv 0x1301, p256-priv 0x1306.
const K256_PRIV: [u8; 2] = [0x81, 0x26];
const P256_PRIV: [u8; 2] = [0x86, 0x26];

/// A private atproto key of either curve. `{:?}` never shows the secret.
#[derive(Clone)]
pub enum PrivateKey {
    /// secp256k1.
    K256(k256::ecdsa::SigningKey),
    /// P-256.
    P256(p256::ecdsa::SigningKey),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.did_key())
    }
}

impl PrivateKey {
    /// A new random key from the operating system's random source.
    pub fn generate(kind: KeyType) -> Result<Self, KeyError> {
        // Random bytes outside the curve order are rejected by `from_slice`; retrying is the
        // standard way (and happens with probability ~2^-128).
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
            let key = match kind {
                KeyType::K256 => k256::ecdsa::SigningKey::from_slice(&bytes)
                    .ok()
                    .map(PrivateKey::K256),
                KeyType::P256 => p256::ecdsa::SigningKey::from_slice(&bytes)
                    .ok()
                    .map(PrivateKey::P256),
            };
            if let Some(key) = key {
                return Ok(key);
            }
        }
    }

    /// Reads a multibase private key (as goat prints it and [`PrivateKey::to_multibase`] writes).
    pub fn from_multibase(input: &str) -> Result<Self, KeyError> {
        let input = input.trim();
        let bad = |what: &str| KeyError::BadKey(what.to_owned());
        let (_, bytes) = multibase::decode(input).map_err(|_| {
            bad(if input.starts_with("did:key:") {
                "this is a public did:key, not a private key"
            } else {
                "not multibase"
            })
        })?;
        match (bytes.get(..2), bytes.get(2..)) {
            (Some(p), Some(raw)) if p == K256_PRIV => k256::ecdsa::SigningKey::from_slice(raw)
                .map(PrivateKey::K256)
                .map_err(|_| bad("invalid secp256k1 key bytes")),
            (Some(p), Some(raw)) if p == P256_PRIV => p256::ecdsa::SigningKey::from_slice(raw)
                .map(PrivateKey::P256)
                .map_err(|_| bad("invalid P-256 key bytes")),
            _ => Err(bad(
                "unknown key type (expected secp256k1-priv or p256-priv)",
            )),
        }
    }

    /// The private key as multibase (base58btc): the secret itself, for the keychain or an
    /// export the person asked for.
    pub fn to_multibase(&self) -> String {
        let (prefix, raw) = match self {
            PrivateKey::K256(k) => (K256_PRIV, k.to_bytes().to_vec()),
            PrivateKey::P256(k) => (P256_PRIV, k.to_bytes().to_vec()),
        };
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&raw);
        multibase::encode(multibase::Base::Base58Btc, bytes)
    }

    /// The secret as 24 BIP-39 English words, to write on paper: the 32 secret bytes are the
    /// entropy (256 bits, plus an 8-bit checksum, makes 24 words of 11 bits). Only secp256k1
    /// keys: the words do not say the curve, so [`PrivateKey::from_words`] reads them as k256.
    pub fn to_words(&self) -> Result<String, KeyError> {
        let PrivateKey::K256(k) = self else {
            return Err(KeyError::BadKey(
                "only secp256k1 (k256) keys can be written as words".into(),
            ));
        };
        let words = bip39::Mnemonic::from_entropy(&k.to_bytes())
            .expect("32 bytes are valid BIP-39 entropy");
        Ok(words.to_string())
    }

    /// Reads the 24 words [`PrivateKey::to_words`] writes (any case, any spacing) back into the
    /// secp256k1 key. A word not in the list is named by its position; a typo that lands on
    /// another listed word is caught by the checksum.
    pub fn from_words(text: &str) -> Result<Self, KeyError> {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        if words.len() != 24 {
            return Err(KeyError::WordCount { count: words.len() });
        }
        let mnemonic =
            bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words.join(" "))
                .map_err(|e| match e {
                    bip39::Error::UnknownWord(i) => KeyError::UnknownWord {
                        position: i + 1,
                        word: words[i].clone(),
                    },
                    _ => KeyError::WordChecksum,
                })?;
        k256::ecdsa::SigningKey::from_slice(&mnemonic.to_entropy())
            .map(PrivateKey::K256)
            .map_err(|_| KeyError::BadKey("the words do not make a valid secp256k1 key".into()))
    }

    /// Which curve.
    pub fn kind(&self) -> KeyType {
        match self {
            PrivateKey::K256(_) => KeyType::K256,
            PrivateKey::P256(_) => KeyType::P256,
        }
    }

    /// The JWT algorithm name (`ES256K` or `ES256`).
    pub fn alg(&self) -> &'static str {
        match self {
            PrivateKey::K256(_) => "ES256K",
            PrivateKey::P256(_) => "ES256",
        }
    }

    /// SHA-256 ECDSA, as 64 bytes r‖s with s normalised to the low half (atproto requires it).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use k256::ecdsa::signature::Signer;
        match self {
            PrivateKey::K256(k) => {
                let sig: k256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
            }
            PrivateKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
            }
        }
    }

    /// The public key as a `did:key` (compressed point, multicodec-prefixed, base58btc).
    pub fn did_key(&self) -> String {
        let key = match self {
            PrivateKey::K256(k) => {
                multikey(0xE7, &k.verifying_key().to_encoded_point(true).to_bytes())
            }
            PrivateKey::P256(k) => {
                multikey(0x1200, &k.verifying_key().to_encoded_point(true).to_bytes())
            }
        };
        format!("did:key:{key}")
    }
}

/// Where an export went.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    /// The key.
    pub did_key: String,
    /// The file written (readable by its owner only).
    pub path: PathBuf,
}

/// What to tell a person before they export a private key.
pub const EXPORT_WARNING: &str = "This file holds a private key. Anyone who reads it can take over \
every identity that lists the key. Keep it offline (a password manager or a USB stick in a drawer), \
never share it, and delete this copy once it is safe elsewhere.";

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The keychain failed.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The key index in the state file could not be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// No key with that `did:key` is in the keychain.
    #[error("no private key for {did_key} is in the keychain")]
    NotFound {
        /// The key asked for.
        did_key: String,
    },
    /// Text that is not a key (or not of a supported kind).
    #[error("not a usable key: {0}")]
    BadKey(String),
    /// Recovery words: not 24 of them.
    #[error("expected 24 words, got {count}")]
    WordCount {
        /// How many were given.
        count: usize,
    },
    /// Recovery words: one is not in the BIP-39 English list.
    #[error("word {position} ({word:?}) is not in the BIP-39 English word list")]
    UnknownWord {
        /// 1-based position.
        position: usize,
        /// The word as typed.
        word: String,
    },
    /// Recovery words: every word is listed but they do not fit together.
    #[error("the words do not add up (checksum): one of them is mistyped or out of order")]
    WordChecksum,
    /// The system's random source failed.
    #[error("the system random number source failed: {0}")]
    Random(String),
    /// The export file already exists.
    #[error("{} already exists; choose a new file name", path.display())]
    FileExists {
        /// The file.
        path: PathBuf,
    },
    /// The export file could not be written.
    #[error("could not write {}: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why, in plain words ([`crate::base::plain::io`]).
        reason: &'static str,
        /// The system's own words, for the log and "Details".
        detail: String,
    },
}

impl Explain for KeyError {
    fn explain(&self) -> Problem {
        let p = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            KeyError::Keychain(e) => e.explain(),
            KeyError::State(e) => Problem::new(
                "state_file",
                e,
                Some("Check that the Stratos data folder is writable."),
            ),
            KeyError::NotFound { .. } => p(
                "key_not_found",
                Some("`stratos key list` shows the keys this computer holds."),
            ),
            KeyError::BadKey(_) => p(
                "bad_key",
                Some(
                    "A public key looks like did:key:zQ3sh…; a private key is multibase (starts with z).",
                ),
            ),
            KeyError::WordCount { .. } | KeyError::UnknownWord { .. } | KeyError::WordChecksum => {
                p(
                    "bad_recovery_words",
                    Some("Type the 24 words exactly as written, in order, separated by spaces."),
                )
            }
            KeyError::Random(_) => p("internal", None),
            KeyError::FileExists { .. } => p("file_exists", None),
            KeyError::Write { detail, .. } => {
                p("write_failed", Some("Choose a folder you can write to."))
                    .with_detail(detail.clone())
            }
        }
    }
}

/// Runs keychain work off the async threads (keychain calls block).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
) -> Result<T, KeyError> {
    tokio::task::spawn_blocking(work)
        .await
        .expect("keychain work does not panic")
}

/// Makes a new key, stores its private half in the keychain and lists it.
pub async fn generate(accounts: &Accounts, kind: KeyType) -> Result<KeyRecord, KeyError> {
    let key = PrivateKey::generate(kind)?;
    let record = KeyRecord {
        did_key: key.did_key(),
        kind,
        created_at: Utc::now(),
    };
    let store = accounts.context().secrets();
    let name = Slot::Key(&record.did_key).name();
    blocking(move || Ok(store.set(&name, &key.to_multibase())?)).await?;
    let kept = record.clone();
    accounts.context().state_file().update(move |s| {
        s.keys.retain(|k| k.did_key != kept.did_key);
        s.keys.push(kept);
    })?;
    log::info!("generated {:?} key {}", kind, record.did_key);
    Ok(record)
}

/// Removes a key from the keychain and the index. Only for keys nothing uses yet (a recovery key
/// whose account could not be created): a key listed in an identity must never be lost.
pub(crate) async fn forget(accounts: &Accounts, did_key: &str) -> Result<(), KeyError> {
    let store = accounts.context().secrets();
    let name = Slot::Key(did_key).name();
    blocking(move || Ok(store.delete(&name)?)).await?;
    let did_key = did_key.to_owned();
    accounts
        .context()
        .state_file()
        .update(move |s| s.keys.retain(|k| k.did_key != did_key))?;
    Ok(())
}

/// The keys this computer holds, oldest first.
pub fn list(accounts: &Accounts) -> Result<Vec<KeyRecord>, KeyError> {
    Ok(accounts.context().state_file().load()?.keys)
}

/// The private key for `did_key`, from the keychain.
pub async fn load(accounts: &Accounts, did_key: &str) -> Result<PrivateKey, KeyError> {
    load_from(accounts.context().secrets(), did_key).await
}

async fn load_from(store: Arc<dyn SecretStore>, did_key: &str) -> Result<PrivateKey, KeyError> {
    let did_key = did_key.trim().to_owned();
    let name = Slot::Key(&did_key).name();
    let secret = blocking(move || Ok(store.get(&name)?)).await?;
    let key = secret
        .ok_or_else(|| KeyError::NotFound {
            did_key: did_key.clone(),
        })
        .and_then(|s| PrivateKey::from_multibase(&s))?;
    if key.did_key() != did_key {
        return Err(KeychainError::Damaged(Slot::Key(&did_key).name()).into());
    }
    Ok(key)
}

/// Writes the private key of `did_key` as multibase to a new file `path`, readable by its owner
/// only. Refuses to overwrite a file. Show [`EXPORT_WARNING`] first.
pub async fn export(accounts: &Accounts, did_key: &str, path: &Path) -> Result<Exported, KeyError> {
    let key = load(accounts, did_key).await?;
    let path = path.to_path_buf();
    let written = path.clone();
    blocking(move || write_new(&written, &format!("{}\n", key.to_multibase()))).await?;
    log::info!("exported the private key of {did_key} to a file");
    Ok(Exported {
        did_key: did_key.trim().to_owned(),
        path,
    })
}

/// Writes the private key of `did_key` (secp256k1 only) as its 24 recovery words to a new file
/// `path`, readable by its owner only. Show [`EXPORT_WARNING`] first.
pub async fn export_words(
    accounts: &Accounts,
    did_key: &str,
    path: &Path,
) -> Result<Exported, KeyError> {
    let key = load(accounts, did_key).await?;
    let words = key.to_words()?;
    let path = path.to_path_buf();
    let written = path.clone();
    blocking(move || write_new(&written, &format!("{words}\n"))).await?;
    log::info!("exported the recovery words of {did_key} to a file");
    Ok(Exported {
        did_key: did_key.trim().to_owned(),
        path,
    })
}

/// Puts a private key back into the keychain and the index: `text` is either a multibase
/// private key (what [`export`] writes) or the 24 recovery words (what [`export_words`] writes).
pub async fn import(accounts: &Accounts, text: &str) -> Result<KeyRecord, KeyError> {
    let text = text.trim();
    let key = if text.split_whitespace().count() > 1 {
        PrivateKey::from_words(text)?
    } else {
        PrivateKey::from_multibase(text)?
    };
    let record = KeyRecord {
        did_key: key.did_key(),
        kind: key.kind(),
        created_at: Utc::now(),
    };
    let store = accounts.context().secrets();
    let name = Slot::Key(&record.did_key).name();
    blocking(move || Ok(store.set(&name, &key.to_multibase())?)).await?;
    let kept = record.clone();
    accounts.context().state_file().update(move |s| {
        if !s.keys.iter().any(|k| k.did_key == kept.did_key) {
            s.keys.push(kept);
        }
    })?;
    log::info!("imported key {}", record.did_key);
    Ok(record)
}

/// What a public key is, for `key inspect`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspected {
    /// The canonical `did:key`.
    pub did_key: String,
    /// The curve (`type`, as `key list` names it).
    #[serde(rename = "type")]
    pub kind: KeyType,
    /// Whether this computer's keychain index lists its private key.
    pub held: bool,
}

/// Reads a public key (`did:key` or multibase) and says whether this keychain holds it.
pub fn inspect(accounts: &Accounts, input: &str) -> Result<Inspected, KeyError> {
    use crate::base::did_key::PublicKey;
    let key = PublicKey::parse(input).map_err(|e| KeyError::BadKey(e.to_string()))?;
    let did_key = key.did_key();
    let held = list(accounts)?.iter().any(|k| k.did_key == did_key);
    Ok(Inspected {
        kind: match key {
            PublicKey::K256(_) => KeyType::K256,
            PublicKey::P256(_) => KeyType::P256,
        },
        did_key,
        held,
    })
}

fn write_new(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::FileExists {
            path: path.to_path_buf(),
        },
        _ => KeyError::Write {
            path: path.to_path_buf(),
            reason: crate::base::plain::io(&e),
            detail: e.to_string(),
        },
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| KeyError::Write {
            path: path.to_path_buf(),
            reason: crate::base::plain::io(&e),
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keychain::memory::MemoryStore;
    use jacquard_common::types::crypto::{KeyCodec, PublicKey};

    #[test]
    fn generated_keys_round_trip_and_have_atproto_did_keys() {
        for (kind, prefix, codec) in [
            (KeyType::K256, "did:key:zQ3s", KeyCodec::Secp256k1),
            (KeyType::P256, "did:key:zDn", KeyCodec::P256),
        ] {
            let key = PrivateKey::generate(kind).unwrap();
            let did_key = key.did_key();
            assert!(did_key.starts_with(prefix), "{did_key}");
            let public = PublicKey::decode(did_key.strip_prefix("did:key:").unwrap()).unwrap();
            assert_eq!(public.codec, codec);
            assert_eq!(public.bytes.len(), 33, "compressed point");
            let again = PrivateKey::from_multibase(&key.to_multibase()).unwrap();
            assert_eq!(again.did_key(), did_key);
            assert_eq!(again.kind(), kind);
            assert!(key.to_multibase().starts_with('z'));
            assert!(!format!("{key:?}").contains(&key.to_multibase()));
            assert_ne!(PrivateKey::generate(kind).unwrap().did_key(), did_key);
        }
    }

    #[test]
    fn bad_text_is_not_a_key() {
        assert!(matches!(
            PrivateKey::from_multibase("did:key:zQ3shabc"),
            Err(KeyError::BadKey(m)) if m.contains("public")
        ));
        assert!(PrivateKey::from_multibase("hello").is_err());
        assert!("rsa".parse::<KeyType>().is_err());
        assert_eq!("P256".parse::<KeyType>().unwrap(), KeyType::P256);
    }

    #[test]
    fn recovery_words_give_back_the_same_key_and_name_a_mistyped_word() {
        let key = PrivateKey::generate(KeyType::K256).unwrap();
        let words = key.to_words().unwrap();
        assert_eq!(words.split(' ').count(), 24);
        let typed = format!("  {}\n", words.to_uppercase().replace(' ', "   "));
        assert_eq!(
            PrivateKey::from_words(&typed).unwrap().did_key(),
            key.did_key()
        );
        let mut list: Vec<&str> = words.split(' ').collect();
        list[6] = "zebraa";
        assert!(matches!(
            PrivateKey::from_words(&list.join(" ")),
            Err(KeyError::UnknownWord { position: 7, word }) if word == "zebraa"
        ));
        let mut list: Vec<&str> = words.split(' ').collect();
        list.swap(0, 1);
        if list[0] != list[1] {
            assert!(matches!(
                PrivateKey::from_words(&list.join(" ")),
                Err(KeyError::WordChecksum) | Err(KeyError::BadKey(_))
            ));
        }
        assert!(matches!(
            PrivateKey::from_words("abandon abandon"),
            Err(KeyError::WordCount { count: 2 })
        ));
        let p256 = PrivateKey::generate(KeyType::P256).unwrap();
        assert!(p256.to_words().is_err());
    }

    #[tokio::test]
    async fn a_damaged_entry_is_not_loaded_as_another_key() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let a = PrivateKey::generate(KeyType::K256).unwrap();
        let b = PrivateKey::generate(KeyType::K256).unwrap();
        store
            .set(&Slot::Key(&a.did_key()).name(), &b.to_multibase())
            .unwrap();
        assert!(matches!(
            load_from(store.clone(), &a.did_key()).await,
            Err(KeyError::Keychain(KeychainError::Damaged(_)))
        ));
        assert!(matches!(
            load_from(store, &b.did_key()).await,
            Err(KeyError::NotFound { .. })
        ));
    }
}
