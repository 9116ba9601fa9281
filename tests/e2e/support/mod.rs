//! The harness the tests run on; no tests here.

pub mod app;
pub mod desktop;
pub mod flows;
pub mod logs;
pub mod x11;
