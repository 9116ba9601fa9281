//! Human and JSON output, kept apart from the commands so every verb prints the same way.

use serde::Serialize;
use stratos_core::Problem;
use stratos_core::accounts::AuthCheck;
use stratos_core::identity::MethodAnswer;
use stratos_core::status::AccountStatus;
use stratos_core::store::state::State;

/// Where and how results go.
pub struct Output {
    /// One JSON document on stdout instead of text.
    pub json: bool,
    /// Whether a result document was already printed, so a later failure does not add a second.
    emitted: std::cell::Cell<bool>,
}

impl Output {
    /// Output in text or JSON mode.
    pub fn new(json: bool) -> Self {
        Self {
            json,
            emitted: std::cell::Cell::new(false),
        }
    }

    /// Prints a result: JSON of `value`, or the text `human` builds.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        self.emitted.set(true);
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).expect("results serialise")
            );
        } else {
            println!("{}", human());
        }
    }

    /// Reports a failure on stderr, and as `{"error": …}` on stdout in JSON mode unless a result
    /// document was already printed (stdout always holds exactly one document).
    pub fn problem(&self, p: &Problem) {
        log::debug!("{} ({})", p.message, p.code);
        eprintln!("error: {}", p.message);
        if let Some(h) = &p.hint {
            eprintln!("hint: {h}");
        }
        if self.json && !self.emitted.get() {
            println!("{}", serde_json::json!({ "error": p }));
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The `account status` report as aligned text.
pub fn status(r: &AccountStatus) -> String {
    let mut out = Vec::new();
    out.push(format!("{:<13}{}", "DID", r.did));
    let handle = r.handle.as_deref().unwrap_or("(none)");
    let check = if r.handle_check.verified {
        "verified both ways"
    } else {
        "NOT verified"
    };
    out.push(format!("{:<13}{handle} ({check})", "Handle"));
    for (label, answer) in [
        ("  DNS", &r.handle_check.dns),
        ("  HTTPS", &r.handle_check.https),
        ("  Resolver", &r.handle_check.service),
    ] {
        match answer {
            MethodAnswer::Found { did } => out.push(format!("{label:<13}{did}")),
            MethodAnswer::NotFound { reason } => {
                out.push(format!("{label:<13}not found: {reason}"))
            }
            MethodAnswer::Skipped => {}
        }
    }
    if let Some(p) = &r.handle_check.problem {
        out.push(format!("{:<13}{p}", "  Problem"));
    }
    out.push(format!(
        "{:<13}{}",
        "PDS",
        r.pds.url.as_deref().unwrap_or("(none)")
    ));
    match (&r.pds.reachable, &r.pds.error) {
        (true, _) => {
            out.push(format!("{:<13}yes", "  Reachable"));
            if let Some(d) = &r.pds.server_did {
                out.push(format!("{:<13}{d}", "  Server DID"));
            }
            if let Some(v) = &r.pds.version {
                out.push(format!("{:<13}{v}", "  Version"));
            }
            if !r.pds.available_user_domains.is_empty() {
                out.push(format!(
                    "{:<13}{}",
                    "  Domains",
                    r.pds.available_user_domains.join(", ")
                ));
            }
            if let Some(i) = r.pds.invite_code_required {
                out.push(format!(
                    "{:<13}{}",
                    "  Invites",
                    if i { "required" } else { "not required" }
                ));
            }
        }
        (false, e) => out.push(format!(
            "{:<13}no: {}",
            "  Reachable",
            e.as_deref().unwrap_or("no answer")
        )),
    }
    let repo = match (&r.repo.active, &r.repo.error) {
        (Some(true), _) => "active".to_owned(),
        (Some(false), _) => format!(
            "inactive ({})",
            r.repo.status.as_deref().unwrap_or("no reason given")
        ),
        (None, Some(e)) => format!("unknown: {e}"),
        (None, None) => "unknown".to_owned(),
    };
    out.push(format!("{:<13}{repo}", "Repository"));
    if let Some(rev) = &r.repo.rev {
        out.push(format!("{:<13}{rev}", "  Rev"));
    }
    out.join("\n")
}

/// The `account check-auth` result as text.
pub fn auth_check(c: &AuthCheck) -> String {
    [
        format!("Session OK for {} ({}) on {}", c.handle, c.did, c.pds_url),
        format!(
            "{:<17}{}",
            "Email",
            c.email.as_deref().unwrap_or("(hidden)")
        ),
        format!("{:<17}{}", "Active", yes_no(c.active)),
        format!("{:<17}{}", "Activated", yes_no(c.activated)),
        format!("{:<17}{}", "DID points here", yes_no(c.valid_did)),
        format!(
            "{:<17}{} ({} blocks, {} records)",
            "Repository rev", c.repo_rev, c.repo_blocks, c.indexed_records
        ),
        format!(
            "{:<17}{} of {} imported",
            "Blobs", c.imported_blobs, c.expected_blobs
        ),
    ]
    .join("\n")
}

/// The `account list` table.
pub fn account_list(s: &State) -> String {
    if s.accounts.is_empty() {
        return "No accounts signed in. Use `stratos account login`.".to_owned();
    }
    s.accounts
        .iter()
        .map(|a| {
            let mark = if s.selected.as_deref() == Some(a.did.as_str()) {
                "*"
            } else {
                " "
            };
            let health = a.health.map(|h| h.label()).unwrap_or("Not checked yet");
            format!(
                "{mark} {:<28} {:<34} {:<28} {health}",
                a.handle, a.did, a.pds_url
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
