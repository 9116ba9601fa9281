//! `stratos account recover`: rebuild an account whose PDS is gone on a new PDS, from a backup
//! snapshot and a rotation key in this keychain, with the core's journalled recovery. The old
//! PDS is never contacted. Progress goes to stderr, as `account migrate` does it.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use stratos_core::backup::CancellationToken;
use stratos_core::recover::{self, Event, Plan, RecoverError, Step};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::{input, store};

/// `account recover` arguments (goat's names where goat has them).
#[derive(Args)]
pub struct RecoverArgs {
    /// The new PDS.
    #[arg(long, value_name = "URL", required_unless_present = "resume")]
    pub pds_host: Option<String>,
    /// The handle on the new PDS.
    #[arg(long, required_unless_present = "resume")]
    pub handle: Option<String>,
    /// The email address on the new PDS.
    #[arg(long, required_unless_present = "resume")]
    pub email: Option<String>,
    /// The password on the new PDS; also from $NEW_ACCOUNT_PASSWORD, else asked for on a
    /// terminal or read as one line of piped stdin.
    #[arg(long)]
    pub password: Option<String>,
    /// Invite code for the new PDS.
    #[arg(long)]
    pub invite_code: Option<String>,
    /// The backup folder (see `stratos backup`).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["did", "identity_only"])]
    pub from_backup: Option<PathBuf>,
    /// Go on from a damaged backup without its damaged parts; what will be missing is said
    /// before anything is made.
    #[arg(long, requires = "from_backup")]
    pub skip_damaged: bool,
    /// Without any copy of the data, move the identity alone: the account comes back with no
    /// posts, follows, media or other data. Must be asked for explicitly.
    #[arg(long, conflicts_with_all = ["from_backup", "snapshot", "skip_damaged", "resume"], requires = "did")]
    pub identity_only: bool,
    /// The snapshot to restore; the newest when omitted.
    #[arg(long)]
    pub snapshot: Option<String>,
    /// The account's DID, when the backup folder holds several accounts.
    #[arg(long)]
    pub did: Option<String>,
    /// The rotation key (did:key, in this keychain) that signs the identity changes; the first
    /// keychain key among the DID's rotation keys when omitted.
    #[arg(long, value_name = "DID_KEY")]
    pub key: Option<String>,
    /// Agree to the identity changes without being asked.
    #[arg(long)]
    pub yes: bool,
    /// Continue the recovery under way from where it stopped.
    #[arg(long)]
    pub resume: bool,
}

/// Runs `account recover`.
pub async fn run(args: RecoverArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = store::open(config)?;
    let e = |e: RecoverError| e.explain();
    let did = match (&args.did, &args.from_backup) {
        (Some(did), _) => did.clone(),
        (None, Some(dir)) => recover::only_account(dir).map_err(e)?,
        (None, None) => unreachable!("clap requires one of them"),
    };
    let journal = recover::journal(&accounts, &did).map_err(e)?;
    let needs_password = match (&journal, args.resume) {
        (Some(j), true) => !j.is_done(Step::CreateAccount),
        _ => true,
    };
    let password = if needs_password {
        let asked = RecoverError::PasswordNeeded.explain();
        Some(input::obtain_for(
            asked,
            args.password.clone(),
            &input::NEW_ACCOUNT_PASSWORD,
        )?)
    } else {
        args.password.clone()
    };
    let plan = Plan {
        did: Some(did.clone()),
        pds: args.pds_host.clone().unwrap_or_default(),
        handle: args.handle.clone().unwrap_or_default(),
        email: args.email.clone().unwrap_or_default(),
        password: password.clone(),
        invite_code: args.invite_code.clone(),
        backup_dir: args.from_backup.clone().unwrap_or_default(),
        snapshot: args.snapshot.clone(),
        rotation_key: args.key.clone(),
        skip_damaged: args.skip_damaged,
        identity_only: args.identity_only,
    };
    // The check creates nothing; what will be missing is said before anything is made.
    let checked = if args.resume {
        None
    } else {
        let j = recover::check(&accounts, &plan).await.map_err(e)?;
        for line in missing_lines(&j) {
            eprintln!("{line}");
        }
        Some(j)
    };
    if let Some(j) = checked.as_ref().filter(|_| !args.yes) {
        let mut what = format!(
            "Recovering {did} onto {} signs two identity changes with your rotation key: a new signing key, then the new server with your key first.",
            j.pds
        );
        if !j.missing.is_empty() {
            what.push_str(&format!(
                " Missing from the account afterwards: {}.",
                j.missing.join("; ")
            ));
        }
        if !std::io::stdin().is_terminal() || out.json {
            return Err(Problem {
                detail: None,
                code: "confirmation_needed",
                message: format!("the recovery needs your agreement: {what}"),
                hint: Some("Run again with --yes.".to_owned()),
            });
        }
        eprintln!("{what}");
        let answer = input::prompt_line("Type yes to go ahead: ")?;
        if answer.trim() != "yes" {
            return Err(Problem {
                detail: None,
                code: "not_confirmed",
                message: "nothing was changed".to_owned(),
                hint: None,
            });
        }
    }
    let view = View::new(std::io::stderr().is_terminal() && !out.json);
    let progress = |event: Event| view.show(&event);
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let result = match checked {
        None => recover::resume(&accounts, &did, password.as_deref(), &progress, &cancel).await,
        Some(j) => {
            progress(Event::StepStarted { step: Step::Check });
            recover::begin(&accounts, j, password.as_deref(), &progress, &cancel).await
        }
    };
    watcher.abort();
    view.clear();
    let journal = result.map_err(e)?;
    out.emit(
        &json!({ "did": journal.did, "recovered": true, "journal": journal }),
        || {
            let mut lines = vec![
                format!(
                    "Recovered {} onto {} as {}.",
                    journal.did, journal.pds, journal.handle
                ),
                format!(
                    "Records: {} in {} collections, counted on the new server. Blobs uploaded: {}.",
                    journal.records.values().sum::<u64>(),
                    journal.records.len(),
                    journal.blobs_uploaded
                ),
            ];
            lines.extend(missing_lines(&journal));
            lines.extend(journal.notes.iter().map(|n| format!("Note: {n}")));
            lines.join("\n")
        },
    );
    Ok(())
}

/// What the account lacks after this recovery, one line each (none when it is whole).
fn missing_lines(j: &recover::Journal) -> Vec<String> {
    let mut lines = Vec::new();
    if j.identity_only {
        lines.push(
            "Identity only: the account will come back EMPTY, with no posts, follows, likes, media or other data."
                .to_owned(),
        );
    }
    lines.extend(j.missing.iter().map(|m| format!("Missing: {m}")));
    lines
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise.
struct View {
    bar: Option<ProgressBar>,
}

impl View {
    fn new(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(Step::ALL.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{prefix:>6} [{bar:30}] {pos}/{len} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix("Steps");
            bar
        });
        Self { bar }
    }

    fn show(&self, event: &Event) {
        match (&self.bar, event) {
            (Some(bar), Event::StepStarted { step }) => bar.set_message(step.label()),
            (Some(bar), Event::StepDone { .. }) => bar.inc(1),
            (Some(bar), Event::Blobs { done, total }) => {
                bar.set_message(format!("{} {done}/{total}", Step::Blobs.label()))
            }
            (None, Event::StepStarted { step }) => eprintln!("[recover] started {}", name(*step)),
            (None, Event::StepDone { step }) => eprintln!("[recover] done {}", name(*step)),
            (None, Event::Blobs { done, total }) => eprintln!("[recover] blobs {done}/{total}"),
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
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
