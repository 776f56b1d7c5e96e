//! Non-trapping binary operators as data, for fused instructions: a fused instruction names its
//! operator with a [`BinOp`] and the executor applies it with [`apply`] on the low halves of
//! slots. Only operators that cannot trap are listed (division and remainder stay unfused).

use crate::translate::instr::Instr;
use baton_runtime::numeric::float::{f32_ops, f64_ops};

/// A non-trapping binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Named after the Wasm instructions.
pub enum BinOp {
    I32Add,
    I32Sub,
    I32Mul,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrS,
    I32ShrU,
    I32Rotl,
    I32Rotr,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I64Add,
    I64Sub,
    I64Mul,
    I64And,
    I64Or,
    I64Xor,
    I64Shl,
    I64ShrS,
    I64ShrU,
    I64Rotl,
    I64Rotr,
    I64Eq,
    I64Ne,
    I64LtS,
    I64LtU,
    I64GtS,
    I64GtU,
    I64LeS,
    I64LeU,
    I64GeS,
    I64GeU,
    F32Add,
    F32Sub,
    F32Mul,
    F32Div,
    F32Min,
    F32Max,
    F32Eq,
    F32Ne,
    F32Lt,
    F32Gt,
    F32Le,
    F32Ge,
    F64Add,
    F64Sub,
    F64Mul,
    F64Div,
    F64Min,
    F64Max,
    F64Eq,
    F64Ne,
    F64Lt,
    F64Gt,
    F64Le,
    F64Ge,
}

impl BinOp {
    /// The operator an instruction applies, if it is a fusable binary operator.
    pub fn of(instr: &Instr) -> Option<BinOp> {
        macro_rules! map {
            ($($name:ident),*) => {
                match instr {
                    $(Instr::$name => Some(BinOp::$name),)*
                    _ => None,
                }
            };
        }
        map!(
            I32Add, I32Sub, I32Mul, I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl,
            I32Rotr, I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
            I64Add, I64Sub, I64Mul, I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl,
            I64Rotr, I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
            F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Eq, F32Ne, F32Lt, F32Gt, F32Le,
            F32Ge, F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Eq, F64Ne, F64Lt, F64Gt,
            F64Le, F64Ge
        )
    }

    /// Whether the operands are 64-bit integers (an `i32`-sized constant is sign-extended).
    pub fn is_i64(self) -> bool {
        matches!(
            self,
            BinOp::I64Add
                | BinOp::I64Sub
                | BinOp::I64Mul
                | BinOp::I64And
                | BinOp::I64Or
                | BinOp::I64Xor
                | BinOp::I64Shl
                | BinOp::I64ShrS
                | BinOp::I64ShrU
                | BinOp::I64Rotl
                | BinOp::I64Rotr
                | BinOp::I64Eq
                | BinOp::I64Ne
                | BinOp::I64LtS
                | BinOp::I64LtU
                | BinOp::I64GtS
                | BinOp::I64GtU
                | BinOp::I64LeS
                | BinOp::I64LeU
                | BinOp::I64GeS
                | BinOp::I64GeU
        )
    }
}

/// Applies `op` to two slot low halves; the result is a slot low half.
#[inline(always)]
pub fn apply(op: BinOp, a: u64, b: u64) -> u64 {
    let (a32, b32) = (a as u32, b as u32);
    let f32r = |v: f32| u64::from(v.to_bits());
    macro_rules! fa {
        () => {
            f32::from_bits(a32)
        };
    }
    macro_rules! fb {
        () => {
            f32::from_bits(b32)
        };
    }
    macro_rules! da {
        () => {
            f64::from_bits(a)
        };
    }
    macro_rules! db {
        () => {
            f64::from_bits(b)
        };
    }
    match op {
        BinOp::I32Add => u64::from(a32.wrapping_add(b32)),
        BinOp::I32Sub => u64::from(a32.wrapping_sub(b32)),
        BinOp::I32Mul => u64::from(a32.wrapping_mul(b32)),
        BinOp::I32And => u64::from(a32 & b32),
        BinOp::I32Or => u64::from(a32 | b32),
        BinOp::I32Xor => u64::from(a32 ^ b32),
        BinOp::I32Shl => u64::from(a32.wrapping_shl(b32)),
        BinOp::I32ShrS => u64::from((a32 as i32).wrapping_shr(b32) as u32),
        BinOp::I32ShrU => u64::from(a32.wrapping_shr(b32)),
        BinOp::I32Rotl => u64::from(a32.rotate_left(b32 % 32)),
        BinOp::I32Rotr => u64::from(a32.rotate_right(b32 % 32)),
        BinOp::I32Eq => u64::from(a32 == b32),
        BinOp::I32Ne => u64::from(a32 != b32),
        BinOp::I32LtS => u64::from((a32 as i32) < (b32 as i32)),
        BinOp::I32LtU => u64::from(a32 < b32),
        BinOp::I32GtS => u64::from((a32 as i32) > (b32 as i32)),
        BinOp::I32GtU => u64::from(a32 > b32),
        BinOp::I32LeS => u64::from((a32 as i32) <= (b32 as i32)),
        BinOp::I32LeU => u64::from(a32 <= b32),
        BinOp::I32GeS => u64::from((a32 as i32) >= (b32 as i32)),
        BinOp::I32GeU => u64::from(a32 >= b32),
        BinOp::I64Add => a.wrapping_add(b),
        BinOp::I64Sub => a.wrapping_sub(b),
        BinOp::I64Mul => a.wrapping_mul(b),
        BinOp::I64And => a & b,
        BinOp::I64Or => a | b,
        BinOp::I64Xor => a ^ b,
        BinOp::I64Shl => a.wrapping_shl(b as u32),
        BinOp::I64ShrS => (a as i64).wrapping_shr(b as u32) as u64,
        BinOp::I64ShrU => a.wrapping_shr(b as u32),
        BinOp::I64Rotl => a.rotate_left((b % 64) as u32),
        BinOp::I64Rotr => a.rotate_right((b % 64) as u32),
        BinOp::I64Eq => u64::from(a == b),
        BinOp::I64Ne => u64::from(a != b),
        BinOp::I64LtS => u64::from((a as i64) < (b as i64)),
        BinOp::I64LtU => u64::from(a < b),
        BinOp::I64GtS => u64::from((a as i64) > (b as i64)),
        BinOp::I64GtU => u64::from(a > b),
        BinOp::I64LeS => u64::from((a as i64) <= (b as i64)),
        BinOp::I64LeU => u64::from(a <= b),
        BinOp::I64GeS => u64::from((a as i64) >= (b as i64)),
        BinOp::I64GeU => u64::from(a >= b),
        BinOp::F32Add => f32r(fa!() + fb!()),
        BinOp::F32Sub => f32r(fa!() - fb!()),
        BinOp::F32Mul => f32r(fa!() * fb!()),
        BinOp::F32Div => f32r(fa!() / fb!()),
        BinOp::F32Min => f32r(f32_ops::min(fa!(), fb!())),
        BinOp::F32Max => f32r(f32_ops::max(fa!(), fb!())),
        BinOp::F32Eq => u64::from(fa!() == fb!()),
        BinOp::F32Ne => u64::from(fa!() != fb!()),
        BinOp::F32Lt => u64::from(fa!() < fb!()),
        BinOp::F32Gt => u64::from(fa!() > fb!()),
        BinOp::F32Le => u64::from(fa!() <= fb!()),
        BinOp::F32Ge => u64::from(fa!() >= fb!()),
        BinOp::F64Add => (da!() + db!()).to_bits(),
        BinOp::F64Sub => (da!() - db!()).to_bits(),
        BinOp::F64Mul => (da!() * db!()).to_bits(),
        BinOp::F64Div => (da!() / db!()).to_bits(),
        BinOp::F64Min => f64_ops::min(da!(), db!()).to_bits(),
        BinOp::F64Max => f64_ops::max(da!(), db!()).to_bits(),
        BinOp::F64Eq => u64::from(da!() == db!()),
        BinOp::F64Ne => u64::from(da!() != db!()),
        BinOp::F64Lt => u64::from(da!() < db!()),
        BinOp::F64Gt => u64::from(da!() > db!()),
        BinOp::F64Le => u64::from(da!() <= db!()),
        BinOp::F64Ge => u64::from(da!() >= db!()),
    }
}

/// A unary operator fused with a `local.get` operand ([`Instr::UnLocal`]): the common
/// non-trapping conversions and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Named after the Wasm instructions.
pub enum UnOp {
    I32Eqz,
    I64Eqz,
    I32WrapI64,
    I64ExtendI32S,
    I64ExtendI32U,
    F32ConvertI32S,
    F32ConvertI32U,
    F64ConvertI32S,
    F64ConvertI32U,
    F64ConvertI64S,
    F64PromoteF32,
    F32DemoteF64,
}

impl UnOp {
    /// The operator an instruction applies, if it is a fusable unary operator.
    pub fn of(instr: &Instr) -> Option<UnOp> {
        macro_rules! map {
            ($($name:ident),*) => {
                match instr {
                    $(Instr::$name => Some(UnOp::$name),)*
                    _ => None,
                }
            };
        }
        map!(
            I32Eqz,
            I64Eqz,
            I32WrapI64,
            I64ExtendI32S,
            I64ExtendI32U,
            F32ConvertI32S,
            F32ConvertI32U,
            F64ConvertI32S,
            F64ConvertI32U,
            F64ConvertI64S,
            F64PromoteF32,
            F32DemoteF64
        )
    }
}

/// Applies a unary operator to a slot low half.
#[inline(always)]
pub fn apply_unary(op: UnOp, a: u64) -> u64 {
    let a32 = a as u32;
    match op {
        UnOp::I32Eqz => u64::from(a32 == 0),
        UnOp::I64Eqz => u64::from(a == 0),
        UnOp::I32WrapI64 => u64::from(a32),
        UnOp::I64ExtendI32S => i64::from(a32 as i32) as u64,
        UnOp::I64ExtendI32U => u64::from(a32),
        UnOp::F32ConvertI32S => u64::from((a32 as i32 as f32).to_bits()),
        UnOp::F32ConvertI32U => u64::from((a32 as f32).to_bits()),
        UnOp::F64ConvertI32S => f64::from(a32 as i32).to_bits(),
        UnOp::F64ConvertI32U => f64::from(a32).to_bits(),
        UnOp::F64ConvertI64S => (a as i64 as f64).to_bits(),
        UnOp::F64PromoteF32 => f64::from(f32::from_bits(a32)).to_bits(),
        UnOp::F32DemoteF64 => u64::from((f64::from_bits(a) as f32).to_bits()),
    }
}
