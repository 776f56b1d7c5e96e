//! Host functions that reach the calling instance's linear memory (what WASI needs: pointers
//! into the caller's memory are its arguments).
//!
//! A [`MemoryHostFunc`] receives, besides its arguments, a [`CallerMemory`]: the memory the
//! calling instance exports as [`CALLER_MEMORY_EXPORT`] (`memory`, what every WASI command
//! exports). Adapters create such functions with [`crate::Engine::host_func_with_memory`].
//!
//! Invariants: an accessor is valid only during the host call it was given to; accesses are
//! bounds-checked and an out-of-range one is a [`MemoryAccessError`], never a panic; an
//! instance without that export gets an accessor of size 0 whose every access fails.

use std::sync::Arc;

use crate::value::Value;

/// The export name of the memory a [`MemoryHostFunc`] gets access to.
pub const CALLER_MEMORY_EXPORT: &str = "memory";

/// An access outside the caller's memory (or to a caller without one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("memory access of {len} bytes at {offset} outside a memory of {size} bytes")]
pub struct MemoryAccessError {
    /// First byte accessed.
    pub offset: u64,
    /// Bytes accessed.
    pub len: u64,
    /// The memory's size in bytes.
    pub size: u64,
}

/// The calling instance's exported memory, during one host call.
pub trait CallerMemory {
    /// The memory's current size in bytes (0 when the caller exports no memory).
    fn size(&self) -> u64;
    /// Reads `buf.len()` bytes starting at `offset`.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), MemoryAccessError>;
    /// Writes `data` starting at `offset`.
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), MemoryAccessError>;
}

/// The bounds check every accessor shares: the byte range `offset..offset+len` of a memory of
/// `size` bytes, as `usize` indices.
pub fn checked_range(
    offset: u64,
    len: usize,
    size: usize,
) -> Result<std::ops::Range<usize>, MemoryAccessError> {
    let error = || MemoryAccessError {
        offset,
        len: len as u64,
        size: size as u64,
    };
    let start = usize::try_from(offset).map_err(|_| error())?;
    let end = start.checked_add(len).ok_or_else(error)?;
    if end > size {
        return Err(error());
    }
    Ok(start..end)
}

/// A plain byte slice as the caller's memory (what in-process adapters hand out).
pub struct SliceMemory<'a>(pub &'a mut [u8]);

impl CallerMemory for SliceMemory<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), MemoryAccessError> {
        let range = checked_range(offset, buf.len(), self.0.len())?;
        buf.copy_from_slice(&self.0[range]);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), MemoryAccessError> {
        let range = checked_range(offset, data.len(), self.0.len())?;
        self.0[range].copy_from_slice(data);
        Ok(())
    }
}

/// A host function with access to its caller's memory: gets the memory and the arguments,
/// returns the results or a trap message.
pub type MemoryHostFunc =
    Arc<dyn Fn(&mut dyn CallerMemory, &[Value]) -> Result<Vec<Value>, String> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_memory_checks_bounds() {
        let mut bytes = [0u8; 8];
        let mut memory = SliceMemory(&mut bytes);
        memory.write(4, &[1, 2, 3, 4]).expect("in bounds");
        let mut out = [0u8; 2];
        memory.read(5, &mut out).expect("in bounds");
        assert_eq!(out, [2, 3]);
        assert!(memory.write(5, &[0; 4]).is_err());
        assert!(memory.read(u64::MAX, &mut out).is_err());
        assert_eq!(memory.size(), 8);
    }
}
