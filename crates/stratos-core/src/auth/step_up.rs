//! A step-up: what a browser sign-in needs to do what only a password session may (app passwords,
//! email, activation, deletion): the account password and, with email 2FA, the mailed code. They
//! are used for one short password session, held in memory for the minutes the settings allow,
//! and never stored.

/// The password and emailed sign-in code for accounts signed in through the browser, which need a
/// short password session for changes; ignored for password accounts.
#[derive(Default, Clone, Copy)]
pub struct StepUp<'a> {
    /// The account password (never stored).
    pub password: Option<&'a str>,
    /// The emailed sign-in code, when email 2FA is on.
    pub auth_factor_token: Option<&'a str>,
}

impl<'a> StepUp<'a> {
    /// The step-up as a front end holds what the person typed: optional owned strings.
    pub fn typed(password: &'a Option<String>, auth_factor_token: &'a Option<String>) -> Self {
        Self {
            password: password.as_deref(),
            auth_factor_token: auth_factor_token.as_deref(),
        }
    }
}
