//! Errors as a person sees them: a stable code for programs, a sentence, and a hint.
//!
//! The app shows `message` and `hint`; the CLI prints them on stderr; tests match on `code`.

use serde::Serialize;

/// A user-facing description of a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `auth_factor_required`.
    pub code: &'static str,
    /// What went wrong, in one sentence.
    pub message: String,
    /// What to do about it, when there is something to do.
    pub hint: Option<String>,
    /// The technical cause (the system's or the server's own words), for the log and the
    /// window's "Details": kept out of `message` so that it stays plain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// A problem whose message is `message` as a sentence.
    pub(crate) fn new(code: &'static str, message: impl ToString, hint: Option<&str>) -> Self {
        Self {
            code,
            message: sentence(message.to_string()),
            hint: hint.map(str::to_owned),
            detail: None,
        }
    }

    /// The same problem with its technical cause for "Details" (logged at debug level here, where
    /// it is known).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        log::debug!("{} ({}): {detail}", self.message, self.code);
        self.detail = Some(detail);
        self
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

/// `e` explained, with its chain of causes (the system's and the servers' own words) as the
/// detail when `e` has causes and its explanation did not set one: what a person passes on when
/// asking for help, without putting it in the message.
pub fn explained<E: Explain + std::error::Error + 'static>(e: &E) -> Problem {
    let problem = e.explain();
    if problem.detail.is_some() || e.source().is_none() {
        return problem;
    }
    problem.with_detail(super::plain::chain(e))
}

/// Turns an error into a [`Problem`].
pub trait Explain {
    /// The user-facing description.
    fn explain(&self) -> Problem;
}

#[cfg(test)]
mod tests {
    use super::sentence;

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
