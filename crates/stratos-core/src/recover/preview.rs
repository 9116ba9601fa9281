//! What a recovery needs and what it will change, read before anything is done, so a window can
//! show both and ask for agreement: whether a rotation key of the person's is in this keychain
//! and in force, whether the newest backup snapshot verifies, what the new server says of itself,
//! and the identity change the recovery will sign. Nothing is written and the old PDS is not
//! contacted (the PLC directory, the keychain and the backup folder are all it reads).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::RecoverError;
use crate::accounts::Accounts;
use crate::backup::store::AccountStore;
use crate::base::identifier::parse_service_url;
use crate::keys;
use crate::plc::{self, MAX_ROTATION_KEYS};

/// The two things a recovery cannot do without, and the change it will make.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The account.
    pub did: String,
    /// The rotation key that would sign.
    pub rotation_key: KeyCheck,
    /// The snapshot that would be restored.
    pub backup: BackupCheck,
    /// The new server, when one was named.
    pub server: Option<ServerCheck>,
    /// The identity change.
    pub identity: IdentityChange,
}

/// The person's rotation key: held here and in force, or why not.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCheck {
    /// The key (`did:key`) that would sign; `None` when none can.
    pub key: Option<String>,
    /// Keys in this keychain.
    pub held: usize,
    /// Why none can sign, when none can.
    pub problem: Option<String>,
}

/// The newest snapshot in the backup folder, verified from the disk.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupCheck {
    /// The backup folder read.
    pub folder: PathBuf,
    /// The snapshot, when there is one.
    pub snapshot: Option<String>,
    /// When it was taken (RFC 3339).
    pub created_at: Option<String>,
    /// Records per collection in it.
    pub records: BTreeMap<String, u64>,
    /// Blobs it references.
    pub blobs: u64,
    /// What is wrong with it (or that there is none); empty when it verified.
    pub problems: Vec<String>,
}

/// What the new server says of itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCheck {
    /// Its address.
    pub url: String,
    /// The handle domains it offers.
    pub available_domains: Vec<String>,
    /// Whether it asks for an invite code.
    pub invite_code_required: bool,
    /// Why it cannot be used, when it cannot (it does not answer, or names no service DID).
    pub problem: Option<String>,
}

/// The identity now, and after the recovery.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityChange {
    /// The PDS the identity names now (the one that is gone).
    pub pds_before: Option<String>,
    /// The PDS it will name (the new server), when one was named.
    pub pds_after: Option<String>,
    /// The handle the identity names now (`at://` alias, without the scheme).
    pub handle_before: Option<String>,
    /// The repository signing key now; afterwards it is the one the new server makes.
    pub signing_key_before: Option<String>,
    /// The rotation keys now, highest priority first.
    pub rotation_keys_before: Vec<String>,
    /// The rotation keys afterwards, in order.
    pub rotation_keys_after: Vec<RotationKeyAfter>,
    /// Rotation keys that will be dropped (not in this keychain: the old server's, most likely).
    pub dropped: Vec<String>,
}

/// One rotation key of the identity after the recovery.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationKeyAfter {
    /// The key; `None` for the new server's, known once the account is made there.
    pub key: Option<String>,
    /// Whose: `you` (the key that signs), `newServer`, or `keychain` (another key held here).
    pub holder: &'static str,
}

/// Reads what a recovery of `did` onto `pds` (when named) needs and would change. The backup is
/// the newest snapshot in `backup_dir`.
pub async fn preview(
    accounts: &Accounts,
    did: &str,
    pds: Option<&str>,
    backup_dir: &std::path::Path,
) -> Result<Preview, RecoverError> {
    let current = plc::current(accounts, did).await?.fields;
    let held: Vec<String> = keys::list(accounts)?
        .into_iter()
        .map(|k| k.did_key)
        .collect();
    let rotation_key = key_check(accounts, &current.rotation_keys, &held).await;
    let backup = backup_check(did, backup_dir).await;
    let server = match pds.map(str::trim).filter(|p| !p.is_empty()) {
        Some(pds) => Some(server_check(accounts, pds).await?),
        None => None,
    };

    let person = rotation_key.key.clone();
    let mut after = Vec::new();
    if let Some(k) = &person {
        after.push(RotationKeyAfter {
            key: Some(k.clone()),
            holder: "you",
        });
    }
    after.push(RotationKeyAfter {
        key: None,
        holder: "newServer",
    });
    let mut dropped = Vec::new();
    // As the identity step does: other keys stay only when this keychain holds them.
    for k in &current.rotation_keys {
        if person.as_ref() == Some(k) {
            continue;
        }
        if held.contains(k) && after.len() < MAX_ROTATION_KEYS {
            after.push(RotationKeyAfter {
                key: Some(k.clone()),
                holder: "keychain",
            });
        } else {
            dropped.push(k.clone());
        }
    }
    let identity = IdentityChange {
        pds_before: current
            .services
            .get("atproto_pds")
            .map(|s| s.endpoint.clone()),
        pds_after: server.as_ref().map(|s| s.url.clone()),
        handle_before: current
            .also_known_as
            .iter()
            .find_map(|a| a.strip_prefix("at://").map(str::to_owned)),
        signing_key_before: current.verification_methods.get("atproto").cloned(),
        rotation_keys_before: current.rotation_keys.clone(),
        rotation_keys_after: after,
        dropped,
    };
    Ok(Preview {
        did: did.to_owned(),
        rotation_key,
        backup,
        server,
        identity,
    })
}

/// The first keychain key among the rotation keys in force that the keychain can use.
async fn key_check(accounts: &Accounts, in_force: &[String], held: &[String]) -> KeyCheck {
    let Some(key) = in_force.iter().find(|k| held.contains(k)) else {
        return KeyCheck {
            key: None,
            held: held.len(),
            problem: Some(if held.is_empty() {
                "This keychain holds no key".to_owned()
            } else {
                format!(
                    "None of the {} key(s) in this keychain is among the identity's rotation keys",
                    held.len()
                )
            }),
        };
    };
    match keys::load(accounts, key).await {
        Ok(_) => KeyCheck {
            key: Some(key.clone()),
            held: held.len(),
            problem: None,
        },
        Err(e) => KeyCheck {
            key: None,
            held: held.len(),
            problem: Some(format!(
                "{key} is in force but this keychain cannot use it: {e}"
            )),
        },
    }
}

/// The newest snapshot, verified; a missing or damaged one is a problem, not an error.
async fn backup_check(did: &str, folder: &std::path::Path) -> BackupCheck {
    let mut check = BackupCheck {
        folder: folder.to_owned(),
        snapshot: None,
        created_at: None,
        records: BTreeMap::new(),
        blobs: 0,
        problems: Vec::new(),
    };
    match crate::backup::verify::verify(folder, did, None).await {
        Ok(report) => {
            check.created_at = report.snapshot.as_deref().and_then(|id| {
                AccountStore::new(folder, did)
                    .manifest(id)
                    .ok()
                    .map(|m| m.created_at)
            });
            check.snapshot = report.snapshot.clone();
            check.records = report.records.clone();
            check.blobs = report.blobs;
            check.problems = report.problems.iter().map(ToString::to_string).collect();
        }
        // No snapshot at all is said plainly; anything else in the store's own words.
        Err(_)
            if AccountStore::new(folder, did)
                .snapshot_ids()
                .is_ok_and(|ids| ids.is_empty()) =>
        {
            check.problems.push(format!(
                "No backup of this account is in {}",
                folder.display()
            ));
        }
        Err(e) => check.problems.push(e.to_string()),
    }
    check
}

/// `describeServer` of the new server; an unusable address is an error, a silent server a
/// problem.
async fn server_check(accounts: &Accounts, pds: &str) -> Result<ServerCheck, RecoverError> {
    let url = parse_service_url(pds)?;
    let mut check = ServerCheck {
        url: url.as_str().trim_end_matches('/').to_owned(),
        available_domains: Vec::new(),
        invite_code_required: false,
        problem: None,
    };
    match accounts
        .context()
        .xrpc()
        .get_json(&url, "com.atproto.server.describeServer", &[])
        .await
    {
        Ok(described) => {
            check.available_domains = described["availableUserDomains"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            check.invite_code_required = described["inviteCodeRequired"].as_bool() == Some(true);
            if described["did"].as_str().is_none_or(str::is_empty) {
                check.problem = Some("it does not say its service DID (describeServer)".to_owned());
            }
        }
        Err(e) => check.problem = Some(e.to_string()),
    }
    Ok(check)
}
