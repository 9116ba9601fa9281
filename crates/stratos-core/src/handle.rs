//! Changing an account's handle (`com.atproto.identity.updateHandle`).
//!
//! A handle under one of the PDS's own domains (`describeServer.availableUserDomains`, e.g.
//! `alice.bsky.social`) only has to be free. Any other domain must first prove it belongs to the
//! account, by DNS (`_atproto.<domain>` TXT `did=<did>`) or HTTPS
//! (`https://<domain>/.well-known/atproto-did` containing the DID). The PDS checks that proof
//! itself, so [`plan`] shows the exact record to publish and what each method answers right now,
//! and [`update`] refuses early with the plan when the proof is not there yet.
//!
//! After the change Stratos verifies it both ways (the handle resolves to the DID, and the DID
//! document names the handle) and records the new handle in the state file.

use jacquard_api::com_atproto::identity::update_handle::UpdateHandle;
use jacquard_api::com_atproto::server::describe_server::DescribeServer;
use jacquard_common::types::string::{Did, Handle};
use serde::Serialize;
use url::Url;

use crate::accounts::{Accounts, AccountsError};
use crate::auth::session::SessionError;
use crate::base::identifier::ParseError;
use crate::base::problem::{Explain, Problem};
use crate::identity::{HandleLookup, IdentityError};
use crate::net::xrpc::XrpcError;

/// The handle domains a PDS offers its accounts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleDomains {
    /// The PDS asked.
    pub pds_url: String,
    /// Its domains, each with the leading dot (`.bsky.social`).
    pub domains: Vec<String>,
}

/// The DNS record that proves a custom-domain handle.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    /// Record name: `_atproto.<handle>`.
    pub name: String,
    /// Record type: always `TXT`.
    pub record_type: &'static str,
    /// Record value: `did=<did>`.
    pub value: String,
}

/// The HTTPS file that proves a custom-domain handle (the alternative to DNS).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WellKnownFile {
    /// Where it must be served: `https://<handle>/.well-known/atproto-did`.
    pub url: String,
    /// What it must contain: the DID, nothing else.
    pub body: String,
}

/// What changing to `handle` takes, and whether the proof is in place right now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandlePlan {
    /// The handle asked for (normalised to lower case).
    pub handle: String,
    /// The account.
    pub did: String,
    /// The PDS domain the handle falls under, when it is one of the PDS's own.
    pub service_domain: Option<String>,
    /// All domains the PDS offers.
    pub available_domains: Vec<String>,
    /// The DNS record to publish (custom domains).
    pub dns: DnsRecord,
    /// The HTTPS alternative (custom domains).
    pub https: WellKnownFile,
    /// What each resolution method answers for the handle now.
    pub current: HandleLookup,
    /// True when the handle already resolves to this account (a custom domain is proven) or is a
    /// PDS domain (nothing to publish).
    pub ready: bool,
}

/// The result of a handle change, verified both ways.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleChange {
    /// The account.
    pub did: String,
    /// The handle before.
    pub old_handle: String,
    /// The new handle.
    pub handle: String,
    /// The DID the new handle resolves to (equal to `did`).
    pub resolves_to: String,
    /// The handle the DID document now names (equal to `handle`).
    pub doc_handle: String,
}

/// Why a handle could not be planned or changed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The text is not a valid handle.
    #[error("{input:?} is not a valid handle")]
    InvalidHandle {
        /// What was typed.
        input: String,
    },
    /// The PDS refused the handle's form (too short, too long, a dot in the name, bad TLD...).
    #[error("the PDS refused the handle {handle}: {reason}")]
    Refused {
        /// The handle.
        handle: String,
        /// The server's reason.
        reason: String,
    },
    /// Another account has the handle, or it is reserved.
    #[error("the handle {handle} is not available")]
    Taken {
        /// The handle.
        handle: String,
    },
    /// A custom domain does not (yet) resolve to the account.
    #[error("{} does not resolve to {}, so the PDS cannot accept it yet", plan.handle, plan.did)]
    NotProven {
        /// What to publish, and what is published now.
        plan: Box<HandlePlan>,
    },
    /// The change was accepted but does not show up both ways.
    #[error("the handle was changed to {handle}, but {detail}")]
    NotVerified {
        /// The new handle.
        handle: String,
        /// What does not match.
        detail: String,
    },
    /// The PDS could not describe itself.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The identity could not be resolved afterwards.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Signing in or reaching the account failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl From<SessionError> for HandleError {
    fn from(e: SessionError) -> Self {
        HandleError::Accounts(e.into())
    }
}

impl Explain for HandleError {
    fn explain(&self) -> Problem {
        match self {
            HandleError::InvalidHandle { .. } => Problem::new(
                "bad_identifier",
                self,
                Some("A handle looks like alice.bsky.social or alice.example.com."),
            ),
            HandleError::Refused { .. } => Problem::new(
                "handle_refused",
                self,
                Some("Under a PDS domain the name must be 3–18 letters, digits or hyphens."),
            ),
            HandleError::Taken { .. } => {
                Problem::new("handle_taken", self, Some("Choose another handle."))
            }
            HandleError::NotProven { plan } => Problem {
                detail: None,
                hint: Some(format!(
                    "Publish the DNS TXT record {} with the value {} (or serve {} containing {}), then try again. Check with --check.",
                    plan.dns.name, plan.dns.value, plan.https.url, plan.https.body
                )),
                ..Problem::new("handle_not_proven", self, None)
            },
            HandleError::NotVerified { .. } => Problem::new(
                "handle_not_verified",
                self,
                Some("Check the account status again; DNS and caches can lag behind."),
            ),
            HandleError::Xrpc(e) => e.explain(),
            HandleError::Identity(e) => e.explain(),
            HandleError::Accounts(e) => e.explain(),
        }
    }
}

/// The handle domains the PDS of a signed-in account offers.
pub async fn domains(accounts: &Accounts, did: &str) -> Result<HandleDomains, HandleError> {
    let record = accounts.find(Some(did))?;
    let pds = pds_url(&record.pds_url)?;
    let described = accounts
        .context()
        .xrpc()
        .send(&pds, &DescribeServer, None)
        .await?;
    Ok(HandleDomains {
        pds_url: record.pds_url,
        domains: described
            .available_user_domains
            .iter()
            .map(|d| d.to_string())
            .collect(),
    })
}

/// What changing the account's handle to `handle` takes, with a live check of DNS and HTTPS.
pub async fn plan(accounts: &Accounts, did: &str, handle: &str) -> Result<HandlePlan, HandleError> {
    let handle = parse(handle)?;
    let record = accounts.find(Some(did))?;
    let available = domains(accounts, &record.did).await?.domains;
    let service_domain = available
        .iter()
        .find(|d| handle.as_str().ends_with(d.as_str()))
        .cloned();
    let current = accounts.context().resolver().lookup_handle(&handle).await;
    let resolves_here = current.did().is_some_and(|d| d.as_str() == record.did);
    Ok(HandlePlan {
        handle: handle.as_str().to_owned(),
        did: record.did.clone(),
        ready: service_domain.is_some() || resolves_here,
        service_domain,
        available_domains: available,
        dns: DnsRecord {
            name: format!("_atproto.{}", handle.as_str()),
            record_type: "TXT",
            value: format!("did={}", record.did),
        },
        https: WellKnownFile {
            url: format!("https://{}/.well-known/atproto-did", handle.as_str()),
            body: record.did,
        },
        current,
    })
}

/// Changes the account's handle, verifies the change both ways, and records it.
///
/// Works with a password session or an OAuth session granted `identity:handle` (or
/// `identity:*`). A custom domain that does not resolve to the account yet fails with
/// [`HandleError::NotProven`] before anything is sent.
pub async fn update(
    accounts: &Accounts,
    did: &str,
    handle: &str,
) -> Result<HandleChange, HandleError> {
    let plan = plan(accounts, did, handle).await?;
    if !plan.ready {
        return Err(HandleError::NotProven {
            plan: Box::new(plan),
        });
    }
    let record = accounts.find(Some(&plan.did))?;
    let new = parse(&plan.handle)?;
    let session = accounts.session(&record.did).await?;
    let req = UpdateHandle {
        handle: new.clone(),
        extra_data: None,
    };
    session.call(&req).await.map_err(|e| refused(e, &plan))?;
    log::info!(
        "changed the handle of {} from {} to {}",
        record.did,
        record.handle,
        plan.handle
    );
    let change = verify(accounts, &record.did, &new).await?;
    remember_handle(accounts, &record.did, &change.handle)?;
    Ok(HandleChange {
        old_handle: record.handle,
        ..change
    })
}

/// Records `handle` as the account's handle in the state file (both front ends show it).
pub fn remember_handle(accounts: &Accounts, did: &str, handle: &str) -> Result<(), HandleError> {
    let (did, handle) = (did.to_owned(), handle.to_owned());
    accounts
        .context()
        .state_file()
        .update(move |s| {
            s.accounts
                .iter_mut()
                .filter(|a| a.did == did)
                .for_each(|a| a.handle = handle.clone())
        })
        .map_err(AccountsError::from)?;
    Ok(())
}

/// Resolves the new handle to a DID and the DID document to a handle; both must match.
async fn verify(
    accounts: &Accounts,
    did: &str,
    handle: &Handle,
) -> Result<HandleChange, HandleError> {
    let resolver = accounts.context().resolver();
    let resolved = resolver.resolve_handle(handle).await?;
    let parsed = Did::new_owned(did).expect("signed-in accounts have valid DIDs");
    let doc = resolver.did_document(&parsed).await?;
    let doc_handle = doc
        .handles()
        .first()
        .map(|h| h.as_str().to_owned())
        .unwrap_or_default();
    let not_verified = |detail: String| HandleError::NotVerified {
        handle: handle.as_str().to_owned(),
        detail,
    };
    if resolved.as_str() != did {
        return Err(not_verified(format!(
            "it resolves to {}, not to {did}",
            resolved.as_str()
        )));
    }
    if !doc_handle.eq_ignore_ascii_case(handle.as_str()) {
        return Err(not_verified(format!(
            "the DID document still names {}",
            if doc_handle.is_empty() {
                "no handle"
            } else {
                &doc_handle
            }
        )));
    }
    Ok(HandleChange {
        did: did.to_owned(),
        old_handle: String::new(),
        handle: handle.as_str().to_owned(),
        resolves_to: resolved.as_str().to_owned(),
        doc_handle,
    })
}

/// Maps updateHandle's protocol errors to what the person can change.
fn refused(e: SessionError, plan: &HandlePlan) -> HandleError {
    let SessionError::Xrpc(XrpcError::Server { error, message, .. }) = &e else {
        return e.into();
    };
    let reason = message.clone().unwrap_or_else(|| error.clone());
    match error.as_str() {
        "HandleNotAvailable" => HandleError::Taken {
            handle: plan.handle.clone(),
        },
        "InvalidHandle" | "UnsupportedDomain" => HandleError::Refused {
            handle: plan.handle.clone(),
            reason,
        },
        _ if reason.contains("did not resolve") => HandleError::NotProven {
            plan: Box::new(plan.clone()),
        },
        _ if reason.contains("already taken") => HandleError::Taken {
            handle: plan.handle.clone(),
        },
        _ => e.into(),
    }
}

fn parse(input: &str) -> Result<Handle, HandleError> {
    let trimmed = input.trim().trim_start_matches('@').to_ascii_lowercase();
    Handle::new_owned(&trimmed).map_err(|_| HandleError::InvalidHandle {
        input: input.to_owned(),
    })
}

fn pds_url(url: &str) -> Result<Url, HandleError> {
    Url::parse(url).map_err(|_| {
        HandleError::Accounts(AccountsError::BadInput(ParseError::BadServerUrl {
            input: url.to_owned(),
        }))
    })
}
