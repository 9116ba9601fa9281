//! Walking a stored repository: from a signed commit through every MST node to every record,
//! reading each block from the packs and checking it hashes to its CID.
//!
//! A snapshot is checked for completeness with this walk before its manifest is written, verify
//! reports what it finds, prune marks what kept snapshots reach, and export writes the blocks in
//! its order. What a problem concerns is named: the block's CID and where in the tree it sits
//! (the commit, an MST node, or a record's `collection/rkey`).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use cid::Cid;
use ipld_core::ipld::Ipld;
use serde::Serialize;

use super::car::hash_matches;
use super::store::{BlockIndex, StoreError};

/// A signed repository commit (atproto repo v3), as stored.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The account.
    pub did: String,
    /// The revision (a TID).
    pub rev: String,
    /// The root of the MST.
    pub data: Cid,
    /// The commit this one follows, when the PDS names it (atproto v3 allows null).
    pub prev: Option<Cid>,
    /// The signature (64 bytes r‖s).
    pub sig: Vec<u8>,
    /// The DAG-CBOR bytes the signature covers (the commit without `sig`).
    pub unsigned: Vec<u8>,
}

/// A block that is missing, damaged or unreadable, and where it sits in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum BlockProblem {
    /// No pack holds the block.
    Missing {
        /// The block.
        cid: String,
        /// `commit`, `MST node`, or `record <collection>/<rkey>`.
        at: String,
    },
    /// The stored bytes do not hash to the CID: the pack file was altered or damaged.
    Corrupt {
        /// The block.
        cid: String,
        /// Where in the tree.
        at: String,
        /// The pack file holding it.
        pack: PathBuf,
    },
    /// The bytes hash right but are not what the tree needs there (not DAG-CBOR, not a node).
    Unreadable {
        /// The block.
        cid: String,
        /// Where in the tree.
        at: String,
        /// What is wrong.
        detail: String,
    },
}

impl std::fmt::Display for BlockProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockProblem::Missing { cid, at } => write!(f, "block {cid} ({at}) is missing"),
            BlockProblem::Corrupt { cid, at, pack } => write!(
                f,
                "block {cid} ({at}) in {} does not match its CID",
                pack.display()
            ),
            BlockProblem::Unreadable { cid, at, detail } => {
                write!(f, "block {cid} ({at}) is unreadable: {detail}")
            }
        }
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The commit, when it could be read.
    pub commit: Option<Commit>,
    /// Every block reached, in walk order (commit first).
    pub blocks: Vec<Cid>,
    /// Bytes of the blocks reached.
    pub bytes: u64,
    /// Records per collection.
    pub records: BTreeMap<String, u64>,
    /// Every blob the records reference, with the first record referencing it.
    pub blobs: BTreeMap<String, String>,
    /// Every record reached, as `collection/rkey` and its block's CID, in key order within each
    /// node (`repo ls` sorts them; a recovery rebuilds a tree without its damaged records).
    pub entries: Vec<(String, Cid)>,
    /// What is missing or damaged.
    pub problems: Vec<BlockProblem>,
}

/// Walks the repository whose commit is `commit`. Blocks already in `seen` are not walked again
/// (prune walks many snapshots sharing most of their tree); pass an empty set otherwise.
pub fn walk(index: &BlockIndex, commit: &Cid, seen: &mut HashSet<Cid>) -> Result<Walk, StoreError> {
    let mut out = Walk::default();
    let Some(block) = fetch(index, commit, "commit", &mut out)? else {
        return Ok(out);
    };
    seen.insert(*commit);
    let parsed = match parse_commit(&block) {
        Ok(c) => c,
        Err(detail) => {
            out.problems.push(BlockProblem::Unreadable {
                cid: commit.to_string(),
                at: "commit".to_owned(),
                detail,
            });
            return Ok(out);
        }
    };
    let mut pending = vec![(parsed.data, String::new())];
    out.commit = Some(parsed);
    while let Some((cid, after)) = pending.pop() {
        if !seen.insert(cid) {
            continue;
        }
        let at = if after.is_empty() {
            "MST root".to_owned()
        } else {
            format!("MST node after {after}")
        };
        let Some(bytes) = fetch(index, &cid, &at, &mut out)? else {
            continue;
        };
        let node = match parse_node(&bytes) {
            Ok(n) => n,
            Err(detail) => {
                out.problems.push(BlockProblem::Unreadable {
                    cid: cid.to_string(),
                    at,
                    detail,
                });
                continue;
            }
        };
        // Subtrees are pushed in reverse so the walk visits keys in order.
        let mut subtrees = Vec::new();
        if let Some(left) = node.left {
            subtrees.push((left, after.clone()));
        }
        for (key, value, right) in node.entries {
            let collection = key.split('/').next().unwrap_or_default().to_owned();
            *out.records.entry(collection).or_default() += 1;
            out.entries.push((key.clone(), value));
            if seen.insert(value) {
                let at = format!("record {key}");
                if let Some(record) = fetch(index, &value, &at, &mut out)? {
                    match serde_ipld_dagcbor::from_slice::<Ipld>(&record) {
                        Ok(ipld) => blob_refs(&ipld, &mut |blob| {
                            out.blobs.entry(blob).or_insert_with(|| key.clone());
                        }),
                        Err(e) => out.problems.push(BlockProblem::Unreadable {
                            cid: value.to_string(),
                            at,
                            detail: e.to_string(),
                        }),
                    }
                }
            }
            if let Some(right) = right {
                subtrees.push((right, key.clone()));
            }
        }
        pending.extend(subtrees.into_iter().rev());
    }
    Ok(out)
}

/// Reads `cid`, checks its hash, records it as reached; a problem is noted and `None` returned.
fn fetch(
    index: &BlockIndex,
    cid: &Cid,
    at: &str,
    out: &mut Walk,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(bytes) = index.get(cid)? else {
        out.problems.push(BlockProblem::Missing {
            cid: cid.to_string(),
            at: at.to_owned(),
        });
        return Ok(None);
    };
    if !hash_matches(cid, &bytes) {
        out.problems.push(BlockProblem::Corrupt {
            cid: cid.to_string(),
            at: at.to_owned(),
            pack: index
                .pack_of(cid)
                .unwrap_or(std::path::Path::new(""))
                .to_owned(),
        });
        return Ok(None);
    }
    out.blocks.push(*cid);
    out.bytes += bytes.len() as u64;
    Ok(Some(bytes))
}

/// Reads a commit block: `{did, version: 3, data, rev, prev, sig}`.
pub fn parse_commit(bytes: &[u8]) -> Result<Commit, String> {
    let ipld: Ipld = serde_ipld_dagcbor::from_slice(bytes).map_err(|e| e.to_string())?;
    let Ipld::Map(mut map) = ipld else {
        return Err("the commit is not a map".to_owned());
    };
    let text = |map: &BTreeMap<String, Ipld>, k: &str| match map.get(k) {
        Some(Ipld::String(s)) => Ok(s.clone()),
        _ => Err(format!("the commit has no {k}")),
    };
    if map.get("version") != Some(&Ipld::Integer(3)) {
        return Err("the commit is not a version 3 repository commit".to_owned());
    }
    let did = text(&map, "did")?;
    let rev = text(&map, "rev")?;
    let Some(Ipld::Link(data)) = map.get("data").cloned() else {
        return Err("the commit names no MST root".to_owned());
    };
    let prev = match map.get("prev") {
        Some(Ipld::Link(c)) => Some(*c),
        _ => None,
    };
    let Some(Ipld::Bytes(sig)) = map.remove("sig") else {
        return Err("the commit is not signed".to_owned());
    };
    let unsigned = serde_ipld_dagcbor::to_vec(&Ipld::Map(map)).map_err(|e| e.to_string())?;
    Ok(Commit {
        did,
        rev,
        data,
        prev,
        sig,
        unsigned,
    })
}

/// An MST node's entries with their full keys (`collection/rkey`), values and right subtrees.
struct Node {
    left: Option<Cid>,
    entries: Vec<(String, Cid, Option<Cid>)>,
}

/// Reads an MST node `{l, e: [{p, k, v, t}]}`; each key is stored as the length `p` it shares
/// with the previous key of the node plus the rest `k`.
fn parse_node(bytes: &[u8]) -> Result<Node, String> {
    let ipld: Ipld = serde_ipld_dagcbor::from_slice(bytes).map_err(|e| e.to_string())?;
    let Ipld::Map(map) = ipld else {
        return Err("an MST node is not a map".to_owned());
    };
    let left = match map.get("l") {
        Some(Ipld::Link(c)) => Some(*c),
        Some(Ipld::Null) | None => None,
        _ => return Err("an MST node's left link is not a link".to_owned()),
    };
    let Some(Ipld::List(list)) = map.get("e") else {
        return Err("not an MST node (no entries)".to_owned());
    };
    let mut key: Vec<u8> = Vec::new();
    let mut entries = Vec::new();
    for e in list {
        let Ipld::Map(e) = e else {
            return Err("an MST entry is not a map".to_owned());
        };
        let p = match e.get("p") {
            Some(Ipld::Integer(p)) if *p >= 0 && (*p as usize) <= key.len() => *p as usize,
            _ => return Err("an MST entry has a bad prefix length".to_owned()),
        };
        let Some(Ipld::Bytes(k)) = e.get("k") else {
            return Err("an MST entry has no key".to_owned());
        };
        key.truncate(p);
        key.extend_from_slice(k);
        let Some(Ipld::Link(v)) = e.get("v") else {
            return Err("an MST entry has no value".to_owned());
        };
        let right = match e.get("t") {
            Some(Ipld::Link(c)) => Some(*c),
            _ => None,
        };
        let full = String::from_utf8(key.clone()).map_err(|_| "an MST key is not UTF-8")?;
        entries.push((full, *v, right));
    }
    Ok(Node { left, entries })
}

/// Calls `found` with the CID of every blob a record references: `{$type: "blob", ref}` and
/// the legacy `{cid, mimeType}`.
fn blob_refs(value: &Ipld, found: &mut dyn FnMut(String)) {
    match value {
        Ipld::Map(map) => {
            let is_blob = map.get("$type") == Some(&Ipld::String("blob".to_owned()));
            if is_blob && let Some(Ipld::Link(c)) = map.get("ref") {
                found(c.to_string());
                return;
            }
            if let (Some(Ipld::String(c)), Some(Ipld::String(_))) =
                (map.get("cid"), map.get("mimeType"))
                && c.parse::<Cid>().is_ok()
            {
                found(c.clone());
                return;
            }
            for v in map.values() {
                blob_refs(v, found);
            }
        }
        Ipld::List(list) => list.iter().for_each(|v| blob_refs(v, found)),
        _ => {}
    }
}
