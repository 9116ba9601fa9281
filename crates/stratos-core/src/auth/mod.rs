//! Layer 6, being signed in: sessions by password or OAuth with single-flight refresh, the
//! browser sign-in flow, the cache of live sessions and step-ups (`sessions`),
//! the sign-ins awaiting their callback (`sign_ins`), and opening the system browser.

pub mod browser;
pub mod oauth;
pub mod session;
pub mod sessions;
pub mod sign_ins;
pub mod step_up;
