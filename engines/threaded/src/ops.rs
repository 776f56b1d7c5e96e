//! The numeric operations: one list of binary and one of unary operators with their
//! WebAssembly semantics, shared by the compiler (which names them) and the executor (which
//! evaluates them). Names are wasmparser's operator names.
//!
//! Invariant: every operator's operand and result types decide its register class (integers in
//! `r0`, floats in `fp0`), see [`Bits::FLOAT`].

use baton_runtime::numeric::convert;
use baton_runtime::numeric::float::{f32_ops, f64_ops};
use baton_runtime::numeric::int::{i32_ops, i64_ops};
use baton_runtime::{Trap, ValType};

/// A numeric type's 64-bit encoding (see [`crate::values`]).
pub trait Bits: Copy {
    /// Whether the type lives in `fp0` (else `r0`).
    const FLOAT: bool;
    /// The Wasm type.
    const TYPE: ValType;
    /// Decodes.
    fn from_u64(bits: u64) -> Self;
    /// Encodes.
    fn to_u64(self) -> u64;
}

impl Bits for i32 {
    const TYPE: ValType = ValType::I32;
    const FLOAT: bool = false;
    #[inline(always)]
    fn from_u64(bits: u64) -> Self {
        bits as u32 as i32
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        u64::from(self as u32)
    }
}

impl Bits for i64 {
    const TYPE: ValType = ValType::I64;
    const FLOAT: bool = false;
    #[inline(always)]
    fn from_u64(bits: u64) -> Self {
        bits as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
}

impl Bits for f32 {
    const TYPE: ValType = ValType::F32;
    const FLOAT: bool = true;
    #[inline(always)]
    fn from_u64(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl Bits for f64 {
    const TYPE: ValType = ValType::F64;
    const FLOAT: bool = true;
    #[inline(always)]
    fn from_u64(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self.to_bits()
    }
}

fn b32(v: bool) -> i32 {
    i32::from(v)
}

fn f32_bits(f: impl Fn(u32, u32) -> u32, a: f32, b: f32) -> f32 {
    f32::from_bits(f(a.to_bits(), b.to_bits()))
}

fn f64_bits(f: impl Fn(u64, u64) -> u64, a: f64, b: f64) -> f64 {
    f64::from_bits(f(a.to_bits(), b.to_bits()))
}

macro_rules! binops {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident, $b:ident => $e:expr)),* $(,)?) => {
        /// A binary numeric operator.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum BinOp { $(#[doc = stringify!($name)] $name),* }

        /// Every binary operator, in declaration order.
        pub const BIN_OPS: &[BinOp] = &[$(BinOp::$name),*];

        impl BinOp {
            /// The operator of a wasmparser operator, if it is a binary numeric one.
            pub fn of(op: &wasmparser::Operator<'_>) -> Option<BinOp> {
                match op {
                    $(wasmparser::Operator::$name => Some(BinOp::$name),)*
                    _ => None,
                }
            }

            /// Whether the operands live in `fp0`.
            pub const fn float_in(self) -> bool {
                match self { $(BinOp::$name => <$ta as Bits>::FLOAT,)* }
            }

            /// Whether the result lives in `fp0`.
            pub const fn float_out(self) -> bool {
                match self { $(BinOp::$name => <$tr as Bits>::FLOAT,)* }
            }

            /// The result type.
            pub const fn result(self) -> ValType {
                match self { $(BinOp::$name => <$tr as Bits>::TYPE,)* }
            }
        }

        /// Evaluates binary operator number `OP` (a [`BinOp`] as `u16`) on encoded operands.
        #[inline(always)]
        pub fn eval_bin<const OP: u16>(a: u64, b: u64) -> Result<u64, Trap> {
            $(
                if OP == BinOp::$name as u16 {
                    let $a = <$ta as Bits>::from_u64(a);
                    let $b = <$ta as Bits>::from_u64(b);
                    let r: Result<$tr, Trap> = $e;
                    return r.map(Bits::to_u64);
                }
            )*
            Err(Trap::Host("internal engine error: unknown binary operator".into()))
        }

    };
}

macro_rules! unops {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident => $e:expr)),* $(,)?) => {
        /// A unary numeric operator (conversions included).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum UnOp { $(#[doc = stringify!($name)] $name),* }

        /// Every unary operator, in declaration order.
        pub const UN_OPS: &[UnOp] = &[$(UnOp::$name),*];

        impl UnOp {
            /// The operator of a wasmparser operator, if it is a unary numeric one.
            pub fn of(op: &wasmparser::Operator<'_>) -> Option<UnOp> {
                match op {
                    $(wasmparser::Operator::$name => Some(UnOp::$name),)*
                    _ => None,
                }
            }

            /// Whether the operand lives in `fp0`.
            pub const fn float_in(self) -> bool {
                match self { $(UnOp::$name => <$ta as Bits>::FLOAT,)* }
            }

            /// Whether the result lives in `fp0`.
            pub const fn float_out(self) -> bool {
                match self { $(UnOp::$name => <$tr as Bits>::FLOAT,)* }
            }

            /// The result type.
            pub const fn result(self) -> ValType {
                match self { $(UnOp::$name => <$tr as Bits>::TYPE,)* }
            }
        }

        /// Evaluates unary operator number `OP` (a [`UnOp`] as `u16`) on an encoded operand.
        #[inline(always)]
        pub fn eval_un<const OP: u16>(a: u64) -> Result<u64, Trap> {
            $(
                if OP == UnOp::$name as u16 {
                    let $a = <$ta as Bits>::from_u64(a);
                    let r: Result<$tr, Trap> = $e;
                    return r.map(Bits::to_u64);
                }
            )*
            Err(Trap::Host("internal engine error: unknown unary operator".into()))
        }

    };
}

/// Calls `$m!` with the list of binary operators: `(Name, operand type, result type, a, b =>
/// Result<result, Trap>)`.
macro_rules! binop_list {
    ($m:ident) => {
        $m! {
        (I32Eq, i32, i32, a, b => Ok(b32(a == b))),
        (I32Ne, i32, i32, a, b => Ok(b32(a != b))),
        (I32LtS, i32, i32, a, b => Ok(b32(a < b))),
        (I32LtU, i32, i32, a, b => Ok(b32((a as u32) < (b as u32)))),
        (I32GtS, i32, i32, a, b => Ok(b32(a > b))),
        (I32GtU, i32, i32, a, b => Ok(b32((a as u32) > (b as u32)))),
        (I32LeS, i32, i32, a, b => Ok(b32(a <= b))),
        (I32LeU, i32, i32, a, b => Ok(b32((a as u32) <= (b as u32)))),
        (I32GeS, i32, i32, a, b => Ok(b32(a >= b))),
        (I32GeU, i32, i32, a, b => Ok(b32((a as u32) >= (b as u32)))),
        (I64Eq, i64, i32, a, b => Ok(b32(a == b))),
        (I64Ne, i64, i32, a, b => Ok(b32(a != b))),
        (I64LtS, i64, i32, a, b => Ok(b32(a < b))),
        (I64LtU, i64, i32, a, b => Ok(b32((a as u64) < (b as u64)))),
        (I64GtS, i64, i32, a, b => Ok(b32(a > b))),
        (I64GtU, i64, i32, a, b => Ok(b32((a as u64) > (b as u64)))),
        (I64LeS, i64, i32, a, b => Ok(b32(a <= b))),
        (I64LeU, i64, i32, a, b => Ok(b32((a as u64) <= (b as u64)))),
        (I64GeS, i64, i32, a, b => Ok(b32(a >= b))),
        (I64GeU, i64, i32, a, b => Ok(b32((a as u64) >= (b as u64)))),
        (F32Eq, f32, i32, a, b => Ok(b32(a == b))),
        (F32Ne, f32, i32, a, b => Ok(b32(a != b))),
        (F32Lt, f32, i32, a, b => Ok(b32(a < b))),
        (F32Gt, f32, i32, a, b => Ok(b32(a > b))),
        (F32Le, f32, i32, a, b => Ok(b32(a <= b))),
        (F32Ge, f32, i32, a, b => Ok(b32(a >= b))),
        (F64Eq, f64, i32, a, b => Ok(b32(a == b))),
        (F64Ne, f64, i32, a, b => Ok(b32(a != b))),
        (F64Lt, f64, i32, a, b => Ok(b32(a < b))),
        (F64Gt, f64, i32, a, b => Ok(b32(a > b))),
        (F64Le, f64, i32, a, b => Ok(b32(a <= b))),
        (F64Ge, f64, i32, a, b => Ok(b32(a >= b))),
        (I32Add, i32, i32, a, b => Ok(a.wrapping_add(b))),
        (I32Sub, i32, i32, a, b => Ok(a.wrapping_sub(b))),
        (I32Mul, i32, i32, a, b => Ok(a.wrapping_mul(b))),
        (I32DivS, i32, i32, a, b => i32_ops::div_s(a, b)),
        (I32DivU, i32, i32, a, b => i32_ops::div_u(a as u32, b as u32).map(|v| v as i32)),
        (I32RemS, i32, i32, a, b => i32_ops::rem_s(a, b)),
        (I32RemU, i32, i32, a, b => i32_ops::rem_u(a as u32, b as u32).map(|v| v as i32)),
        (I32And, i32, i32, a, b => Ok(a & b)),
        (I32Or, i32, i32, a, b => Ok(a | b)),
        (I32Xor, i32, i32, a, b => Ok(a ^ b)),
        (I32Shl, i32, i32, a, b => Ok(a.wrapping_shl(b as u32))),
        (I32ShrS, i32, i32, a, b => Ok(a.wrapping_shr(b as u32))),
        (I32ShrU, i32, i32, a, b => Ok((a as u32).wrapping_shr(b as u32) as i32)),
        (I32Rotl, i32, i32, a, b => Ok(a.rotate_left(b as u32 % 32))),
        (I32Rotr, i32, i32, a, b => Ok(a.rotate_right(b as u32 % 32))),
        (I64Add, i64, i64, a, b => Ok(a.wrapping_add(b))),
        (I64Sub, i64, i64, a, b => Ok(a.wrapping_sub(b))),
        (I64Mul, i64, i64, a, b => Ok(a.wrapping_mul(b))),
        (I64DivS, i64, i64, a, b => i64_ops::div_s(a, b)),
        (I64DivU, i64, i64, a, b => i64_ops::div_u(a as u64, b as u64).map(|v| v as i64)),
        (I64RemS, i64, i64, a, b => i64_ops::rem_s(a, b)),
        (I64RemU, i64, i64, a, b => i64_ops::rem_u(a as u64, b as u64).map(|v| v as i64)),
        (I64And, i64, i64, a, b => Ok(a & b)),
        (I64Or, i64, i64, a, b => Ok(a | b)),
        (I64Xor, i64, i64, a, b => Ok(a ^ b)),
        (I64Shl, i64, i64, a, b => Ok(a.wrapping_shl(b as u32))),
        (I64ShrS, i64, i64, a, b => Ok(a.wrapping_shr(b as u32))),
        (I64ShrU, i64, i64, a, b => Ok((a as u64).wrapping_shr(b as u32) as i64)),
        (I64Rotl, i64, i64, a, b => Ok(a.rotate_left((b as u64 % 64) as u32))),
        (I64Rotr, i64, i64, a, b => Ok(a.rotate_right((b as u64 % 64) as u32))),
        (F32Add, f32, f32, a, b => Ok(a + b)),
        (F32Sub, f32, f32, a, b => Ok(a - b)),
        (F32Mul, f32, f32, a, b => Ok(a * b)),
        (F32Div, f32, f32, a, b => Ok(a / b)),
        (F32Min, f32, f32, a, b => Ok(f32_ops::min(a, b))),
        (F32Max, f32, f32, a, b => Ok(f32_ops::max(a, b))),
        (F32Copysign, f32, f32, a, b => Ok(f32_bits(f32_ops::copysign, a, b))),
        (F64Add, f64, f64, a, b => Ok(a + b)),
        (F64Sub, f64, f64, a, b => Ok(a - b)),
        (F64Mul, f64, f64, a, b => Ok(a * b)),
        (F64Div, f64, f64, a, b => Ok(a / b)),
        (F64Min, f64, f64, a, b => Ok(f64_ops::min(a, b))),
        (F64Max, f64, f64, a, b => Ok(f64_ops::max(a, b))),
        (F64Copysign, f64, f64, a, b => Ok(f64_bits(f64_ops::copysign, a, b))),
            }
    };
}

binop_list!(binops);

impl BinOp {
    /// Whether this is an integer comparison (`i32.eq` … `i64.ge_u`, the first 20 operators)
    /// that the compiler may fuse with the branch consuming it ([`crate::code::Instr::BrCmp`]).
    pub const fn fusable_compare(self) -> bool {
        (self as u16) <= BinOp::I64GeU as u16
    }

    /// Whether the compiler may fuse this operator (to a slot) with a loop restart right after
    /// it ([`crate::code::Instr::BinContinue`]): the loop-counter steps.
    pub const fn continue_fusable(self) -> bool {
        matches!(
            self,
            BinOp::I32Add | BinOp::I32Sub | BinOp::I64Add | BinOp::I64Sub
        )
    }
}

/// Calls `$m!` with the list of unary operators: `(Name, operand type, result type, a =>
/// Result<result, Trap>)`.
macro_rules! unop_list {
    ($m:ident) => {
        $m! {
        (I32Eqz, i32, i32, a => Ok(b32(a == 0))),
        (I64Eqz, i64, i32, a => Ok(b32(a == 0))),
        (I32Clz, i32, i32, a => Ok(a.leading_zeros() as i32)),
        (I32Ctz, i32, i32, a => Ok(a.trailing_zeros() as i32)),
        (I32Popcnt, i32, i32, a => Ok(a.count_ones() as i32)),
        (I64Clz, i64, i64, a => Ok(i64::from(a.leading_zeros()))),
        (I64Ctz, i64, i64, a => Ok(i64::from(a.trailing_zeros()))),
        (I64Popcnt, i64, i64, a => Ok(i64::from(a.count_ones()))),
        (F32Abs, f32, f32, a => Ok(f32::from_bits(f32_ops::abs(a.to_bits())))),
        (F32Neg, f32, f32, a => Ok(f32::from_bits(f32_ops::neg(a.to_bits())))),
        (F32Ceil, f32, f32, a => Ok(f32_ops::ceil(a))),
        (F32Floor, f32, f32, a => Ok(f32_ops::floor(a))),
        (F32Trunc, f32, f32, a => Ok(f32_ops::trunc(a))),
        (F32Nearest, f32, f32, a => Ok(f32_ops::nearest(a))),
        (F32Sqrt, f32, f32, a => Ok(f32_ops::sqrt(a))),
        (F64Abs, f64, f64, a => Ok(f64::from_bits(f64_ops::abs(a.to_bits())))),
        (F64Neg, f64, f64, a => Ok(f64::from_bits(f64_ops::neg(a.to_bits())))),
        (F64Ceil, f64, f64, a => Ok(f64_ops::ceil(a))),
        (F64Floor, f64, f64, a => Ok(f64_ops::floor(a))),
        (F64Trunc, f64, f64, a => Ok(f64_ops::trunc(a))),
        (F64Nearest, f64, f64, a => Ok(f64_ops::nearest(a))),
        (F64Sqrt, f64, f64, a => Ok(f64_ops::sqrt(a))),
        (I32WrapI64, i64, i32, a => Ok(a as i32)),
        (I32TruncF32S, f32, i32, a => convert::i32_trunc_f32_s(a)),
        (I32TruncF32U, f32, i32, a => convert::i32_trunc_f32_u(a).map(|v| v as i32)),
        (I32TruncF64S, f64, i32, a => convert::i32_trunc_f64_s(a)),
        (I32TruncF64U, f64, i32, a => convert::i32_trunc_f64_u(a).map(|v| v as i32)),
        (I64ExtendI32S, i32, i64, a => Ok(i64::from(a))),
        (I64ExtendI32U, i32, i64, a => Ok(i64::from(a as u32))),
        (I64TruncF32S, f32, i64, a => convert::i64_trunc_f32_s(a)),
        (I64TruncF32U, f32, i64, a => convert::i64_trunc_f32_u(a).map(|v| v as i64)),
        (I64TruncF64S, f64, i64, a => convert::i64_trunc_f64_s(a)),
        (I64TruncF64U, f64, i64, a => convert::i64_trunc_f64_u(a).map(|v| v as i64)),
        (F32ConvertI32S, i32, f32, a => Ok(a as f32)),
        (F32ConvertI32U, i32, f32, a => Ok(a as u32 as f32)),
        (F32ConvertI64S, i64, f32, a => Ok(a as f32)),
        (F32ConvertI64U, i64, f32, a => Ok(a as u64 as f32)),
        (F32DemoteF64, f64, f32, a => Ok(f32_ops::quiet(a as f32))),
        (F64ConvertI32S, i32, f64, a => Ok(f64::from(a))),
        (F64ConvertI32U, i32, f64, a => Ok(f64::from(a as u32))),
        (F64ConvertI64S, i64, f64, a => Ok(a as f64)),
        (F64ConvertI64U, i64, f64, a => Ok(a as u64 as f64)),
        (F64PromoteF32, f32, f64, a => Ok(f64_ops::quiet(f64::from(a)))),
        (I32ReinterpretF32, f32, i32, a => Ok(a.to_bits() as i32)),
        (I64ReinterpretF64, f64, i64, a => Ok(a.to_bits() as i64)),
        (F32ReinterpretI32, i32, f32, a => Ok(f32::from_bits(a as u32))),
        (F64ReinterpretI64, i64, f64, a => Ok(f64::from_bits(a as u64))),
        (I32Extend8S, i32, i32, a => Ok(i32::from(a as i8))),
        (I32Extend16S, i32, i32, a => Ok(i32::from(a as i16))),
        (I64Extend8S, i64, i64, a => Ok(i64::from(a as i8))),
        (I64Extend16S, i64, i64, a => Ok(i64::from(a as i16))),
        (I64Extend32S, i64, i64, a => Ok(i64::from(a as i32))),
        (I32TruncSatF32S, f32, i32, a => Ok(a as i32)),
        (I32TruncSatF32U, f32, i32, a => Ok(a as u32 as i32)),
        (I32TruncSatF64S, f64, i32, a => Ok(a as i32)),
        (I32TruncSatF64U, f64, i32, a => Ok(a as u32 as i32)),
        (I64TruncSatF32S, f32, i64, a => Ok(a as i64)),
        (I64TruncSatF32U, f32, i64, a => Ok(a as u64 as i64)),
        (I64TruncSatF64S, f64, i64, a => Ok(a as i64)),
        (I64TruncSatF64U, f64, i64, a => Ok(a as u64 as i64)),
            }
    };
}

unop_list!(unops);

pub(crate) use binop_list;
pub(crate) use unop_list;
