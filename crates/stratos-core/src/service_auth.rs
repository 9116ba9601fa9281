//! Service auth: short-lived JWTs by which an account proves itself to another service, such as
//! a new PDS during migration (`createAccount` with an existing DID).
//!
//! Online, the account's PDS signs one with the account's key (`com.atproto.server.getServiceAuth`).
//! Offline, Stratos signs one itself with a private key the person pastes or keeps in the keychain
//! ([`crate::keys`]): the account's atproto signing key, which is what a self-hosted or recovered
//! account has when its PDS is gone. The
//! format follows atproto: ES256K (secp256k1) or ES256 (P-256), low-S signatures, claims `iss`,
//! `aud`, `exp`, `iat`, `jti` and optionally `lxm`. The private key never leaves this process and
//! never reaches a log.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jacquard_api::com_atproto::server::get_service_auth::GetServiceAuth;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::{Did, Nsid};
use serde::Serialize;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::base::problem::{Explain, Problem};
use crate::keys::{self, KeyError, PrivateKey};

/// How long a token lives when no duration is given (the PDS's limit for method-less tokens).
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);

/// What a service-auth token claims, decoded for display (the signature is not checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenClaims {
    /// Signing algorithm (`ES256K` or `ES256`).
    pub alg: String,
    /// Issuer: the account's DID.
    pub iss: String,
    /// Audience: the service's DID.
    pub aud: String,
    /// The one method the token allows, if bound to one.
    pub lxm: Option<String>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Unique token id.
    pub jti: Option<String>,
}

/// A service-auth token with its decoded claims.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceToken {
    /// The JWT, to send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Its claims.
    pub claims: TokenClaims,
    /// For offline tokens: the `did:key` of the public key that verifies it, to compare with the
    /// DID document's `#atproto` key.
    pub signing_key: Option<String>,
}

// The token is a bearer credential; `{:?}` shows only its claims.
impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceToken")
            .field("token", &crate::base::redact::secret(&self.token))
            .field("claims", &self.claims)
            .field("signing_key", &self.signing_key)
            .finish()
    }
}

/// What to put in a token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Audience: the DID of the service that will receive it (e.g. the new PDS's service DID).
    pub aud: String,
    /// Bind the token to one method (e.g. `com.atproto.server.createAccount`).
    pub lxm: Option<String>,
    /// How long it stays valid ([`DEFAULT_DURATION`] when `None`).
    pub duration: Option<Duration>,
}

/// Why a service-auth token could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ServiceAuthError {
    /// The audience is not a DID.
    #[error("the audience {0:?} is not a DID")]
    BadAudience(String),
    /// The issuer is not a DID.
    #[error("the issuer {0:?} is not a DID")]
    BadIssuer(String),
    /// The method is not an NSID.
    #[error("{0:?} is not a method name (NSID)")]
    BadMethod(String),
    /// The duration is zero.
    #[error("the token duration must be at least one second")]
    BadDuration,
    /// The private key could not be read.
    #[error("the signing key is not a multibase secp256k1 or P-256 private key: {0}")]
    BadKey(String),
    /// The token is not a readable service-auth JWT.
    #[error("the token is not a service-auth JWT: {0}")]
    BadToken(String),
    /// The PDS refused to issue the token.
    #[error("the PDS refused to issue the token: {0}")]
    Refused(String),
    /// Signing in or reaching the account failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The stored key could not be read from the keychain.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<SessionError> for ServiceAuthError {
    fn from(e: SessionError) -> Self {
        ServiceAuthError::Accounts(e.into())
    }
}

impl Explain for ServiceAuthError {
    fn explain(&self) -> Problem {
        match self {
            ServiceAuthError::BadAudience(_) | ServiceAuthError::BadIssuer(_) => Problem::new(
                "bad_identifier",
                self,
                Some("Give a DID such as did:web:pds.example.com or did:plc:…"),
            ),
            ServiceAuthError::BadMethod(_) => Problem::new(
                "bad_method",
                self,
                Some("A method looks like com.atproto.server.createAccount."),
            ),
            ServiceAuthError::BadDuration => Problem::new("bad_duration", self, None),
            ServiceAuthError::BadKey(_) => Problem::new(
                "bad_signing_key",
                self,
                Some(
                    "Paste the private key exactly as exported (it starts with z, like goat prints it), not the public did:key.",
                ),
            ),
            ServiceAuthError::BadToken(_) => Problem::new("bad_token", self, None),
            ServiceAuthError::Refused(_) => Problem::new(
                "service_auth_refused",
                self,
                Some(
                    "A method-bound token may live at most an hour, one without a method a minute; some methods are protected.",
                ),
            ),
            ServiceAuthError::Accounts(e) => e.explain(),
            ServiceAuthError::Key(e) => e.explain(),
        }
    }
}

/// Asks the account's PDS to sign a token (`com.atproto.server.getServiceAuth`).
pub async fn request(
    accounts: &Accounts,
    did: &str,
    req: &TokenRequest,
) -> Result<ServiceToken, ServiceAuthError> {
    let aud = parse_did(&req.aud).map_err(|_| ServiceAuthError::BadAudience(req.aud.clone()))?;
    let lxm = parse_lxm(req.lxm.as_deref())?;
    let exp = chrono::Utc::now().timestamp() + duration_secs(req.duration)?;
    let session = accounts.session(did).await?;
    let call = GetServiceAuth::<SmolStr> {
        aud: aud.as_str().into(),
        exp: Some(exp),
        lxm: lxm.map(|m| Nsid::raw(SmolStr::new(m.as_str()))),
    };
    let out = session.call(&call).await.map_err(|e| match &e {
        SessionError::Xrpc(x @ crate::net::xrpc::XrpcError::Server { status, .. })
            if *status == 400 && !x.is_expired_token() =>
        {
            ServiceAuthError::Refused(x.to_string())
        }
        _ => e.into(),
    })?;
    let token = out.token.to_string();
    log::info!(
        "got a service-auth token for {did} (aud {}, lxm {:?})",
        req.aud,
        req.lxm
    );
    Ok(ServiceToken {
        claims: decode(&token)?,
        token,
        signing_key: None,
    })
}

/// Signs a token locally with `private_key` (multibase, as goat prints atproto keys).
pub fn sign_offline(
    private_key: &str,
    iss: &str,
    req: &TokenRequest,
) -> Result<ServiceToken, ServiceAuthError> {
    let key = PrivateKey::from_multibase(private_key).map_err(bad_key)?;
    sign_with(&key, iss, req)
}

/// Signs a token locally with a key held in the keychain (see [`crate::keys`]), named by its
/// `did:key`: the same as [`sign_offline`] without pasting the secret anywhere.
pub async fn sign_offline_stored(
    accounts: &Accounts,
    did_key: &str,
    iss: &str,
    req: &TokenRequest,
) -> Result<ServiceToken, ServiceAuthError> {
    let key = keys::load(accounts, did_key).await?;
    sign_with(&key, iss, req)
}

fn bad_key(e: KeyError) -> ServiceAuthError {
    match e {
        KeyError::BadKey(why) => ServiceAuthError::BadKey(why),
        other => ServiceAuthError::Key(other),
    }
}

fn sign_with(
    key: &PrivateKey,
    iss: &str,
    req: &TokenRequest,
) -> Result<ServiceToken, ServiceAuthError> {
    let iss = parse_did(iss).map_err(|_| ServiceAuthError::BadIssuer(iss.to_owned()))?;
    let aud = parse_did(&req.aud).map_err(|_| ServiceAuthError::BadAudience(req.aud.clone()))?;
    let lxm = parse_lxm(req.lxm.as_deref())?;
    let iat = chrono::Utc::now().timestamp();
    let exp = iat + duration_secs(req.duration)?;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti)
        .map_err(|e| ServiceAuthError::Key(KeyError::Random(e.to_string())))?;
    let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
    let header = serde_json::json!({ "typ": "JWT", "alg": key.alg() });
    let mut claims = serde_json::json!({
        "iss": iss.as_str(), "aud": aud.as_str(), "exp": exp, "iat": iat, "jti": jti,
    });
    if let Some(m) = &lxm {
        claims["lxm"] = serde_json::json!(m.as_str());
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
    log::info!(
        "signed a service-auth token offline (iss {}, aud {}, {})",
        iss.as_str(),
        aud.as_str(),
        key.alg()
    );
    Ok(ServiceToken {
        claims: decode(&token)?,
        token,
        signing_key: Some(key.did_key()),
    })
}

/// Reads a token's header and claims for display, without checking the signature.
pub fn decode(token: &str) -> Result<TokenClaims, ServiceAuthError> {
    let parsed = jacquard_common::service_auth::parse_jwt(token.trim())
        .map_err(|e| ServiceAuthError::BadToken(e.to_string()))?;
    let alg = parsed.header().alg.to_string();
    let c = parsed.claims();
    Ok(TokenClaims {
        alg,
        iss: c.iss.as_str().to_owned(),
        aud: c.aud.as_str().to_owned(),
        lxm: c.lxm.as_ref().map(|m| m.as_str().to_owned()),
        iat: c.iat,
        exp: c.exp,
        jti: c.jti.as_ref().map(|j| j.to_string()),
    })
}

fn parse_did(s: &str) -> Result<Did, ()> {
    Did::new_owned(s.trim()).map_err(|_| ())
}

fn parse_lxm(lxm: Option<&str>) -> Result<Option<Nsid>, ServiceAuthError> {
    match lxm.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(None),
        Some(m) => Nsid::new_owned(m)
            .map(Some)
            .map_err(|_| ServiceAuthError::BadMethod(m.to_owned())),
    }
}

fn duration_secs(d: Option<Duration>) -> Result<i64, ServiceAuthError> {
    let secs = d.unwrap_or(DEFAULT_DURATION).as_secs();
    if secs == 0 {
        return Err(ServiceAuthError::BadDuration);
    }
    i64::try_from(secs).map_err(|_| ServiceAuthError::BadDuration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jacquard_common::service_auth::{PublicKey, parse_jwt, verify_signature};

    const K256_PRIV: [u8; 2] = [0x81, 0x26];
    const P256_PRIV: [u8; 2] = [0x86, 0x26];

    fn multibase_key(prefix: [u8; 2], raw: &[u8]) -> String {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(raw);
        multibase::encode(multibase::Base::Base58Btc, bytes)
    }

    fn request() -> TokenRequest {
        TokenRequest {
            aud: "did:web:pds.example.com".into(),
            lxm: Some("com.atproto.server.createAccount".into()),
            duration: Some(Duration::from_secs(120)),
        }
    }

    /// Both curves sign tokens that verify with the matching public key and carry low-S signatures.
    #[test]
    fn offline_tokens_verify_on_both_curves() {
        let k = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let p = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let cases = [
            (
                multibase_key(K256_PRIV, &k.to_bytes()),
                "ES256K",
                PublicKey::from_k256_bytes(&k.verifying_key().to_encoded_point(true).to_bytes())
                    .unwrap(),
            ),
            (
                multibase_key(P256_PRIV, &p.to_bytes()),
                "ES256",
                PublicKey::from_p256_bytes(&p.verifying_key().to_encoded_point(true).to_bytes())
                    .unwrap(),
            ),
        ];
        for (key, alg, public) in cases {
            for _ in 0..8 {
                let t = sign_offline(&key, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", &request()).unwrap();
                assert_eq!(t.claims.alg, alg);
                assert_eq!(t.claims.iss, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
                assert_eq!(t.claims.aud, "did:web:pds.example.com");
                assert_eq!(
                    t.claims.lxm.as_deref(),
                    Some("com.atproto.server.createAccount")
                );
                assert_eq!(t.claims.exp - t.claims.iat, 120);
                assert!(t.claims.jti.is_some());
                let parsed = parse_jwt(&t.token).unwrap();
                verify_signature(&parsed, &public).expect("signature verifies");
                let sig = parsed.signature();
                let low_s = match alg {
                    "ES256K" => k256::ecdsa::Signature::from_slice(sig)
                        .unwrap()
                        .normalize_s()
                        .is_none(),
                    _ => p256::ecdsa::Signature::from_slice(sig)
                        .unwrap()
                        .normalize_s()
                        .is_none(),
                };
                assert!(low_s, "signatures are low-S");
                assert!(t.signing_key.as_deref().unwrap().starts_with("did:key:z"));
            }
        }
    }

    #[test]
    fn bad_inputs_are_explained() {
        let key = multibase_key(K256_PRIV, &[7u8; 32]);
        let r = request();
        assert!(matches!(
            sign_offline("did:key:zQ3shabc", "did:plc:x", &r),
            Err(ServiceAuthError::BadKey(_))
        ));
        assert!(matches!(
            sign_offline(&multibase_key([0xe7, 0x01], &[7u8; 32]), "did:plc:x", &r),
            Err(ServiceAuthError::BadKey(_))
        ));
        assert!(matches!(
            sign_offline(&key, "alice.test", &r),
            Err(ServiceAuthError::BadIssuer(_))
        ));
        let bad_lxm = TokenRequest {
            lxm: Some("not a method".into()),
            ..request()
        };
        assert!(matches!(
            sign_offline(&key, "did:plc:x", &bad_lxm),
            Err(ServiceAuthError::BadMethod(_))
        ));
        assert!(matches!(decode("abc"), Err(ServiceAuthError::BadToken(_))));
        let key_text = format!("{:?}", sign_offline(&key, "did:plc:x", &r).unwrap());
        assert!(key_text.contains("redacted"), "{key_text}");
    }
}
