//! `stratos key …`: atproto keypairs held in the OS keychain (see `stratos_core::keys`), e.g. a
//! recovery key to add with `account plc add-rotation-key`.

use std::path::PathBuf;

use clap::Subcommand;
use stratos_core::keys::{self, KeyType};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// Key verbs.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Make a new keypair: the private key goes into the keychain, the did:key is printed.
    Generate {
        /// The curve: k256 (secp256k1, as the reference PDS) or p256.
        #[arg(long = "type", value_enum, default_value = "k256")]
        kind: KeyTypeArg,
    },
    /// The keys this computer's keychain holds.
    List,
    /// Write a private key (multibase, as goat prints it) to a new file. Keep that file offline.
    Export {
        /// The key's did:key, as listed.
        did_key: String,
        /// The file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Write the 24 recovery words (secp256k1 keys) instead of the multibase key.
        #[arg(long)]
        words: bool,
    },
    /// Put a private key back into the keychain: from an export file (multibase or the 24
    /// words), or the 24 words typed after --words.
    Import {
        /// The file `key export` wrote.
        #[arg(long, conflicts_with = "words", required_unless_present = "words")]
        file: Option<PathBuf>,
        /// The 24 recovery words, in order (quote them, or give them as separate arguments).
        #[arg(long, num_args = 1..)]
        words: Option<Vec<String>>,
    },
    /// What a public key is: its curve, its canonical did:key, and whether this keychain holds
    /// its private key.
    Inspect {
        /// A did:key or bare multibase public key.
        key: String,
    },
}

/// `--type` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum KeyTypeArg {
    /// secp256k1.
    K256,
    /// NIST P-256.
    P256,
}

impl From<KeyTypeArg> for KeyType {
    fn from(k: KeyTypeArg) -> Self {
        match k {
            KeyTypeArg::K256 => KeyType::K256,
            KeyTypeArg::P256 => KeyType::P256,
        }
    }
}

/// Runs one key verb.
pub async fn run(cmd: KeyCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let explain = |e: keys::KeyError| e.explain();
    match cmd {
        KeyCommand::Generate { kind } => {
            let record = keys::generate(&accounts, kind.into())
                .await
                .map_err(explain)?;
            if !out.json {
                eprintln!("The private key is in your keychain. Its public key:");
            }
            out.emit(&record, || record.did_key.clone());
        }
        KeyCommand::List => {
            let list = keys::list(&accounts).map_err(explain)?;
            let doc = serde_json::json!({ "keys": list });
            out.emit(&doc, || {
                if list.is_empty() {
                    return "No keys. Make one with `stratos key generate`.".to_owned();
                }
                list.iter()
                    .map(|k| {
                        let kind = match k.kind {
                            KeyType::K256 => "k256",
                            KeyType::P256 => "p256",
                        };
                        format!(
                            "{}  {kind}  {}",
                            k.did_key,
                            k.created_at.format("%Y-%m-%d %H:%M")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        KeyCommand::Export {
            did_key,
            out: path,
            words,
        } => {
            eprintln!("warning: {}", keys::EXPORT_WARNING);
            let done = if words {
                keys::export_words(&accounts, &did_key, &path).await
            } else {
                keys::export(&accounts, &did_key, &path).await
            }
            .map_err(explain)?;
            let doc = serde_json::json!({
                "didKey": done.did_key, "path": done.path, "warning": keys::EXPORT_WARNING,
            });
            out.emit(&doc, || {
                format!(
                    "Wrote the private key of {} to {}",
                    done.did_key,
                    done.path.display()
                )
            });
        }
        KeyCommand::Import { file, words } => {
            let text = match (file, words) {
                (Some(path), _) => std::fs::read_to_string(&path).map_err(|e| Problem {
                    detail: None,
                    code: "read_failed",
                    message: format!("could not read {}: {e}", path.display()),
                    hint: None,
                })?,
                (None, words) => words.unwrap_or_default().join(" "),
            };
            let record = keys::import(&accounts, &text).await.map_err(explain)?;
            out.emit(&record, || {
                format!("Imported {} into the keychain.", record.did_key)
            });
        }
        KeyCommand::Inspect { key } => {
            let info = keys::inspect(&accounts, &key).map_err(explain)?;
            out.emit(&info, || {
                let curve = match info.kind {
                    KeyType::K256 => "secp256k1 (k256)",
                    KeyType::P256 => "P-256",
                };
                let held = if info.held {
                    "yes: this keychain holds its private key"
                } else {
                    "no"
                };
                format!(
                    "{:<10}{}\n{:<10}{curve}\n{:<10}{held}",
                    "did:key", info.did_key, "curve", "held"
                )
            });
        }
    }
    Ok(())
}
