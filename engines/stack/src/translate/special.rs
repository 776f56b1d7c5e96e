//! Specialized superinstructions: a fused shape whose operator is part of the opcode.
//!
//! A generic fused instruction (e.g. [`Instr::BrIfLocalLocal`]) names its operator with a
//! [`BinOp`], so executing it takes two dispatches: the instruction, then the operator. For the
//! shapes and operators that dominate loops, the fused vector holds a variant with the operator
//! fixed instead, executed with one dispatch:
//! - the fused `br_if` shapes (`local.get; local.get|const; <cmp>; br_if`) with the ten `i32`
//!   comparisons (loop and branch conditions);
//! - the local update `local.get; const; <op>; local.set` with `add` and `sub` of either width
//!   (induction variables, pointer bumps).
//!
//! Invariant: [`generic`] is the inverse of [`specialize`]; a specialized instruction means
//! exactly its generic form (same span, same operands), which is how the translator's checks
//! and the tests treat it. The executor runs both with the same code, the operator a constant.

use crate::translate::binop::BinOp;
use crate::translate::instr::Instr;

macro_rules! specials {
    ($($special:ident = $shape:ident { $($field:ident),* } $op:ident;)*) => {
        /// The specialized form of a fused instruction, or the instruction itself.
        pub fn specialize(instr: Instr) -> Instr {
            match instr {
                $(Instr::$shape { op: BinOp::$op, $($field),* } => Instr::$special { $($field),* },)*
                other => other,
            }
        }

        /// The generic fused form of a specialized instruction, or the instruction itself.
        pub fn generic(instr: Instr) -> Instr {
            match instr {
                $(Instr::$special { $($field),* } => Instr::$shape { op: BinOp::$op, $($field),* },)*
                other => other,
            }
        }
    };
}

specials! {
    BrIfLocalLocalI32Eq = BrIfLocalLocal { a, b, jump } I32Eq;
    BrIfLocalLocalI32Ne = BrIfLocalLocal { a, b, jump } I32Ne;
    BrIfLocalLocalI32LtS = BrIfLocalLocal { a, b, jump } I32LtS;
    BrIfLocalLocalI32LtU = BrIfLocalLocal { a, b, jump } I32LtU;
    BrIfLocalLocalI32GtS = BrIfLocalLocal { a, b, jump } I32GtS;
    BrIfLocalLocalI32GtU = BrIfLocalLocal { a, b, jump } I32GtU;
    BrIfLocalLocalI32LeS = BrIfLocalLocal { a, b, jump } I32LeS;
    BrIfLocalLocalI32LeU = BrIfLocalLocal { a, b, jump } I32LeU;
    BrIfLocalLocalI32GeS = BrIfLocalLocal { a, b, jump } I32GeS;
    BrIfLocalLocalI32GeU = BrIfLocalLocal { a, b, jump } I32GeU;
    BrIfLocalConstI32Eq = BrIfLocalConst { a, c, jump } I32Eq;
    BrIfLocalConstI32Ne = BrIfLocalConst { a, c, jump } I32Ne;
    BrIfLocalConstI32LtS = BrIfLocalConst { a, c, jump } I32LtS;
    BrIfLocalConstI32LtU = BrIfLocalConst { a, c, jump } I32LtU;
    BrIfLocalConstI32GtS = BrIfLocalConst { a, c, jump } I32GtS;
    BrIfLocalConstI32GtU = BrIfLocalConst { a, c, jump } I32GtU;
    BrIfLocalConstI32LeS = BrIfLocalConst { a, c, jump } I32LeS;
    BrIfLocalConstI32LeU = BrIfLocalConst { a, c, jump } I32LeU;
    BrIfLocalConstI32GeS = BrIfLocalConst { a, c, jump } I32GeS;
    BrIfLocalConstI32GeU = BrIfLocalConst { a, c, jump } I32GeU;
    BinLocalConstSetI32Add = BinLocalConstSet { a, c, d } I32Add;
    BinLocalConstSetI32Sub = BinLocalConstSet { a, c, d } I32Sub;
    BinLocalConstSetI64Add = BinLocalConstSet { a, c, d } I64Add;
    BinLocalConstSetI64Sub = BinLocalConstSet { a, c, d } I64Sub;
}
