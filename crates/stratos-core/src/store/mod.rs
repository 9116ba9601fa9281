//! Layer 4, what Stratos keeps: the state file (accounts, settings, persisted records) and the
//! keychain (secrets). Nothing above this layer names a file or a keychain slot by itself.

pub mod keychain;
pub mod state;
