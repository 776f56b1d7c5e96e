//! WebAssembly `f32`/`f64` `min` and `max` with a fixed NaN rule, shared by the original
//! instructions and the fused ones so both paths give bit-identical results.
//!
//! The spec lets a NaN operand produce any arithmetic NaN; the runtime's helpers return `a + b`
//! then, whose payload depends on which operand the compiler puts first (it may commute the
//! addition differently at each inlined call site). Here the rule is explicit: the first NaN
//! operand, quieted. Invariants: the result is a NaN exactly when an operand is; a canonical NaN
//! operand yields itself; non-NaN operands go to the runtime's helpers unchanged.

use baton_runtime::numeric::float::{f32_ops, f64_ops};

/// The quiet bit of an `f32` NaN.
const F32_QUIET: u32 = 1 << 22;
/// The quiet bit of an `f64` NaN.
const F64_QUIET: u64 = 1 << 51;

/// The first NaN of `a`, `b`, quieted, if either is a NaN.
#[inline(always)]
fn f32_nan(a: f32, b: f32) -> Option<f32> {
    if a.is_nan() {
        Some(f32::from_bits(a.to_bits() | F32_QUIET))
    } else if b.is_nan() {
        Some(f32::from_bits(b.to_bits() | F32_QUIET))
    } else {
        None
    }
}

/// The first NaN of `a`, `b`, quieted, if either is a NaN.
#[inline(always)]
fn f64_nan(a: f64, b: f64) -> Option<f64> {
    if a.is_nan() {
        Some(f64::from_bits(a.to_bits() | F64_QUIET))
    } else if b.is_nan() {
        Some(f64::from_bits(b.to_bits() | F64_QUIET))
    } else {
        None
    }
}

/// `f32.min`.
#[inline(always)]
pub fn f32_min(a: f32, b: f32) -> f32 {
    f32_nan(a, b).unwrap_or_else(|| f32_ops::min(a, b))
}

/// `f32.max`.
#[inline(always)]
pub fn f32_max(a: f32, b: f32) -> f32 {
    f32_nan(a, b).unwrap_or_else(|| f32_ops::max(a, b))
}

/// `f64.min`.
#[inline(always)]
pub fn f64_min(a: f64, b: f64) -> f64 {
    f64_nan(a, b).unwrap_or_else(|| f64_ops::min(a, b))
}

/// `f64.max`.
#[inline(always)]
pub fn f64_max(a: f64, b: f64) -> f64 {
    f64_nan(a, b).unwrap_or_else(|| f64_ops::max(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_rule_is_first_nan_quieted() {
        let signalling = f32::from_bits(0xffa0_0000);
        let negative_canonical = f32::from_bits(0xffc0_0000);
        let positive = f32::from_bits(0x7fc0_0001);
        for op in [f32_min, f32_max] {
            assert_eq!(op(signalling, negative_canonical).to_bits(), 0xffe0_0000);
            assert_eq!(op(negative_canonical, signalling).to_bits(), 0xffc0_0000);
            assert_eq!(op(1.0, positive).to_bits(), 0x7fc0_0001);
            assert_eq!(op(signalling, 1.0).to_bits(), 0xffe0_0000);
        }
        let signalling = f64::from_bits(0x7ff4_0000_0000_0000);
        let canonical = f64::from_bits(0xfff8_0000_0000_0000);
        for op in [f64_min, f64_max] {
            assert_eq!(op(signalling, canonical).to_bits(), 0x7ffc_0000_0000_0000);
            assert_eq!(op(canonical, signalling).to_bits(), 0xfff8_0000_0000_0000);
            assert_eq!(op(-2.0, signalling).to_bits(), 0x7ffc_0000_0000_0000);
        }
    }

    #[test]
    fn numbers_follow_the_runtime() {
        let values = [-0.0f64, 0.0, 1.5, -3.0, f64::INFINITY, f64::NEG_INFINITY];
        for a in values {
            for b in values {
                assert_eq!(f64_min(a, b).to_bits(), f64_ops::min(a, b).to_bits());
                assert_eq!(f64_max(a, b).to_bits(), f64_ops::max(a, b).to_bits());
                let (a, b) = (a as f32, b as f32);
                assert_eq!(f32_min(a, b).to_bits(), f32_ops::min(a, b).to_bits());
                assert_eq!(f32_max(a, b).to_bits(), f32_ops::max(a, b).to_bits());
            }
        }
    }
}
