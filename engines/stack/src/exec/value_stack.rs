//! The value stack's storage: untyped 128-bit slots kept as two parallel arrays of 64-bit
//! halves (structure of arrays).
//!
//! Why split: numeric instructions read and write only the low half, and copies (`local.get`,
//! `local.set`, branches, returns) move both halves with 64-bit accesses. A single `u128` array
//! made every copy a 16-byte load of a slot just written with two 8-byte stores, which the CPU
//! cannot forward from its store buffer; the split layout avoids that stall.
//!
//! Invariants: `lo.len() == hi.len()`; slot `i` is `(hi[i] << 64) | lo[i]`. A slot holding a
//! number may have a stale high half: numbers are always read from the low half only (the
//! reader knows the type), references are always written with both halves.

use crate::exec::slot::Slot;

/// The value stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueStack {
    lo: Vec<u64>,
    hi: Vec<u64>,
}

impl ValueStack {
    /// Number of slots (outside a run: the live slots).
    pub fn len(&self) -> usize {
        self.lo.len()
    }

    /// Removes every slot.
    pub fn clear(&mut self) {
        self.lo.clear();
        self.hi.clear();
    }

    /// Appends a slot.
    pub fn push(&mut self, slot: Slot) {
        self.lo.push(slot as u64);
        self.hi.push((slot >> 64) as u64);
    }

    /// Slot `index`.
    pub fn get(&self, index: usize) -> Option<Slot> {
        let lo = *self.lo.get(index)?;
        let hi = *self.hi.get(index)?;
        Some((Slot::from(hi) << 64) | Slot::from(lo))
    }

    /// The slots in `range`, if it is inside the stack.
    pub fn range(&self, range: std::ops::Range<usize>) -> Option<Vec<Slot>> {
        if range.start > range.end || range.end > self.len() {
            return None;
        }
        range.map(|index| self.get(index)).collect()
    }

    /// Shortens to `len` slots.
    pub fn truncate(&mut self, len: usize) {
        self.lo.truncate(len);
        self.hi.truncate(len);
    }

    /// Grows (with zero slots) or shrinks to `len` slots.
    pub fn resize(&mut self, len: usize) {
        self.lo.resize(len, 0);
        self.hi.resize(len, 0);
    }

    /// Both halves, mutably.
    pub fn halves_mut(&mut self) -> (&mut [u64], &mut [u64]) {
        (&mut self.lo, &mut self.hi)
    }
}
