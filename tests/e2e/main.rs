//! WebDriver end-to-end tests of the real Stratos window against the real local PDS network.
//!
//! Each test gets a private desktop (Xvfb, session bus, gnome-keyring); screenshots and the app
//! log land in target/e2e-artifacts/<test>/. Run through scripts/test.sh.
//!
//! One file per screen or area; the harness is in `support/`: `desktop` (the private desktop),
//! `app` (the app under WebDriver), `flows` (sign-in and other shared steps), `logs` (the app's
//! log files), `x11` (the app's X window).

mod support;

mod accounts;
mod activation;
mod app_passwords;
mod backup;
mod create;
mod deletion;
mod demo;
mod devices;
mod handle;
mod migrate;
mod plc;
mod recover;
mod secrets;
mod security;
mod settings;
mod themes;
mod tools;
mod tray;
mod updates;
mod window;
