//! `stratos account migrate`: move the account to another PDS with the core's journalled
//! migration. Progress goes to stderr: bars on a terminal, one line per event otherwise (so
//! scripts and tests can follow it). The PLC code is asked for only after the copy is verified.

use std::io::IsTerminal;

use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;
use stratos_core::backup::CancellationToken;
use stratos_core::migrate::{self, Event, Inputs, MigrateError, Outcome, Plan, Step};
use stratos_core::plc::Change;
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::{input, store};

/// `account migrate` arguments (goat's names).
#[derive(Args)]
pub struct MigrateArgs {
    /// Handle or DID; the selected account when omitted.
    pub id: Option<String>,
    /// The new PDS.
    #[arg(long, value_name = "URL", required_unless_present_any = ["resume", "cancel"])]
    pub pds_host: Option<String>,
    /// The handle on the new PDS.
    #[arg(long, required_unless_present_any = ["resume", "cancel"])]
    pub new_handle: Option<String>,
    /// The email address on the new PDS.
    #[arg(long, required_unless_present_any = ["resume", "cancel"])]
    pub new_email: Option<String>,
    /// The password on the new PDS; also from $NEW_ACCOUNT_PASSWORD (as goat) or
    /// $STRATOS_NEW_PASSWORD, else asked for on a terminal or read as one line of piped stdin.
    #[arg(long)]
    pub new_password: Option<String>,
    /// Invite code for the new PDS.
    #[arg(long)]
    pub invite_code: Option<String>,
    /// The emailed PLC code (the migration asks for it once the copy is verified); also from
    /// $PLC_SIGN_TOKEN, as goat.
    #[arg(long, env = "PLC_SIGN_TOKEN", hide_env_values = true)]
    pub plc_token: Option<String>,
    /// Agree to the identity change without being asked.
    #[arg(long)]
    pub yes: bool,
    /// Continue the migration under way from where it stopped.
    #[arg(long, conflicts_with = "cancel")]
    pub resume: bool,
    /// Stop the migration under way and forget it (only before the identity change).
    #[arg(long)]
    pub cancel: bool,
    /// Leave the old account active at the end.
    #[arg(long)]
    pub keep_source_active: bool,
    /// The old account's password, to deactivate it when it is signed in with OAuth.
    #[arg(long, env = "STRATOS_SOURCE_PASSWORD", hide_env_values = true)]
    pub source_password: Option<String>,
    /// Blobs copied at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: u16,
}

/// Runs `account migrate`.
pub async fn run(args: MigrateArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: MigrateError| e.explain();
    let did = accounts
        .find(args.id.as_deref())
        .map_err(|e| e.explain())?
        .did;
    if args.cancel {
        migrate::cancel(&accounts, &did).await.map_err(e)?;
        out.emit(&json!({ "did": did, "cancelled": true }), || {
            "Migration cancelled. The old account was not changed.".to_owned()
        });
        return Ok(());
    }
    let terminal = std::io::stderr().is_terminal() && !out.json;
    let mut password = args.new_password.clone();
    if password.is_none() {
        let needed = !args.resume
            || migrate::journal(&accounts, &did)
                .map_err(e)?
                .is_some_and(|j| !j.is_done(Step::CreateAccount));
        if needed {
            let asked = MigrateError::TargetPasswordNeeded.explain();
            password = Some(input::obtain_for(asked, None, &input::MIGRATION_PASSWORD)?);
        }
    }
    let view = View::new(terminal);
    let progress = |event: Event| view.show(&event);
    if !args.resume {
        let plan = Plan {
            account: did.clone(),
            target_pds: args.pds_host.clone().unwrap_or_default(),
            handle: args.new_handle.clone().unwrap_or_default(),
            email: args.new_email.clone().unwrap_or_default(),
            password: password.clone().unwrap_or_default(),
            invite_code: args.invite_code.clone(),
            deactivate_source: !args.keep_source_active,
        };
        migrate::start(&accounts, &plan, &progress)
            .await
            .map_err(e)?;
    }
    let mut inputs = Inputs {
        password,
        source_password: args.source_password.clone(),
        plc_token: args.plc_token.clone(),
        confirmed: args.yes,
        concurrency: usize::from(args.concurrency),
    };
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let result = loop {
        let outcome = migrate::run(&accounts, &did, &inputs, &progress, &cancel).await;
        match outcome {
            Ok(Outcome::NeedsPlcToken {
                changes,
                email_sent,
            }) => {
                view.clear();
                let sent = if email_sent {
                    "A code was emailed to the account's address."
                } else {
                    "The code emailed less than 15 minutes ago is still valid."
                };
                if !std::io::stdin().is_terminal() || out.json {
                    break Err(Problem {
                        detail: None,
                        code: "plc_token_needed",
                        message: format!(
                            "the copy is verified; the identity change needs the emailed code. {sent}\n{}",
                            describe(&changes)
                        ),
                        hint: Some(
                            "Run again with --resume --plc-token CODE (and --yes to agree to the change)."
                                .to_owned(),
                        ),
                    });
                }
                eprintln!("{}\n{sent}", describe(&changes));
                inputs.plc_token = Some(input::prompt_line("Code from the email: ")?);
            }
            Ok(Outcome::NeedsConfirmation { changes }) => {
                view.clear();
                if !std::io::stdin().is_terminal() || out.json {
                    break Err(Problem {
                        detail: None,
                        code: "confirmation_needed",
                        message: format!(
                            "the identity change needs your agreement:\n{}",
                            describe(&changes)
                        ),
                        hint: Some("Run again with --resume --plc-token CODE --yes.".to_owned()),
                    });
                }
                eprintln!("{}", describe(&changes));
                let answer =
                    input::prompt_line("Type yes to point your identity at the new server: ")?;
                if answer.trim() != "yes" {
                    break Err(Problem {
                        detail: None,
                        code: "not_confirmed",
                        message: "the identity was not changed".to_owned(),
                        hint: Some("Run again with --resume when ready, or --cancel.".to_owned()),
                    });
                }
                inputs.confirmed = true;
            }
            Ok(Outcome::Done { journal }) => {
                view.clear();
                let doc = json!({ "did": journal.did, "migrated": true, "journal": journal });
                out.emit(&doc, || {
                    let f = &journal.facts;
                    let mut lines = vec![
                        format!("Migrated {} to {} as {}.", journal.did, journal.target_pds, journal.handle),
                        format!(
                            "Records: {} in {} collections. Blobs copied: {} ({} bytes). Repository: {} bytes.",
                            f.records.values().sum::<u64>(),
                            f.records.len(),
                            f.blobs_copied,
                            f.blob_bytes,
                            f.repo_bytes
                        ),
                    ];
                    lines.extend(f.notes.iter().map(|n| format!("Note: {n}")));
                    lines.join("\n")
                });
                break Ok(());
            }
            Err(err) => {
                view.clear();
                break Err(e(err));
            }
        }
    };
    watcher.abort();
    result
}

/// The identity change, one line per change.
fn describe(changes: &[Change]) -> String {
    let mut lines = vec!["The identity change (PLC operation):".to_owned()];
    lines.extend(changes.iter().map(|c| format!("  - {}", c.description)));
    lines.join("\n")
}

/// Progress on stderr: bars on a terminal, plain lines otherwise.
struct View {
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
}

impl View {
    fn new(terminal: bool) -> Self {
        let bars = terminal.then(|| {
            let multi = MultiProgress::new();
            let step = multi.add(ProgressBar::new(Step::ALL.len() as u64));
            step.set_style(
                ProgressStyle::with_template("{prefix:>6} [{bar:30}] {pos}/{len} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            step.set_prefix("Steps");
            let data = multi.add(ProgressBar::hidden());
            data.set_style(
                ProgressStyle::with_template(
                    "{prefix:>6} [{bar:30}] {pos}/{len} {msg} {binary_bytes_per_sec} ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            (multi, step, data)
        });
        Self { bars }
    }

    fn show(&self, event: &Event) {
        match (&self.bars, event) {
            (Some((_, step, _)), Event::StepStarted { step: s }) => step.set_message(s.label()),
            (Some((_, step, _)), Event::StepDone { .. }) => step.inc(1),
            (Some((_, _, data)), Event::Repo { bytes }) => {
                data.set_prefix("Repo");
                data.set_message(format!("{} KiB", bytes / 1024));
            }
            (Some((_, _, data)), Event::Blobs { done, total, bytes }) => {
                data.set_prefix("Blobs");
                data.set_length(*total);
                data.set_position(*done);
                data.set_message(format!("{} MiB", bytes / (1024 * 1024)));
            }
            (
                Some((multi, _, _)),
                Event::Retry {
                    what,
                    attempt,
                    wait_secs,
                    reason,
                },
            ) => {
                let _ = multi.println(format!(
                    "retry {what} (attempt {attempt}) in {wait_secs} s: {reason}"
                ));
            }
            (None, Event::StepStarted { step }) => eprintln!("[migrate] started {}", name(*step)),
            (None, Event::StepDone { step }) => eprintln!("[migrate] done {}", name(*step)),
            (None, Event::Repo { .. }) => {}
            (None, Event::Blobs { done, total, bytes }) => {
                eprintln!("[migrate] blobs {done}/{total} {bytes} bytes")
            }
            (
                None,
                Event::Retry {
                    what,
                    attempt,
                    wait_secs,
                    reason,
                },
            ) => {
                eprintln!("[migrate] retry {what} attempt {attempt} in {wait_secs}s: {reason}")
            }
        }
    }

    fn clear(&self) {
        if let Some((multi, _, _)) = &self.bars {
            let _ = multi.clear();
        }
    }
}

/// The step's name in progress lines (the journal's camelCase name).
fn name(step: Step) -> String {
    serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
