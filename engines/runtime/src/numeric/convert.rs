//! Float-to-integer truncation: trapping (`trunc`) and saturating (`trunc_sat`).
//!
//! Trapping truncation (the spec test suite's messages): NaN traps with "invalid conversion to
//! integer", a value whose truncation is outside the target range with "integer overflow".
//! Saturating truncation is Rust's `as` cast (NaN becomes 0, out-of-range values clamp), so engines
//! use `as` directly for `trunc_sat`.

use crate::trap::Trap;

macro_rules! trunc {
    ($name:ident, $f:ty, $i:ty, $lo:expr, $hi:expr) => {
        /// Trapping truncation; the range check is `lo < x < hi` on the exact float bounds.
        #[inline]
        pub fn $name(x: $f) -> Result<$i, Trap> {
            if x.is_nan() {
                return Err(Trap::InvalidConversionToInteger);
            }
            if !(x > $lo && x < $hi) {
                return Err(Trap::IntegerOverflow);
            }
            Ok(x as $i)
        }
    };
}

// Bounds: exclusive, chosen as exactly representable values just outside the target range.
trunc!(
    i32_trunc_f32_s,
    f32,
    i32,
    -2147483904.0_f32,
    2147483648.0_f32
);
trunc!(i32_trunc_f32_u, f32, u32, -1.0_f32, 4294967296.0_f32);
trunc!(
    i32_trunc_f64_s,
    f64,
    i32,
    -2147483649.0_f64,
    2147483648.0_f64
);
trunc!(i32_trunc_f64_u, f64, u32, -1.0_f64, 4294967296.0_f64);
trunc!(
    i64_trunc_f32_s,
    f32,
    i64,
    -9223373136366403584.0_f32,
    9223372036854775808.0_f32
);
trunc!(
    i64_trunc_f32_u,
    f32,
    u64,
    -1.0_f32,
    18446744073709551616.0_f32
);
trunc!(
    i64_trunc_f64_s,
    f64,
    i64,
    -9223372036854777856.0_f64,
    9223372036854775808.0_f64
);
trunc!(
    i64_trunc_f64_u,
    f64,
    u64,
    -1.0_f64,
    18446744073709551616.0_f64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trapping_bounds() {
        assert_eq!(i32_trunc_f32_s(-2147483648.0), Ok(i32::MIN));
        assert_eq!(i32_trunc_f32_s(2147483648.0), Err(Trap::IntegerOverflow));
        assert_eq!(i32_trunc_f64_u(-0.9), Ok(0));
        assert_eq!(i32_trunc_f64_u(-1.0), Err(Trap::IntegerOverflow));
        assert_eq!(
            i64_trunc_f64_s(f64::NAN),
            Err(Trap::InvalidConversionToInteger)
        );
        assert_eq!(
            i64_trunc_f64_u(18446744073709549568.0),
            Ok(18446744073709549568)
        );
        assert_eq!(i32_trunc_f64_s(-2147483648.9), Ok(i32::MIN));
    }
}
