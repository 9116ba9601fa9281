//! One XRPC transport for every call Stratos makes, so timeouts, error decoding and
//! authorization are handled the same way everywhere.
//!
//! Lexicon types and their encoding come from `jacquard-api`; this module only moves bytes and
//! turns failures into errors a person can act on.

use crate::base::problem::{Explain, Problem};
use jacquard_common::deps::fluent_uri::Uri;
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::xrpc::{CallOptions, XrpcRequest, XrpcResp, build_http_request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest;
use url::Url;

/// The decoded success output of XRPC request `R`.
pub type Output<R> = <<R as XrpcRequest>::Response as XrpcResp>::Output<SmolStr>;

/// What went wrong talking to a service.
#[derive(Debug, Clone, thiserror::Error)]
pub enum XrpcError {
    /// The service accepted the connection but did not answer in time.
    #[error("{service} did not answer {nsid} within the time limit")]
    Timeout {
        /// The service's host, as shown to the user.
        service: String,
        /// The method called.
        nsid: String,
    },
    /// No connection could be made (DNS failure, refused, TLS failure...).
    #[error("could not reach {service}: {reason}")]
    Unreachable {
        /// The service's host.
        service: String,
        /// Why, in plain words ([`crate::base::plain::connection`]).
        reason: &'static str,
        /// The transport's own description, for the log and "Details".
        detail: String,
    },
    /// The service answered with a well-formed XRPC error.
    #[error("{service} refused {nsid}: {error}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Server {
        /// The service's host.
        service: String,
        /// The method called.
        nsid: String,
        /// The HTTP status.
        status: u16,
        /// The XRPC error name, such as `AuthFactorTokenRequired`.
        error: String,
        /// The server's explanation, if any.
        message: Option<String>,
    },
    /// The service answered, but not with XRPC (an HTML page, a proxy error, bad JSON...).
    #[error("{service} sent an answer to {nsid} that is not valid XRPC (HTTP {status}): {detail}")]
    BadResponse {
        /// The service's host.
        service: String,
        /// The method called.
        nsid: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// The service limits how often this may be called, and the limit is reached for now.
    #[error("{service} asks to slow down on {nsid} (rate limit reached){}", retry_after.map(|s| format!("; it can go on in {s} s")).unwrap_or_default())]
    RateLimited {
        /// The service's host.
        service: String,
        /// The method called.
        nsid: String,
        /// Seconds until the limit resets, when the server said (`RateLimit-Reset`, `Retry-After`).
        retry_after: Option<u64>,
    },
    /// The request itself could not be built; a bug or an impossible argument.
    #[error("could not build the {nsid} request: {detail}")]
    Encode {
        /// The method called.
        nsid: String,
        /// Why.
        detail: String,
    },
}

impl XrpcError {
    /// The XRPC error name when the server gave one, for matching on protocol errors.
    pub fn error_name(&self) -> Option<&str> {
        match self {
            XrpcError::Server { error, .. } => Some(error),
            _ => None,
        }
    }

    /// True when the answer means the access token is no longer good (expired or revoked).
    pub fn is_expired_token(&self) -> bool {
        matches!(
            self.error_name(),
            Some("ExpiredToken" | "InvalidToken" | "invalid_token")
        )
    }

    /// True when a DPoP resource server asks for the request again with its new nonce.
    pub fn wants_dpop_nonce(&self) -> bool {
        self.error_name() == Some("use_dpop_nonce")
    }

    /// True when the service itself could not be reached or did not answer.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            XrpcError::Timeout { .. } | XrpcError::Unreachable { .. }
        )
    }
}

/// A service's host (and port) for messages: what a person recognises.
pub fn service_name(base: &Url) -> String {
    match (base.host_str(), base.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => base.to_string(),
    }
}

/// Sends XRPC requests over the shared HTTP client.
#[derive(Debug, Clone)]
pub struct Xrpc {
    http: reqwest::Client,
    transfer: reqwest::Client,
}

/// A request outside the typed lexicons: method, NSID, query, and an optional body with its
/// Content-Type (streamed or not).
pub struct Raw<'a> {
    /// GET for queries, POST for procedures.
    pub method: reqwest::Method,
    /// The XRPC method.
    pub nsid: &'a str,
    /// Query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// The body and its Content-Type.
    pub body: Option<(&'a str, reqwest::Body)>,
}

/// How a raw request says who is calling.
pub enum Auth<'a> {
    /// Nobody: a public method.
    None,
    /// A password session's access token, or a service-auth token.
    Bearer(&'a str),
    /// A DPoP-bound OAuth access token.
    Dpop(&'a DpopAuth<'a>),
}

impl Xrpc {
    /// Wraps the shared HTTP clients (see [`crate::net::http::client`] and
    /// [`crate::net::http::transfer_client`]).
    pub fn new(http: reqwest::Client, transfer: reqwest::Client) -> Self {
        Self { http, transfer }
    }

    /// The underlying HTTP client, for non-XRPC requests such as well-known lookups.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The client for downloads whose length depends on the data (repos, blobs): it fails on a
    /// stalled connection rather than after a fixed total time.
    pub fn transfer(&self) -> &reqwest::Client {
        &self.transfer
    }

    /// Calls a method with no typed lexicon here, or whose body is streamed (a repo, a blob),
    /// and returns its JSON output (`null` when it has none).
    ///
    /// Nothing is retried here: a stream can be sent only once, so when the server asks for a
    /// new DPoP nonce or a fresh token the caller opens the body again (see
    /// [`crate::auth::session::AccountSession::procedure_stream`]). The DPoP nonce of every answer is
    /// remembered, and a nonce request comes back as an error for which
    /// [`XrpcError::wants_dpop_nonce`] is true. HTTP 429 comes back as
    /// [`XrpcError::RateLimited`] with the wait the server asked for.
    pub async fn send_raw(
        &self,
        base: &Url,
        raw: Raw<'_>,
        auth: Auth<'_>,
    ) -> Result<serde_json::Value, XrpcError> {
        let nsid = raw.nsid;
        let response = self.send_raw_response(base, raw, auth).await?;
        json_of(base, nsid, response).await
    }

    /// Opens a public query (`sync.getRepo`, `sync.getBlob`) for streaming: the answer unread
    /// on success, the usual errors otherwise.
    pub async fn download(
        &self,
        base: &Url,
        nsid: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, XrpcError> {
        self.get_unread(base, nsid, query, None).await
    }

    /// Like [`Xrpc::download`], but asks for the bytes as stored (`Accept-Encoding: identity`),
    /// for what is passed on to another server as it comes (blobs, a repository being moved).
    /// The reference PDS compresses on the fly when the client accepts it (blobs served as
    /// `application/octet-stream`, CARs), which burns CPU on both ends for nothing when the
    /// next hop sends it uncompressed anyway, and drops the Content-Length a copy passes on.
    /// (The HTTP client otherwise accepts gzip, brotli and deflate, which a dependency turns on.)
    pub async fn download_as_stored(
        &self,
        base: &Url,
        nsid: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, XrpcError> {
        let identity = (
            http::header::ACCEPT_ENCODING,
            http::HeaderValue::from_static("identity"),
        );
        self.get_unread(base, nsid, query, Some(identity)).await
    }

    /// GETs public query `nsid` with one `extra` header; a successful answer comes back unread.
    async fn get_unread(
        &self,
        base: &Url,
        nsid: &str,
        query: &[(&str, &str)],
        extra: Option<(http::HeaderName, http::HeaderValue)>,
    ) -> Result<reqwest::Response, XrpcError> {
        let raw = Raw {
            method: reqwest::Method::GET,
            nsid,
            query,
            body: None,
        };
        self.send_with(base, raw, Auth::None, extra).await
    }

    /// Like [`Xrpc::send_raw`], but hands back a successful answer unread, so a large one (a
    /// repository) can be streamed.
    pub async fn send_raw_response(
        &self,
        base: &Url,
        raw: Raw<'_>,
        auth: Auth<'_>,
    ) -> Result<reqwest::Response, XrpcError> {
        self.send_with(base, raw, auth, None).await
    }

    /// Sends `raw` with `auth` and one `extra` header; a successful answer comes back unread.
    async fn send_with(
        &self,
        base: &Url,
        raw: Raw<'_>,
        auth: Auth<'_>,
        extra: Option<(http::HeaderName, http::HeaderValue)>,
    ) -> Result<reqwest::Response, XrpcError> {
        let nsid = raw.nsid;
        let encode = |detail: String| XrpcError::Encode {
            nsid: nsid.to_owned(),
            detail,
        };
        let mut url = base
            .join(&format!("xrpc/{nsid}"))
            .map_err(|e| encode(e.to_string()))?;
        if !raw.query.is_empty() {
            url.query_pairs_mut().extend_pairs(raw.query);
        }
        let mut builder = self.transfer.request(raw.method, url);
        if let Some((content_type, body)) = raw.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        if let Some((name, value)) = extra {
            builder = builder.header(name, value);
        }
        let mut request = builder.build().map_err(|e| encode(e.to_string()))?;
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|e| encode(e.to_string()))?;
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value);
            }
            Auth::Dpop(dpop) => dpop.authorize(&mut request, nsid)?,
        }
        log::debug!("xrpc {nsid} {} (raw)", service_name(base));
        let response = self
            .transfer
            .execute(request)
            .await
            .map_err(|e| transport(base, nsid, e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Auth::Dpop(dpop) = &auth {
            dpop.remember_nonce(&headers);
        }
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(base, nsid, e))?;
        if matches!(auth, Auth::Dpop(_)) && wants_nonce(base, nsid, status, &headers, &body) {
            return Err(XrpcError::Server {
                service: service_name(base),
                nsid: nsid.to_owned(),
                status,
                error: "use_dpop_nonce".to_owned(),
                message: None,
            });
        }
        if status == 429 {
            return Err(XrpcError::RateLimited {
                service: service_name(base),
                nsid: nsid.to_owned(),
                retry_after: retry_after(&headers),
            });
        }
        Err(decode_error(base, nsid, status, &body))
    }

    /// Calls `req` on the service at `base`, with `bearer` as the Authorization token if given.
    pub async fn send<R>(
        &self,
        base: &Url,
        req: &R,
        bearer: Option<&str>,
    ) -> Result<Output<R>, XrpcError>
    where
        R: XrpcRequest + Serialize,
        Output<R>: DeserializeOwned,
    {
        let mut request = build(base, req)?;
        if let Some(token) = bearer {
            let value = http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| {
                XrpcError::Encode {
                    nsid: R::NSID.to_owned(),
                    detail: e.to_string(),
                }
            })?;
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, value);
        }
        log::debug!("xrpc {} {}", R::NSID, service_name(base));
        let (status, _, body) = self.execute(base, R::NSID, request).await?;
        decode::<R>(base, status, &body)
    }

    /// Calls `req` with a DPoP-bound OAuth access token: a fresh proof per request, the server's
    /// nonce remembered, and one retry when the server asks for a new nonce.
    pub async fn send_dpop<R>(
        &self,
        base: &Url,
        req: &R,
        dpop: &DpopAuth<'_>,
    ) -> Result<Output<R>, XrpcError>
    where
        R: XrpcRequest + Serialize,
        Output<R>: DeserializeOwned,
    {
        let nsid = R::NSID;
        for attempt in 0..2 {
            let mut request = build(base, req)?;
            dpop.authorize(&mut request, nsid)?;
            log::debug!("xrpc {} {} (DPoP)", nsid, service_name(base));
            let (status, headers, body) = self.execute(base, nsid, request).await?;
            dpop.remember_nonce(&headers);
            if attempt == 0 && wants_nonce(base, nsid, status, &headers, &body) {
                continue;
            }
            return decode::<R>(base, status, &body);
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Calls a method with no typed lexicon in jacquard-api, returning raw JSON; used only for
    /// endpoints outside `com.atproto`.
    pub async fn get_json(
        &self,
        base: &Url,
        nsid: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, XrpcError> {
        let mut url = base
            .join(&format!("xrpc/{nsid}"))
            .map_err(|e| XrpcError::Encode {
                nsid: nsid.to_owned(),
                detail: e.to_string(),
            })?;
        url.query_pairs_mut().extend_pairs(query);
        let request = self.http.get(url).build().map_err(|e| XrpcError::Encode {
            nsid: nsid.to_owned(),
            detail: e.to_string(),
        })?;
        let (status, _, body) = self.execute(base, nsid, request).await?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| XrpcError::BadResponse {
                service: service_name(base),
                nsid: nsid.to_owned(),
                status,
                detail: not_json_or(&body, e),
            });
        }
        Err(decode_error(base, nsid, status, &body))
    }

    async fn execute(
        &self,
        base: &Url,
        nsid: &str,
        request: reqwest::Request,
    ) -> Result<(u16, http::HeaderMap, Vec<u8>), XrpcError> {
        self.execute_with(&self.http, base, nsid, request).await
    }

    async fn execute_with(
        &self,
        client: &reqwest::Client,
        base: &Url,
        nsid: &str,
        request: reqwest::Request,
    ) -> Result<(u16, http::HeaderMap, Vec<u8>), XrpcError> {
        let transport = |e| transport(base, nsid, e);
        let response = client.execute(request).await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        Ok((status, headers, body.to_vec()))
    }
}

/// A DPoP-bound access token with the key it is bound to and the server's latest nonce.
pub struct DpopAuth<'a> {
    /// The access token.
    pub token: &'a str,
    /// The session's private DPoP key.
    pub key: &'a jose_jwk::Key,
    /// The resource server's last `DPoP-Nonce`, updated from every answer.
    pub nonce: &'a std::sync::Mutex<Option<String>>,
}

impl DpopAuth<'_> {
    /// Adds the `Authorization: DPoP` header and a fresh proof for this request, bound to the
    /// token (`ath`) and carrying the server's latest nonce.
    fn authorize(&self, request: &mut reqwest::Request, nsid: &str) -> Result<(), XrpcError> {
        let encode = |detail: String| XrpcError::Encode {
            nsid: nsid.to_owned(),
            detail,
        };
        let ath = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            sha2::Sha256::digest(self.token.as_bytes()),
        );
        let mut htu = request.url().clone();
        htu.set_query(None);
        let nonce = self.nonce.lock().expect("nonce lock").clone();
        let proof = jacquard_oauth::dpop::build_dpop_proof(
            self.key,
            request.method().as_str(),
            htu.as_str(),
            nonce.as_deref(),
            Some(&ath),
        )
        .map_err(|e| encode(format!("DPoP proof: {e}")))?;
        let headers = request.headers_mut();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("DPoP {}", self.token))
                .map_err(|e| encode(e.to_string()))?,
        );
        headers.insert(
            "DPoP",
            http::HeaderValue::from_str(&proof).map_err(|e| encode(e.to_string()))?,
        );
        Ok(())
    }

    /// Keeps the nonce the server sent with an answer, for the next proof.
    fn remember_nonce(&self, headers: &http::HeaderMap) {
        if let Some(n) = headers.get("DPoP-Nonce").and_then(|v| v.to_str().ok()) {
            *self.nonce.lock().expect("nonce lock") = Some(n.to_owned());
        }
    }
}

/// Reads a successful raw answer as JSON (`null` when it has no body).
pub(crate) async fn json_of(
    base: &Url,
    nsid: &str,
    response: reqwest::Response,
) -> Result<serde_json::Value, XrpcError> {
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport(base, nsid, e))?;
    if body.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&body).map_err(|e| XrpcError::BadResponse {
        service: service_name(base),
        nsid: nsid.to_owned(),
        status,
        detail: not_json_or(&body, e),
    })
}

/// A transport failure as the error a person reads: a timeout, or the innermost cause.
pub(crate) fn transport(base: &Url, nsid: &str, e: reqwest::Error) -> XrpcError {
    if e.is_timeout() {
        XrpcError::Timeout {
            service: service_name(base),
            nsid: nsid.to_owned(),
        }
    } else {
        XrpcError::Unreachable {
            service: service_name(base),
            reason: crate::base::plain::connection(&e),
            detail: crate::base::plain::chain(&e),
        }
    }
}

/// How long a rate-limited answer asks to wait: `Retry-After` seconds, or the reset time of
/// the `RateLimit-Reset` header the reference PDS sends (seconds since the epoch).
fn retry_after(headers: &http::HeaderMap) -> Option<u64> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(s) = number("retry-after") {
        return Some(s);
    }
    let reset = number("ratelimit-reset")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Some servers send seconds-from-now rather than a timestamp; both read sensibly.
    Some(if reset > now {
        reset - now
    } else {
        reset.min(3600)
    })
}

/// Whether an answer asks for the request again with the nonce it carries.
fn wants_nonce(
    base: &Url,
    nsid: &str,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> bool {
    status == 401
        && (headers
            .get(http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("use_dpop_nonce"))
            || decode_error(base, nsid, status, body).wants_dpop_nonce())
}

/// Encodes `req` as an HTTP request to `base` (no authorization yet).
fn build<R: XrpcRequest + Serialize>(base: &Url, req: &R) -> Result<reqwest::Request, XrpcError> {
    let nsid = R::NSID;
    let encode = |detail: String| XrpcError::Encode {
        nsid: nsid.to_owned(),
        detail,
    };
    let root = base.as_str().trim_end_matches('/');
    let uri = Uri::parse(root).map_err(|e| encode(e.to_string()))?;
    let request = build_http_request(&uri, req, &CallOptions::default())
        .map_err(|e| encode(e.to_string()))?;
    let mut request = reqwest::Request::try_from(request).map_err(|e| encode(e.to_string()))?;
    // Input-less procedures (refreshSession, deleteSession...) are unit structs that encode as
    // `null`; servers expect no body at all for them.
    if request.body().and_then(|b| b.as_bytes()) == Some(b"null") {
        *request.body_mut() = None;
        request.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    Ok(request)
}

/// Decodes an answer to `R`: its output on 2xx, an error otherwise.
fn decode<R>(base: &Url, status: u16, body: &[u8]) -> Result<Output<R>, XrpcError>
where
    R: XrpcRequest,
    Output<R>: DeserializeOwned,
{
    if (200..300).contains(&status) {
        // Output-less methods answer with an empty body, which decodes as `()` only as `null`.
        let body: &[u8] = if body.is_empty() { b"null" } else { body };
        return <R::Response as XrpcResp>::decode_output::<SmolStr>(body).map_err(|e| {
            XrpcError::BadResponse {
                service: service_name(base),
                nsid: R::NSID.to_owned(),
                status,
                detail: not_json_or(body, e),
            }
        });
    }
    Err(decode_error(base, R::NSID, status, body))
}

/// Turns a non-2xx answer into [`XrpcError::Server`] when it is XRPC, or `BadResponse` when not;
/// shared with the streaming downloads that bypass [`Xrpc::send`].
pub(crate) fn decode_error(base: &Url, nsid: &str, status: u16, body: &[u8]) -> XrpcError {
    #[derive(serde::Deserialize)]
    struct Body {
        error: String,
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => XrpcError::Server {
            service: service_name(base),
            nsid: nsid.to_owned(),
            status,
            error: b.error,
            message: b.message,
        },
        Err(_) => XrpcError::BadResponse {
            service: service_name(base),
            nsid: nsid.to_owned(),
            status,
            detail: snippet(body),
        },
    }
}

/// Why a 2xx body could not be decoded: its start when it is not JSON at all (an HTML page says
/// more than a parser position), else the decoder's complaint.
fn not_json_or(body: &[u8], e: impl std::fmt::Display) -> String {
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        format!("expected JSON, got: {}", snippet(body))
    } else {
        format!("unexpected JSON: {e}")
    }
}

/// The first bytes of an unexpected body, printable, for an error message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        "empty body".to_owned()
    } else if one_line.chars().count() > 120 {
        format!("{}…", one_line.chars().take(120).collect::<String>())
    } else {
        one_line
    }
}

impl Explain for XrpcError {
    fn explain(&self) -> Problem {
        match self {
            XrpcError::Timeout { .. } => Problem::new(
                "pds_timeout",
                self,
                Some("The server may be overloaded or down. Try again in a moment."),
            ),
            XrpcError::Unreachable { detail, .. } => Problem::new(
                "pds_unreachable",
                self,
                Some("Check the address and your internet connection; the server may be down."),
            )
            .with_detail(detail.clone()),
            XrpcError::Server { status, .. } if *status >= 500 => Problem::new(
                "pds_error",
                self,
                Some(
                    "The server had an internal problem. Try again later, or contact its operator.",
                ),
            ),
            XrpcError::Server {
                status: 403,
                message: Some(m),
                ..
            } if m.contains("Missing required scope") => Problem::new(
                "oauth_scope_missing",
                self,
                Some(
                    "Sign in again with your browser and approve the permission Stratos asks for.",
                ),
            ),
            XrpcError::Server { .. } => Problem::new("pds_refused", self, None),
            XrpcError::BadResponse { .. } => Problem::new(
                "pds_bad_response",
                self,
                Some(
                    "This address may not be an atproto PDS, or something between you and it is failing.",
                ),
            ),
            XrpcError::RateLimited { .. } => Problem::new(
                "rate_limited",
                self,
                Some(
                    "The server limits how many requests it takes. Wait a little, then run it again; work already done is kept.",
                ),
            ),
            XrpcError::Encode { .. } => Problem::new(
                "internal",
                self,
                Some("This is a bug in Stratos; please report it."),
            ),
        }
    }
}

#[cfg(test)]
mod explain_tests {
    #[test]
    fn missing_oauth_scope_asks_to_sign_in_again() {
        use crate::base::problem::Explain;
        let e = crate::net::xrpc::XrpcError::Server {
            service: "localhost:1".into(),
            nsid: "com.atproto.identity.updateHandle".into(),
            status: 403,
            error: "InvalidRequest".into(),
            message: Some("Missing required scope \"identity:handle\"".into()),
        };
        assert_eq!(e.explain().code, "oauth_scope_missing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_xrpc_and_non_xrpc_errors() {
        let base = Url::parse("http://localhost:2583").unwrap();
        let e = decode_error(
            &base,
            "x.y.z",
            401,
            br#"{"error":"AuthFactorTokenRequired","message":"A sign in code has been sent"}"#,
        );
        assert_eq!(e.error_name(), Some("AuthFactorTokenRequired"));
        assert!(e.to_string().contains("localhost:2583"), "{e}");
        let e = decode_error(
            &base,
            "x.y.z",
            502,
            b"<html><body>Bad gateway</body></html>",
        );
        assert!(matches!(e, XrpcError::BadResponse { status: 502, .. }));
        assert!(e.to_string().contains("Bad gateway"), "{e}");
        let e = decode_error(&base, "x.y.z", 500, b"");
        assert!(e.to_string().contains("empty body"), "{e}");
    }

    #[test]
    fn snippets_are_bounded() {
        let long = "a".repeat(500);
        assert!(snippet(long.as_bytes()).chars().count() <= 121);
    }
}
