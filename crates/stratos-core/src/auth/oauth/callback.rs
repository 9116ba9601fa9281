//! The end of the browser round trip: the callback URL and the one-shot loopback listener.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use url::Url;

/// What the authorization server sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The `state` this answer belongs to.
    pub state: String,
    /// The issuer that answered (`iss`), required by atproto.
    pub iss: Option<String>,
    /// The authorization code, on success.
    pub code: Option<String>,
    /// The OAuth error code, on failure (`access_denied` when the person said no).
    pub error: Option<String>,
    /// The server's explanation of the error.
    pub error_description: Option<String>,
}

/// Why a callback URL is unusable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallbackError {
    /// Not a URL, or no `state` in it.
    #[error(
        "this is not a sign-in callback address (expected …/oauth/callback?code=…&state=…&iss=…)"
    )]
    NotACallback,
    /// The loopback listener could not start.
    #[error("could not listen for the browser on 127.0.0.1: {0}")]
    Listen(String),
    /// Nothing came back in time.
    #[error("the browser did not come back within {0} minutes")]
    TimedOut(u64),
}

impl Callback {
    /// Parses a callback URL, whether loopback (`http://127.0.0.1:…`) or deep link (`scheme:/…`).
    pub fn parse(url: &str) -> Result<Callback, CallbackError> {
        let url = Url::parse(url.trim()).map_err(|_| CallbackError::NotACallback)?;
        let get = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        let state = get("state").ok_or(CallbackError::NotACallback)?;
        if get("code").is_none() && get("error").is_none() {
            return Err(CallbackError::NotACallback);
        }
        Ok(Callback {
            state,
            iss: get("iss"),
            code: get("code"),
            error: get("error"),
            error_description: get("error_description"),
        })
    }
}

/// A bound loopback listener waiting for exactly one callback.
pub struct LoopbackListener {
    listener: TcpListener,
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Stratos</title>\
<style>body{font:16px system-ui,sans-serif;display:grid;place-items:center;height:90vh;color:#1f2937}</style>\
<main><h1>You can close this tab</h1><p>Stratos has your answer and carries on in its window.</p></main>";

impl LoopbackListener {
    /// Binds a free port on 127.0.0.1.
    pub async fn bind() -> Result<Self, CallbackError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| CallbackError::Listen(e.to_string()))?;
        Ok(Self { listener })
    }

    /// The port the browser must come back to.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Waits for the browser's request to `/oauth/callback`, answers it with a "you can close
    /// this tab" page and returns the full callback URL; other requests (favicon…) get a 404.
    ///
    /// Hand-written because it serves exactly one tiny GET: an HTTP server crate would add far
    /// more than it saves.
    pub async fn wait(self, limit: Duration) -> Result<String, CallbackError> {
        let port = self.port();
        let serve = async {
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    continue;
                };
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                let mut reader = BufReader::new(read);
                if tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line))
                    .await
                    .is_err()
                {
                    continue;
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                // Drain the headers so the browser sees a clean response.
                let mut header = String::new();
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut header))
                        .await
                {
                    if n == 0 || header == "\r\n" || header == "\n" {
                        break;
                    }
                    header.clear();
                }
                if target.starts_with("/oauth/callback?") {
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{DONE_PAGE}",
                        DONE_PAGE.len()
                    );
                    let _ = write.write_all(response.as_bytes()).await;
                    let _ = write.shutdown().await;
                    return format!("http://127.0.0.1:{port}{target}");
                }
                let _ = write
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
            }
        };
        tokio::time::timeout(limit, serve)
            .await
            .map_err(|_| CallbackError::TimedOut(limit.as_secs() / 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_success_error_and_garbage() {
        let c = Callback::parse(
            "http://127.0.0.1:5/oauth/callback?code=c1&state=s1&iss=http%3A%2F%2Flocalhost%3A9",
        )
        .unwrap();
        assert_eq!(
            (c.code.as_deref(), c.state.as_str(), c.iss.as_deref()),
            (Some("c1"), "s1", Some("http://localhost:9"))
        );
        let c =
            Callback::parse("com.example.app:/oauth/callback?error=access_denied&state=s2&iss=x")
                .unwrap();
        assert_eq!(c.error.as_deref(), Some("access_denied"));
        assert!(Callback::parse("not a url").is_err());
        assert!(
            Callback::parse("http://127.0.0.1:5/oauth/callback?code=c1").is_err(),
            "no state"
        );
    }

    #[tokio::test]
    async fn loopback_listener_returns_the_callback_and_ignores_other_paths() {
        let listener = LoopbackListener::bind().await.unwrap();
        let port = listener.port();
        let waiting = tokio::spawn(listener.wait(Duration::from_secs(10)));
        let http = reqwest::Client::new();
        let favicon = http
            .get(format!("http://127.0.0.1:{port}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(favicon.status(), 404);
        let page = http
            .get(format!(
                "http://127.0.0.1:{port}/oauth/callback?code=a&state=b"
            ))
            .send()
            .await
            .unwrap();
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("You can close this tab")
        );
        let url = waiting.await.unwrap().unwrap();
        assert_eq!(
            url,
            format!("http://127.0.0.1:{port}/oauth/callback?code=a&state=b")
        );
    }
}
