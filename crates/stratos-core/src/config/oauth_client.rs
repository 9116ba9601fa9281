//! Who Stratos is to an authorization server: its client_id, redirect URIs and scopes.

use jacquard_common::deps::smol_str::SmolStr;
use jacquard_oauth::types::OAuthClientMetadata;
use url::Url;

/// The rights Stratos asks for, and why, in the order the sign-in screen explains them.
pub const SCOPES: &[(&str, &str)] = &[
    ("atproto", "Know which account you are"),
    (
        "transition:generic",
        "Read and manage your account, as an app password would",
    ),
    (
        "account:email?action=manage",
        "See and confirm your email address",
    ),
    (
        "identity:*",
        "Change your handle and identity (PLC) settings",
    ),
    (
        "account:repo?action=manage",
        "Import your repository when you move it to another PDS",
    ),
    (
        "blob:*/*",
        "Upload your images and other files when repairing or moving them",
    ),
    (
        "rpc:com.atproto.server.createAccount?aud=*",
        "Create your account on a new PDS when you move",
    ),
];

/// How much access a sign-in asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Everything the account screens can do ([`SCOPES`]).
    #[default]
    Full,
    /// What most apps ask for (`atproto transition:generic`): status and sessions, but no
    /// handle, identity, email or migration rights. Features that need more step up: they sign
    /// in again asking for [`Access::Full`].
    Basic,
}

impl Access {
    /// The scope string sent to the server.
    pub fn scope(self) -> String {
        let wanted: &[&str] = match self {
            Access::Full => &[],
            Access::Basic => &["atproto", "transition:generic"],
        };
        SCOPES
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| wanted.is_empty() || wanted.contains(s))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The full scope string, as listed in a hosted client's metadata.
pub fn scope() -> String {
    Access::Full.scope()
}

/// Which client identity Stratos uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKind {
    /// The `http://localhost` development client: zero setup, loopback redirects only.
    Loopback,
    /// A hosted client-metadata document (`application_type: native`); allows the deep-link
    /// redirect `<reversed host>:/oauth/callback` and a loopback redirect.
    Hosted {
        /// The https URL of the client-metadata document.
        client_id: Url,
    },
}

/// Where the browser sends the person back after sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// `http://127.0.0.1:<port>/oauth/callback`, served by a one-shot local listener.
    Loopback {
        /// The listener's port.
        port: u16,
    },
    /// The custom-scheme deep link of a hosted client, delivered by the OS to the app.
    DeepLink,
}

/// Why a client configuration cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The hosted client_id is not an https URL with a host and a path.
    #[error(
        "the OAuth client id {0} must be an https URL with a path, like https://example.com/client-metadata.json"
    )]
    BadClientId(String),
    /// A deep link was asked for without a hosted client.
    #[error(
        "deep-link sign-in needs a hosted client-metadata document (set STRATOS_OAUTH_CLIENT_ID)"
    )]
    DeepLinkNeedsHostedClient,
}

impl ClientKind {
    /// The hosted client from `STRATOS_OAUTH_CLIENT_ID`, else the loopback development client.
    pub fn from_client_id(client_id: Option<&str>) -> Result<Self, ClientError> {
        match client_id.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(ClientKind::Loopback),
            Some(id) => {
                let url = Url::parse(id).map_err(|_| ClientError::BadClientId(id.to_owned()))?;
                if url.scheme() != "https" || url.host_str().is_none() || url.path() == "/" {
                    return Err(ClientError::BadClientId(id.to_owned()));
                }
                Ok(ClientKind::Hosted { client_id: url })
            }
        }
    }

    /// The custom URL scheme of the deep-link redirect: the client_id host reversed.
    pub fn deep_link_scheme(&self) -> Option<String> {
        match self {
            ClientKind::Loopback => None,
            ClientKind::Hosted { client_id } => {
                let host = client_id.host_str()?;
                Some(host.split('.').rev().collect::<Vec<_>>().join("."))
            }
        }
    }

    /// The client's kind in one word (`loopback` or `hosted`), as settings screens and logs name
    /// it; one spelling for every front end.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ClientKind::Loopback => "loopback",
            ClientKind::Hosted { .. } => "hosted",
        }
    }

    /// The default redirect kind: deep link when a hosted client is configured.
    pub fn default_redirect(&self) -> RedirectChoice {
        match self {
            ClientKind::Loopback => RedirectChoice::Loopback,
            ClientKind::Hosted { .. } => RedirectChoice::DeepLink,
        }
    }

    /// The metadata the authorization server will see for a sign-in using `redirect` and asking
    /// for `access`.
    pub fn metadata(
        &self,
        redirect: Redirect,
        access: Access,
    ) -> Result<OAuthClientMetadata<SmolStr>, ClientError> {
        let redirect_uri = match redirect {
            Redirect::Loopback { port } => format!("http://127.0.0.1:{port}/oauth/callback"),
            Redirect::DeepLink => {
                let scheme = self
                    .deep_link_scheme()
                    .ok_or(ClientError::DeepLinkNeedsHostedClient)?;
                format!("{scheme}:/oauth/callback")
            }
        };
        let scope = access.scope();
        let (client_id, application_type) = match self {
            // The redirect registered in a loopback client_id has no port, so that the id stays
            // the same for every sign-in (refreshes must use the id the tokens were issued to);
            // the server accepts any port for it.
            ClientKind::Loopback => {
                let mut id = Url::parse("http://localhost").expect("static URL");
                id.query_pairs_mut()
                    .append_pair("redirect_uri", "http://127.0.0.1/oauth/callback")
                    .append_pair("scope", &scope);
                (
                    id.as_str()
                        .replacen("http://localhost/", "http://localhost", 1),
                    None,
                )
            }
            ClientKind::Hosted { client_id } => {
                (client_id.as_str().to_owned(), Some("native".into()))
            }
        };
        Ok(OAuthClientMetadata {
            client_id: client_id.into(),
            client_uri: None,
            redirect_uris: vec![redirect_uri.into()],
            scope: Some(scope.into()),
            application_type,
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            token_endpoint_auth_method: Some("none".into()),
            response_types: vec!["code".into()],
            dpop_bound_access_tokens: Some(true),
            jwks_uri: None,
            jwks: None,
            token_endpoint_auth_signing_alg: None,
            client_name: Some("Stratos".into()),
            logo_uri: None,
            tos_uri: None,
            privacy_policy_uri: None,
        })
    }
}

/// The redirect kind a person or setting chooses, before a loopback port is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectChoice {
    /// A one-shot listener on 127.0.0.1.
    Loopback,
    /// The app's custom URL scheme.
    DeepLink,
}

/// The redirect a sign-in uses, decided once for every front end: a `requested` choice wins if
/// the client can do it, else the `saved` setting if it can, else the client's default. A deep
/// link is impossible with the loopback client (it has no URL scheme), so that choice is passed
/// over rather than failing the sign-in later.
pub fn redirect_choice(
    client: &ClientKind,
    saved: Option<RedirectChoice>,
    requested: Option<RedirectChoice>,
) -> RedirectChoice {
    let possible =
        |c: &RedirectChoice| !(*c == RedirectChoice::DeepLink && *client == ClientKind::Loopback);
    requested
        .filter(possible)
        .or(saved.filter(possible))
        .unwrap_or_else(|| client.default_redirect())
}

/// Granted scopes that mean one thing to a person, with that thing in words; `words` is `None`
/// for a scope Stratos has no words for, shown raw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeWords {
    /// What the scopes allow, in plain words.
    pub words: Option<&'static str>,
    /// The raw scopes, in the order granted.
    pub scopes: Vec<String>,
}

/// What each granted scope means, first match wins; the patterns follow the scope syntax
/// (`resource:positional?params#fragment`), so `blob:*/*` and `blob?accept=image/*` both read
/// as uploading files.
static SCOPE_WORDS: std::sync::LazyLock<Vec<(regex::Regex, &'static str)>> =
    std::sync::LazyLock::new(|| {
        [
            (r"^atproto$", "Identify you"),
            (
                r"^transition:generic$",
                "Read and manage like an app password",
            ),
            (
                r"^(?:transition:email$|account:email(?:[?#]|$))",
                "See and manage your email",
            ),
            (r"^identity(?::|$)", "Change handle and identity"),
            (r"^account:repo(?:[?#]|$)", "Import your repository"),
            (r"^blob(?:[:?#]|$)", "Upload files"),
            (
                r"^rpc:com\.atproto\.server\.createAccount(?:[?#]|$)",
                "Create your account on another PDS",
            ),
        ]
        .into_iter()
        .map(|(pattern, words)| (regex::Regex::new(pattern).expect("a valid pattern"), words))
        .collect()
    });

/// A granted scope string in words: scopes with the same meaning merged into one item, in the
/// order each meaning first appears; scopes without words stay one item each.
pub fn describe_scopes(scope: &str) -> Vec<ScopeWords> {
    let mut out: Vec<ScopeWords> = Vec::new();
    for raw in scope.split_whitespace() {
        let words = SCOPE_WORDS
            .iter()
            .find(|(pattern, _)| pattern.is_match(raw))
            .map(|(_, words)| *words);
        if let Some(item) = out
            .iter_mut()
            .find(|item| words.is_some() && item.words == words)
        {
            item.scopes.push(raw.to_owned());
            continue;
        }
        out.push(ScopeWords {
            words,
            scopes: vec![raw.to_owned()],
        });
    }
    out
}

/// The client-metadata document to host for a hosted client_id (`docs/client-metadata.json`).
pub fn hosted_document(client_id: &Url) -> Result<serde_json::Value, ClientError> {
    let kind = ClientKind::Hosted {
        client_id: client_id.clone(),
    };
    let scheme = kind
        .deep_link_scheme()
        .ok_or(ClientError::BadClientId(client_id.to_string()))?;
    Ok(serde_json::json!({
        "client_id": client_id.as_str(),
        "client_name": "Stratos",
        "client_uri": client_id.origin().ascii_serialization(),
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "dpop_bound_access_tokens": true,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": scope(),
        "redirect_uris": [format!("{scheme}:/oauth/callback"), "http://127.0.0.1/oauth/callback"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_client_id_is_stable_across_ports() {
        let a = ClientKind::Loopback
            .metadata(Redirect::Loopback { port: 1111 }, Access::Full)
            .unwrap();
        let b = ClientKind::Loopback
            .metadata(Redirect::Loopback { port: 2222 }, Access::Full)
            .unwrap();
        assert_eq!(a.client_id, b.client_id);
        assert!(a.client_id.starts_with("http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%2Foauth%2Fcallback&scope=atproto"), "{}", a.client_id);
        assert_eq!(a.redirect_uris[0], "http://127.0.0.1:1111/oauth/callback");
        assert!(
            ClientKind::Loopback
                .metadata(Redirect::DeepLink, Access::Full)
                .is_err()
        );
    }

    #[test]
    fn hosted_client_uses_the_reversed_host_with_one_slash() {
        let kind =
            ClientKind::from_client_id(Some("https://app.mytestapp.com/client-metadata.json"))
                .unwrap();
        let m = kind.metadata(Redirect::DeepLink, Access::Full).unwrap();
        assert_eq!(m.redirect_uris[0], "com.mytestapp.app:/oauth/callback");
        assert_eq!(m.application_type.as_deref(), Some("native"));
        assert_eq!(kind.default_redirect(), RedirectChoice::DeepLink);
        let doc =
            hosted_document(&Url::parse("https://app.mytestapp.com/client-metadata.json").unwrap())
                .unwrap();
        assert_eq!(doc["redirect_uris"][0], "com.mytestapp.app:/oauth/callback");
    }

    #[test]
    fn a_requested_redirect_wins_when_the_client_can_do_it() {
        use RedirectChoice::{DeepLink, Loopback};
        let hosted =
            ClientKind::from_client_id(Some("https://app.example.com/client-metadata.json"))
                .unwrap();
        let local = ClientKind::Loopback;
        assert_eq!(redirect_choice(&hosted, None, None), DeepLink);
        assert_eq!(redirect_choice(&hosted, Some(Loopback), None), Loopback);
        assert_eq!(
            redirect_choice(&hosted, Some(Loopback), Some(DeepLink)),
            DeepLink
        );
        assert_eq!(redirect_choice(&local, None, None), Loopback);
        assert_eq!(redirect_choice(&local, Some(DeepLink), None), Loopback);
        assert_eq!(
            redirect_choice(&local, Some(DeepLink), Some(DeepLink)),
            Loopback
        );
        assert_eq!(redirect_choice(&local, None, Some(Loopback)), Loopback);
        assert_eq!(local.kind_name(), "loopback");
        assert_eq!(hosted.kind_name(), "hosted");
    }

    #[test]
    fn scopes_are_worded_and_merged_by_meaning() {
        let items = describe_scopes(
            " atproto  transition:email account:email?action=manage identity:* blob:*/* \
             repo:app.bsky.feed.post account:repo?action=manage blob?accept=image/* \
             rpc:com.atproto.server.createAccount?aud=* transition:generic account:emailx",
        );
        let shown: Vec<(Option<&str>, Vec<&str>)> = items
            .iter()
            .map(|i| (i.words, i.scopes.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Some("Identify you"), vec!["atproto"]),
                (
                    Some("See and manage your email"),
                    vec!["transition:email", "account:email?action=manage"]
                ),
                (Some("Change handle and identity"), vec!["identity:*"]),
                (
                    Some("Upload files"),
                    vec!["blob:*/*", "blob?accept=image/*"]
                ),
                (None, vec!["repo:app.bsky.feed.post"]),
                (
                    Some("Import your repository"),
                    vec!["account:repo?action=manage"]
                ),
                (
                    Some("Create your account on another PDS"),
                    vec!["rpc:com.atproto.server.createAccount?aud=*"]
                ),
                (
                    Some("Read and manage like an app password"),
                    vec!["transition:generic"]
                ),
                (None, vec!["account:emailx"]),
            ]
        );
        assert!(describe_scopes("").is_empty());
        assert_eq!(
            serde_json::to_value(&items[4]).unwrap(),
            serde_json::json!({ "words": null, "scopes": ["repo:app.bsky.feed.post"] })
        );
        // Every scope Stratos asks for has words.
        assert!(describe_scopes(&scope()).iter().all(|i| i.words.is_some()));
    }

    #[test]
    fn bad_client_ids_are_refused() {
        assert!(ClientKind::from_client_id(Some("http://app.example.com/x.json")).is_err());
        assert!(ClientKind::from_client_id(Some("https://app.example.com")).is_err());
        assert_eq!(
            ClientKind::from_client_id(None).unwrap(),
            ClientKind::Loopback
        );
    }
}

#[cfg(test)]
mod template_tests {
    /// The template shipped in docs/ must stay what `hosted_document` produces for its client_id.
    #[test]
    fn shipped_template_matches_the_code() {
        let shipped: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../docs/client-metadata.example.json"
        ))
        .unwrap();
        let id = url::Url::parse(shipped["client_id"].as_str().unwrap()).unwrap();
        assert_eq!(super::hosted_document(&id).unwrap(), shipped);
    }
}
