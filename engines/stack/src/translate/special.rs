//! Specialized superinstructions: a fused shape whose operator is part of the opcode.
//!
//! A generic fused instruction (e.g. [`Instr::BrIfLocalLocal`]) names its operator with a
//! [`BinOp`] (and maybe a [`UnOp`]), so executing it takes two or three dispatches: the
//! instruction, then each operator. For the
//! shapes and operators that dominate loops, the fused vector holds a variant with the operator
//! fixed instead, executed with one dispatch:
//! - the fused `br_if` shapes (`local.get; local.get|const; <cmp>; br_if`) with the ten `i32`
//!   comparisons (loop and branch conditions);
//! - the local update `local.get; const; <op>; local.set` with `add` and `sub` of either width
//!   (induction variables, pointer bumps);
//! - the widening accumulation `i64.extend_i32_{u,s}; i64.add; local.set` (the extended value a
//!   local or the stack top), i.e. 64-bit sums of 32-bit values.
//!
//! Invariant: [`generic`] is the inverse of [`specialize`]; a specialized instruction means
//! exactly its generic form (same span, same operands), which is how the translator's checks
//! and the tests treat it. The executor runs both with the same code, the operator a constant.

use crate::translate::binop::{BinOp, UnOp};
use crate::translate::instr::Instr;

macro_rules! specials {
    ($($special:ident = $shape:ident { $($field:ident),* } { $($key:ident: $value:path),* };)*) => {
        /// The specialized form of a fused instruction, or the instruction itself.
        pub fn specialize(instr: Instr) -> Instr {
            match instr {
                $(Instr::$shape { $($key: $value,)* $($field),* } => Instr::$special { $($field),* },)*
                other => other,
            }
        }

        /// The generic fused form of a specialized instruction, or the instruction itself.
        pub fn generic(instr: Instr) -> Instr {
            match instr {
                $(Instr::$special { $($field),* } => Instr::$shape { $($key: $value,)* $($field),* },)*
                other => other,
            }
        }
    };
}

specials! {
    BrIfLocalLocalI32Eq = BrIfLocalLocal { a, b, jump } { op: BinOp::I32Eq };
    BrIfLocalLocalI32Ne = BrIfLocalLocal { a, b, jump } { op: BinOp::I32Ne };
    BrIfLocalLocalI32LtS = BrIfLocalLocal { a, b, jump } { op: BinOp::I32LtS };
    BrIfLocalLocalI32LtU = BrIfLocalLocal { a, b, jump } { op: BinOp::I32LtU };
    BrIfLocalLocalI32GtS = BrIfLocalLocal { a, b, jump } { op: BinOp::I32GtS };
    BrIfLocalLocalI32GtU = BrIfLocalLocal { a, b, jump } { op: BinOp::I32GtU };
    BrIfLocalLocalI32LeS = BrIfLocalLocal { a, b, jump } { op: BinOp::I32LeS };
    BrIfLocalLocalI32LeU = BrIfLocalLocal { a, b, jump } { op: BinOp::I32LeU };
    BrIfLocalLocalI32GeS = BrIfLocalLocal { a, b, jump } { op: BinOp::I32GeS };
    BrIfLocalLocalI32GeU = BrIfLocalLocal { a, b, jump } { op: BinOp::I32GeU };
    BrIfLocalConstI32Eq = BrIfLocalConst { a, c, jump } { op: BinOp::I32Eq };
    BrIfLocalConstI32Ne = BrIfLocalConst { a, c, jump } { op: BinOp::I32Ne };
    BrIfLocalConstI32LtS = BrIfLocalConst { a, c, jump } { op: BinOp::I32LtS };
    BrIfLocalConstI32LtU = BrIfLocalConst { a, c, jump } { op: BinOp::I32LtU };
    BrIfLocalConstI32GtS = BrIfLocalConst { a, c, jump } { op: BinOp::I32GtS };
    BrIfLocalConstI32GtU = BrIfLocalConst { a, c, jump } { op: BinOp::I32GtU };
    BrIfLocalConstI32LeS = BrIfLocalConst { a, c, jump } { op: BinOp::I32LeS };
    BrIfLocalConstI32LeU = BrIfLocalConst { a, c, jump } { op: BinOp::I32LeU };
    BrIfLocalConstI32GeS = BrIfLocalConst { a, c, jump } { op: BinOp::I32GeS };
    BrIfLocalConstI32GeU = BrIfLocalConst { a, c, jump } { op: BinOp::I32GeU };
    BinLocalConstSetI32Add = BinLocalConstSet { a, c, d } { op: BinOp::I32Add };
    BinLocalConstSetI32Sub = BinLocalConstSet { a, c, d } { op: BinOp::I32Sub };
    BinLocalConstSetI64Add = BinLocalConstSet { a, c, d } { op: BinOp::I64Add };
    BinLocalConstSetI64Sub = BinLocalConstSet { a, c, d } { op: BinOp::I64Sub };
    UnBinSetI64AddExtendU = UnBinSet { d } { un: UnOp::I64ExtendI32U, op: BinOp::I64Add };
    UnBinSetI64AddExtendS = UnBinSet { d } { un: UnOp::I64ExtendI32S, op: BinOp::I64Add };
    UnLocalBinSetI64AddExtendU = UnLocalBinSet { b, d } { un: UnOp::I64ExtendI32U, op: BinOp::I64Add };
    UnLocalBinSetI64AddExtendS = UnLocalBinSet { b, d } { un: UnOp::I64ExtendI32S, op: BinOp::I64Add };
}
