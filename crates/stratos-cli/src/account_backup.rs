//! `stratos account backup`: the older name of `stratos backup run --to DIR`. It used to write a
//! one-off full copy (a CAR and a blobs folder); it now takes the same incremental, verified
//! snapshot into the folder, so that one folder format serves backups, verify and recovery.
//! Kept so scripts keep working; it says what to use instead.

use std::path::PathBuf;

use clap::Args;
use stratos_core::{Config, Problem};

use crate::render::Output;
use crate::{backup, store};

/// `account backup` arguments.
#[derive(Args)]
pub struct BackupArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The backup folder to take the snapshot into (created; the next run stores only what
    /// changed).
    #[arg(long)]
    pub to: PathBuf,
}

/// Runs `account backup` as `backup run --account ID --to DIR`, after a note on stderr (so a
/// `--json` reader still gets exactly one document on stdout).
pub async fn run(args: BackupArgs, config: Config, out: &Output) -> Result<(), Problem> {
    eprintln!(
        "Note: `stratos account backup` is deprecated; it now does what `stratos backup run --to {}` does (an incremental, verified snapshot). Use that; `stratos backup export` writes a CAR and a blobs folder.",
        args.to.display()
    );
    let accounts = store::open(config)?;
    let did = store::account_did(&accounts, args.id.as_deref())?;
    backup::run_backups(&accounts, &[did], &args.to, out).await
}
