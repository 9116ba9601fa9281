//! goat's `pds describe`: what a PDS says about itself (`com.atproto.server.describeServer`),
//! asked without signing in, before choosing it for a new account or a move.

use serde::Serialize;

use crate::base::identifier::{ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::net::xrpc::{Xrpc, XrpcError};

/// A server's own description, kept whole: servers add fields (links, contact, …) that are
/// worth showing even when Stratos does not know them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerDescription {
    /// The address asked, normalised.
    pub pds_url: String,
    /// The `describeServer` answer, as the server sent it.
    pub description: serde_json::Value,
}

/// Why a server could not be described.
#[derive(Debug, thiserror::Error)]
pub enum PdsError {
    /// The address is not a server address.
    #[error(transparent)]
    Url(#[from] ParseError),
    /// The server could not be asked, or refused.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// It answered, but not with a server description.
    #[error("{pds_url} answered describeServer without a service DID; it may not be a PDS")]
    NotAPds {
        /// The address asked.
        pds_url: String,
    },
}

impl Explain for PdsError {
    fn explain(&self) -> Problem {
        match self {
            PdsError::Url(e) => e.explain(),
            PdsError::Xrpc(e) => e.explain(),
            PdsError::NotAPds { .. } => Problem::new(
                "pds_bad_response",
                self,
                Some(
                    "Check the address: it should be the PDS itself, like https://pds.example.com.",
                ),
            ),
        }
    }
}

/// Asks the server at `host` (a URL or bare host) to describe itself.
pub async fn describe(xrpc: &Xrpc, host: &str) -> Result<ServerDescription, PdsError> {
    let url = parse_service_url(host)?;
    let pds_url = url.as_str().trim_end_matches('/').to_owned();
    let description = xrpc
        .get_json(&url, "com.atproto.server.describeServer", &[])
        .await?;
    if !description["did"].is_string() {
        return Err(PdsError::NotAPds { pds_url });
    }
    Ok(ServerDescription {
        pds_url,
        description,
    })
}
