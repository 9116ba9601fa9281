//! Stratos core: everything a person does to their AT Protocol accounts, with no UI attached.
//!
//! The desktop shell (`src-tauri`) and the `stratos` CLI are thin layers over this crate, so every
//! capability is tested headless against a real PDS. The crate is layered, lowest first; a module
//! imports only from its own layer or lower ones (`tests/architecture.rs` fails otherwise, and on
//! any import circle between top-level modules):
//!
//! 0. [`base`]: errors a person can act on ([`Problem`], [`Explain`]), secret redaction,
//!    identifiers, an account's one-word health.
//! 1. [`config`]: where Stratos finds its services and keeps its files, and the OAuth client it
//!    signs in as.
//! 2. [`net`]: the bounded HTTP client and the XRPC transport.
//! 3. [`identity`]: DID and handle resolution.
//! 4. [`store`]: the state file and the keychain.
//! 5. [`context`]: the services built once from the configuration (transport, resolver, keychain,
//!    state file) that sessions and features reach accounts through.
//! 6. [`auth`]: sessions (password, OAuth), their cache and step-ups, the browser sign-in flow.
//! 7. Features, one module or folder each, named as in the shell, the CLI and the UI
//!    (`docs/architecture.md` has the table):
//!    - [`accounts`]: the signed-in accounts, sign-in by password, sign-out, the account store;
//!    - [`attention`]: what needs the person's attention across accounts, worst first;
//!    - [`status`]: an account's public state (identity, PDS, repository) and its health;
//!      [`profile`]: its display name and avatar, read from its own PDS;
//!    - [`devices`]: devices and apps signed in to an account, and noticing new ones;
//!    - [`app_passwords`], [`email`], [`password`], [`handle`], [`activation`], [`deletion`]:
//!      the account settings a PDS offers;
//!    - [`service_auth`], [`keys`], [`plc`]: tokens, keys in the keychain, the DID's PLC log and
//!      the identity guard (local operations, the history verified here, the watch, undo);
//!    - [`blobs`], [`backup`]: the account's files, and incremental verified snapshots of its
//!      data that run on a schedule;
//!    - [`create`], [`migrate`], [`recover`]: a new account, moving one to another PDS, and
//!      moving one with only a backup and the person's rotation key (the old PDS gone);
//!    - [`resolve`], [`pds`], [`prefs`]: goat's look-ups (a DID document, a server's
//!      description) and an account's app preferences in a file.

pub mod base;
pub mod config;
pub mod net;

pub mod identity;

pub mod store;

pub mod context;

pub mod auth;

pub mod accounts;
pub mod activation;
pub mod app_passwords;
pub mod attention;
pub mod backup;
pub mod blobs;
pub mod create;
pub mod deletion;
pub mod devices;
pub mod email;
pub mod handle;
pub mod keys;
pub mod migrate;
pub mod password;
pub mod pds;
pub mod plc;
pub mod prefs;
pub mod profile;
pub mod recover;
pub mod resolve;
pub mod service_auth;
pub mod status;

pub use accounts::{Accounts, AccountsError, LoginRequest};
pub use base::problem::{Explain, Problem, explained};
pub use config::Config;
