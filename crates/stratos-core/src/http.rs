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
