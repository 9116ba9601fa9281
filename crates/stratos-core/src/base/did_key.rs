//! Public keys written as `did:key` (or bare multibase), and the signature check atproto uses with
//! them: a PLC operation's signer, a repository commit's signer, a key the person types in.
//!
//! Decoding the multikey is jacquard's; what is added here is the strict atproto verification rule
//! (64-byte r‖s, low-S only, as the PLC directory and the reference PDS enforce), which the
//! curve crates leave to the caller.

use jacquard_common::types::crypto::{KeyCodec, PublicKey as Multikey, multikey};

use crate::base::problem::{Explain, Problem};

/// An atproto public key of either curve atproto allows.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// secp256k1 (what the reference PDS and most rotation keys use).
    K256(k256::ecdsa::VerifyingKey),
    /// NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
}

/// Why a typed or served key is not a usable atproto public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidKeyError {
    /// Not multibase, or not a multikey at all.
    #[error("{input:?} is not a did:key or multibase public key")]
    NotAKey {
        /// What was given (public material, safe to show).
        input: String,
    },
    /// A multikey of a curve atproto does not use (ed25519, for example).
    #[error("{input:?} is a key atproto does not accept (only secp256k1 and P-256)")]
    UnsupportedCurve {
        /// What was given.
        input: String,
    },
    /// The bytes are not a point on the curve.
    #[error("{input:?} does not hold a valid public key")]
    BadPoint {
        /// What was given.
        input: String,
    },
}

impl Explain for DidKeyError {
    fn explain(&self) -> Problem {
        Problem::new(
            "bad_did_key",
            self,
            Some(
                "A public key looks like did:key:zQ3sh… (secp256k1) or did:key:zDn… (P-256). \
                 Copy it again without spaces or line breaks.",
            ),
        )
    }
}

impl PublicKey {
    /// Reads `did:key:z…` or the bare multibase `z…` form (as DID documents' `publicKeyMultibase`).
    pub fn parse(input: &str) -> Result<Self, DidKeyError> {
        let trimmed = input.trim();
        let multibase = trimmed.strip_prefix("did:key:").unwrap_or(trimmed);
        let decoded = Multikey::decode(multibase).map_err(|_| DidKeyError::NotAKey {
            input: trimmed.to_owned(),
        })?;
        let bad_point = || DidKeyError::BadPoint {
            input: trimmed.to_owned(),
        };
        match decoded.codec {
            KeyCodec::Secp256k1 => k256::ecdsa::VerifyingKey::from_sec1_bytes(&decoded.bytes)
                .map(PublicKey::K256)
                .map_err(|_| bad_point()),
            KeyCodec::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&decoded.bytes)
                .map(PublicKey::P256)
                .map_err(|_| bad_point()),
            _ => Err(DidKeyError::UnsupportedCurve {
                input: trimmed.to_owned(),
            }),
        }
    }

    /// The canonical `did:key` (compressed point), so two spellings of one key compare equal.
    pub fn did_key(&self) -> String {
        let key = match self {
            PublicKey::K256(k) => multikey(0xE7, &k.to_encoded_point(true).to_bytes()),
            PublicKey::P256(k) => multikey(0x1200, &k.to_encoded_point(true).to_bytes()),
        };
        format!("did:key:{key}")
    }

    /// Whether `signature` (64 bytes r‖s) signs SHA-256 of `message` with this key. High-S
    /// signatures are refused, as the PLC directory refuses them: a malleated signature must not
    /// count as a second valid one.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use k256::ecdsa::signature::Verifier;
        match self {
            PublicKey::K256(key) => k256::ecdsa::Signature::from_slice(signature)
                .ok()
                .filter(|sig| sig.normalize_s().is_none())
                .is_some_and(|sig| key.verify(message, &sig).is_ok()),
            PublicKey::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                .ok()
                .filter(|sig| sig.normalize_s().is_none())
                .is_some_and(|sig| key.verify(message, &sig).is_ok()),
        }
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.did_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The did:key examples of the atproto cryptography spec (atproto.com/specs/cryptography).
    const SPEC_K256: &str = "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc";
    const SPEC_P256: &str = "did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo";

    #[test]
    fn the_spec_examples_parse_and_print_back() {
        for key in [SPEC_K256, SPEC_P256] {
            let parsed = PublicKey::parse(key).expect(key);
            assert_eq!(parsed.did_key(), key);
            let bare = key.strip_prefix("did:key:").unwrap();
            assert_eq!(PublicKey::parse(bare).unwrap(), parsed);
        }
        assert!(matches!(
            PublicKey::parse(SPEC_K256).unwrap(),
            PublicKey::K256(_)
        ));
        assert!(matches!(
            PublicKey::parse(SPEC_P256).unwrap(),
            PublicKey::P256(_)
        ));
    }

    #[test]
    fn wrong_input_is_named() {
        assert!(matches!(
            PublicKey::parse("did:key:hello"),
            Err(DidKeyError::NotAKey { .. })
        ));
        // An ed25519 did:key (multicodec 0xed): a real key, but not one atproto accepts.
        assert!(matches!(
            PublicKey::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Err(DidKeyError::UnsupportedCurve { .. })
        ));
    }

    #[test]
    fn low_s_signatures_verify_and_their_high_s_twins_do_not() {
        use k256::ecdsa::signature::Signer;
        let secret = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let public = PublicKey::K256(*secret.verifying_key());
        let sig: k256::ecdsa::Signature = secret.sign(b"operation bytes");
        let low = sig.normalize_s().unwrap_or(sig);
        assert!(public.verify(b"operation bytes", &low.to_bytes()));
        assert!(!public.verify(b"other bytes", &low.to_bytes()));
        // The same signature with s replaced by n - s: valid ECDSA, refused by atproto.
        let (r, s) = low.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        assert!(!public.verify(b"operation bytes", &high.to_bytes()));
    }
}
