//! Parsing what a person types: a handle, a DID, an email address or a server URL.
//!
//! Syntax checks come from jacquard's string types so Stratos agrees with the rest of the
//! ecosystem about what a valid handle or DID is.

use std::fmt;
use std::str::FromStr;

use crate::base::problem::{Explain, Problem};
use jacquard_common::types::string::{Did, Handle};
use url::Url;

/// An account as a person names it when signing in or looking it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// A handle such as `alice.bsky.social`, normalised to lower case without a leading `@`.
    Handle(Handle),
    /// A `did:plc` or `did:web` identifier.
    Did(Did),
    /// An email address: only a PDS can map it to an account, so it needs a known PDS.
    Email(String),
}

/// Why some typed text is not an identifier or server URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing was typed.
    #[error("the {field} is empty")]
    Empty {
        /// Which field was empty, in the user's words.
        field: &'static str,
    },
    /// It starts with `did:` but is not a valid DID.
    #[error("{input:?} is not a valid DID")]
    BadDid {
        /// What was typed.
        input: String,
    },
    /// It looks like a handle but is not a valid one.
    #[error("{input:?} is not a valid handle (expected something like alice.bsky.social)")]
    BadHandle {
        /// What was typed.
        input: String,
    },
    /// It is not an http(s) URL or host name.
    #[error("{input:?} is not a server address (expected something like https://pds.example.com)")]
    BadServerUrl {
        /// What was typed.
        input: String,
    },
}

impl FromStr for Identifier {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ParseError::Empty {
                field: "handle, DID or email",
            });
        }
        if trimmed.starts_with("did:") {
            return Did::new_owned(trimmed)
                .map(Identifier::Did)
                .map_err(|_| ParseError::BadDid {
                    input: trimmed.to_owned(),
                });
        }
        let bare = trimmed.strip_prefix('@').unwrap_or(trimmed);
        if let Some((local, domain)) = bare.split_once('@')
            && !local.is_empty()
            && domain.contains('.')
            && !domain.contains('@')
        {
            return Ok(Identifier::Email(bare.to_owned()));
        }
        Handle::new_owned(bare.to_ascii_lowercase())
            .map(Identifier::Handle)
            .map_err(|_| ParseError::BadHandle {
                input: trimmed.to_owned(),
            })
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Handle(h) => f.write_str(h.as_str()),
            Identifier::Did(d) => f.write_str(d.as_str()),
            Identifier::Email(e) => f.write_str(e),
        }
    }
}

/// Parses a PDS or other service address as typed by a person.
///
/// A bare host gets `https://`; plain `http://` is allowed only for loopback hosts (local
/// development and tests), because credentials would otherwise cross the network in clear text.
pub fn parse_service_url(input: &str) -> Result<Url, ParseError> {
    let trimmed = input.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(ParseError::Empty {
            field: "server address",
        });
    }
    let bad = || ParseError::BadServerUrl {
        input: input.trim().to_owned(),
    };
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| bad())?;
    let host = url.host_str().ok_or_else(bad)?;
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    if !loopback && !host.contains('.') {
        return Err(bad());
    }
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    Ok(url)
}

impl Explain for ParseError {
    fn explain(&self) -> Problem {
        match self {
            ParseError::Empty { .. } => Problem::new("empty_field", self, None),
            ParseError::BadDid { .. } | ParseError::BadHandle { .. } => Problem::new(
                "bad_identifier",
                self,
                Some("Enter a handle (alice.bsky.social), a DID (did:plc:…) or an email address."),
            ),
            ParseError::BadServerUrl { .. } => Problem::new(
                "bad_server_url",
                self,
                Some("Use the server's https address, like https://pds.example.com."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_normalised() {
        let id: Identifier = "@Alice.Example.COM".parse().unwrap();
        assert_eq!(id.to_string(), "alice.example.com");
        assert!(matches!(id, Identifier::Handle(_)));
    }

    #[test]
    fn dids_are_recognised() {
        let id: Identifier = "did:plc:ewvi7nxzyoun6zhxrhs64oiz".parse().unwrap();
        assert!(matches!(id, Identifier::Did(_)));
        let id: Identifier = "did:web:localhost%3A2583".parse().unwrap();
        assert!(matches!(id, Identifier::Did(_)));
        assert!(matches!(
            "did:nope".parse::<Identifier>(),
            Err(ParseError::BadDid { .. })
        ));
    }

    #[test]
    fn emails_are_recognised() {
        let id: Identifier = "alice@example.com".parse().unwrap();
        assert_eq!(id, Identifier::Email("alice@example.com".into()));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(
            "   ".parse::<Identifier>(),
            Err(ParseError::Empty {
                field: "handle, DID or email"
            })
        );
        assert!(matches!(
            "no spaces.com x".parse::<Identifier>(),
            Err(ParseError::BadHandle { .. })
        ));
        assert!(matches!(
            "localhost".parse::<Identifier>(),
            Err(ParseError::BadHandle { .. })
        ));
        assert!(matches!(
            "a..b.com".parse::<Identifier>(),
            Err(ParseError::BadHandle { .. })
        ));
    }

    #[test]
    fn service_urls() {
        assert_eq!(
            parse_service_url("pds.example.com").unwrap().as_str(),
            "https://pds.example.com/"
        );
        assert_eq!(
            parse_service_url("https://pds.example.com/")
                .unwrap()
                .as_str(),
            "https://pds.example.com/"
        );
        assert_eq!(
            parse_service_url("http://localhost:2583").unwrap().as_str(),
            "http://localhost:2583/"
        );
        assert!(
            parse_service_url("http://pds.example.com").is_err(),
            "clear text off loopback"
        );
        assert!(parse_service_url("ftp://pds.example.com").is_err());
        assert!(parse_service_url("https://pds.example.com/xrpc").is_err());
        assert!(matches!(
            parse_service_url(""),
            Err(ParseError::Empty { .. })
        ));
        assert!(parse_service_url("https://").is_err());
    }
}
