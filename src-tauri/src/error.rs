//! The error every command returns: the core's [`Problem`], serialised for the UI.

use serde::Serialize;
use stratos_core::{Explain, Problem, explained};

/// `{code, message, hint, detail?}` as the UI expects; the message and detail are also logged.
#[derive(Debug, Serialize)]
pub struct CommandError(Problem);

impl CommandError {
    /// A problem the shell itself detected.
    pub fn new(code: &'static str, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self(Problem {
            detail: None,
            code,
            message: message.into(),
            hint: hint.map(str::to_owned),
        })
    }
}

impl From<Problem> for CommandError {
    fn from(p: Problem) -> Self {
        match &p.detail {
            Some(d) => log::warn!("command failed: {} ({}): {d}", p.message, p.code),
            None => log::warn!("command failed: {} ({})", p.message, p.code),
        }
        Self(p)
    }
}

impl From<stratos_core::AccountsError> for CommandError {
    fn from(e: stratos_core::AccountsError) -> Self {
        explained(&e).into()
    }
}

/// A core module's error as a command error; each module explains its own errors, and the
/// causes go to "Details".
pub fn failed<E: Explain + std::error::Error + 'static>(e: E) -> CommandError {
    explained(&e).into()
}
