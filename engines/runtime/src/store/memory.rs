//! Linear memory: a byte vector of whole 64 KiB pages with an optional maximum.
//!
//! Invariants: `data.len() == pages * PAGE_SIZE`; `pages <= max.unwrap_or(MAX_PAGES)`. Every access
//! helper checks bounds with overflow-free 64-bit arithmetic and returns
//! [`Trap::MemoryOutOfBounds`] instead of panicking.

use std::cell::RefCell;
use std::rc::Rc;

use crate::trap::Trap;

/// Bytes per page.
pub const PAGE_SIZE: usize = 65536;
/// The largest size of a 32-bit memory, in pages.
pub const MAX_PAGES: u64 = 65536;

/// A shared memory handle.
pub type MemoryHandle = Rc<RefCell<Memory>>;

/// A memory's limits in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryType {
    /// Initial (or current) size in pages.
    pub min: u64,
    /// Maximum size in pages.
    pub max: Option<u64>,
}

impl MemoryType {
    /// Whether a memory of type `self` can be imported where `required` is declared
    /// (limits subtyping).
    pub fn matches(&self, required: &MemoryType) -> bool {
        limits_match(self.min, self.max, required.min, required.max)
    }
}

/// Limits subtyping: actual `[min, max]` fits in required `[rmin, rmax]`.
pub(crate) fn limits_match(min: u64, max: Option<u64>, rmin: u64, rmax: Option<u64>) -> bool {
    min >= rmin
        && match (max, rmax) {
            (_, None) => true,
            (Some(max), Some(rmax)) => max <= rmax,
            (None, Some(_)) => false,
        }
}

/// A linear memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    data: Vec<u8>,
    max: Option<u64>,
}

impl Memory {
    /// A zeroed memory of `ty.min` pages. `None` when the size is above the limit or cannot be
    /// allocated.
    pub fn new(ty: MemoryType) -> Option<Memory> {
        let mut memory = Memory {
            data: Vec::new(),
            max: ty.max,
        };
        let max = ty.max.unwrap_or(MAX_PAGES).min(MAX_PAGES);
        if ty.min > max {
            return None;
        }
        memory.resize_pages(ty.min)?;
        Some(memory)
    }

    /// A new shared handle to a zeroed memory (see [`Memory::new`]).
    pub fn new_handle(ty: MemoryType) -> Option<MemoryHandle> {
        Memory::new(ty).map(|memory| Rc::new(RefCell::new(memory)))
    }

    fn resize_pages(&mut self, pages: u64) -> Option<()> {
        let bytes = usize::try_from(pages).ok()?.checked_mul(PAGE_SIZE)?;
        let extra = bytes.checked_sub(self.data.len())?;
        self.data.try_reserve_exact(extra).ok()?;
        self.data.resize(bytes, 0);
        Some(())
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        (self.data.len() / PAGE_SIZE) as u64
    }

    /// The maximum in pages, if declared.
    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// The current type (current size as `min`).
    pub fn ty(&self) -> MemoryType {
        MemoryType {
            min: self.pages(),
            max: self.max,
        }
    }

    /// `memory.grow`: grows by `delta` pages and returns the old size, or `None` (the
    /// instruction's -1) when the result would exceed the maximum or cannot be allocated.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max.unwrap_or(MAX_PAGES).min(MAX_PAGES) {
            return None;
        }
        self.resize_pages(new)?;
        Some(old)
    }

    /// The whole contents.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The whole contents, mutably (the size cannot change through this).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Sets the size to `pages` zeroed pages, then copies nothing: used by restore before writing
    /// chunks. `None` when too large or the allocation fails.
    pub fn reset(&mut self, pages: u64, max: Option<u64>) -> Option<()> {
        self.data.clear();
        self.max = max;
        self.resize_pages(pages)
    }

    /// The byte range `[addr, addr + len)` if it lies inside the memory.
    fn range(&self, addr: u64, len: u64) -> Result<std::ops::Range<usize>, Trap> {
        let end = addr.checked_add(len).ok_or(Trap::MemoryOutOfBounds)?;
        if end > self.data.len() as u64 {
            return Err(Trap::MemoryOutOfBounds);
        }
        // Both fit in usize: end <= data.len().
        Ok(addr as usize..end as usize)
    }

    /// Reads `N` bytes at `addr` (an already offset-added effective address).
    #[inline]
    pub fn load<const N: usize>(&self, addr: u64) -> Result<[u8; N], Trap> {
        let start = usize::try_from(addr).map_err(|_| Trap::MemoryOutOfBounds)?;
        let end = start.checked_add(N).ok_or(Trap::MemoryOutOfBounds)?;
        match self.data.get(start..end) {
            Some(bytes) => {
                let mut out = [0u8; N];
                out.copy_from_slice(bytes);
                Ok(out)
            }
            None => Err(Trap::MemoryOutOfBounds),
        }
    }

    /// Writes `bytes` at `addr`.
    #[inline]
    pub fn store<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Result<(), Trap> {
        let start = usize::try_from(addr).map_err(|_| Trap::MemoryOutOfBounds)?;
        let end = start.checked_add(N).ok_or(Trap::MemoryOutOfBounds)?;
        match self.data.get_mut(start..end) {
            Some(slot) => {
                slot.copy_from_slice(&bytes);
                Ok(())
            }
            None => Err(Trap::MemoryOutOfBounds),
        }
    }

    /// `memory.fill`.
    pub fn fill(&mut self, addr: u64, value: u8, len: u64) -> Result<(), Trap> {
        let range = self.range(addr, len)?;
        self.data
            .get_mut(range)
            .ok_or(Trap::MemoryOutOfBounds)?
            .fill(value);
        Ok(())
    }

    /// `memory.copy` within this memory (overlap-safe).
    pub fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), Trap> {
        let src_range = self.range(src, len)?;
        let dst_range = self.range(dst, len)?;
        self.data.copy_within(src_range, dst_range.start);
        Ok(())
    }

    /// Reads `len` bytes at `addr`.
    pub fn read(&self, addr: u64, len: u64) -> Result<&[u8], Trap> {
        let range = self.range(addr, len)?;
        self.data.get(range).ok_or(Trap::MemoryOutOfBounds)
    }

    /// Writes `bytes` at `addr` (`memory.init`, `memory.copy` between memories, data segments).
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
        let range = self.range(addr, bytes.len() as u64)?;
        self.data
            .get_mut(range)
            .ok_or(Trap::MemoryOutOfBounds)?
            .copy_from_slice(bytes);
        Ok(())
    }
}

/// `memory.init` / data segment application: copies `segment[offset..offset+len]` to `dst`,
/// trapping if either range is out of bounds.
pub fn init_from_segment(
    memory: &mut Memory,
    segment: &[u8],
    dst: u64,
    offset: u64,
    len: u64,
) -> Result<(), Trap> {
    let end = offset.checked_add(len).ok_or(Trap::MemoryOutOfBounds)?;
    let source = segment
        .get(usize::try_from(offset).map_err(|_| Trap::MemoryOutOfBounds)?..)
        .and_then(|rest| rest.get(..usize::try_from(len).ok()?))
        .filter(|_| end <= segment.len() as u64)
        .ok_or(Trap::MemoryOutOfBounds)?;
    memory.write(dst, source)
}
