//! The commands the UI invokes, one file per feature, named like the feature's core module, CLI
//! file and UI module. Each command validates its input, calls the core and returns display data
//! (`crate::models`) or a `{code, message, hint}` error; the core decides.

/// The account list: list, check all, password sign-in, select, sign out.
pub mod accounts;
/// Account activation: deactivate and reactivate.
pub mod activation;
/// App passwords: list, create, revoke.
pub mod app_passwords;
/// Backups of the repository and blobs into a folder.
pub mod backup;
/// Missing blobs: list and repair from another PDS.
pub mod blobs;
/// Creating an account: sign-up form, handle check, create.
pub mod create;
/// Deleting an account: emailed code, then delete.
pub mod deletion;
/// Devices and apps signed in to the account, and the server's account page.
pub mod devices;
/// The email address and the emailed sign-in code.
pub mod email;
/// Changing the handle.
pub mod handle;
/// Keys in the keychain: list and export.
pub mod keys;
/// Diagnostics text and the log folder.
pub mod logs;
/// Moving an account to another server.
pub mod migrate;
/// Browser sign-in (atproto OAuth) and its deep-link callback.
pub mod oauth;
/// A signed-in account's overview.
pub mod overview;
/// Password strength and reset.
pub mod password;
/// The system's file and folder dialogs.
pub mod pick;
/// The identity (did:plc): document, checked history, watch, undo, recovery key.
pub mod plc;
/// Recovering an account whose PDS is gone, onto a new one.
pub mod recover;
/// Service-auth tokens, online and offline.
pub mod service_auth;
/// The settings screen.
pub mod settings;
/// The public status of any account.
pub mod status;
/// Signed updates of the app: check, download and verify, install.
pub mod updates;
