//! goat's `bsky prefs export|import`: the account's app preferences (feeds, muted words, content
//! filters…) out to a JSON file and back (`app.bsky.actor.getPreferences` / `putPreferences`).
//!
//! The file is goat's: a JSON array of preference objects, each with its `$type`. Preferences
//! are kept as JSON, not as typed records, so kinds Stratos does not know survive the round trip.

use serde_json::{Value, json};

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::base::problem::{Explain, Problem};

/// Why preferences could not be read, written or understood.
#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    /// No session for the account.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The PDS refused or could not be reached.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The PDS answered without a `preferences` list.
    #[error("the PDS answered getPreferences without a preferences list")]
    BadAnswer,
    /// The file is not a list of preferences.
    #[error("not a preferences file: {reason}")]
    BadFile {
        /// What is wrong with it.
        reason: String,
    },
}

impl Explain for PrefsError {
    fn explain(&self) -> Problem {
        match self {
            PrefsError::Accounts(e) => e.explain(),
            PrefsError::Session(e) => e.explain(),
            PrefsError::BadAnswer => Problem::new(
                "pds_bad_response",
                self,
                Some("The server may not be a standard PDS; check its version."),
            ),
            PrefsError::BadFile { .. } => Problem::new(
                "bad_prefs_file",
                self,
                Some(
                    "Use a file written by `stratos account prefs export` or `goat bsky prefs export`: a JSON array of objects with a \"$type\".",
                ),
            ),
        }
    }
}

/// The account's preferences, in the server's order.
pub async fn export(accounts: &Accounts, did: &str) -> Result<Vec<Value>, PrefsError> {
    let session = accounts.session(did).await?;
    let answer = session
        .query_json("app.bsky.actor.getPreferences", &[])
        .await?;
    match answer.get("preferences") {
        Some(Value::Array(list)) => Ok(list.clone()),
        _ => Err(PrefsError::BadAnswer),
    }
}

/// Reads a preferences file: goat's array, or an export document (`{"preferences": [...]}`);
/// every entry must be an object with a `$type`, as the PDS requires.
pub fn parse_file(text: &str) -> Result<Vec<Value>, PrefsError> {
    let bad = |reason: String| PrefsError::BadFile { reason };
    let list = match serde_json::from_str::<Value>(text).map_err(|e| bad(e.to_string()))? {
        Value::Array(list) => list,
        Value::Object(mut doc) => match doc.remove("preferences") {
            Some(Value::Array(list)) => list,
            _ => return Err(bad("an object without a \"preferences\" array".into())),
        },
        _ => return Err(bad("expected a JSON array of preferences".into())),
    };
    if let Some(i) = list.iter().position(|p| !p["$type"].is_string()) {
        return Err(bad(format!("entry {} has no \"$type\"", i + 1)));
    }
    Ok(list)
}

/// Replaces the account's preferences with `preferences` (the PDS keeps no others).
pub async fn import(
    accounts: &Accounts,
    did: &str,
    preferences: &[Value],
) -> Result<(), PrefsError> {
    accounts
        .session(did)
        .await?
        .procedure_json(
            "app.bsky.actor.putPreferences",
            &json!({ "preferences": preferences }),
        )
        .await?;
    Ok(())
}
