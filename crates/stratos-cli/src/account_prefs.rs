//! `stratos account prefs export|import`: goat's `bsky prefs export|import`, the account's app
//! preferences to and from a JSON file (see `stratos_core::prefs`).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use stratos_core::prefs::{self, PrefsError};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store::{self, account_did};

/// Preference verbs, as goat names them.
#[derive(Subcommand)]
pub enum PrefsCommand {
    /// Dump the preferences out as JSON (goat's file format: an array of preferences).
    Export {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
        /// Write them to this file instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Upload preferences from a JSON file, replacing the account's current ones.
    Import {
        /// A file from `export` (or from goat).
        file: PathBuf,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
}

fn file_problem(action: &str, path: &std::path::Path, e: std::io::Error) -> Problem {
    Problem {
        detail: None,
        code: "file",
        message: format!("could not {action} {}: {e}", path.display()),
        hint: None,
    }
}

/// Runs one preference verb.
pub async fn run(cmd: PrefsCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: PrefsError| e.explain();
    match cmd {
        PrefsCommand::Export { id, out: None } => {
            let did = account_did(&accounts, id.as_deref())?;
            let list = prefs::export(&accounts, &did).await.map_err(e)?;
            out.emit(&json!({ "did": did, "preferences": list }), || {
                serde_json::to_string_pretty(&list).expect("JSON serialises")
            });
        }
        PrefsCommand::Export {
            id,
            out: Some(path),
        } => {
            let did = account_did(&accounts, id.as_deref())?;
            let list = prefs::export(&accounts, &did).await.map_err(e)?;
            let text = serde_json::to_string_pretty(&list).expect("JSON serialises") + "\n";
            std::fs::write(&path, text).map_err(|err| file_problem("write", &path, err))?;
            let doc = json!({ "did": did, "count": list.len(), "out": path });
            out.emit(&doc, || {
                format!(
                    "Wrote {} preferences of {did} to {}.",
                    list.len(),
                    path.display()
                )
            });
        }
        PrefsCommand::Import { file, id } => {
            let did = account_did(&accounts, id.as_deref())?;
            let text =
                std::fs::read_to_string(&file).map_err(|err| file_problem("read", &file, err))?;
            let list = prefs::parse_file(&text).map_err(e)?;
            prefs::import(&accounts, &did, &list).await.map_err(e)?;
            let doc = json!({ "did": did, "imported": list.len() });
            out.emit(&doc, || {
                format!("Imported {} preferences into {did}.", list.len())
            });
        }
    }
    Ok(())
}
