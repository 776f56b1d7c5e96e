//! Slot-level helpers of the interpreter loop: reading and writing numbers in a slot's low
//! half, widening fused constants, and reshaping the stack for a branch.
//!
//! Numbers are stored in the low 64 bits of a slot: `i32`/`f32` zero-extended, `i64`/`f64` as
//! their bits (see `exec::value_stack`).

use baton_runtime::Trap;

use crate::exec::store_ops::internal;
use crate::translate::binop::BinOp;
use crate::translate::instr::Jump;

#[inline(always)]
pub(crate) fn i32s(v: i32) -> u64 {
    u64::from(v as u32)
}
#[inline(always)]
pub(crate) fn u32s(v: u32) -> u64 {
    u64::from(v)
}
#[inline(always)]
pub(crate) fn i64s(v: i64) -> u64 {
    v as u64
}
#[inline(always)]
pub(crate) fn u64s(v: u64) -> u64 {
    v
}
#[inline(always)]
pub(crate) fn f32s(v: f32) -> u64 {
    u64::from(v.to_bits())
}
#[inline(always)]
pub(crate) fn f64s(v: f64) -> u64 {
    v.to_bits()
}
#[inline(always)]
pub(crate) fn bs(v: bool) -> u64 {
    u64::from(v)
}
#[inline(always)]
pub(crate) fn si32(s: u64) -> i32 {
    s as u32 as i32
}
#[inline(always)]
pub(crate) fn su32(s: u64) -> u32 {
    s as u32
}
#[inline(always)]
pub(crate) fn si64(s: u64) -> i64 {
    s as i64
}
#[inline(always)]
pub(crate) fn su64(s: u64) -> u64 {
    s
}
#[inline(always)]
pub(crate) fn sf32(s: u64) -> f32 {
    f32::from_bits(s as u32)
}
#[inline(always)]
pub(crate) fn sf64(s: u64) -> f64 {
    f64::from_bits(s)
}

/// An `i32`-sized constant of a fused instruction as a slot low half for `op`'s width.
#[inline(always)]
pub(crate) fn widen(op: BinOp, c: i32) -> u64 {
    if op.is_i64() {
        c as i64 as u64
    } else {
        u64::from(c as u32)
    }
}

/// Slots reserved above a frame's maximum operand height (headroom for helpers).
pub(crate) const RESERVE: usize = 4;

/// Applies a jump's stack reshaping: keeps the top `keep` slots, erases `erase` below them.
/// Returns the new stack pointer.
#[inline(always)]
pub(crate) fn reshape(
    lo: &mut [u64],
    hi: &mut [u64],
    sp: usize,
    jump: &Jump,
) -> Result<usize, Trap> {
    if jump.erase == 0 {
        return Ok(sp);
    }
    let keep = jump.keep as usize;
    let from = sp.checked_sub(keep).ok_or_else(|| internal("jump keep"))?;
    let to = from
        .checked_sub(jump.erase as usize)
        .ok_or_else(|| internal("jump erase"))?;
    if from + keep > lo.len() || from + keep > hi.len() {
        return Err(internal("jump range"));
    }
    lo.copy_within(from..from + keep, to);
    hi.copy_within(from..from + keep, to);
    Ok(to + keep)
}
