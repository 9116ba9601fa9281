//! `stratos account plc …`: the account's did:plc identity through its PDS, as goat's
//! `account plc` verbs (see `stratos_core::plc`). Changes need the code the PDS emails:
//! `request-token` first, then `--token`.

use std::path::Path;

use clap::Subcommand;
use stratos_core::plc::{self, Change, PlcFields};
use stratos_core::{Accounts, Config, Explain, Problem};

use crate::render::Output;
use crate::store::{self, account_did};

/// PLC verbs, as goat names them.
#[derive(Subcommand)]
pub enum PlcCommand {
    /// The DID fields the account's PDS recommends: its rotation key, the account's signing key,
    /// the handle and the PDS address.
    Recommended {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Ask the PDS to email the code that signing a PLC operation needs (valid 15 minutes).
    RequestToken {
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Have the PDS sign the fields in a JSON file (fields left out keep their current values);
    /// prints the signed operation, for `plc submit`.
    Sign {
        /// JSON file with any of rotationKeys, verificationMethods, alsoKnownAs, services.
        file: std::path::PathBuf,
        /// The emailed code (`plc request-token`).
        #[arg(long)]
        token: String,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Submit a signed operation (the output of `plc sign`) through the PDS.
    Submit {
        /// JSON file with the signed operation.
        file: std::path::PathBuf,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// The current PLC data from the directory.
    Current {
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Add a rotation key (a did:key), keeping the others. Without --token, emails the code.
    AddRotationKey {
        /// The public key, e.g. from `stratos key generate`.
        key: String,
        /// Put it first (highest priority) instead of last.
        #[arg(long)]
        first: bool,
        /// The emailed code; when omitted the PDS emails one and nothing changes yet.
        #[arg(long)]
        token: Option<String>,
        /// Handle or DID; the selected account when omitted.
        id: Option<String>,
    },
}

/// Runs one PLC verb.
pub async fn run(cmd: PlcCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    let explain = |e: plc::PlcError| e.explain();
    match cmd {
        PlcCommand::Recommended { id } => {
            let session = session(accounts, id.as_deref()).await?;
            let fields = plc::recommended(&session).await.map_err(explain)?;
            out.emit(&fields, || fields_text(&fields));
        }
        PlcCommand::RequestToken { id } => {
            let session = session(accounts, id.as_deref()).await?;
            plc::request_token(&session).await.map_err(explain)?;
            let doc = serde_json::json!({ "did": session.did(), "requested": true });
            out.emit(&doc, || {
                "The PDS emailed a code (valid 15 minutes); pass it with --token.".to_owned()
            });
        }
        PlcCommand::Sign { file, token, id } => {
            let session = session(accounts, id.as_deref()).await?;
            let before = plc::current(accounts, session.did())
                .await
                .map_err(explain)?
                .fields;
            let wanted = plc::fields_from_partial(&read_json(&file)?, &before).map_err(explain)?;
            show_changes(out, &plc::diff(&before, &wanted));
            let op = plc::sign(&session, &token, &wanted)
                .await
                .map_err(explain)?;
            out.emit(&op, || pretty(op.json()));
        }
        PlcCommand::Submit { file, id } => {
            let session = session(accounts, id.as_deref()).await?;
            let op = plc::SignedOperation::from_json(read_json(&file)?).map_err(explain)?;
            let before = plc::current(accounts, session.did())
                .await
                .map_err(explain)?
                .fields;
            let changes = plc::diff(&before, &op.fields());
            plc::submit(&session, &op).await.map_err(explain)?;
            let doc =
                serde_json::json!({ "did": session.did(), "submitted": true, "changes": changes });
            out.emit(&doc, || {
                format!(
                    "Submitted the PLC operation for {}.\n{}",
                    session.did(),
                    changes_text(&changes)
                )
            });
        }
        PlcCommand::Current { id } => {
            let did = match id.as_deref().map(str::trim) {
                Some(d) if d.starts_with("did:plc:") => d.to_owned(),
                other => account_did(accounts, other)?,
            };
            let data = plc::current(accounts, &did).await.map_err(explain)?;
            out.emit(&data, || {
                format!("{}\n{}", data.did, fields_text(&data.fields))
            });
        }
        PlcCommand::AddRotationKey {
            key,
            first,
            token,
            id,
        } => {
            let did = account_did(accounts, id.as_deref())?;
            let Some(token) = token.filter(|t| !t.trim().is_empty()) else {
                // Check the key and the limit before mailing a code the person cannot use.
                let before = plc::current(accounts, &did).await.map_err(explain)?.fields;
                plc::with_rotation_key(&before, &key, first).map_err(explain)?;
                let session = session(accounts, Some(&did)).await?;
                plc::request_token(&session).await.map_err(explain)?;
                let doc = serde_json::json!({ "did": did, "requested": true, "added": false });
                out.emit(&doc, || {
                    "The PDS emailed a code (valid 15 minutes). Run this again with --token <code> to add the key.".to_owned()
                });
                return Ok(());
            };
            let applied = plc::add_rotation_key(accounts, &did, &key, first, &token)
                .await
                .map_err(explain)?;
            out.emit(&applied, || {
                format!(
                    "Added rotation key {key} to {did}.\n{}\nRotation keys now:\n{}",
                    changes_text(&applied.changes),
                    numbered(&applied.after.rotation_keys)
                )
            });
        }
    }
    Ok(())
}

async fn session(
    accounts: &Accounts,
    id: Option<&str>,
) -> Result<std::sync::Arc<stratos_core::auth::session::AccountSession>, Problem> {
    let did = account_did(accounts, id)?;
    accounts.session(&did).await.map_err(|e| e.explain())
}

fn read_json(path: &Path) -> Result<serde_json::Value, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem {
        code: "read_failed",
        message: format!("could not read {}: {e}", path.display()),
        hint: None,
    })?;
    serde_json::from_str(&text).map_err(|e| Problem {
        code: "bad_operation",
        message: format!("{} is not JSON: {e}", path.display()),
        hint: Some("Pass the JSON file `plc recommended` or `plc sign` printed.".into()),
    })
}

/// In text mode, what a signature would change goes to stderr before the operation is signed.
fn show_changes(out: &Output, changes: &[Change]) {
    if !out.json {
        eprintln!("{}", changes_text(changes));
    }
}

fn changes_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "No changes.".to_owned();
    }
    let lines: Vec<String> = changes
        .iter()
        .map(|c| format!("  {}", c.description))
        .collect();
    format!("Changes:\n{}", lines.join("\n"))
}

fn numbered(keys: &[String]) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| format!("  {}. {k}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialise")
}

/// PLC fields as aligned text: keys by priority, then methods, aliases and services.
fn fields_text(f: &PlcFields) -> String {
    let mut out = vec!["Rotation keys (highest priority first)".to_owned()];
    out.push(numbered(&f.rotation_keys));
    out.push("Verification methods".to_owned());
    out.extend(
        f.verification_methods
            .iter()
            .map(|(id, k)| format!("  {id:<14}{k}")),
    );
    out.push("Also known as".to_owned());
    out.extend(f.also_known_as.iter().map(|a| format!("  {a}")));
    out.push("Services".to_owned());
    out.extend(
        f.services
            .iter()
            .map(|(id, s)| format!("  {id:<14}{} ({})", s.endpoint, s.kind)),
    );
    out.join("\n")
}
