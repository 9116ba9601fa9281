//! Layer 0, the base: value types and rules every other layer may use, with no I/O of their own.
//! Nothing here imports any other module of the crate.

pub mod did_key;
pub mod health;
pub mod identifier;
pub mod plain;
pub mod problem;
pub mod redact;
