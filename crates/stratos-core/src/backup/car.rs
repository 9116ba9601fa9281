//! CAR v1 framing: reading a repository export as it streams, writing a file of blocks, and
//! scanning one back into an index of where each block lies.
//!
//! Hand-written rather than `iroh-car`: the backup store needs each block's offset in its pack
//! file (to read one block without loading the pack), which `iroh-car` does not expose, and the
//! framing is three fields (a varint length, a CID, the bytes). The CIDs and DAG-CBOR come from
//! the crates jacquard already uses. Every length read is bounded before anything is allocated.

use std::io::{Read, Seek, SeekFrom, Write};

use cid::Cid;
use ipld_core::ipld::Ipld;
use sha2::{Digest, Sha256};

/// The largest block accepted. Records are at most 1 MiB on the reference PDS and MST nodes
/// far smaller; anything bigger is a broken or hostile answer.
pub const MAX_BLOCK: usize = 4 << 20;
/// The largest CAR header accepted (it holds only the roots).
const MAX_HEADER: usize = 64 << 10;
/// The multihash code of SHA-256, the only hash atproto uses for records and blobs.
const SHA2_256: u64 = 0x12;
/// The CID codec of DAG-CBOR (records, MST nodes, commits).
pub const DAG_CBOR: u64 = 0x71;

/// Whether `data` hashes to `cid` (SHA-256; any other hash is refused as not atproto's).
pub fn hash_matches(cid: &Cid, data: &[u8]) -> bool {
    cid.hash().code() == SHA2_256 && cid.hash().digest() == Sha256::digest(data).as_slice()
}

/// The CID atproto gives a DAG-CBOR block with these bytes.
pub fn cid_of(data: &[u8]) -> Cid {
    let digest = Sha256::digest(data);
    let hash = cid::multihash::Multihash::<64>::wrap(SHA2_256, &digest)
        .expect("a SHA-256 digest fits a multihash");
    Cid::new_v1(DAG_CBOR, hash)
}

/// A CAR being read from chunks as they arrive (a `getRepo` answer).
#[derive(Default)]
pub struct CarParser {
    buf: Vec<u8>,
    roots: Option<Vec<Cid>>,
}

impl CarParser {
    /// Adds the next bytes of the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The roots of the header, once it has been read.
    pub fn roots(&self) -> Option<&[Cid]> {
        self.roots.as_deref()
    }

    /// The next whole block in what was pushed (header first, consumed silently), or `None`
    /// until more bytes arrive. A block whose bytes do not hash to its CID is an error.
    pub fn next_block(&mut self) -> Result<Option<(Cid, Vec<u8>)>, String> {
        loop {
            let Ok((len, rest)) = unsigned_varint::decode::usize(&self.buf) else {
                if self.buf.len() > 10 {
                    return Err("a CAR section length is not a valid varint".to_owned());
                }
                return Ok(None);
            };
            let limit = if self.roots.is_none() {
                MAX_HEADER
            } else {
                MAX_BLOCK + 128
            };
            if len > limit {
                return Err(format!(
                    "a CAR section of {len} bytes is larger than allowed ({limit})"
                ));
            }
            if rest.len() < len {
                return Ok(None);
            }
            let head = self.buf.len() - rest.len();
            let frame: Vec<u8> = self.buf[head..head + len].to_vec();
            self.buf.drain(..head + len);
            if self.roots.is_none() {
                self.roots = Some(header_roots(&frame)?);
                continue;
            }
            let (cid, data) = split_frame(&frame)?;
            if !hash_matches(&cid, data) {
                return Err(format!("block {cid} does not hash to its CID"));
            }
            return Ok(Some((cid, data.to_vec())));
        }
    }

    /// Checks the stream ended between blocks.
    pub fn finish(&self) -> Result<(), String> {
        if self.roots.is_none() {
            return Err("the answer is not a CAR (no header)".to_owned());
        }
        if !self.buf.is_empty() {
            return Err("the CAR ends in the middle of a block".to_owned());
        }
        Ok(())
    }
}

/// The roots named by the header of the CAR file `file` (a repository export names its signed
/// commit), read before any block; the header's length is bounded like a streamed one.
pub fn file_roots(file: &mut std::fs::File) -> Result<Vec<Cid>, String> {
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(file);
    let len = unsigned_varint::io::read_usize(&mut reader)
        .map_err(|e| format!("it does not start with a CAR header ({e})"))?;
    if len > MAX_HEADER {
        return Err(format!(
            "its CAR header of {len} bytes is larger than allowed ({MAX_HEADER})"
        ));
    }
    let mut frame = vec![0; len];
    reader
        .read_exact(&mut frame)
        .map_err(|e| format!("its CAR header is cut short ({e})"))?;
    header_roots(&frame)
}

fn header_roots(frame: &[u8]) -> Result<Vec<Cid>, String> {
    let header: Ipld =
        serde_ipld_dagcbor::from_slice(frame).map_err(|e| format!("bad CAR header: {e}"))?;
    let Ipld::Map(map) = header else {
        return Err("the CAR header is not a map".to_owned());
    };
    if map.get("version") != Some(&Ipld::Integer(1)) {
        return Err("only CAR version 1 is read".to_owned());
    }
    match map.get("roots") {
        Some(Ipld::List(list)) => Ok(list
            .iter()
            .filter_map(|r| match r {
                Ipld::Link(c) => Some(*c),
                _ => None,
            })
            .collect()),
        _ => Err("the CAR header has no roots".to_owned()),
    }
}

fn split_frame(frame: &[u8]) -> Result<(Cid, &[u8]), String> {
    let mut cursor = std::io::Cursor::new(frame);
    let cid = Cid::read_bytes(&mut cursor).map_err(|e| format!("bad CID: {e}"))?;
    Ok((cid, &frame[cursor.position() as usize..]))
}

/// Writes a CAR v1 header naming `roots`; returns the bytes written.
pub fn write_header(out: &mut impl Write, roots: &[Cid]) -> std::io::Result<u64> {
    let mut header = std::collections::BTreeMap::new();
    header.insert(
        "roots".to_owned(),
        Ipld::List(roots.iter().map(|c| Ipld::Link(*c)).collect()),
    );
    header.insert("version".to_owned(), Ipld::Integer(1));
    let bytes = serde_ipld_dagcbor::to_vec(&Ipld::Map(header))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    write_section(out, &[&bytes])
}

/// Writes one block; returns the bytes written (the section, length prefix included).
pub fn write_block(out: &mut impl Write, cid: &Cid, data: &[u8]) -> std::io::Result<u64> {
    write_section(out, &[&cid.to_bytes(), data])
}

fn write_section(out: &mut impl Write, parts: &[&[u8]]) -> std::io::Result<u64> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut prefix = unsigned_varint::encode::usize_buffer();
    let prefix = unsigned_varint::encode::usize(len, &mut prefix);
    out.write_all(prefix)?;
    for p in parts {
        out.write_all(p)?;
    }
    Ok((prefix.len() + len) as u64)
}

/// Where one block's bytes lie in a CAR file.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    /// Offset of the block's data (after its CID).
    pub offset: u64,
    /// Length of the data.
    pub len: u32,
}

/// Lists the blocks of the CAR file `file` (reading only lengths and CIDs, seeking over data).
/// Stops at the first damaged section and reports it with the blocks read before it.
pub fn scan(file: &mut std::fs::File) -> (Vec<(Cid, Located)>, Option<String>) {
    let mut out = Vec::new();
    let size = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return (out, Some(e.to_string())),
    };
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        return (out, Some(e.to_string()));
    }
    let mut reader = std::io::BufReader::new(file);
    let mut at = 0u64;
    let mut first = true;
    while at < size {
        let len = match unsigned_varint::io::read_u64(&mut reader) {
            Ok(l) => l,
            Err(e) => return (out, Some(format!("at byte {at}: bad section length ({e})"))),
        };
        let prefix = varint_len(len);
        if at + prefix + len > size || len as usize > MAX_BLOCK + 128 {
            return (
                out,
                Some(format!("at byte {at}: a section runs past the end")),
            );
        }
        if first {
            first = false;
            if let Err(e) = reader.seek_relative(len as i64) {
                return (out, Some(e.to_string()));
            }
        } else {
            let mut counted = CountingReader {
                inner: &mut reader,
                read: 0,
            };
            let cid = match Cid::read_bytes(&mut counted) {
                Ok(c) => c,
                Err(e) => return (out, Some(format!("at byte {at}: bad CID ({e})"))),
            };
            let cid_len = counted.read;
            if cid_len > len {
                return (out, Some(format!("at byte {at}: bad CID")));
            }
            out.push((
                cid,
                Located {
                    offset: at + prefix + cid_len,
                    len: (len - cid_len) as u32,
                },
            ));
            if let Err(e) = reader.seek_relative((len - cid_len) as i64) {
                return (out, Some(e.to_string()));
            }
        }
        at += prefix + len;
    }
    (out, None)
}

/// Reads the bytes of a block found by [`scan`].
pub fn read_at(file: &mut std::fs::File, at: Located) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(at.offset))?;
    let mut data = vec![0; at.len as usize];
    file.read_exact(&mut data)?;
    Ok(data)
}

fn varint_len(n: u64) -> u64 {
    let mut buf = unsigned_varint::encode::u64_buffer();
    unsigned_varint::encode::u64(n, &mut buf).len() as u64
}

struct CountingReader<'a, R> {
    inner: &'a mut R,
    read: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_car_parses_and_scans_back() {
        let a = serde_ipld_dagcbor::to_vec(&Ipld::String("a".into())).unwrap();
        let b = serde_ipld_dagcbor::to_vec(&Ipld::Integer(7)).unwrap();
        let (ca, cb) = (cid_of(&a), cid_of(&b));
        let mut bytes = Vec::new();
        write_header(&mut bytes, &[ca]).unwrap();
        write_block(&mut bytes, &ca, &a).unwrap();
        write_block(&mut bytes, &cb, &b).unwrap();

        let mut parser = CarParser::default();
        let mut got = Vec::new();
        for chunk in bytes.chunks(3) {
            parser.push(chunk);
            while let Some(block) = parser.next_block().unwrap() {
                got.push(block);
            }
        }
        parser.finish().unwrap();
        assert_eq!(parser.roots(), Some(&[ca][..]));
        assert_eq!(got, vec![(ca, a.clone()), (cb, b.clone())]);

        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let (blocks, damage) = scan(&mut file);
        assert!(damage.is_none());
        assert_eq!(blocks.len(), 2);
        assert_eq!(read_at(&mut file, blocks[1].1).unwrap(), b);

        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let mut parser = CarParser::default();
        parser.push(&flipped);
        parser.next_block().unwrap();
        assert!(parser.next_block().unwrap_err().contains("does not hash"));
    }
}
