//! An identity change said as a person would read it: "Your new server can update your identity,
//! after your own key", not "rotationKeys: add did:key:zQ3sh… = 2".
//!
//! The technical line ([`Change::description`]) stays for the CLI and the log, as goat prints it;
//! the window shows these words, with the technical line folded away.

use super::{Change, ChangeKind};

/// Who holds which key, as far as the caller knows: the keys in this keychain (the person's), the
/// new server's and the old server's. A key nobody is named for is shown shortened.
#[derive(Debug, Clone, Default)]
pub struct Holders {
    /// Keys in this keychain.
    pub yours: Vec<String>,
    /// Keys the server the identity moves to recommends.
    pub new_server: Vec<String>,
    /// Keys of the server the identity leaves or is on now.
    pub old_server: Vec<String>,
}

impl Holders {
    fn name(&self, key: &str) -> Option<&'static str> {
        let has = |keys: &[String]| keys.iter().any(|k| k == key);
        if has(&self.yours) {
            Some("your own key")
        } else if has(&self.new_server) {
            Some("your new server")
        } else if has(&self.old_server) {
            Some("your old server")
        } else {
            None
        }
    }

    fn subject(&self, key: &str) -> String {
        match self.name(key) {
            Some(name) => capitalise(name),
            None => format!("The key {}", short(key)),
        }
    }
}

/// `change` in words; `rotation_after` is the rotation-key list after the change (to say what a
/// new key comes after).
pub fn say(change: &Change, rotation_after: &[String], holders: &Holders) -> String {
    let item = change.item.as_str();
    let after = change.after.as_deref().unwrap_or("");
    match (change.field, change.kind) {
        ("rotationKeys", ChangeKind::Added) => {
            let place = after.parse::<usize>().unwrap_or(0);
            let order = match place {
                1 => ", before every other key".to_owned(),
                n if n > 1 => match rotation_after.get(n - 2) {
                    Some(prev) => match holders.name(prev) {
                        Some(name) => format!(", after {name}"),
                        None => format!(" (in place {n})"),
                    },
                    None => format!(" (in place {n})"),
                },
                _ => String::new(),
            };
            format!("{} can update your identity{order}", holders.subject(item))
        }
        ("rotationKeys", ChangeKind::Removed) => {
            format!(
                "{} can no longer update your identity",
                holders.subject(item)
            )
        }
        ("rotationKeys", ChangeKind::Moved) => format!(
            "{} moves to place {after} among the keys that can update your identity",
            holders.subject(item)
        ),
        ("verificationMethods", ChangeKind::Removed) if item == "atproto" => {
            "Your posts no longer have a signing key".to_owned()
        }
        ("verificationMethods", _) if item == "atproto" => match holders.name(after) {
            Some(name) => format!("Your posts will be signed by {name}"),
            None => format!("Your posts will be signed by a new key ({})", short(after)),
        },
        ("alsoKnownAs", ChangeKind::Added) => {
            format!("Your handle becomes {}", handle_of(item))
        }
        ("alsoKnownAs", ChangeKind::Removed) => {
            format!("{} is no longer your handle", handle_of(item))
        }
        ("services", ChangeKind::Removed) if item == "atproto_pds" => {
            "Your identity no longer names the server that holds your account".to_owned()
        }
        ("services", _) if item == "atproto_pds" => {
            format!("Your account's home becomes {}", host_of(after))
        }
        _ => change.description.clone(),
    }
}

/// A `did:key` shortened so that its start and end can still be compared.
fn short(key: &str) -> String {
    let body = key.strip_prefix("did:key:").unwrap_or(key);
    if body.chars().count() <= 16 {
        return key.to_owned();
    }
    let head: String = body.chars().take(8).collect();
    let tail: String = body
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

fn handle_of(alias: &str) -> &str {
    alias.strip_prefix("at://").unwrap_or(alias)
}

/// The host of a service shown as `endpoint (type)`.
fn host_of(service: &str) -> String {
    let endpoint = service.split(" (").next().unwrap_or(service);
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| endpoint.to_owned())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
