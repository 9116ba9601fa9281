//! Counting a repository's records per collection from its CAR export (`sync.getRepo`), which
//! works on a deactivated account (the new PDS before the switch) where `listRecords` does not.
//!
//! The CAR is read as it streams and of each MST node only a summary is kept (its entries counted
//! per collection, and the links to its subtrees), never the records themselves nor the decoded
//! nodes: a decoded node costs about a kilobyte per entry, which made the peak memory of a
//! migration grow by ~20 MB from 1,000 to 10,000 records. CAR framing is small enough to read here (a varint
//! length, a CID, a block); the DAG-CBOR and CIDs come from the crates jacquard already uses.

use std::collections::{BTreeMap, HashMap};

use cid::Cid;
use futures::StreamExt;
use ipld_core::ipld::Ipld;

/// Counts the records per collection in the CAR read from `response`.
pub(crate) async fn count_per_collection(
    response: reqwest::Response,
) -> Result<BTreeMap<String, u64>, String> {
    let mut stream = response.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut header_read = false;
    let mut nodes: HashMap<Cid, Node> = HashMap::new();
    let mut roots: Vec<Cid> = Vec::new();
    let mut commit: Option<Ipld> = None;
    let mut ended = false;
    while !ended {
        match stream.next().await {
            Some(chunk) => buf.extend_from_slice(&chunk.map_err(|e| e.to_string())?),
            None => ended = true,
        }
        let mut at = 0;
        while let Ok((len, rest)) = unsigned_varint::decode::usize(&buf[at..]) {
            let head = buf.len() - at - rest.len();
            if rest.len() < len {
                break;
            }
            let frame = &rest[..len];
            if !header_read {
                let header: Ipld = serde_ipld_dagcbor::from_slice(frame)
                    .map_err(|e| format!("bad CAR header: {e}"))?;
                if let Some(Ipld::List(list)) = map_get(&header, "roots") {
                    roots = list
                        .iter()
                        .filter_map(|r| match r {
                            Ipld::Link(c) => Some(*c),
                            _ => None,
                        })
                        .collect();
                }
                header_read = true;
            } else {
                let mut cursor = std::io::Cursor::new(frame);
                let cid = Cid::read_bytes(&mut cursor).map_err(|e| format!("bad CID: {e}"))?;
                let data = &frame[cursor.position() as usize..];
                if let Ok(block) = serde_ipld_dagcbor::from_slice::<Ipld>(data) {
                    if is_mst_node(&block) {
                        nodes.insert(cid, summarise(&block)?);
                    } else if roots.contains(&cid) {
                        commit = Some(block);
                    }
                }
            }
            at += head + len;
        }
        buf.drain(..at);
    }
    if !buf.is_empty() {
        return Err("the CAR ends in the middle of a block".to_owned());
    }
    let commit = commit.ok_or("the CAR has no commit block")?;
    let Some(Ipld::Link(root)) = map_get(&commit, "data") else {
        return Err("the commit names no data root".to_owned());
    };
    let mut counts = BTreeMap::new();
    walk(&nodes, root, &mut counts)?;
    Ok(counts)
}

/// An MST node is a map with exactly `e` (entries) and `l` (left subtree).
fn is_mst_node(block: &Ipld) -> bool {
    matches!(block, Ipld::Map(m) if m.len() == 2 && m.contains_key("e") && m.contains_key("l"))
}

fn map_get<'a>(v: &'a Ipld, key: &str) -> Option<&'a Ipld> {
    match v {
        Ipld::Map(m) => m.get(key),
        _ => None,
    }
}

/// What counting needs of one MST node: its own entries per collection and its subtrees.
struct Node {
    counts: Vec<(Box<str>, u64)>,
    subtrees: Vec<Cid>,
}

/// Summarises an MST node. Its keys are `<collection>/<rkey>`, each stored as a prefix length
/// `p` shared with the previous key of the same node plus the rest `k`, so a node's keys can be
/// rebuilt from the node alone.
fn summarise(node: &Ipld) -> Result<Node, String> {
    let mut out = Node {
        counts: Vec::new(),
        subtrees: Vec::new(),
    };
    if let Some(Ipld::Link(left)) = map_get(node, "l") {
        out.subtrees.push(*left);
    }
    let mut key: Vec<u8> = Vec::new();
    if let Some(Ipld::List(entries)) = map_get(node, "e") {
        for e in entries {
            let p = match map_get(e, "p") {
                Some(Ipld::Integer(p)) => *p as usize,
                _ => 0,
            };
            let Some(Ipld::Bytes(k)) = map_get(e, "k") else {
                return Err("an MST entry has no key".to_owned());
            };
            key.truncate(p.min(key.len()));
            key.extend_from_slice(k);
            let collection = key.split(|b| *b == b'/').next().unwrap_or_default();
            let collection = String::from_utf8_lossy(collection);
            match out.counts.iter_mut().find(|(c, _)| **c == *collection) {
                Some((_, n)) => *n += 1,
                None => out.counts.push((collection.into(), 1)),
            }
            if let Some(Ipld::Link(right)) = map_get(e, "t") {
                out.subtrees.push(*right);
            }
        }
    }
    Ok(out)
}

/// Adds up the entries of the tree at `root`, every node reached from it.
fn walk(
    nodes: &HashMap<Cid, Node>,
    root: &Cid,
    counts: &mut BTreeMap<String, u64>,
) -> Result<(), String> {
    let mut pending = vec![*root];
    while let Some(cid) = pending.pop() {
        let node = nodes
            .get(&cid)
            .ok_or_else(|| format!("the CAR lacks MST node {cid}"))?;
        for (collection, n) in &node.counts {
            *counts.entry(collection.to_string()).or_default() += n;
        }
        pending.extend_from_slice(&node.subtrees);
    }
    Ok(())
}
