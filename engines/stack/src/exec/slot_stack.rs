//! A view of the value stack for out-of-line helpers: a fixed slice of slots and the stack
//! pointer. The interpreter loop keeps `sp` in a local and the slice pre-sized for the current
//! frame's maximum height, so pushes never reallocate.
//!
//! Invariant: `sp <= slots.len()`; helpers push at most what the validated code allows, which the
//! frame's reserved height covers. Violations are reported as internal errors, never panics.

use baton_runtime::Trap;

use crate::exec::slot::Slot;
use crate::exec::store_ops::internal;

/// Slots and stack pointer.
pub struct SlotStack<'a> {
    /// The whole value stack's storage.
    pub slots: &'a mut [Slot],
    /// Number of live slots.
    pub sp: usize,
}

impl SlotStack<'_> {
    /// Pops the top slot.
    #[inline]
    pub fn pop(&mut self) -> Result<Slot, Trap> {
        let sp = self
            .sp
            .checked_sub(1)
            .ok_or_else(|| internal("value stack underflow"))?;
        let value = *self
            .slots
            .get(sp)
            .ok_or_else(|| internal("value stack underflow"))?;
        self.sp = sp;
        Ok(value)
    }

    /// Pushes a slot.
    #[inline]
    pub fn push(&mut self, value: Slot) -> Result<(), Trap> {
        *self
            .slots
            .get_mut(self.sp)
            .ok_or_else(|| internal("value stack overflow"))? = value;
        self.sp += 1;
        Ok(())
    }

    /// The top `n` slots (bottom first), popped.
    pub fn pop_n(&mut self, n: usize) -> Result<&[Slot], Trap> {
        let start = self
            .sp
            .checked_sub(n)
            .ok_or_else(|| internal("value stack underflow"))?;
        let end = self.sp;
        self.sp = start;
        self.slots
            .get(start..end)
            .ok_or_else(|| internal("value stack underflow"))
    }
}
