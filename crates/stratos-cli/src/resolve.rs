//! `stratos resolve <handle|did>`: goat's `resolve`, the DID document behind a handle or DID
//! (no sign-in needed); `--did` prints only the DID.

use stratos_core::resolve;
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// `resolve` arguments, as goat names them.
#[derive(clap::Args)]
pub struct ResolveArgs {
    /// Handle or DID.
    pub id: String,
    /// Just resolve to the DID.
    #[arg(short, long)]
    pub did: bool,
}

/// Runs `resolve`: the DID document as goat prints it (also with `--json`, as one document).
pub async fn run(args: ResolveArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let resolver = accounts.context().resolver();
    if args.did {
        let did = resolve::did(resolver, &args.id)
            .await
            .map_err(|e| e.explain())?;
        out.emit(&serde_json::json!({ "did": did }), || did.clone());
        return Ok(());
    }
    let found = resolve::document(resolver, &args.id)
        .await
        .map_err(|e| e.explain())?;
    out.emit(&found.document, || {
        serde_json::to_string_pretty(&found.document).expect("JSON serialises")
    });
    Ok(())
}
