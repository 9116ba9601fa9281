//! `stratos pds describe <url>`: goat's `pds describe`, what a PDS says about itself (no
//! sign-in needed).

use clap::Subcommand;
use serde_json::Value;
use stratos_core::pds::{self, ServerDescription};
use stratos_core::{Config, Explain, Problem};

use crate::render::Output;
use crate::store;

/// PDS verbs, as goat names them.
#[derive(Subcommand)]
pub enum PdsCommand {
    /// Show what a PDS says about itself: its DID, handle domains, invite and phone
    /// requirements, links and contact (com.atproto.server.describeServer).
    Describe {
        /// The PDS address (https://…, or a bare host).
        #[arg(env = "PDS_HOST")]
        host_url: String,
    },
}

/// Runs one PDS verb.
pub async fn run(cmd: PdsCommand, config: Config, out: &Output) -> Result<(), Problem> {
    let PdsCommand::Describe { host_url } = cmd;
    let accounts = store::open(config)?;
    let described = pds::describe(accounts.context().xrpc(), &host_url)
        .await
        .map_err(|e| e.explain())?;
    out.emit(&described.description, || describe_text(&described));
    Ok(())
}

/// The description as aligned lines; fields Stratos does not know follow as JSON.
fn describe_text(d: &ServerDescription) -> String {
    let v = &d.description;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let yes_no = |v: &Value| {
        if v.as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        }
    };
    let domains: Vec<&str> = v["availableUserDomains"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut lines = vec![
        format!("{:<22}{}", "PDS", d.pds_url),
        format!("{:<22}{}", "DID", text(&v["did"]).unwrap_or_default()),
        format!("{:<22}{}", "Handle domains", domains.join(", ")),
        format!(
            "{:<22}{}",
            "Invite code needed",
            yes_no(&v["inviteCodeRequired"])
        ),
        format!(
            "{:<22}{}",
            "Phone verification",
            yes_no(&v["phoneVerificationRequired"])
        ),
    ];
    for (label, value) in [
        ("Terms of service", &v["links"]["termsOfService"]),
        ("Privacy policy", &v["links"]["privacyPolicy"]),
        ("Contact", &v["contact"]["email"]),
    ] {
        if let Some(s) = text(value) {
            lines.push(format!("{label:<22}{s}"));
        }
    }
    let known = [
        "did",
        "availableUserDomains",
        "inviteCodeRequired",
        "phoneVerificationRequired",
        "links",
        "contact",
    ];
    if let Some(obj) = v.as_object() {
        for (key, value) in obj.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
            lines.push(format!("{key:<22}{value}"));
        }
    }
    lines.join("\n")
}
