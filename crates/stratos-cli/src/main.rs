//! `stratos`: goat-style account commands over the Stratos core.
//!
//! Every command prints human text by default and exactly one JSON document with `--json`.
//! Failures print a message (and hint) on stderr and exit non-zero.

mod account;
mod key;
mod manage;
mod oauth_login;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stratos_core::{Accounts, Config, Explain, Problem};

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
    Key(key::KeyCommand),
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
            Command::Key(cmd) => key::run(cmd, config, &out).await,
        },
        Err(e) => Err(Problem {
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

/// Opens the account store, explaining a failure (no keychain on this platform).
fn open(config: Config) -> Result<Accounts, Problem> {
    Accounts::open(config).map_err(|e| e.explain())
}

/// Asks for a line on the terminal (a code, a yes); an empty answer or a closed input is an
/// error the person can act on.
fn prompt_line(label: &str) -> Result<String, Problem> {
    use std::io::{BufRead, Write};
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{label}");
    let _ = stderr.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(n) if n > 0 && !line.trim().is_empty() => Ok(line.trim().to_owned()),
        _ => Err(Problem {
            code: "no_answer",
            message: "no answer was given".to_owned(),
            hint: Some("Pass it as an option instead (see --help).".to_owned()),
        }),
    }
}

/// Asks for a secret on the terminal without echoing it.
fn prompt_secret(label: &str) -> Result<String, Problem> {
    rpassword::prompt_password(label)
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Problem {
            code: "no_answer",
            message: "no password was given".to_owned(),
            hint: Some("Pass it as an option instead (see --help).".to_owned()),
        })
}
