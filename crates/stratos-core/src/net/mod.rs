//! Layer 2, the network: one HTTP client with time and size limits, and the XRPC transport over
//! it. Every call Stratos makes to a server goes through here, so every call is bounded.

pub mod http;
pub mod image;
pub mod xrpc;
