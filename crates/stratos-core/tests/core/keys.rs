//! Keys in the real keychain: generate, list, load, export, and sign service auth with them.

use jacquard_common::service_auth::{PublicKey, parse_jwt, verify_signature};
use jacquard_common::types::crypto::{self, KeyCodec};
use stratos_core::keys::{self, KeyError, KeyType};
use stratos_core::service_auth::{self, TokenRequest};

use crate::World;

/// The verifying key of a `did:key`, read from the did:key text alone.
fn public_key(did_key: &str) -> PublicKey {
    let k = crypto::PublicKey::decode(did_key.strip_prefix("did:key:").unwrap()).unwrap();
    match k.codec {
        KeyCodec::Secp256k1 => PublicKey::from_k256_bytes(&k.bytes).unwrap(),
        KeyCodec::P256 => PublicKey::from_p256_bytes(&k.bytes).unwrap(),
        other => panic!("unexpected codec {other:?}"),
    }
}

/// Both curves: the private key lives in the keychain under `key:<did:key>`, the index lists the
/// keys in order for another process too, and a token signed with a stored key verifies with the
/// public key in its did:key.
#[tokio::test]
async fn generated_keys_live_in_the_keychain_and_sign_verifiably() {
    let w = World::start();
    let k = keys::generate(&w.accounts, KeyType::K256).await.unwrap();
    let p = keys::generate(&w.accounts, KeyType::P256).await.unwrap();
    assert!(k.did_key.starts_with("did:key:zQ3s"), "{k:?}");
    assert!(p.did_key.starts_with("did:key:zDn"), "{p:?}");

    let listed = keys::list(&w.reopen()).unwrap();
    assert_eq!(listed, vec![k.clone(), p.clone()]);
    let state = std::fs::read_to_string(w.config.data_dir.join("state.json")).unwrap();
    for record in [&k, &p] {
        let secret = w
            .secret(&format!("key:{}", record.did_key))
            .expect("the private key is in the keychain");
        assert!(!state.contains(&secret), "no secret in state.json");
        let loaded = keys::load(&w.accounts, &record.did_key).await.unwrap();
        assert_eq!(loaded.did_key(), record.did_key);
        assert_eq!(loaded.kind(), record.kind);
        assert_eq!(loaded.to_multibase(), secret);

        let req = TokenRequest {
            aud: w.net.pds2().did.clone(),
            lxm: Some("com.atproto.server.createAccount".into()),
            duration: None,
        };
        let token =
            service_auth::sign_offline_stored(&w.accounts, &record.did_key, "did:plc:abc", &req)
                .await
                .unwrap();
        assert_eq!(token.signing_key.as_deref(), Some(record.did_key.as_str()));
        let parsed = parse_jwt(&token.token).unwrap();
        verify_signature(&parsed, &public_key(&record.did_key)).expect("signature verifies");
    }
    let err = service_auth::sign_offline_stored(
        &w.accounts,
        "did:key:zQ3shnotheld",
        "did:plc:abc",
        &TokenRequest {
            aud: w.net.pds2().did.clone(),
            lxm: None,
            duration: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(stratos_core::Explain::explain(&err).code, "key_not_found");
}

/// Export writes the multibase private key to a new owner-only file and never overwrites one.
#[tokio::test]
async fn export_writes_a_private_file_once() {
    let w = World::start();
    let k = keys::generate(&w.accounts, KeyType::K256).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recovery-key.txt");
    let out = keys::export(&w.accounts, &k.did_key, &path).await.unwrap();
    assert_eq!(out.path, path);
    let text = std::fs::read_to_string(&path).unwrap();
    let key = keys::load(&w.accounts, &k.did_key).await.unwrap();
    assert_eq!(text, format!("{}\n", key.to_multibase()));
    assert_eq!(
        stratos_core::keys::PrivateKey::from_multibase(&text)
            .unwrap()
            .did_key(),
        k.did_key
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let err = keys::export(&w.accounts, &k.did_key, &path)
        .await
        .unwrap_err();
    assert!(matches!(err, KeyError::FileExists { .. }), "{err}");
    let err = keys::export(&w.accounts, "did:key:zQ3shnotheld", &dir.path().join("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, KeyError::NotFound { .. }), "{err}");
    assert!(!dir.path().join("x").exists());
}
