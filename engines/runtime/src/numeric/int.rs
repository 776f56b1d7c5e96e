//! Integer operations that can trap, with WebAssembly semantics.

use crate::trap::Trap;

macro_rules! int_ops {
    ($modname:ident, $s:ty, $u:ty) => {
        /// Trapping operations on this integer width.
        pub mod $modname {
            use super::Trap;

            /// Signed division: traps on zero and on `MIN / -1`.
            #[inline]
            pub fn div_s(a: $s, b: $s) -> Result<$s, Trap> {
                if b == 0 {
                    return Err(Trap::IntegerDivideByZero);
                }
                a.checked_div(b).ok_or(Trap::IntegerOverflow)
            }

            /// Unsigned division: traps on zero.
            #[inline]
            pub fn div_u(a: $u, b: $u) -> Result<$u, Trap> {
                a.checked_div(b).ok_or(Trap::IntegerDivideByZero)
            }

            /// Signed remainder: traps on zero; `MIN % -1` is 0.
            #[inline]
            pub fn rem_s(a: $s, b: $s) -> Result<$s, Trap> {
                if b == 0 {
                    return Err(Trap::IntegerDivideByZero);
                }
                Ok(a.wrapping_rem(b))
            }

            /// Unsigned remainder: traps on zero.
            #[inline]
            pub fn rem_u(a: $u, b: $u) -> Result<$u, Trap> {
                a.checked_rem(b).ok_or(Trap::IntegerDivideByZero)
            }
        }
    };
}

int_ops!(i32_ops, i32, u32);
int_ops!(i64_ops, i64, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_traps() {
        assert_eq!(i32_ops::div_s(1, 0), Err(Trap::IntegerDivideByZero));
        assert_eq!(i32_ops::div_s(i32::MIN, -1), Err(Trap::IntegerOverflow));
        assert_eq!(i64_ops::rem_s(i64::MIN, -1), Ok(0));
        assert_eq!(i64_ops::rem_u(7, 0), Err(Trap::IntegerDivideByZero));
        assert_eq!(i32_ops::div_u(u32::MAX, 2), Ok(u32::MAX / 2));
    }
}
