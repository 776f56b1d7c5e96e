//! The canonical binary codec: header + protobuf `Image`.
//!
//! An image file is the 8-byte [`MAGIC`], the [`FORMAT_VERSION`] as a little-endian `u32`, the
//! body's length in bytes as a little-endian `u64` (so a truncated file is always detected:
//! protobuf itself is not self-delimiting), then the body: one protobuf-encoded `Image` (prost's encoding: fields in tag order, default scalars omitted,
//! packed repeated scalars). [`decode`] checks, in order: the length limit, the header, a pre-scan
//! of the wire format against [`DecodeLimits`] (before prost allocates), the hash and memories
//! (read by a strict canonical reader, one copy per chunk), the rest by prost and re-encoded for
//! canonicity, then the structural rules of [`crate::structure`]. Together: `encode(decode(b)) == b`. So one state
//! has exactly one byte string, and no input, however malformed, makes it panic.

use std::fmt;

use prost::Message;

use crate::head::read_head;
use crate::image::Image;
use crate::structure::{check_structure, StructureError};
use crate::wire::prescan;

/// The first eight bytes of every image.
pub const MAGIC: [u8; 8] = *b"BATONIMG";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes in the header: magic, version and body length.
pub const HEADER_LEN: usize = 20;

/// Caps on what [`decode`] accepts, checked before allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Total input length in bytes, header included.
    pub max_bytes: usize,
    /// Per memory: its current and maximum size in 64 KiB pages.
    pub max_pages: u64,
    /// Frames of the execution.
    pub max_frames: usize,
    /// Values in globals, entry arguments, locals and operands, plus labels, over the whole image.
    pub max_values: usize,
    /// Memory chunks over all memories.
    pub max_chunks: usize,
    /// Per table: its element count and its maximum.
    pub max_table_elements: u64,
}

impl Default for DecodeLimits {
    /// Room for any wasm32 instance: 4 GiB memories (65536 pages, 1 Mi chunks), 10 M table
    /// elements (wasmparser's own table limit), 100 000 frames and 64 Mi values, in at most 6 GiB.
    fn default() -> Self {
        DecodeLimits {
            max_bytes: usize::try_from(6u64 << 30).unwrap_or(usize::MAX),
            max_pages: 65_536,
            max_frames: 100_000,
            max_values: 1 << 26,
            max_chunks: 1 << 20,
            max_table_elements: 10_000_000,
        }
    }
}

/// Which limit of [`DecodeLimits`] an input exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`DecodeLimits::max_bytes`].
    Bytes,
    /// [`DecodeLimits::max_pages`].
    Pages,
    /// [`DecodeLimits::max_frames`].
    Frames,
    /// [`DecodeLimits::max_values`].
    Values,
    /// [`DecodeLimits::max_chunks`].
    Chunks,
    /// [`DecodeLimits::max_table_elements`].
    TableElements,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Bytes => "bytes",
            Limit::Pages => "pages",
            Limit::Frames => "frames",
            Limit::Values => "values",
            Limit::Chunks => "chunks",
            Limit::TableElements => "table elements",
        })
    }
}

/// Why bytes are not a valid image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the header.
    #[error("input is {len} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort {
        /// The input's length.
        len: usize,
    },
    /// The first eight bytes are not [`MAGIC`].
    #[error("bad magic: not a baton image")]
    BadMagic,
    /// The header's body length differs from the bytes present (a truncated or padded file).
    #[error("header announces a {announced}-byte body but {actual} bytes follow")]
    LengthMismatch {
        /// The length in the header.
        announced: u64,
        /// The bytes after the header.
        actual: usize,
    },
    /// A format version this crate does not read.
    #[error("unsupported format version {version} (this reader supports {FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version in the header.
        version: u32,
    },
    /// The input claims more than a limit allows.
    #[error("image exceeds the limit of {limit} {what}")]
    LimitExceeded {
        /// Which limit.
        what: Limit,
        /// The limit's value.
        limit: u64,
    },
    /// Broken protobuf framing found by the pre-scan (offset from the start of the input).
    #[error("malformed protobuf at byte {offset}: {message}")]
    Malformed {
        /// Byte offset in the input.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// prost rejected the message.
    #[error("protobuf decode error: {0}")]
    Protobuf(String),
    /// The decoded image breaks a structural rule.
    #[error("malformed image: {0}")]
    Structure(#[from] StructureError),
    /// The bytes decode but are not the canonical encoding of what they decode to.
    #[error("non-canonical encoding: first difference at byte {offset}")]
    NotCanonical {
        /// Offset in the input of the first byte that differs from the canonical encoding (the
        /// input's length if the canonical encoding is longer).
        offset: usize,
    },
}

/// The canonical bytes of `image`: header, then the protobuf message.
pub fn encode(image: &Image) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_into(image, &mut bytes);
    bytes
}

/// Like [`encode`], into a caller's buffer (cleared first), so repeated checkpoints can reuse
/// its allocation.
pub fn encode_into(image: &Image, bytes: &mut Vec<u8>) {
    let body_len = image.encoded_len();
    bytes.clear();
    bytes.reserve(HEADER_LEN + body_len);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(body_len as u64).to_le_bytes());
    // A `Vec` grows as needed, so prost's "insufficient capacity" error cannot occur.
    let encoded = image.encode(bytes);
    debug_assert!(encoded.is_ok());
}

/// Decodes and checks `bytes` (see the module docs for the order of checks).
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Image, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::LimitExceeded {
            what: Limit::Bytes,
            limit: limits.max_bytes as u64,
        });
    }
    let (header, body) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or(DecodeError::TooShort { len: bytes.len() })?;
    let (magic, rest) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let (version, length) = rest.split_at(4);
    let version = u32::from_le_bytes(version.try_into().unwrap_or([0; 4]));
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion { version });
    }
    let announced = u64::from_le_bytes(length.try_into().unwrap_or([0; 8]));
    if announced != body.len() as u64 {
        return Err(DecodeError::LengthMismatch {
            announced,
            actual: body.len(),
        });
    }
    let at = |error: DecodeError| match error {
        DecodeError::Malformed { offset, message } => DecodeError::Malformed {
            offset: offset + HEADER_LEN,
            message,
        },
        DecodeError::NotCanonical { offset } => DecodeError::NotCanonical {
            offset: offset + HEADER_LEN,
        },
        other => other,
    };
    prescan(body, limits).map_err(at)?;
    let head = read_head(body).map_err(at)?;
    let rest = body.get(head.rest..).unwrap_or_default();
    let mut image =
        Image::decode(rest).map_err(|error| DecodeError::Protobuf(error.to_string()))?;
    if !image.module_sha256.is_empty() || !image.memories.is_empty() {
        // Canonical order puts every hash and memory field before the rest.
        return Err(DecodeError::NotCanonical {
            offset: HEADER_LEN + head.rest,
        });
    }
    check_canonical(&image, rest, HEADER_LEN + head.rest)?;
    image.module_sha256 = head.module_sha256;
    image.memories = head.memories;
    check_structure(&image)?;
    Ok(image)
}

/// Re-encodes `image` and compares with `body`, which starts at `base` in the input.
fn check_canonical(image: &Image, body: &[u8], base: usize) -> Result<(), DecodeError> {
    let canonical = image.encode_to_vec();
    if canonical == body {
        return Ok(());
    }
    let offset = canonical
        .iter()
        .zip(body)
        .position(|(a, b)| a != b)
        .unwrap_or(canonical.len().min(body.len()));
    Err(DecodeError::NotCanonical {
        offset: offset + base,
    })
}
