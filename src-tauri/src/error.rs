//! The error every command returns: the core's [`Problem`], serialised for the UI.

use serde::Serialize;
use stratos_core::{Explain, Problem};

/// `{code, message, hint}` as the UI expects; the message is also logged.
#[derive(Debug, Serialize)]
pub struct CommandError(Problem);

impl CommandError {
    /// A problem the shell itself detected.
    pub fn new(code: &'static str, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self(Problem {
            code,
            message: message.into(),
            hint: hint.map(str::to_owned),
        })
    }
}

impl From<Problem> for CommandError {
    fn from(p: Problem) -> Self {
        log::warn!("command failed: {} ({})", p.message, p.code);
        Self(p)
    }
}

impl From<stratos_core::AccountsError> for CommandError {
    fn from(e: stratos_core::AccountsError) -> Self {
        e.explain().into()
    }
}

/// A core module's error as a command error; each module explains its own errors.
pub fn failed(e: impl Explain) -> CommandError {
    e.explain().into()
}
