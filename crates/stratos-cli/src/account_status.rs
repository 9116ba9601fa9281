//! `stratos account status <id>`: the public status of any account (no sign-in needed):
//! identity, handle check, PDS and repository.

use stratos_core::{Config, Explain, Problem};

use crate::render::{self, Output};
use crate::store;

/// `account status` arguments.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Handle or DID.
    pub id: String,
}

/// Runs `account status`: the report, then a failure when the PDS could not be reached.
pub async fn run(args: StatusArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let report = accounts.lookup(&args.id).await.map_err(|e| e.explain())?;
    out.emit(&report, || render::status(&report));
    if !report.pds.reachable {
        return Err(Problem {
            detail: None,
            code: "pds_unreachable",
            message: format!(
                "the PDS of {} could not be reached: {}",
                report.did,
                report.pds.error.as_deref().unwrap_or("no answer")
            ),
            hint: Some("The report above is incomplete.".into()),
        });
    }
    Ok(())
}
