//! Float operations with WebAssembly semantics.
//!
//! NaN rules: an operation with a NaN operand returns a NaN (the spec accepts any arithmetic
//! NaN; we return a quiet NaN derived from an operand, as hardware does). `min`/`max` return the
//! *first* NaN operand, quieted: a fixed rule, so every engine (and every inlined copy, whatever
//! operand order the compiler picks) gives bit-identical results and images stay byte-identical
//! across engines. `min`/`max` order `-0 < +0`. `abs`, `neg` and `copysign` act on the sign bit only.

macro_rules! float_ops {
    ($modname:ident, $f:ty, $bits:ty, $sign:expr, $quiet:expr) => {
        /// Operations on this float width.
        pub mod $modname {
            /// A NaN made quiet (arithmetic NaN); other values unchanged.
            #[inline]
            pub fn quiet(a: $f) -> $f {
                if a.is_nan() {
                    <$f>::from_bits(a.to_bits() | $quiet)
                } else {
                    a
                }
            }

            /// WebAssembly `ceil` (NaN results are quiet).
            #[inline]
            pub fn ceil(a: $f) -> $f {
                quiet(a.ceil())
            }

            /// WebAssembly `floor` (NaN results are quiet).
            #[inline]
            pub fn floor(a: $f) -> $f {
                quiet(a.floor())
            }

            /// WebAssembly `trunc` (NaN results are quiet).
            #[inline]
            pub fn trunc(a: $f) -> $f {
                quiet(a.trunc())
            }

            /// WebAssembly `sqrt` (NaN results are quiet).
            #[inline]
            pub fn sqrt(a: $f) -> $f {
                quiet(a.sqrt())
            }

            /// WebAssembly `min`.
            #[inline]
            pub fn min(a: $f, b: $f) -> $f {
                if a.is_nan() {
                    return quiet(a);
                }
                if b.is_nan() {
                    return quiet(b);
                }
                if a == b {
                    // -0 vs +0: the one with the sign bit set.
                    return <$f>::from_bits(a.to_bits() | b.to_bits());
                }
                if a < b {
                    a
                } else {
                    b
                }
            }

            /// WebAssembly `max`.
            #[inline]
            pub fn max(a: $f, b: $f) -> $f {
                if a.is_nan() {
                    return quiet(a);
                }
                if b.is_nan() {
                    return quiet(b);
                }
                if a == b {
                    return <$f>::from_bits(a.to_bits() & b.to_bits());
                }
                if a > b {
                    a
                } else {
                    b
                }
            }

            /// WebAssembly `nearest`: round to nearest, ties to even.
            #[inline]
            pub fn nearest(a: $f) -> $f {
                quiet(a.round_ties_even())
            }

            /// WebAssembly `copysign` on bits.
            #[inline]
            pub fn copysign(a: $bits, b: $bits) -> $bits {
                (a & !$sign) | (b & $sign)
            }

            /// WebAssembly `abs` on bits.
            #[inline]
            pub fn abs(a: $bits) -> $bits {
                a & !$sign
            }

            /// WebAssembly `neg` on bits.
            #[inline]
            pub fn neg(a: $bits) -> $bits {
                a ^ $sign
            }
        }
    };
}

float_ops!(f32_ops, f32, u32, 0x8000_0000u32, 0x0040_0000u32);
float_ops!(
    f64_ops,
    f64,
    u64,
    0x8000_0000_0000_0000u64,
    0x0008_0000_0000_0000u64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_signed_zero_and_nan() {
        assert!(f32_ops::min(0.0, -0.0).is_sign_negative());
        assert!(f32_ops::max(-0.0, 0.0).is_sign_positive());
        assert!(f64_ops::min(f64::NAN, 1.0).is_nan());
        assert!(f64_ops::max(1.0, f64::NAN).is_nan());
        assert_eq!(f32_ops::min(1.0, 2.0), 1.0);
        assert_eq!(f64_ops::max(1.0, 2.0), 2.0);
    }

    #[test]
    fn min_max_return_the_first_nan_quieted() {
        let signalling = f32::from_bits(0xffa0_0000);
        let negative_canonical = f32::from_bits(0xffc0_0000);
        let payload = f32::from_bits(0x7fc0_0001);
        for op in [f32_ops::min, f32_ops::max] {
            assert_eq!(op(signalling, negative_canonical).to_bits(), 0xffe0_0000);
            assert_eq!(op(negative_canonical, signalling).to_bits(), 0xffc0_0000);
            assert_eq!(op(1.0, payload).to_bits(), 0x7fc0_0001);
            assert_eq!(op(signalling, 1.0).to_bits(), 0xffe0_0000);
        }
        let signalling = f64::from_bits(0x7ff4_0000_0000_0000);
        let payload = f64::from_bits(0xfff8_0000_0000_0002);
        for op in [f64_ops::min, f64_ops::max] {
            assert_eq!(op(signalling, payload).to_bits(), 0x7ffc_0000_0000_0000);
            assert_eq!(op(payload, signalling).to_bits(), 0xfff8_0000_0000_0002);
        }
    }

    #[test]
    fn nearest_ties_even() {
        assert_eq!(f32_ops::nearest(2.5), 2.0);
        assert_eq!(f64_ops::nearest(3.5), 4.0);
        assert!(f64_ops::nearest(-0.25).is_sign_negative());
        let signalling = f32::from_bits(0x7fa0_0000);
        assert_eq!(f32_ops::ceil(signalling).to_bits(), 0x7fe0_0000);
        assert_eq!(f32_ops::nearest(signalling).to_bits(), 0x7fe0_0000);
    }
}
