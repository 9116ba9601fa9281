//! Forgotten password: ask the account's PDS to email a reset code, then set a new password
//! with it. No session is needed (that is the point), only the account's PDS and email address.

use jacquard_api::com_atproto::server::get_session::GetSession;
use jacquard_api::com_atproto::server::request_password_reset::RequestPasswordReset;
use jacquard_api::com_atproto::server::reset_password::ResetPassword;
use jacquard_common::deps::smol_str::SmolStr;
use serde::Serialize;
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::base::identifier::{Identifier, ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::identity::IdentityError;
use crate::net::xrpc::XrpcError;

/// Why a password reset failed, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum PasswordResetError {
    /// What was typed is not a handle, DID, email or server address.
    #[error(transparent)]
    BadInput(#[from] ParseError),
    /// The account's PDS could not be found.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Reading a signed-in account's email failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The PDS refused or could not be reached.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The reset is keyed by email, and the email of this handle or DID is not known here.
    #[error("the email address of {id} is not known to Stratos")]
    EmailUnknown {
        /// The handle or DID typed.
        id: String,
    },
    /// The emailed code was wrong or has expired.
    #[error("the reset code is wrong or has expired")]
    WrongCode,
    /// The new password was refused before sending it.
    #[error("the new password is too weak: {}", feedback.join("; "))]
    WeakPassword {
        /// Why.
        feedback: Vec<String>,
    },
}

impl Explain for PasswordResetError {
    fn explain(&self) -> Problem {
        let p = |code, hint: &str| Problem::new(code, self, Some(hint));
        match self {
            PasswordResetError::BadInput(e) => e.explain(),
            PasswordResetError::Identity(e) => e.explain(),
            PasswordResetError::Accounts(e) => e.explain(),
            PasswordResetError::Xrpc(e) => e.explain(),
            PasswordResetError::EmailUnknown { .. } => p(
                "email_unknown",
                "Enter the account's email address and its PDS host (--pds-host) instead.",
            ),
            PasswordResetError::WrongCode => p(
                "wrong_code",
                "Copy the newest code from the email exactly, or request a new one.",
            ),
            PasswordResetError::WeakPassword { .. } => p(
                "weak_password",
                "Use a longer password: several unrelated words work well.",
            ),
        }
    }
}

/// Where a reset goes: the PDS holding the account and, when known, its email address.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetTarget {
    /// The account's PDS.
    pub pds_url: String,
    /// The address the code is mailed to, when known.
    pub email: Option<String>,
}

/// Finds the PDS (and email) for a handle, DID or email. An email needs `pds_host`; a handle or
/// DID is resolved, and its email is read from the signed-in session when there is one.
pub async fn locate(
    accounts: &Accounts,
    target: &str,
    pds_host: Option<&str>,
) -> Result<ResetTarget, PasswordResetError> {
    let id: Identifier = target.parse()?;
    let host = match pds_host.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => Some(parse_service_url(h)?),
        None => None,
    };
    match id {
        Identifier::Email(email) => {
            let pds = host.ok_or(IdentityError::EmailNeedsPds)?;
            Ok(ResetTarget {
                pds_url: pds.as_str().trim_end_matches('/').to_owned(),
                email: Some(email),
            })
        }
        other => {
            let resolved = accounts.context().resolver().resolve(&other).await?;
            let did = resolved.did.as_str().to_owned();
            let pds = match host.or(resolved.pds) {
                Some(p) => p,
                None => return Err(IdentityError::NoPdsInDocument { did }.into()),
            };
            let email = match accounts.find(Some(&did)) {
                Ok(record) => match accounts.session(&record.did).await {
                    Ok(session) => match session.call(&GetSession).await {
                        Ok(s) => s.email.map(|e| e.to_string()),
                        Err(e) => {
                            log::warn!("could not read the email of {did}: {e}");
                            None
                        }
                    },
                    Err(e) => {
                        log::warn!("no session to read the email of {did}: {e}");
                        None
                    }
                },
                Err(_) => None,
            };
            Ok(ResetTarget {
                pds_url: pds.as_str().trim_end_matches('/').to_owned(),
                email,
            })
        }
    }
}

/// Step one: the PDS emails a reset code to the account's address.
pub async fn request(
    accounts: &Accounts,
    target: &str,
    pds_host: Option<&str>,
) -> Result<ResetTarget, PasswordResetError> {
    let found = locate(accounts, target, pds_host).await?;
    let email = found
        .email
        .clone()
        .ok_or_else(|| PasswordResetError::EmailUnknown {
            id: target.trim().to_owned(),
        })?;
    let pds = parse_service_url(&found.pds_url)?;
    let req = RequestPasswordReset {
        email: SmolStr::new(&email),
        extra_data: None,
    };
    accounts.context().xrpc().send(&pds, &req, None).await?;
    log::info!(
        "requested a password reset on {}",
        crate::net::xrpc::service_name(&pds)
    );
    Ok(found)
}

/// Step two: sets `new_password` with the emailed `code`. Weak passwords (score below 2) are
/// refused before anything is sent. Existing sessions of the account stay signed in.
pub async fn reset(
    accounts: &Accounts,
    target: &str,
    pds_host: Option<&str>,
    code: &str,
    new_password: &str,
) -> Result<ResetTarget, PasswordResetError> {
    let strength = estimate(new_password);
    if strength.score < 2 {
        return Err(PasswordResetError::WeakPassword {
            feedback: strength.feedback,
        });
    }
    let found = locate(accounts, target, pds_host).await?;
    let pds: Url = parse_service_url(&found.pds_url)?;
    let req = ResetPassword {
        password: SmolStr::new(new_password),
        token: SmolStr::new(code.trim()),
        extra_data: None,
    };
    match accounts.context().xrpc().send(&pds, &req, None).await {
        Ok(()) => {}
        Err(e) if matches!(e.error_name(), Some("InvalidToken" | "ExpiredToken")) => {
            return Err(PasswordResetError::WrongCode);
        }
        Err(e) => return Err(e.into()),
    }
    log::info!("password reset on {}", crate::net::xrpc::service_name(&pds));
    Ok(found)
}

/// How guessable a password looks, for a meter in the app and a warning in the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strength {
    /// 0 (trivial) to 4 (strong), the same scale as zxcvbn so UIs can use familiar wording.
    pub score: u8,
    /// Short advice, empty when the password is strong.
    pub feedback: Vec<String>,
}

/// Estimates password strength from length, character variety and obvious patterns.
///
/// Hand-written on purpose: the `zxcvbn` crate (3.1.1) is well known, but it embeds large
/// word-frequency dictionaries and extra dependencies in a core that otherwise needs none of
/// that; here a person only needs a nudge away from short or patterned passwords, and the PDS
/// enforces nothing itself.
pub fn estimate(password: &str) -> Strength {
    const COMMON: &[&str] = &[
        "password", "123456", "qwerty", "letmein", "welcome", "admin", "iloveyou", "monkey",
        "dragon", "abc123", "bluesky", "atproto",
    ];
    let mut feedback = Vec::new();
    let chars: Vec<char> = password.chars().collect();
    let len = chars.len();
    let lower = password.to_lowercase();
    let classes = [
        chars.iter().any(|c| c.is_lowercase()),
        chars.iter().any(|c| c.is_uppercase()),
        chars.iter().any(|c| c.is_ascii_digit()),
        chars.iter().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let distinct = {
        let mut d = chars.clone();
        d.sort_unstable();
        d.dedup();
        d.len()
    };
    // Rough entropy in bits: length times the log2 of the alphabet the classes suggest.
    let alphabet = [0.0, 26.0, 52.0, 62.0, 94.0][classes];
    let mut bits = if len == 0 {
        0.0
    } else {
        len as f64 * f64::log2(alphabet)
    };
    if len < 8 {
        feedback.push("use at least 8 characters".to_owned());
    }
    if distinct * 3 < len || distinct <= 2 && len > 0 {
        bits /= 3.0;
        feedback.push("avoid repeated characters".to_owned());
    }
    if COMMON.iter().any(|w| lower.contains(w)) {
        bits /= 2.0;
        feedback.push("avoid common words and passwords".to_owned());
    }
    if is_sequence(&chars) {
        bits /= 3.0;
        feedback.push("avoid sequences like abcd or 1234".to_owned());
    }
    if classes < 2 && len < 16 {
        feedback.push("mix letters with digits or symbols, or make it longer".to_owned());
    }
    let score = match bits {
        b if b < 28.0 => 0,
        b if b < 40.0 => 1,
        b if b < 60.0 => 2,
        b if b < 80.0 => 3,
        _ => 4,
    };
    Strength {
        score,
        feedback: if score >= 3 { Vec::new() } else { feedback },
    }
}

/// True when most of the password steps by +1 or -1 (abcdef, 654321).
fn is_sequence(chars: &[char]) -> bool {
    if chars.len() < 4 {
        return false;
    }
    let steps = chars
        .windows(2)
        .filter(|w| (w[1] as i64 - w[0] as i64).abs() == 1)
        .count();
    steps * 4 >= (chars.len() - 1) * 3
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn scores_order_sensibly() {
        assert_eq!(estimate("").score, 0);
        assert_eq!(estimate("abc").score, 0);
        assert!(estimate("password1").score <= 1);
        assert!(estimate("12345678").score <= 1);
        assert!(estimate("aaaaaaaaaaaa").score <= 1);
        assert!(estimate("Tr0ub4dor&3").score >= 2);
        assert_eq!(estimate("correct horse battery staple").score, 4);
        assert!(estimate("correct horse battery staple").feedback.is_empty());
        assert!(!estimate("abc").feedback.is_empty());
    }
}
