//! `stratos account update-handle <handle> [<id>] [--check]`.

use stratos_core::handle::{self, HandlePlan};
use stratos_core::identity::MethodAnswer;
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store::{self, account_did};

/// `account update-handle` arguments.
#[derive(clap::Args)]
pub struct UpdateHandleArgs {
    /// The new handle.
    pub handle: String,
    /// Handle or DID of the account; the selected account when omitted.
    pub id: Option<String>,
    /// Only show what the change needs and what DNS/HTTPS answer now.
    #[arg(long)]
    pub check: bool,
}

/// Shows the plan and live check (`--check`), or changes the handle and verifies it.
pub async fn run(args: UpdateHandleArgs, config: Config, out: &Output) -> Result<(), Problem> {
    let accounts = &store::open(config)?;
    let new_handle = args.handle.as_str();
    let did = account_did(accounts, args.id.as_deref())?;
    if args.check {
        let plan = handle::plan(accounts, &did, new_handle)
            .await
            .map_err(|e| e.explain())?;
        out.emit(&plan, || render_plan(&plan));
        return Ok(());
    }
    let change = handle::update(accounts, &did, new_handle)
        .await
        .map_err(|e| e.explain())?;
    out.emit(&change, || {
        format!(
            "Changed the handle of {} from {} to {}.\nVerified: {} resolves to {}, and the DID document names {}.",
            change.did,
            change.old_handle,
            change.handle,
            change.handle,
            change.resolves_to,
            change.doc_handle
        )
    });
    Ok(())
}

fn render_plan(p: &HandlePlan) -> String {
    let mut out = Vec::new();
    match &p.service_domain {
        Some(d) => out.push(format!(
            "{} is under the PDS's own domain {d}: no DNS record is needed.",
            p.handle
        )),
        None => {
            out.push(format!(
                "{} is a custom domain. Prove it belongs to {} with either:",
                p.handle, p.did
            ));
            out.push(format!(
                "  DNS:   {} {} \"{}\"",
                p.dns.name, p.dns.record_type, p.dns.value
            ));
            out.push(format!(
                "  HTTPS: {} containing {}",
                p.https.url, p.https.body
            ));
        }
    }
    out.push("Right now:".to_owned());
    for (label, answer) in [
        ("DNS", &p.current.dns),
        ("HTTPS", &p.current.https),
        ("Resolver", &p.current.service),
    ] {
        let said = match answer {
            MethodAnswer::Found { did } if *did == p.did => format!("{did} (this account)"),
            MethodAnswer::Found { did } => format!("{did} (another account)"),
            MethodAnswer::NotFound { reason } => format!("nothing: {reason}"),
            MethodAnswer::Skipped => "not checked".to_owned(),
        };
        out.push(format!("  {label:<9}{said}"));
    }
    out.push(if p.ready {
        format!("Ready: run `stratos account update-handle {}`.", p.handle)
    } else {
        "Not ready yet: publish one of the records above, then check again.".to_owned()
    });
    if !p.available_domains.is_empty() {
        out.push(format!(
            "The PDS's own domains: {}",
            p.available_domains.join(", ")
        ));
    }
    out.join("\n")
}
