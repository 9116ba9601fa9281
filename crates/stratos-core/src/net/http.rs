//! The one HTTP client configuration, so every network call has a timeout and a user agent.

use crate::config::Config;

/// Builds the shared HTTP client: bounded connect and request times, no cookies, rustls.
pub fn client(config: &Config) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("Stratos/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("a reqwest client with static settings always builds")
}

/// Builds the client for long transfers (repos, blobs, backups): no bound on the whole
/// request, whose length depends on the data, but a connection that stalls for the request
/// timeout fails, so a dead server never hangs a transfer.
pub fn transfer_client(config: &Config) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("Stratos/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("a reqwest client with static settings always builds")
}

/// The media type of an answer (`image/png`), lower-cased and without parameters.
pub(crate) fn media_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
}

/// A download's body as the body of another request (a copy between servers), adding each
/// chunk's length to `bytes` when given, for progress. The download's length goes with it, so
/// the copy is sent with a Content-Length rather than in chunks: the receiving PDS reads it in
/// fewer, larger pieces.
pub(crate) fn counted_body(
    response: reqwest::Response,
    bytes: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> reqwest::Body {
    use futures::StreamExt;
    let length = response.content_length();
    let counted = response.bytes_stream().inspect(move |chunk| {
        if let (Some(n), Ok(chunk)) = (&bytes, chunk) {
            n.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
    });
    reqwest::Body::wrap(Passed {
        stream: Box::pin(counted),
        length,
    })
}

/// A byte stream as a request body of a known length (reqwest's `wrap_stream` has none).
struct Passed<S> {
    stream: std::pin::Pin<Box<S>>,
    length: Option<u64>,
}

impl<S> http_body::Body for Passed<S>
where
    S: futures::Stream<Item = reqwest::Result<bytes::Bytes>>,
{
    type Data = bytes::Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, reqwest::Error>>> {
        self.stream
            .as_mut()
            .poll_next(cx)
            .map(|chunk| chunk.map(|c| c.map(http_body::Frame::data)))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.length
            .map(http_body::SizeHint::with_exact)
            .unwrap_or_default()
    }
}
