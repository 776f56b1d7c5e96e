//! Building a [`Memory`] from a linear memory's bytes and writing it back.
//!
//! Invariants produced by [`Memory::from_bytes`] (and required by the canonical decoder): every
//! chunk is exactly [`CHUNK_SIZE`] bytes, not all zero, and chunks are in strictly ascending index
//! order; everything not covered by a chunk is zero.

use crate::image::{Chunk, Memory, CHUNK_SIZE, PAGE_SIZE};

/// Whether every byte of `bytes` is zero. Works on 64-byte blocks so the compiler can vectorise it.
pub fn is_zero(bytes: &[u8]) -> bool {
    let blocks = bytes.chunks_exact(64);
    let tail = blocks.remainder();
    for block in blocks {
        if block.iter().fold(0u8, |acc, &byte| acc | byte) != 0 {
            return false;
        }
    }
    tail.iter().all(|&byte| byte == 0)
}

/// Why a [`Memory`] cannot be written into a buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryLayoutError {
    /// The destination is not `pages * 65536` bytes long.
    #[error("destination holds {actual} bytes but the memory has {pages} pages")]
    WrongLength {
        /// The memory's size in pages.
        pages: u64,
        /// The destination's length in bytes.
        actual: usize,
    },
    /// A chunk is not [`CHUNK_SIZE`] bytes or lies beyond the memory's end.
    #[error("chunk {index} ({len} bytes) does not fit a memory of {pages} pages")]
    ChunkOutside {
        /// The chunk's index.
        index: u64,
        /// The chunk's length in bytes.
        len: usize,
        /// The memory's size in pages.
        pages: u64,
    },
}

impl Memory {
    /// Builds the image of a linear memory from its bytes. `contents.len()` is the memory's size
    /// and should be a whole number of pages; a partial last page counts as a page, its missing
    /// bytes as zero.
    pub fn from_bytes(contents: &[u8], max_pages: Option<u64>) -> Memory {
        let pages = (contents.len() as u64).div_ceil(PAGE_SIZE);
        let mut chunks = Vec::new();
        for (index, piece) in contents.chunks(CHUNK_SIZE).enumerate() {
            if is_zero(piece) {
                continue;
            }
            let mut data = Vec::with_capacity(CHUNK_SIZE);
            data.extend_from_slice(piece);
            data.resize(CHUNK_SIZE, 0);
            chunks.push(Chunk {
                index: index as u64,
                data,
            });
        }
        Memory {
            pages,
            max_pages,
            chunks,
        }
    }

    /// The memory's size in bytes (`pages * 65536`), `None` on overflow.
    pub fn byte_len(&self) -> Option<u64> {
        self.pages.checked_mul(PAGE_SIZE)
    }

    /// Writes the memory's contents into `dest`, which must be exactly the memory's size: chunks
    /// are copied, everything else is zeroed.
    pub fn write_into(&self, dest: &mut [u8]) -> Result<(), MemoryLayoutError> {
        if self.byte_len() != Some(dest.len() as u64) {
            return Err(MemoryLayoutError::WrongLength {
                pages: self.pages,
                actual: dest.len(),
            });
        }
        let mut filled = 0usize;
        for chunk in &self.chunks {
            let outside = MemoryLayoutError::ChunkOutside {
                index: chunk.index,
                len: chunk.data.len(),
                pages: self.pages,
            };
            let start = usize::try_from(chunk.index)
                .ok()
                .and_then(|index| index.checked_mul(CHUNK_SIZE))
                .ok_or_else(|| outside.clone())?;
            let end = start
                .checked_add(CHUNK_SIZE)
                .ok_or_else(|| outside.clone())?;
            if chunk.data.len() != CHUNK_SIZE || start < filled {
                return Err(outside);
            }
            let gap = dest.get_mut(filled..start).ok_or_else(|| outside.clone())?;
            gap.fill(0);
            let target = dest.get_mut(start..end).ok_or(outside)?;
            target.copy_from_slice(&chunk.data);
            filled = end;
        }
        if let Some(rest) = dest.get_mut(filled..) {
            rest.fill(0);
        }
        Ok(())
    }

    /// The memory's full contents (`pages * 65536` bytes).
    pub fn to_bytes(&self) -> Result<Vec<u8>, MemoryLayoutError> {
        let len = self
            .byte_len()
            .and_then(|len| usize::try_from(len).ok())
            .ok_or(MemoryLayoutError::WrongLength {
                pages: self.pages,
                actual: 0,
            })?;
        let mut bytes = vec![0u8; len];
        self.write_into(&mut bytes)?;
        Ok(bytes)
    }
}
