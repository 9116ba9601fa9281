//! goat's `resolve`: the DID document behind a handle or DID, for anyone (no sign-in).
//!
//! A handle counts only when its DID document claims it back, as goat checks: otherwise anyone
//! could point their domain at someone else's DID and have it "resolve".

use jacquard_common::types::string::Did;
use serde::Serialize;

use crate::base::identifier::{Identifier, ParseError};
use crate::base::problem::{Explain, Problem};
use crate::identity::{IdentityError, Resolver};

/// A resolved identifier: the DID and its document as published (PLC directory or did:web).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// The DID.
    pub did: String,
    /// The DID document, as JSON.
    pub document: serde_json::Value,
}

/// Why a handle or DID could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The text is neither a handle nor a DID.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// An email address was given; only handles and DIDs resolve publicly.
    #[error("{input} is an email address; only a handle or a DID can be resolved")]
    Email {
        /// What was typed.
        input: String,
    },
    /// Resolution failed (handle unknown, document unavailable).
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The handle points at a DID whose document does not claim it.
    #[error("{handle} points at {did}, but that DID's document does not claim the handle")]
    HandleNotClaimed {
        /// The handle given.
        handle: String,
        /// The DID it resolved to.
        did: String,
    },
}

impl Explain for ResolveError {
    fn explain(&self) -> Problem {
        match self {
            ResolveError::Parse(e) => e.explain(),
            ResolveError::Identity(e) => e.explain(),
            ResolveError::Email { .. } => Problem::new(
                "bad_identifier",
                self,
                Some("Use the account's handle (alice.bsky.social) or DID (did:plc:…)."),
            ),
            ResolveError::HandleNotClaimed { .. } => Problem::new(
                "handle_not_claimed",
                self,
                Some("The handle is not verified; its owner must list it in the DID document."),
            ),
        }
    }
}

/// The identifier typed and the DID it names (a handle through DNS and HTTPS).
async fn did_of(resolver: &Resolver, input: &str) -> Result<(Identifier, Did), ResolveError> {
    let id = input.parse::<Identifier>()?;
    let did = match &id {
        Identifier::Handle(handle) => resolver.resolve_handle(handle).await?,
        Identifier::Did(did) => did.clone(),
        Identifier::Email(_) => {
            return Err(ResolveError::Email {
                input: input.trim().to_owned(),
            });
        }
    };
    Ok((id, did))
}

/// The DID a handle resolves to, or the DID itself: goat's `resolve --did`.
pub async fn did(resolver: &Resolver, input: &str) -> Result<String, ResolveError> {
    Ok(did_of(resolver, input).await?.1.as_str().to_owned())
}

/// The DID document of a handle or DID; a handle must be claimed back by the document.
pub async fn document(resolver: &Resolver, input: &str) -> Result<Resolution, ResolveError> {
    let (id, did) = did_of(resolver, input).await?;
    let doc = resolver.did_document(&did).await?;
    if let Identifier::Handle(handle) = &id
        && !doc.handles().iter().any(|h| h.as_str() == handle.as_str())
    {
        return Err(ResolveError::HandleNotClaimed {
            handle: handle.as_str().to_owned(),
            did: did.as_str().to_owned(),
        });
    }
    Ok(Resolution {
        did: did.as_str().to_owned(),
        document: serde_json::to_value(&doc).expect("a DID document serialises"),
    })
}
