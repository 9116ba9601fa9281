//! `stratos plc data|sign|submit`: goat's `plc` verbs, which talk to the PLC directory itself
//! rather than through a PDS (those are `stratos account plc …`). An operation is signed with a
//! rotation key in this keychain (`--key`), or with a private key given as goat takes it
//! (`--plc-signing-key` or `$PLC_SIGNING_KEY`), and sent straight to the directory.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use stratos_core::base::identifier::parse_service_url;
use stratos_core::config::PLC_URL_VAR;
use stratos_core::keys::{self, PrivateKey};
use stratos_core::plc::guard;
use stratos_core::plc::{self, operation};
use stratos_core::{Config, Explain, Problem, resolve};

use crate::input::{self, Need};
use crate::render::Output;
use crate::store;

/// A private key to sign with when it is not in the keychain, as goat reads it.
const PLC_SIGNING_KEY: Need = Need {
    what: "private key",
    flag: "--plc-signing-key",
    env: &["PLC_SIGNING_KEY"],
    prompt: "Private key (multibase): ",
    secret: true,
};

/// `plc` and its verbs, with goat's `--plc-host`.
#[derive(clap::Args)]
pub struct PlcArgs {
    /// The PLC directory for this command (goat's flag; also from $ATP_PLC_HOST), instead of
    /// STRATOS_PLC_URL or the one in Settings.
    #[arg(long, env = "ATP_PLC_HOST", global = true)]
    plc_host: Option<String>,
    #[command(subcommand)]
    command: PlcCommand,
}

/// Directory verbs, as goat names them.
#[derive(Subcommand)]
pub enum PlcCommand {
    /// The identity's current data (rotation keys, verification methods, handles, services) from
    /// the PLC directory.
    Data {
        /// A handle or did:plc.
        id: String,
    },
    /// Sign an operation (JSON file) so it can be submitted; prints the signed operation.
    Sign {
        /// The operation, e.g. `plc data` edited, with `type` and `prev` (the CID it follows).
        file: PathBuf,
        /// A rotation key in this keychain (its did:key, as `stratos key list` shows).
        #[arg(long, conflicts_with = "plc_signing_key")]
        key: Option<String>,
        /// The private key (multibase), when it is not in the keychain; also from
        /// $PLC_SIGNING_KEY or one line of piped stdin.
        #[arg(long)]
        plc_signing_key: Option<String>,
    },
    /// Submit a signed operation (JSON file) to the PLC directory.
    Submit {
        /// The signed operation, as `plc sign` prints it.
        file: PathBuf,
        /// The DID the operation changes.
        #[arg(long, required_unless_present = "genesis", conflicts_with = "genesis")]
        did: Option<String>,
        /// The operation creates a new DID (it has no prev).
        #[arg(long)]
        genesis: bool,
    },
}

/// Runs one `plc` verb.
pub async fn run(args: PlcArgs, mut config: Config, out: &Output) -> Result<(), Problem> {
    if let Some(host) = args.plc_host.as_deref().filter(|h| !h.trim().is_empty()) {
        config.plc_url = parse_service_url(host).map_err(|e| e.explain())?;
        // As the environment variable does, this wins over the directory saved in Settings.
        config.set_by_env.push(PLC_URL_VAR);
    }
    let cmd = args.command;
    let accounts = &store::open(config)?;
    let explain = |e: plc::PlcError| e.explain();
    match cmd {
        PlcCommand::Data { id } => {
            let did = resolve::did(accounts.context().resolver(), &id)
                .await
                .map_err(|e| e.explain())?;
            if !did.starts_with("did:plc:") {
                return Err(explain(plc::PlcError::NotPlc { did }));
            }
            let data = plc::current(accounts, &did).await.map_err(explain)?;
            out.emit(&data, || {
                pretty(&serde_json::to_value(&data).expect("serialises"))
            });
        }
        PlcCommand::Sign {
            file,
            key,
            plc_signing_key,
        } => {
            let op = read_json(&file)?;
            let private = match key {
                Some(did_key) => keys::load(accounts, &did_key)
                    .await
                    .map_err(|e| e.explain())?,
                None => {
                    let text = input::obtain(plc_signing_key, &PLC_SIGNING_KEY)?;
                    PrivateKey::from_multibase(text.trim()).map_err(|e| e.explain())?
                }
            };
            let signed = operation::sign(&op, &private).map_err(explain)?;
            out.emit(&signed, || pretty(&signed));
        }
        PlcCommand::Submit { file, did, genesis } => {
            let op = read_json(&file)?;
            let did = if genesis { None } else { did };
            let sent = guard::submit_signed(accounts, did.as_deref(), &op)
                .await
                .map_err(|e| e.explain())?;
            out.emit(&sent, || {
                format!(
                    "The PLC directory accepted operation {} for {}.",
                    sent.cid, sent.did
                )
            });
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<serde_json::Value, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem {
        code: "read_failed",
        message: format!(
            "could not read {}: {}",
            path.display(),
            stratos_core::base::plain::io(&e)
        ),
        hint: None,
        detail: Some(e.to_string()),
    })?;
    serde_json::from_str(&text).map_err(|e| Problem {
        code: "bad_operation",
        message: format!("{} is not JSON: {e}", path.display()),
        hint: Some("Pass a PLC operation as a JSON file.".into()),
        detail: None,
    })
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialise")
}
