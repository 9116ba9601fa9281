//! The account store every verb starts from: opening it, and finding the account a verb is for.

use stratos_core::{Accounts, Config, Explain, Problem};

/// Opens the account store, explaining a failure (no keychain on this platform).
pub fn open(config: Config) -> Result<Accounts, Problem> {
    Accounts::open(config).map_err(|e| e.explain())
}

/// The DID of the named (or selected) signed-in account.
pub fn account_did(accounts: &Accounts, id: Option<&str>) -> Result<String, Problem> {
    accounts.find(id).map(|r| r.did).map_err(|e| e.explain())
}
