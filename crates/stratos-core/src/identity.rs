//! Who an account is: handle → DID, DID → document, the PDS it lives on, and whether the handle
//! really belongs to the DID (checked both ways).
//!
//! DID documents are fetched with jacquard-identity (PLC directory or did:web). Handles are
//! resolved here rather than through jacquard's resolver because that one stops at the first
//! method that answers and hides why the others failed, while Stratos must try DNS *and* HTTPS
//! and show a person what each said.

use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;
use jacquard_api::com_atproto::identity::resolve_handle::ResolveHandle;
use jacquard_common::deps::fluent_uri::Uri;
use jacquard_common::types::did_doc::DidDocument;
use jacquard_common::types::string::{Did, Handle};
use jacquard_identity::JacquardResolver;
use jacquard_identity::resolver::{DidStep, IdentityResolver, PlcSource, ResolverOptions};
use serde::Serialize;
use url::Url;

use crate::base::identifier::Identifier;
use crate::base::problem::{Explain, Problem};
use crate::config::Config;
use crate::net::xrpc::{Xrpc, XrpcError};

/// What one handle-resolution method said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum MethodAnswer {
    /// The method named this DID.
    Found {
        /// The DID it returned.
        did: String,
    },
    /// The method gave no DID; `reason` says why in plain words.
    NotFound {
        /// Why, e.g. "no TXT record at _atproto.example.com".
        reason: String,
    },
    /// The method was not tried (for example DNS when a test resolver service is configured).
    Skipped,
}

impl MethodAnswer {
    fn did(&self) -> Option<&str> {
        match self {
            MethodAnswer::Found { did } => Some(did),
            _ => None,
        }
    }
}

/// The answers of every handle-resolution method, so a person can see conflicts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleLookup {
    /// The handle looked up.
    pub handle: String,
    /// DNS TXT at `_atproto.<handle>`.
    pub dns: MethodAnswer,
    /// `https://<handle>/.well-known/atproto-did`.
    pub https: MethodAnswer,
    /// The configured resolver service (`STRATOS_HANDLE_RESOLVER`), when set.
    pub service: MethodAnswer,
}

impl HandleLookup {
    /// The DID the handle resolves to: DNS wins over HTTPS when they disagree, as the spec says.
    pub fn did(&self) -> Option<Did> {
        [&self.dns, &self.https, &self.service]
            .into_iter()
            .find_map(|a| a.did())
            .and_then(|d| Did::new_owned(d).ok())
    }

    /// True when DNS and HTTPS both answered with different DIDs.
    pub fn conflicting(&self) -> bool {
        matches!((self.dns.did(), self.https.did()), (Some(a), Some(b)) if a != b)
    }
}

/// An account's resolved identity.
#[derive(Debug, Clone)]
pub struct ResolvedIdentity {
    /// The account's DID.
    pub did: Did,
    /// The handle claimed by the DID document (first `at://` alias), if any.
    pub doc_handle: Option<Handle>,
    /// True when `doc_handle` resolves back to `did`.
    pub handle_verified: bool,
    /// How the claimed handle resolved, method by method.
    pub handle_lookup: Option<HandleLookup>,
    /// The `#atproto_pds` service endpoint, if the document has one.
    pub pds: Option<Url>,
    /// The full DID document.
    pub doc: DidDocument,
}

/// Why an identity could not be resolved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IdentityError {
    /// No method resolved the handle to a DID.
    #[error("the handle {handle} does not resolve to any account")]
    HandleDoesNotResolve {
        /// The handle.
        handle: String,
        /// What each method said.
        lookup: Box<HandleLookup>,
    },
    /// The DID document could not be fetched.
    #[error("could not fetch the DID document of {did}: {reason}")]
    DidDocumentUnavailable {
        /// The DID.
        did: String,
        /// Why.
        reason: String,
    },
    /// The DID method is not one atproto supports.
    #[error("{did} uses an unsupported DID method (atproto accounts use did:plc or did:web)")]
    UnsupportedDidMethod {
        /// The DID.
        did: String,
    },
    /// The DID document names no PDS.
    #[error("the DID document of {did} does not name a PDS (no #atproto_pds service)")]
    NoPdsInDocument {
        /// The DID.
        did: String,
    },
    /// The identifier is an email address, which only a PDS can resolve.
    #[error("an email address can only be used together with the PDS address")]
    EmailNeedsPds,
}

/// Resolves identities with the configured PLC directory and handle methods.
#[derive(Clone)]
pub struct Resolver {
    xrpc: Xrpc,
    docs: JacquardResolver<reqwest::Client>,
    dns: Option<Arc<TokioResolver>>,
    handle_service: Option<Url>,
}

impl Resolver {
    /// Builds a resolver from the configuration: PLC URL, optional handle-resolver service.
    pub fn new(config: &Config, xrpc: Xrpc) -> Self {
        let plc = Uri::parse(config.plc_url.as_str().to_owned())
            .map(|u| u.to_owned())
            .expect("Config only holds valid URLs");
        let opts = ResolverOptions::new()
            .plc_source(PlcSource::PlcDirectory { base: plc })
            .handle_order(vec![])
            .did_order(vec![DidStep::DidWebHttps, DidStep::PlcHttp])
            .validate_doc_id(true)
            .public_fallback_for_handle(false)
            .request_timeout(config.request_timeout)
            .build();
        let docs = JacquardResolver::new(xrpc.http().clone(), opts);
        // With a resolver service configured (tests, private networks) DNS is not consulted.
        let dns = if config.handle_resolver.is_some() {
            None
        } else {
            match TokioResolver::builder_tokio() {
                Ok(mut b) => {
                    b.options_mut().timeout = Duration::from_secs(5);
                    b.options_mut().attempts = 2;
                    b.build().ok().map(Arc::new)
                }
                Err(e) => {
                    log::warn!(
                        "system DNS configuration unreadable, DNS handle lookups disabled: {e}"
                    );
                    None
                }
            }
        };
        Self {
            xrpc,
            docs,
            dns,
            handle_service: config.handle_resolver.clone(),
        }
    }

    /// The DID-document resolver (PLC directory or did:web), shared with the OAuth layer.
    pub fn documents(&self) -> &JacquardResolver<reqwest::Client> {
        &self.docs
    }

    /// Asks every configured method for the handle's DID, concurrently.
    pub async fn lookup_handle(&self, handle: &Handle) -> HandleLookup {
        let (dns, https, service) = tokio::join!(
            self.dns_txt(handle),
            self.well_known(handle),
            self.service_lookup(handle)
        );
        HandleLookup {
            handle: handle.as_str().to_owned(),
            dns,
            https,
            service,
        }
    }

    /// Resolves a handle to its DID, failing with what each method said.
    pub async fn resolve_handle(&self, handle: &Handle) -> Result<Did, IdentityError> {
        let lookup = self.lookup_handle(handle).await;
        if lookup.conflicting() {
            log::warn!(
                "handle {} resolves differently over DNS and HTTPS; DNS wins",
                handle.as_str()
            );
        }
        lookup
            .did()
            .ok_or_else(|| IdentityError::HandleDoesNotResolve {
                handle: handle.as_str().to_owned(),
                lookup: Box::new(lookup),
            })
    }

    /// Fetches a DID document from the PLC directory (did:plc) or the web (did:web).
    pub async fn did_document(&self, did: &Did) -> Result<DidDocument, IdentityError> {
        let s = did.as_str();
        if !(s.starts_with("did:plc:") || s.starts_with("did:web:")) {
            return Err(IdentityError::UnsupportedDidMethod { did: s.to_owned() });
        }
        let unavailable = |reason: String| IdentityError::DidDocumentUnavailable {
            did: s.to_owned(),
            reason,
        };
        let response = self
            .docs
            .resolve_did_doc(did)
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        response.into_owned().map_err(|e| unavailable(describe(&e)))
    }

    /// Resolves any identifier to the full identity, verifying the handle both ways.
    pub async fn resolve(&self, id: &Identifier) -> Result<ResolvedIdentity, IdentityError> {
        let did = match id {
            Identifier::Did(did) => did.clone(),
            Identifier::Handle(handle) => self.resolve_handle(handle).await?,
            Identifier::Email(_) => return Err(IdentityError::EmailNeedsPds),
        };
        let doc = self.did_document(&did).await?;
        let doc_handle = doc
            .handles()
            .first()
            .and_then(|h| Handle::new_owned(h.as_str()).ok());
        let pds = doc.pds_endpoint().and_then(|u| Url::parse(u.as_str()).ok());
        let (handle_lookup, handle_verified) = match (&doc_handle, id) {
            // The handle typed already resolved to this DID; no need to ask again.
            (Some(h), Identifier::Handle(typed)) if h == typed => (None, true),
            (Some(h), _) => {
                let lookup = self.lookup_handle(h).await;
                let ok = lookup.did().as_ref() == Some(&did);
                (Some(lookup), ok)
            }
            (None, _) => (None, false),
        };
        Ok(ResolvedIdentity {
            did,
            doc_handle,
            handle_verified,
            handle_lookup,
            pds,
            doc,
        })
    }

    async fn dns_txt(&self, handle: &Handle) -> MethodAnswer {
        let Some(dns) = &self.dns else {
            return MethodAnswer::Skipped;
        };
        let name = format!("_atproto.{}.", handle.as_str());
        let lookup = match dns.txt_lookup(name.as_str()).await {
            Ok(l) => l,
            Err(e) => {
                let reason = if e.to_string().contains("no record") {
                    format!("no TXT record at _atproto.{}", handle.as_str())
                } else {
                    format!("DNS lookup failed: {e}")
                };
                return MethodAnswer::NotFound { reason };
            }
        };
        let dids: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|d| String::from_utf8_lossy(d))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .filter_map(|t| t.strip_prefix("did=").map(str::to_owned))
            .collect();
        match dids.as_slice() {
            [one] if <Did>::new_owned(one).is_ok() => MethodAnswer::Found { did: one.clone() },
            [] => MethodAnswer::NotFound {
                reason: format!("no did= TXT record at _atproto.{}", handle.as_str()),
            },
            [_] => MethodAnswer::NotFound {
                reason: "the TXT record does not hold a valid DID".to_owned(),
            },
            _ => MethodAnswer::NotFound {
                reason: "several did= TXT records; atproto requires exactly one".to_owned(),
            },
        }
    }

    async fn well_known(&self, handle: &Handle) -> MethodAnswer {
        if self.handle_service.is_some() {
            return MethodAnswer::Skipped;
        }
        let url = format!("https://{}/.well-known/atproto-did", handle.as_str());
        let response = match self.xrpc.http().get(&url).send().await {
            Ok(r) => r,
            Err(e) => {
                return MethodAnswer::NotFound {
                    reason: format!("{url} is unreachable: {}", root(&e)),
                };
            }
        };
        if !response.status().is_success() {
            return MethodAnswer::NotFound {
                reason: format!("{url} answered HTTP {}", response.status().as_u16()),
            };
        }
        match response.text().await {
            Ok(body) => {
                let first = body
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("");
                match <Did>::new_owned(first) {
                    Ok(_) => MethodAnswer::Found {
                        did: first.to_owned(),
                    },
                    Err(_) => MethodAnswer::NotFound {
                        reason: format!("{url} does not contain a DID"),
                    },
                }
            }
            Err(e) => MethodAnswer::NotFound {
                reason: format!("{url} could not be read: {}", root(&e)),
            },
        }
    }

    async fn service_lookup(&self, handle: &Handle) -> MethodAnswer {
        let Some(base) = &self.handle_service else {
            return MethodAnswer::Skipped;
        };
        let req = ResolveHandle {
            handle: handle.clone(),
        };
        match self.xrpc.send(base, &req, None).await {
            Ok(out) => MethodAnswer::Found {
                did: out.did.as_str().to_owned(),
            },
            Err(XrpcError::Server { error, message, .. }) => MethodAnswer::NotFound {
                reason: message.unwrap_or(error),
            },
            Err(e) => MethodAnswer::NotFound {
                reason: e.to_string(),
            },
        }
    }
}

fn describe(e: &jacquard_identity::resolver::IdentityError) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    if let Some(ctx) = e.context() {
        msg = format!("{msg} ({ctx})");
    }
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

fn root(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

impl Explain for IdentityError {
    fn explain(&self) -> Problem {
        match self {
            IdentityError::HandleDoesNotResolve { .. } => Problem::new(
                "handle_not_found",
                self,
                Some("Check the spelling. A handle looks like alice.bsky.social."),
            ),
            IdentityError::DidDocumentUnavailable { .. } => Problem::new(
                "did_document_unavailable",
                self,
                Some("The DID may not exist, or the PLC directory could not be reached."),
            ),
            IdentityError::UnsupportedDidMethod { .. } => {
                Problem::new("unsupported_did", self, None)
            }
            IdentityError::NoPdsInDocument { .. } => Problem::new(
                "no_pds",
                self,
                Some(
                    "If the account is being moved, give the PDS address explicitly (Advanced › PDS host, or --pds-host).",
                ),
            ),
            IdentityError::EmailNeedsPds => Problem::new(
                "email_needs_pds",
                self,
                Some(
                    "Enter the PDS host under Advanced (--pds-host), or sign in with your handle instead.",
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(dns: MethodAnswer, https: MethodAnswer) -> HandleLookup {
        HandleLookup {
            handle: "a.example.com".into(),
            dns,
            https,
            service: MethodAnswer::Skipped,
        }
    }

    #[test]
    fn dns_wins_on_conflict() {
        let l = lookup(
            MethodAnswer::Found {
                did: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".into(),
            },
            MethodAnswer::Found {
                did: "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb".into(),
            },
        );
        assert!(l.conflicting());
        assert_eq!(
            l.did().unwrap().as_str(),
            "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
        );
    }

    #[test]
    fn https_used_when_dns_has_nothing() {
        let l = lookup(
            MethodAnswer::NotFound {
                reason: "none".into(),
            },
            MethodAnswer::Found {
                did: "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb".into(),
            },
        );
        assert!(!l.conflicting());
        assert_eq!(
            l.did().unwrap().as_str(),
            "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
        );
    }
}
