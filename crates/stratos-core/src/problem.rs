//! Errors as a person sees them: a stable code for programs, a sentence, and a hint.
//!
//! The app shows `message` and `hint`; the CLI prints them on stderr; tests match on `code`.

use serde::Serialize;

use crate::accounts::AccountsError;
use crate::identifier::ParseError;
use crate::identity::IdentityError;
use crate::keychain::KeychainError;
use crate::oauth::{OAuthError, callback};
use crate::session::SessionError;
use crate::xrpc::XrpcError;

/// A user-facing description of a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `auth_factor_required`.
    pub code: &'static str,
    /// What went wrong, in one sentence.
    pub message: String,
    /// What to do about it, when there is something to do.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem whose message is `message` as a sentence.
    pub(crate) fn new(code: &'static str, message: impl ToString, hint: Option<&str>) -> Self {
        Self {
            code,
            message: sentence(message.to_string()),
            hint: hint.map(str::to_owned),
        }
    }
}

/// Error messages are lower-case fragments inside the code (they nest: "could not reach x: y");
/// shown on their own they start with a capital letter.
fn sentence(mut message: String) -> String {
    // Only a plain word is capitalised: a leading handle, host or DID must stay as typed.
    let first_word = message.split_whitespace().next().unwrap_or("");
    if !first_word.is_empty() && first_word.chars().all(|c| c.is_ascii_lowercase()) {
        let upper = message[0..1].to_uppercase();
        message.replace_range(0..1, &upper);
    }
    message
}

/// Turns an error into a [`Problem`].
pub trait Explain {
    /// The user-facing description.
    fn explain(&self) -> Problem;
}

impl Explain for XrpcError {
    fn explain(&self) -> Problem {
        match self {
            XrpcError::Timeout { .. } => Problem::new(
                "pds_timeout",
                self,
                Some("The server may be overloaded or down. Try again in a moment."),
            ),
            XrpcError::Unreachable { .. } => Problem::new(
                "pds_unreachable",
                self,
                Some("Check the address and your internet connection; the server may be down."),
            ),
            XrpcError::Server { status, .. } if *status >= 500 => Problem::new(
                "pds_error",
                self,
                Some(
                    "The server had an internal problem. Try again later, or contact its operator.",
                ),
            ),
            XrpcError::Server {
                status: 403,
                message: Some(m),
                ..
            } if m.contains("Missing required scope") => Problem::new(
                "oauth_scope_missing",
                self,
                Some(
                    "Sign in again with your browser and approve the permission Stratos asks for.",
                ),
            ),
            XrpcError::Server { .. } => Problem::new("pds_refused", self, None),
            XrpcError::BadResponse { .. } => Problem::new(
                "pds_bad_response",
                self,
                Some(
                    "This address may not be an atproto PDS, or something between you and it is failing.",
                ),
            ),
            XrpcError::RateLimited { .. } => Problem::new(
                "rate_limited",
                self,
                Some(
                    "The server limits how many requests it takes. Wait a little, then run it again; work already done is kept.",
                ),
            ),
            XrpcError::Encode { .. } => Problem::new(
                "internal",
                self,
                Some("This is a bug in Stratos; please report it."),
            ),
        }
    }
}

impl Explain for IdentityError {
    fn explain(&self) -> Problem {
        match self {
            IdentityError::HandleDoesNotResolve { .. } => Problem::new(
                "handle_not_found",
                self,
                Some("Check the spelling. A handle looks like alice.bsky.social."),
            ),
            IdentityError::DidDocumentUnavailable { .. } => Problem::new(
                "did_document_unavailable",
                self,
                Some("The DID may not exist, or the PLC directory could not be reached."),
            ),
            IdentityError::UnsupportedDidMethod { .. } => {
                Problem::new("unsupported_did", self, None)
            }
            IdentityError::NoPdsInDocument { .. } => Problem::new(
                "no_pds",
                self,
                Some(
                    "If the account is being moved, give the PDS address explicitly (Advanced › PDS host, or --pds-host).",
                ),
            ),
            IdentityError::EmailNeedsPds => Problem::new(
                "email_needs_pds",
                self,
                Some(
                    "Enter the PDS host under Advanced (--pds-host), or sign in with your handle instead.",
                ),
            ),
        }
    }
}

impl Explain for ParseError {
    fn explain(&self) -> Problem {
        match self {
            ParseError::Empty { .. } => Problem::new("empty_field", self, None),
            ParseError::BadDid { .. } | ParseError::BadHandle { .. } => Problem::new(
                "bad_identifier",
                self,
                Some("Enter a handle (alice.bsky.social), a DID (did:plc:…) or an email address."),
            ),
            ParseError::BadServerUrl { .. } => Problem::new(
                "bad_server_url",
                self,
                Some("Use the server's https address, like https://pds.example.com."),
            ),
        }
    }
}

impl Explain for KeychainError {
    fn explain(&self) -> Problem {
        match self {
            KeychainError::Unavailable(_) => Problem::new(
                "keychain_unavailable",
                self,
                Some(
                    "Unlock your system keychain (on Linux: a Secret Service such as GNOME Keyring or KWallet must be running).",
                ),
            ),
            KeychainError::Damaged(_) => Problem::new(
                "keychain_damaged",
                self,
                Some("Sign in to the account again."),
            ),
        }
    }
}

impl Explain for SessionError {
    fn explain(&self) -> Problem {
        match self {
            SessionError::Expired { .. } => Problem::new(
                "session_expired",
                self,
                Some("Sign in to this account again."),
            ),
            SessionError::NotSignedIn { .. } => Problem::new(
                "not_signed_in",
                self,
                Some("Sign in to this account again."),
            ),
            SessionError::Xrpc(e) => e.explain(),
            SessionError::Keychain(e) => e.explain(),
            SessionError::Lock { .. } => Problem::new(
                "state_file",
                self,
                Some("Check that the Stratos data folder is writable."),
            ),
        }
    }
}

impl Explain for OAuthError {
    fn explain(&self) -> Problem {
        let again = Some("Please try again.");
        match self {
            OAuthError::Identity(e) => e.explain(),
            OAuthError::Discovery { .. } => Problem::new(
                "oauth_discovery",
                self,
                Some("This server may not support browser sign-in; use a password instead."),
            ),
            OAuthError::Par(_) => Problem::new("oauth_refused", self, again),
            OAuthError::StateMismatch => Problem::new("oauth_state_mismatch", self, again),
            OAuthError::IssuerMismatch { .. } => Problem::new("oauth_issuer_mismatch", self, again),
            OAuthError::Cancelled => Problem::new("oauth_cancelled", self, None),
            OAuthError::Refused { .. } => Problem::new("oauth_refused", self, again),
            OAuthError::TokenExchange(_) => Problem::new(
                "oauth_token_exchange",
                self,
                Some("The sign-in may have expired in the browser. Please try again."),
            ),
            OAuthError::SubjectMismatch { .. } => Problem::new(
                "oauth_wrong_account",
                self,
                Some(
                    "Sign in with the account you entered, or enter the account you signed in with.",
                ),
            ),
            OAuthError::MissingAtprotoScope(_) => Problem::new("oauth_scope", self, None),
            OAuthError::Client(_) => Problem::new("oauth_client", self, None),
            OAuthError::Callback(callback::CallbackError::TimedOut(_)) => {
                Problem::new("oauth_timeout", self, again)
            }
            OAuthError::Callback(_) => Problem::new("oauth_bad_callback", self, None),
        }
    }
}

impl Explain for AccountsError {
    fn explain(&self) -> Problem {
        match self {
            AccountsError::EmptyField { .. } => Problem::new("empty_field", self, None),
            AccountsError::BadInput(e) => e.explain(),
            AccountsError::Identity(e) => e.explain(),
            AccountsError::AuthFactorRequired => Problem::new(
                "auth_factor_required",
                self,
                Some("Check your inbox for a code like ABCDE-FGHIJ."),
            ),
            AccountsError::WrongAuthFactor => Problem::new(
                "wrong_auth_factor",
                self,
                Some(
                    "Copy the newest code from the email exactly, or sign in again to get a new one.",
                ),
            ),
            AccountsError::WrongPassword => Problem::new(
                "wrong_password",
                self,
                Some(
                    "Use the account password, not an app password. Passwords are case-sensitive.",
                ),
            ),
            AccountsError::AccountMismatch { .. } => Problem::new(
                "account_mismatch",
                self,
                Some("The PDS host given may belong to another account's server."),
            ),
            AccountsError::NotSignedIn { .. } => Problem::new(
                "not_signed_in",
                self,
                Some("Run `stratos account list` to see signed-in accounts, or sign in first."),
            ),
            AccountsError::NoAccountChosen { .. } => Problem::new(
                "not_signed_in",
                self,
                Some(
                    "Name the account (handle or DID), or sign in first with `stratos account login`.",
                ),
            ),
            AccountsError::Session(e) => e.explain(),
            AccountsError::Xrpc(e) => e.explain(),
            AccountsError::Keychain(e) => e.explain(),
            AccountsError::State(_) => Problem::new("state_file", self, None),
            AccountsError::OAuth(e) => e.explain(),
            AccountsError::PasswordNeeded => Problem::new(
                "password_needed",
                self,
                Some(
                    "Enter the account password (not an app password); it is used for this only and not saved.",
                ),
            ),
            AccountsError::Config(_) => Problem::new("config", self, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn missing_oauth_scope_asks_to_sign_in_again() {
        use super::Explain;
        let e = crate::xrpc::XrpcError::Server {
            service: "localhost:1".into(),
            nsid: "com.atproto.identity.updateHandle".into(),
            status: 403,
            error: "InvalidRequest".into(),
            message: Some("Missing required scope \"identity:handle\"".into()),
        };
        assert_eq!(e.explain().code, "oauth_scope_missing");
    }

    #[test]
    fn sentences_capitalise_words_but_not_identifiers() {
        assert_eq!(
            sentence("wrong handle or password".into()),
            "Wrong handle or password"
        );
        assert_eq!(
            sentence("alice.test is not signed in".into()),
            "alice.test is not signed in"
        );
        assert_eq!(
            sentence("localhost:2583 did not answer".into()),
            "localhost:2583 did not answer"
        );
        assert_eq!(
            sentence("did:plc:x uses an unsupported DID method".into()),
            "did:plc:x uses an unsupported DID method"
        );
        assert_eq!(sentence(String::new()), "");
    }
}
