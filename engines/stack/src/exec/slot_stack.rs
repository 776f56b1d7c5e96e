//! A view of the value stack for out-of-line helpers: both halves of the slot storage and the
//! stack pointer. The interpreter loop keeps `sp` in a local and the storage pre-sized for the
//! current frame's maximum height, so pushes never reallocate.
//!
//! Invariant: `sp <= lo.len() == hi.len()`; helpers push at most what the validated code allows,
//! which the frame's reserved height covers. Violations are internal errors, never panics.

use baton_runtime::Trap;

use crate::exec::slot::Slot;
use crate::exec::store_ops::internal;

/// Slot halves and stack pointer.
pub struct SlotStack<'a> {
    /// Low halves.
    pub lo: &'a mut [u64],
    /// High halves.
    pub hi: &'a mut [u64],
    /// Number of live slots.
    pub sp: usize,
}

impl SlotStack<'_> {
    fn slot(&self, index: usize) -> Result<Slot, Trap> {
        match (self.lo.get(index), self.hi.get(index)) {
            (Some(lo), Some(hi)) => Ok((Slot::from(*hi) << 64) | Slot::from(*lo)),
            _ => Err(internal("value stack index")),
        }
    }

    /// Pops the top slot.
    #[inline]
    pub fn pop(&mut self) -> Result<Slot, Trap> {
        let sp = self
            .sp
            .checked_sub(1)
            .ok_or_else(|| internal("value stack underflow"))?;
        let value = self.slot(sp)?;
        self.sp = sp;
        Ok(value)
    }

    /// Pushes a slot.
    #[inline]
    pub fn push(&mut self, value: Slot) -> Result<(), Trap> {
        match (self.lo.get_mut(self.sp), self.hi.get_mut(self.sp)) {
            (Some(lo), Some(hi)) => {
                *lo = value as u64;
                *hi = (value >> 64) as u64;
            }
            _ => return Err(internal("value stack overflow")),
        }
        self.sp += 1;
        Ok(())
    }

    /// The top `n` slots (bottom first), popped.
    pub fn pop_n(&mut self, n: usize) -> Result<Vec<Slot>, Trap> {
        let start = self
            .sp
            .checked_sub(n)
            .ok_or_else(|| internal("value stack underflow"))?;
        let values = (start..self.sp)
            .map(|index| self.slot(index))
            .collect::<Result<Vec<_>, _>>()?;
        self.sp = start;
        Ok(values)
    }
}
