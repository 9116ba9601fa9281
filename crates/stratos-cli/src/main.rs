//! `stratos`: goat-style account commands over the Stratos core.
//!
//! Every command prints human text by default and exactly one JSON document with `--json`.
//! Failures print a message (and hint) on stderr and exit non-zero.

mod account;
mod account_activation;
mod account_app_passwords;
mod account_backup;
mod account_blobs;
mod account_create;
mod account_deletion;
mod account_devices;
mod account_email;
mod account_handle;
mod account_migrate;
mod account_oauth;
mod account_password;
mod account_plc;
mod account_prefs;
mod account_recover;
mod account_service_auth;
mod account_status;
mod backup;
mod blob;
mod input;
mod keys;
mod package_files;
mod pds;
mod plc;
mod render;
mod repo;
mod resolve;
mod store;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stratos_core::{Config, Problem};

/// Manage AT Protocol accounts on any PDS.
#[derive(Parser)]
#[command(name = "stratos", version, about)]
struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Log progress on stderr (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Account sign-in, status and management.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Keypairs held in the OS keychain (recovery keys, offline signing keys).
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Incremental, verified backups of accounts, kept in a backup folder.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Repository CAR files: export from the PDS, import into the account's own PDS, list and
    /// inspect one.
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Blobs (images, videos): list, download, upload, export every one into a folder.
    #[command(subcommand)]
    Blob(blob::BlobCommand),
    /// Look up a handle or DID: its DID document (goat's `resolve`).
    Resolve(resolve::ResolveArgs),
    /// Inspect a PDS (goat's `pds`).
    #[command(subcommand)]
    Pds(pds::PdsCommand),
    /// The PLC directory itself: an identity's data, operations signed here and submitted
    /// (goat's `plc`; changes through the PDS are `account plc`).
    Plc(plc::PlcArgs),
    /// Write the shell completions and man pages the packages install (for scripts/bundle.sh).
    #[command(hide = true)]
    GeneratePackageFiles(package_files::PackageFilesArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    env_logger::Builder::from_env(
        env_logger::Env::default()
            .default_filter_or(format!("stratos={level},stratos_core={level}")),
    )
    .format_target(false)
    .init();
    let out = render::Output::new(cli.json);
    let result = match Config::from_env() {
        Ok(config) => match cli.command {
            Command::Account(cmd) => account::run(cmd, config, &out).await,
            Command::Key(cmd) => keys::run(cmd, config, &out).await,
            Command::Backup(cmd) => backup::run(cmd, config, &out).await,
            Command::Repo(cmd) => repo::run(cmd, config, &out).await,
            Command::Blob(cmd) => blob::run(cmd, config, &out).await,
            Command::Resolve(args) => resolve::run(args, config, &out).await,
            Command::Pds(cmd) => pds::run(cmd, config, &out).await,
            Command::Plc(args) => plc::run(args, config, &out).await,
            Command::GeneratePackageFiles(args) => package_files::run::<Cli>(args, &out),
        },
        Err(e) => Err(Problem {
            detail: None,
            code: "config",
            message: e.to_string(),
            hint: None,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            out.problem(&problem);
            ExitCode::FAILURE
        }
    }
}
