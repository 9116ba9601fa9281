//! jacquard-oauth's view of the network: our HTTP client (so our timeouts apply), our handle
//! resolution (DNS + HTTPS or the configured resolver service) and our PLC directory.

use jacquard_common::bos::BosStr;
use jacquard_common::http_client::HttpClient;
use jacquard_common::types::string::{Did, Handle};
use jacquard_identity::JacquardResolver;
use jacquard_identity::resolver::{
    DidDocResponse, IdentityError, IdentityResolver, ResolverOptions,
};
use jacquard_oauth::dpop::DpopExt;
use jacquard_oauth::resolver::OAuthResolver;

use crate::identity::Resolver;

/// The network as jacquard-oauth sees it.
pub struct Net {
    http: reqwest::Client,
    resolver: Resolver,
    docs: JacquardResolver<reqwest::Client>,
    /// For a sign-up: the pushed-authorization endpoint whose requests get `prompt=create`.
    sign_up_par: Option<String>,
}

impl Net {
    /// Wraps Stratos's HTTP client and resolver.
    pub fn new(http: reqwest::Client, resolver: Resolver) -> Self {
        let docs = resolver.documents().clone();
        Self {
            http,
            resolver,
            docs,
            sign_up_par: None,
        }
    }

    /// The same network for a sign-up: pushed authorization requests to `par_endpoint` carry
    /// `prompt=create`, so the server shows its sign-up form instead of sign-in. Done here
    /// because jacquard-oauth 0.12's prompt type has no `create`; the parameter is an ordinary
    /// form field of that request (atproto OAuth allows it for public clients).
    pub fn for_sign_up(&self, par_endpoint: &str) -> Self {
        Self {
            http: self.http.clone(),
            resolver: self.resolver.clone(),
            docs: self.docs.clone(),
            sign_up_par: Some(par_endpoint.to_owned()),
        }
    }
}

impl HttpClient for Net {
    type Error = reqwest::Error;

    async fn send_http(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, reqwest::Error> {
        if let Some(par) = &self.sign_up_par
            && request.method() == http::Method::POST
            && request.uri().to_string() == *par
        {
            request.body_mut().extend_from_slice(b"&prompt=create");
        }
        self.http.send_http(request).await
    }
}

impl IdentityResolver for Net {
    fn options(&self) -> &ResolverOptions {
        self.docs.options()
    }

    async fn resolve_handle<S: BosStr + Sync>(
        &self,
        handle: &Handle<S>,
    ) -> Result<Did, IdentityError> {
        let owned: Handle = Handle::new_owned(handle.as_str())
            .map_err(|_| IdentityError::handle_resolution_exhausted())?;
        self.resolver
            .resolve_handle(&owned)
            .await
            .map_err(|e| IdentityError::handle_resolution_exhausted().with_context(e.to_string()))
    }

    async fn resolve_did_doc<S: BosStr + Sync>(
        &self,
        did: &Did<S>,
    ) -> Result<DidDocResponse, IdentityError> {
        self.docs.resolve_did_doc(did).await
    }
}

impl OAuthResolver for Net {}
impl DpopExt for Net {}
