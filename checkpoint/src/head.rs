//! The decoder's fast path for the bulk of an image: the module hash and the memories.
//!
//! In canonical order these are `Image` fields 1 and 2, so they come first in the body. prost
//! decodes a `bytes` field into a `Vec<u8>` through an intermediate buffer (two allocations and
//! two copies per chunk), which halves memory throughput; this module reads fields 1 and 2 itself,
//! copying each chunk once, and accepts only their canonical encoding: minimal varints, fields in
//! tag order, no default-valued scalars, no unknown fields. prost then decodes the rest of the
//! body (fields 3 to 8), whose canonicity the decoder checks by re-encoding. The pre-scan has
//! already verified the framing, but every read here is still bounds-checked.

use crate::codec::DecodeError;
use crate::image::{Chunk, Memory};

/// Field keys (field number << 3 | wire type) read by this module.
const IMAGE_HASH: u64 = 1 << 3 | 2;
const IMAGE_MEMORY: u64 = 2 << 3 | 2;
const MEMORY_PAGES: u64 = 1 << 3;
const MEMORY_MAX_PAGES: u64 = 2 << 3;
const MEMORY_CHUNK: u64 = 3 << 3 | 2;
const CHUNK_INDEX: u64 = 1 << 3;
const CHUNK_DATA: u64 = 2 << 3 | 2;

/// Fields 1 and 2 of an image body, and where the rest begins.
pub(crate) struct Head {
    pub module_sha256: Vec<u8>,
    pub memories: Vec<Memory>,
    /// Offset in the body of the first field after the memories.
    pub rest: usize,
}

/// A reader that accepts only canonical encodings. Offsets in errors are relative to the body.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Reader {
            bytes,
            position: 0,
            base,
        }
    }

    fn not_canonical(&self) -> DecodeError {
        DecodeError::NotCanonical {
            offset: self.base + self.position,
        }
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    /// Reads a varint, rejecting non-minimal encodings (a final zero group after the first byte).
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.position;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.position) else {
                return Err(DecodeError::Malformed {
                    offset: self.base + self.position,
                    message: "truncated varint".to_string(),
                });
            };
            self.position += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && self.position - start > 1 {
                    self.position = start;
                    return Err(self.not_canonical());
                }
                return Ok(value);
            }
        }
        self.position = start;
        Err(DecodeError::Malformed {
            offset: self.base + start,
            message: "varint overflows 64 bits".to_string(),
        })
    }

    /// Consumes the key `key` if it is next.
    fn key_is(&mut self, key: u64) -> Result<bool, DecodeError> {
        if self.at_end() {
            return Ok(false);
        }
        let start = self.position;
        if self.varint()? == key {
            return Ok(true);
        }
        self.position = start;
        Ok(false)
    }

    /// A length-delimited payload.
    fn payload(&mut self) -> Result<(&'a [u8], usize), DecodeError> {
        let len = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
        let start = self.position;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| DecodeError::Malformed {
                offset: self.base + start,
                message: "field runs past the end of its message".to_string(),
            })?;
        self.position = end;
        Ok((
            self.bytes.get(start..end).unwrap_or_default(),
            self.base + start,
        ))
    }
}

/// Reads the hash and memories at the start of an image body.
pub(crate) fn read_head(body: &[u8]) -> Result<Head, DecodeError> {
    let mut reader = Reader::new(body, 0);
    let mut module_sha256 = Vec::new();
    if reader.key_is(IMAGE_HASH)? {
        let (hash, _) = reader.payload()?;
        if hash.is_empty() {
            return Err(reader.not_canonical());
        }
        module_sha256 = hash.to_vec();
    }
    let mut memories = Vec::new();
    while reader.key_is(IMAGE_MEMORY)? {
        let (bytes, base) = reader.payload()?;
        memories.push(read_memory(bytes, base)?);
    }
    Ok(Head {
        module_sha256,
        memories,
        rest: reader.position,
    })
}

fn read_memory(bytes: &[u8], base: usize) -> Result<Memory, DecodeError> {
    let mut reader = Reader::new(bytes, base);
    let mut memory = Memory::default();
    if reader.key_is(MEMORY_PAGES)? {
        memory.pages = reader.varint()?;
        if memory.pages == 0 {
            return Err(reader.not_canonical());
        }
    }
    if reader.key_is(MEMORY_MAX_PAGES)? {
        memory.max_pages = Some(reader.varint()?);
    }
    while reader.key_is(MEMORY_CHUNK)? {
        let (chunk, chunk_base) = reader.payload()?;
        memory.chunks.push(read_chunk(chunk, chunk_base)?);
    }
    if !reader.at_end() {
        return Err(reader.not_canonical());
    }
    Ok(memory)
}

fn read_chunk(bytes: &[u8], base: usize) -> Result<Chunk, DecodeError> {
    let mut reader = Reader::new(bytes, base);
    let mut chunk = Chunk::default();
    if reader.key_is(CHUNK_INDEX)? {
        chunk.index = reader.varint()?;
        if chunk.index == 0 {
            return Err(reader.not_canonical());
        }
    }
    if reader.key_is(CHUNK_DATA)? {
        let (data, _) = reader.payload()?;
        if data.is_empty() {
            return Err(reader.not_canonical());
        }
        chunk.data = data.to_vec();
    }
    if !reader.at_end() {
        return Err(reader.not_canonical());
    }
    Ok(chunk)
}
