//! Account-management verbs beyond sign-in, one module per capability (goat's names).

pub mod activation;
pub mod app_password;
pub mod blobs;
pub mod create;
pub mod deletion;
pub mod devices;
pub mod email;
pub mod handle;
pub mod migrate;
pub mod password_reset;
pub mod plc;
pub mod service_auth;
