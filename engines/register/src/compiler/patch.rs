//! Instruction rewriting used by the translator: retargeting destinations (`local.set` after a
//! result-producing instruction), patching branch targets, and fusing a compare with the branch
//! that consumes it; plus the operator-to-instruction tables for numeric operators.
//!
//! Invariant: every rewrite preserves the instruction's semantics except for the field changed;
//! fusion is only offered for compares whose result is consumed by the branch alone.

use wasmparser::{Operator, ValType};

use crate::code::Instr;
use crate::ops::for_each_numeric;

/// How a numeric operator is compiled.
#[derive(Clone, Copy)]
pub enum Numeric {
    /// `dst = a op b`.
    Binary {
        /// Builds the instruction from `(dst, a, b)`.
        make: fn(u16, u16, u16) -> Instr,
        /// Result type.
        result: ValType,
        /// The fused variant taking the right operand as an immediate, if any.
        imm: Option<fn(u16, u16, i32) -> Instr>,
    },
    /// `dst = op a`.
    Unary {
        /// Builds the instruction from `(dst, a)`.
        make: fn(u16, u16) -> Instr,
        /// Result type.
        result: ValType,
    },
}

macro_rules! define_tables {
    (
        binary: [$(($bn:ident, $bi:ty, $bo:ty, $bvi:ident, $bvo:ident, $ba:ident, $bb:ident => $be:expr)),* $(,)?],
        binary_trap: [$(($tn:ident, $ti:ty, $to:ty, $tvi:ident, $tvo:ident, $ta:ident, $tb:ident => $te:expr)),* $(,)?],
        unary: [$(($un:ident, $ui:ty, $uo:ty, $uvi:ident, $uvo:ident, $ua:ident => $ue:expr)),* $(,)?],
        unary_trap: [$(($vn:ident, $vi:ty, $vo:ty, $vvi:ident, $vvo:ident, $va:ident => $ve:expr)),* $(,)?],
        imm: [$(($in:ident, $iname:ident, $it:ty, $ia:ident, $ib:ident => $ie:expr)),* $(,)?],
        cmp_branch: [$(($cn:ident, $cif:ident, $cunless:ident, $ct:ty, $ca:ident, $cb:ident => $ce:expr)),* $(,)?],
        eqz_branch: [$(($en:ident, $eif:ident, $eunless:ident, $et:ty)),* $(,)?],
    ) => {
        /// The numeric compilation of `op`, if it is a numeric operator.
        pub fn numeric(op: &Operator<'_>) -> Option<Numeric> {
            Some(match op {
                $(Operator::$bn => Numeric::Binary {
                    make: Instr::$bn,
                    result: ValType::$bvo,
                    imm: immediate(op),
                },)*
                $(Operator::$tn => Numeric::Binary {
                    make: Instr::$tn,
                    result: ValType::$tvo,
                    imm: None,
                },)*
                $(Operator::$un => Numeric::Unary {
                    make: Instr::$un,
                    result: ValType::$uvo,
                },)*
                $(Operator::$vn => Numeric::Unary {
                    make: Instr::$vn,
                    result: ValType::$vvo,
                },)*
                _ => return None,
            })
        }

        fn immediate(op: &Operator<'_>) -> Option<fn(u16, u16, i32) -> Instr> {
            match op {
                $(Operator::$in => Some(Instr::$iname),)*
                _ => None,
            }
        }

        /// The destination cell of a result-producing instruction, for retargeting.
        pub fn dst_mut(instr: &mut Instr) -> Option<&mut u16> {
            match instr {
                $(Instr::$bn(dst, _, _) => Some(dst),)*
                $(Instr::$tn(dst, _, _) => Some(dst),)*
                $(Instr::$un(dst, _) => Some(dst),)*
                $(Instr::$vn(dst, _) => Some(dst),)*
                $(Instr::$iname(dst, _, _) => Some(dst),)*
                Instr::LoadI32(dst, _, _)
                | Instr::LoadI64(dst, _, _)
                | Instr::LoadI32S8(dst, _, _)
                | Instr::LoadI32U8(dst, _, _)
                | Instr::LoadI32S16(dst, _, _)
                | Instr::LoadI32U16(dst, _, _)
                | Instr::LoadI64S8(dst, _, _)
                | Instr::LoadI64U8(dst, _, _)
                | Instr::LoadI64S16(dst, _, _)
                | Instr::LoadI64U16(dst, _, _)
                | Instr::LoadI64S32(dst, _, _)
                | Instr::LoadI64U32(dst, _, _)
                | Instr::Select1(dst, _, _, _)
                | Instr::Select2(dst, _, _, _)
                | Instr::GlobalGet(dst, _)
                | Instr::RefIsNull(dst, _)
                | Instr::MemorySize(dst) => Some(dst),
                _ => None,
            }
        }

        /// The fused branch replacing a compare followed by `br_if` (`when_true`) or `if`
        /// (`!when_true`), if the compare has a fused form.
        pub fn fuse_branch(instr: Instr, target: u32, when_true: bool) -> Option<Instr> {
            Some(match instr {
                $(Instr::$cn(_, a, b) => if when_true {
                    Instr::$cif(a, b, target)
                } else {
                    Instr::$cunless(a, b, target)
                },)*
                $(Instr::$en(_, a) => if when_true {
                    Instr::$eif(a, target)
                } else {
                    Instr::$eunless(a, target)
                },)*
                _ => return None,
            })
        }

        /// For an instruction with a fused immediate: the immediate and the plain register form
        /// reading the immediate from cell `cell` instead (used to re-fuse a compare with a
        /// branch).
        pub fn unfuse_immediate(instr: Instr, cell: impl Fn(i32) -> Option<u16>) -> Option<Instr> {
            match instr {
                $(Instr::$iname(dst, a, imm) => Some(Instr::$in(dst, a, cell(imm)?)),)*
                _ => None,
            }
        }

        /// Sets the target of a branch instruction; `false` if `instr` has none.
        pub fn set_target(instr: &mut Instr, target: u32) -> bool {
            match instr {
                Instr::Br(t)
                | Instr::BrCopy(_, t)
                | Instr::BrIf(_, t)
                | Instr::BrUnless(_, t)
                | Instr::BrIfCopy(_, _, t) => *t = target,
                $(Instr::$cif(_, _, t) | Instr::$cunless(_, _, t) => *t = target,)*
                $(Instr::$eif(_, t) | Instr::$eunless(_, t) => *t = target,)*
                _ => return false,
            }
            true
        }
    };
}

for_each_numeric!(define_tables);
