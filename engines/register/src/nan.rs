//! A deterministic NaN rule for binary float operations.
//!
//! WebAssembly lets a NaN-producing operation return any arithmetic NaN, and Rust (LLVM) may
//! commute `a + b`, so which operand's payload survives depends on code generation. Images taken
//! by different engines at the same event must be byte-identical, so every engine must pick the
//! same NaN: the first NaN operand's payload, quieted; otherwise (an invalid operation such as
//! `inf - inf`) whatever the hardware produced, which is the same on one machine.
//!
//! Applied to `min`/`max` (whose shared implementation returns `a + b` for NaN operands). For
//! `add`/`sub`/`mul`/`div` it costs about 25% on float-heavy code, so those keep the hardware's
//! NaN until every engine agrees on a rule (see the crate README).
//!
//! Invariant: non-NaN results are returned unchanged. Engine-independent: belongs in
//! `baton_runtime::numeric` once every engine adopts it.

const QUIET32: u32 = 0x0040_0000;
const QUIET64: u64 = 0x0008_0000_0000_0000;

/// The result of a binary `f32` operation on `a` and `b` under the rule above.
#[inline(always)]
pub fn propagate32(a: f32, b: f32, result: f32) -> f32 {
    if !result.is_nan() {
        result
    } else if a.is_nan() {
        f32::from_bits(a.to_bits() | QUIET32)
    } else if b.is_nan() {
        f32::from_bits(b.to_bits() | QUIET32)
    } else {
        result
    }
}

/// The result of a binary `f64` operation on `a` and `b` under the rule above.
#[inline(always)]
pub fn propagate64(a: f64, b: f64, result: f64) -> f64 {
    if !result.is_nan() {
        result
    } else if a.is_nan() {
        f64::from_bits(a.to_bits() | QUIET64)
    } else if b.is_nan() {
        f64::from_bits(b.to_bits() | QUIET64)
    } else {
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nan_operand_wins_whatever_the_hardware_order() {
        let a = f32::from_bits(0xffff_fe00);
        let b = f32::from_bits(0xffff_c000);
        assert_eq!(propagate32(a, b, b * a).to_bits(), 0xffff_fe00);
        assert_eq!(propagate32(b, a, a * b).to_bits(), 0xffff_c000);
        let signalling = f64::from_bits(0x7ff0_0000_0000_0001);
        assert_eq!(
            propagate64(1.0, signalling, 1.0 + signalling).to_bits(),
            0x7ff8_0000_0000_0001
        );
        assert_eq!(propagate64(1.5, 2.0, 3.5), 3.5);
    }
}
