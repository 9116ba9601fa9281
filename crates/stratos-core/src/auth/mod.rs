//! Layer 5, being signed in: sessions by password or OAuth with single-flight refresh, the
//! browser sign-in flow, and opening the system browser.

pub mod browser;
pub mod oauth;
pub mod session;
pub mod step_up;
