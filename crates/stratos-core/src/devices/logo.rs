//! App logos for the "apps with access" list. The desktop app's content security policy loads
//! no remote images (a remote image would also tell the app's server whenever the person looks
//! at the list), so the logo is fetched here, bounded in size and time, and handed to the UI as
//! a `data:` URL.

use std::time::Duration;

use base64::Engine;
use futures::StreamExt;

/// Larger logos are not shown: a logo is a small icon, and the list must stay light.
pub const MAX_BYTES: usize = 256 * 1024;

/// A logo that does not arrive within this time is not shown; the list does not wait longer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Image types a webview shows safely inside an `<img>` (SVG scripts do not run there).
const TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
];

/// Fetches the logo at `uri` (http or https only) and returns it as a `data:` URL, or `None`
/// when it is missing, too large, not an image, or slow: a missing logo is never an error, the
/// UI shows the app's initial instead. Why it was skipped is logged.
pub async fn data_url(http: &reqwest::Client, uri: &str) -> Option<String> {
    data_url_up_to(http, uri, MAX_BYTES).await
}

/// [`data_url`] with another size limit: a profile's avatar is a bigger picture than a logo.
pub async fn data_url_up_to(http: &reqwest::Client, uri: &str, max_bytes: usize) -> Option<String> {
    match fetch(http, uri, max_bytes).await {
        Ok(url) => Some(url),
        Err(why) => {
            log::info!("image {uri} not shown: {why}");
            None
        }
    }
}

async fn fetch(http: &reqwest::Client, uri: &str, max_bytes: usize) -> Result<String, String> {
    let url = url::Url::parse(uri).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("not an http(s) address".to_owned());
    }
    let response = http
        .get(url)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let mime = crate::net::http::media_type(response.headers()).unwrap_or_default();
    if !TYPES.contains(&mime.as_str()) {
        return Err(format!("not an image type shown here ({mime:?})"));
    }
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(format!("larger than {} KiB", max_bytes / 1024));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("larger than {} KiB", max_bytes / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&body)
    ))
}
