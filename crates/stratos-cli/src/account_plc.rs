//! `stratos account plc …`: the account's did:plc identity through its PDS, as goat's
//! `account plc` verbs (see `stratos_core::plc`). Changes through the PDS need the code it
//! emails: `request-token` first, then `--token`.
//!
//! The identity guard's verbs (`history`, `check`, `ack`, `undo`, `update`) work with the
//! directory directly (see `stratos_core::plc::guard`): `update` and `undo` are signed with a
//! rotation key in this keychain, no PDS involved.

use std::path::Path;

use chrono::Utc;
use clap::Subcommand;
use stratos_core::plc::guard::{self, Edit, GuardError};
use stratos_core::plc::history::{self, SignerKind};
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
    /// The DID's whole history from the directory, verified here: each operation's time, who
    /// signed it (the PDS, one of your keys, or unknown) and what it changed.
    History {
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Verify the history and list changes Stratos did not make and you did not acknowledge.
    /// Exits non-zero when there is one, or when the history does not verify.
    Check {
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// "This was me": stop reporting the unexpected changes (all of them, or the --cid given).
    Ack {
        /// Only these operations (CIDs, as `check` lists them).
        #[arg(long)]
        cid: Vec<String>,
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Undo the unexpected changes with a higher rotation key in this keychain (within 72 hours
    /// of the first). Shows what it would do; --yes sends it.
    Undo {
        /// The rotation key to sign with; the highest one this keychain holds when omitted.
        #[arg(long)]
        key: Option<String>,
        /// Send it.
        #[arg(long)]
        yes: bool,
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
        id: Option<String>,
    },
    /// Change the identity with a rotation key in this keychain, signed here and sent straight to
    /// the directory. Shows the changes; --yes sends them.
    Update {
        /// New handle (replaces the first at:// alias).
        #[arg(long)]
        handle: Option<String>,
        /// New PDS URL (services.atproto_pds).
        #[arg(long)]
        pds: Option<String>,
        /// A rotation key (did:key) to add, last unless --first.
        #[arg(long)]
        add_rotation_key: Option<String>,
        /// Put the added key first (highest priority).
        #[arg(long, requires = "add_rotation_key")]
        first: bool,
        /// A rotation key (did:key) to remove.
        #[arg(long)]
        remove_rotation_key: Option<String>,
        /// New repository signing key (verificationMethods.atproto), a did:key.
        #[arg(long)]
        atproto_key: Option<String>,
        /// The rotation key in this keychain that signs (a did:key).
        #[arg(long)]
        key: String,
        /// Send it.
        #[arg(long)]
        yes: bool,
        /// A did:plc, or a signed-in handle or DID; the selected account when omitted.
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
            guard::remember_submitted(accounts, session.did(), op.json()).await;
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
            let did = plc_did(accounts, id.as_deref())?;
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
        PlcCommand::History { id } => {
            let did = plc_did(accounts, id.as_deref())?;
            let history = history::history(accounts, &did).await.map_err(explain)?;
            out.emit(&history, || history_text(&history));
        }
        PlcCommand::Check { id } => {
            let did = plc_did(accounts, id.as_deref())?;
            let check = guard::check(accounts, &did, Utc::now())
                .await
                .map_err(guarded)?;
            out.emit(&check, || check_text(&check));
            if let Some(p) = &check.problem {
                return Err(p.explain());
            }
            if !check.unexpected.is_empty() {
                return Err(Problem {
                    detail: None,
                    code: "plc_unexpected_change",
                    message: format!(
                        "{} has {} PLC change(s) Stratos did not make",
                        did,
                        check.unexpected.len()
                    ),
                    hint: Some(
                        "If it was you: `stratos account plc ack`. If not: `stratos account plc undo`."
                            .into(),
                    ),
                });
            }
        }
        PlcCommand::Ack { cid, id } => {
            let did = plc_did(accounts, id.as_deref())?;
            let cids = if cid.is_empty() {
                guard::check(accounts, &did, Utc::now())
                    .await
                    .map_err(guarded)?
                    .unexpected
                    .into_iter()
                    .map(|u| u.cid)
                    .collect()
            } else {
                cid
            };
            guard::acknowledge(accounts, &did, &cids)
                .await
                .map_err(guarded)?;
            let doc = serde_json::json!({ "did": did, "acknowledged": cids });
            out.emit(&doc, || match cids.len() {
                0 => "Nothing to acknowledge.".to_owned(),
                n => format!("Acknowledged {n} change(s) of {did} as yours."),
            });
        }
        PlcCommand::Undo { key, yes, id } => {
            let did = plc_did(accounts, id.as_deref())?;
            let now = Utc::now();
            if !yes {
                let plan = guard::preview_undo(accounts, &did, key.as_deref(), now)
                    .await
                    .map_err(guarded)?;
                let doc = serde_json::json!({ "preview": plan, "submitted": false });
                out.emit(&doc, || {
                    format!(
                        "Undo {} change(s) of {did}, signed by {} (possible until {}).
{}
Run again with --yes to send it.",
                        plan.replaced.len(),
                        plan.key,
                        plan.deadline,
                        changes_text(&plan.changes)
                    )
                });
                return Ok(());
            }
            let done = guard::undo(accounts, &did, key.as_deref(), now)
                .await
                .map_err(guarded)?;
            out.emit(&done, || {
                format!(
                    "Undone: {} change(s) of {did} replaced by {}.",
                    done.replaced.len(),
                    done.cid
                )
            });
        }
        PlcCommand::Update {
            handle,
            pds,
            add_rotation_key,
            first,
            remove_rotation_key,
            atproto_key,
            key,
            yes,
            id,
        } => {
            let did = plc_did(accounts, id.as_deref())?;
            let edit = Edit {
                handle,
                pds,
                add_rotation_key: add_rotation_key.map(|k| (k, first)),
                remove_rotation_key,
                atproto_key,
            };
            let prepared = guard::prepare_update(accounts, &did, &edit, &key)
                .await
                .map_err(guarded)?;
            if !yes {
                let doc = serde_json::json!({ "prepared": prepared, "submitted": false });
                out.emit(&doc, || {
                    format!(
                        "{}
Signed by {} when sent. Run again with --yes to send it.",
                        changes_text(&prepared.changes),
                        prepared.key
                    )
                });
                return Ok(());
            }
            show_changes(out, &prepared.changes);
            let done = guard::submit_update(accounts, &prepared)
                .await
                .map_err(guarded)?;
            out.emit(&done, || {
                format!("Sent the change of {did} to the directory ({}).", done.cid)
            });
        }
    }
    Ok(())
}

fn guarded(e: GuardError) -> Problem {
    e.explain()
}

/// A did:plc as given, or the DID of a signed-in account (the selected one when omitted).
fn plc_did(accounts: &Accounts, id: Option<&str>) -> Result<String, Problem> {
    match id.map(str::trim) {
        Some(d) if d.starts_with("did:plc:") => Ok(d.to_owned()),
        Some(d) if d.starts_with("did:") => {
            Err(plc::PlcError::NotPlc { did: d.to_owned() }.explain())
        }
        other => account_did(accounts, other),
    }
}

fn signer_text(s: &history::Signer) -> String {
    let whose = match s.kind {
        SignerKind::Pds => "the PDS's key",
        SignerKind::Mine => "your key",
        SignerKind::Unknown => "an unknown key",
    };
    match (&s.key, s.position) {
        (Some(k), Some(p)) => format!("{whose} #{p} {k}"),
        _ => "no rotation key in force (bad signature)".to_owned(),
    }
}

fn history_text(h: &history::History) -> String {
    let mut out = vec![h.did.clone()];
    for (i, e) in h.entries.iter().enumerate() {
        let mark = match (e.nullified, e.tombstone) {
            (true, _) => "  [nullified]",
            (false, true) => "  [tombstone]",
            _ => "",
        };
        out.push(format!("{}. {}  {}{mark}", i + 1, e.created_at, e.cid));
        out.push(format!("   signed by {}", signer_text(&e.signer)));
        out.extend(e.changes.iter().map(|c| format!("   {}", c.description)));
    }
    out.push(match &h.problem {
        None => "The history verifies.".to_owned(),
        Some(p) => format!("WARNING: {p}"),
    });
    out.join("\n")
}

fn check_text(c: &guard::Check) -> String {
    if let Some(p) = &c.problem {
        return format!("WARNING: {p}");
    }
    if c.unexpected.is_empty() {
        return if c.first_look {
            format!(
                "The history of {} verifies; its operations are now known.",
                c.did
            )
        } else {
            format!("The history of {} verifies; no unexpected changes.", c.did)
        };
    }
    let mut out = vec![format!("UNEXPECTED changes to {}:", c.did)];
    for u in &c.unexpected {
        out.push(format!("  {}  {}", u.created_at, u.cid));
        out.push(format!("    signed by {}", signer_text(&u.signer)));
        out.extend(u.changes.iter().map(|ch| format!("    {}", ch.description)));
    }
    if let Some(undo) = &c.undo {
        out.push(match (&undo.key, &undo.reason) {
            (Some(k), None) => format!(
                "You can undo this with {k} until {} (`stratos account plc undo`).",
                undo.deadline
            ),
            (_, reason) => format!(
                "It cannot be undone from here: {}",
                reason.as_deref().unwrap_or("unknown reason")
            ),
        });
    }
    out.join("\n")
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
        detail: None,
        code: "read_failed",
        message: format!("could not read {}: {e}", path.display()),
        hint: None,
    })?;
    serde_json::from_str(&text).map_err(|e| Problem {
        detail: None,
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
