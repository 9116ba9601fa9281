//! The account's public profile as other people's apps show it: its display name and avatar, so
//! that the window shows the person's own picture and name, not a letter. Read from the PDS's
//! public repository (`app.bsky.actor.profile/self` and its avatar blob), without an app view:
//! Stratos works with any PDS.

use serde::Serialize;
use url::Url;

use crate::net::xrpc::Xrpc;

/// Avatars larger than this are not shown (the reference app view caps avatars at 1 MB).
pub const AVATAR_MAX_BYTES: usize = 1_000_000;

/// What the profile record says, as far as the window shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The display name, trimmed; `None` when unset or empty.
    pub display_name: Option<String>,
    /// The avatar as a `data:` URL (the window loads no remote images), when there is one that
    /// is an image of an allowed type and size.
    pub avatar: Option<String>,
}

/// Reads the profile of `did` from its PDS at `pds`. A missing or unreadable profile is `None`:
/// the window then shows the handle's initial, as before; why is logged.
pub async fn fetch(xrpc: &Xrpc, pds: &Url, did: &str) -> Option<Profile> {
    let query = [
        ("repo", did),
        ("collection", "app.bsky.actor.profile"),
        ("rkey", "self"),
    ];
    let record = match xrpc
        .get_json(pds, "com.atproto.repo.getRecord", &query)
        .await
    {
        Ok(v) => v,
        Err(e) => {
            log::debug!("no profile shown for {did}: {e}");
            return None;
        }
    };
    let value = &record["value"];
    let display_name = value["displayName"]
        .as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(64).collect());
    let avatar = match value["avatar"]["ref"]["$link"].as_str() {
        Some(cid) => {
            let mut url = pds.join("xrpc/com.atproto.sync.getBlob").ok()?;
            url.query_pairs_mut()
                .append_pair("did", did)
                .append_pair("cid", cid);
            crate::devices::logo::data_url_up_to(xrpc.http(), url.as_str(), AVATAR_MAX_BYTES).await
        }
        None => None,
    };
    Some(Profile {
        display_name,
        avatar,
    })
}
