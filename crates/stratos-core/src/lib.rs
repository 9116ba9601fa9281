//! Stratos core: everything a person does to their AT Protocol accounts, with no UI attached.
//!
//! The desktop shell (`src-tauri`) and the `stratos` CLI are thin layers over this crate, so every
//! capability is tested headless against a real PDS. Modules are named after what a user would
//! call the capability: [`identity`], [`status`], [`session`], [`accounts`], [`keychain`].

pub mod accounts;
pub mod activation;
pub mod app_passwords;
pub mod backup;
pub mod blobs;
pub mod browser;
pub mod config;
pub mod create;
pub mod deletion;
pub mod devices;
pub mod email;
pub mod handle;
pub mod health;
pub mod http;
pub mod identifier;
pub mod identity;
pub mod keychain;
pub mod keys;
pub mod logo;
pub mod migrate;
pub mod oauth;
pub mod password_reset;
pub mod plc;
pub mod problem;
pub mod redact;
pub mod service_auth;
pub mod session;
pub mod state;
pub mod status;
pub mod watch;
pub mod xrpc;

pub use accounts::{Accounts, AccountsError, LoginRequest};
pub use config::Config;
pub use problem::{Explain, Problem};
