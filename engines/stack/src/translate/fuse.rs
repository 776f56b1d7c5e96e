//! Superinstructions: a peephole pass that gives each instruction position an alternative,
//! fused instruction covering a short run of original instructions starting there.
//!
//! The original vector is kept unchanged (positions, offsets and the image mapping never see
//! fused instructions). The executor dispatches the fused vector when no boundary inside a run
//! needs attention (no `any` events requested and no resume skips pending), and the original
//! vector otherwise. Fusion is sound because a fused run contains no event site (no call, `loop`,
//! or branch except a final `br_if`), no trapping operator, and no branch target except its
//! first position — and even a target inside a run is harmless, since every position has its own
//! entry in the fused vector. A fused instruction whose shape and operator have a specialized
//! form (`translate::special`) is stored in that form.

use crate::translate::binop::{BinOp, UnOp};
use crate::translate::instr::{Instr, LoadKind};
use crate::translate::special::{generic, specialize};

/// A constant's slot low half.
fn const_slot(instr: &Instr) -> Option<u64> {
    match *instr {
        Instr::I32Const(v) => Some(u64::from(v as u32)),
        Instr::I64Const(v) => Some(v as u64),
        Instr::F32Const(bits) => Some(u64::from(bits)),
        Instr::F64Const(bits) => Some(bits),
        _ => None,
    }
}

/// An integer constant that fits `i32` for an integer operator of the matching width.
fn small_const(instr: &Instr, op: BinOp) -> Option<i32> {
    match (*instr, op.is_i64()) {
        (Instr::I32Const(v), false) if !is_float(op) => Some(v),
        (Instr::I64Const(v), true) => i32::try_from(v).ok(),
        _ => None,
    }
}

fn is_float(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::F32Add
            | BinOp::F32Sub
            | BinOp::F32Mul
            | BinOp::F32Div
            | BinOp::F32Min
            | BinOp::F32Max
            | BinOp::F32Eq
            | BinOp::F32Ne
            | BinOp::F32Lt
            | BinOp::F32Gt
            | BinOp::F32Le
            | BinOp::F32Ge
            | BinOp::F64Add
            | BinOp::F64Sub
            | BinOp::F64Mul
            | BinOp::F64Div
            | BinOp::F64Min
            | BinOp::F64Max
            | BinOp::F64Eq
            | BinOp::F64Ne
            | BinOp::F64Lt
            | BinOp::F64Gt
            | BinOp::F64Le
            | BinOp::F64Ge
    )
}

/// The fused instruction starting at `at`, if a pattern matches there.
fn fuse_at(instrs: &[Instr], at: usize, nested: bool) -> Option<Instr> {
    let window = instrs.get(at..).unwrap_or_default();
    let first = *window.first()?;
    let second = window.get(1).copied();
    let third = window.get(2).copied();
    let fourth = window.get(3).copied();
    // Distances: the first local.get is at the run's start; a second one (one slot higher) is
    // rebased by one; a local.set after the operator (value on top) likewise.
    match (first, second) {
        (Instr::LocalGet(a), Some(Instr::LocalGet(b))) => {
            let b = b.wrapping_sub(1);
            let Some(op) = third.as_ref().and_then(BinOp::of) else {
                // Two plain gets, unless the second starts a longer run of its own.
                // (One level only: `nested` stops the look-ahead so chains of gets cannot recurse.)
                let next_span = if nested {
                    1
                } else {
                    fuse_at(instrs, at + 1, true).map_or(1, |next| span(&next))
                };
                return (next_span < 3).then_some(Instr::LocalGet2 { a, b });
            };
            Some(match fourth {
                Some(Instr::LocalSet(d)) => Instr::BinLocalLocalSet {
                    op,
                    a,
                    b,
                    d: d.wrapping_sub(1),
                },
                Some(Instr::BrIf(jump)) => Instr::BrIfLocalLocal { op, a, b, jump },
                _ => Instr::BinLocalLocal { op, a, b },
            })
        }
        (Instr::LocalGet(a), Some(constant)) if const_slot(&constant).is_some() => {
            let op = BinOp::of(&third?)?;
            let small = small_const(&constant, op);
            Some(match (fourth, small) {
                (Some(Instr::LocalSet(d)), Some(c)) => Instr::BinLocalConstSet {
                    op,
                    a,
                    c,
                    d: d.wrapping_sub(1),
                },
                (Some(Instr::BrIf(jump)), Some(c)) => Instr::BrIfLocalConst { op, a, c, jump },
                (Some(next), Some(c)) if BinOp::of(&next).is_some() => Instr::BinLocalConstBin {
                    op,
                    outer: BinOp::of(&next)?,
                    a,
                    c,
                },
                _ => Instr::BinLocalConst {
                    op,
                    a,
                    c: const_slot(&constant)?,
                },
            })
        }
        (Instr::LocalGet(b), Some(next)) => {
            if let Some((kind, offset)) = LoadKind::of(&next) {
                let a = b;
                return Some(match third {
                    Some(Instr::LocalSet(d)) => Instr::LoadLocalSet {
                        kind,
                        a,
                        offset,
                        d: d.wrapping_sub(1),
                    },
                    Some(operator) if BinOp::of(&operator).is_some() => Instr::LoadLocalBin {
                        kind,
                        op: BinOp::of(&operator)?,
                        a,
                        offset,
                    },
                    _ => Instr::LoadLocal { kind, a, offset },
                });
            }
            if let Some(un) = UnOp::of(&next) {
                let op = third.as_ref().and_then(BinOp::of);
                return Some(match (op, fourth) {
                    (Some(op), Some(Instr::LocalSet(d))) => Instr::UnLocalBinSet { un, op, b, d },
                    _ => Instr::UnLocal { op: un, a: b },
                });
            }
            let op = BinOp::of(&next)?;
            Some(match third {
                Some(Instr::LocalSet(d)) => Instr::BinLocalSet { op, b, d },
                _ => Instr::BinLocal { op, b },
            })
        }
        (constant, Some(Instr::LocalGet(b))) => Some(Instr::BinConstLocal {
            op: BinOp::of(&third?)?,
            c: const_slot(&constant)?,
            b: b.wrapping_sub(1),
        }),
        (constant, Some(next)) if const_slot(&constant).is_some() => Some(Instr::BinConst {
            op: BinOp::of(&next)?,
            c: const_slot(&constant)?,
        }),
        (operator, Some(Instr::LocalSet(d))) => Some(Instr::BinSet {
            op: BinOp::of(&operator)?,
            d: d.wrapping_add(1),
        }),
        (unary, Some(operator)) if UnOp::of(&unary).is_some() => match third {
            Some(Instr::LocalSet(d)) => Some(Instr::UnBinSet {
                un: UnOp::of(&unary)?,
                op: BinOp::of(&operator)?,
                d: d.wrapping_add(1),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// How many original instructions a (fused or specialized) instruction covers.
pub fn span(instr: &Instr) -> usize {
    match generic(*instr) {
        Instr::BinLocalLocalSet { .. }
        | Instr::BinLocalConstSet { .. }
        | Instr::BrIfLocalLocal { .. }
        | Instr::BrIfLocalConst { .. }
        | Instr::BinLocalConstBin { .. }
        | Instr::UnLocalBinSet { .. } => 4,
        Instr::BinLocalLocal { .. }
        | Instr::BinLocalConst { .. }
        | Instr::BinLocalSet { .. }
        | Instr::BinConstLocal { .. }
        | Instr::LoadLocalSet { .. }
        | Instr::LoadLocalBin { .. }
        | Instr::UnBinSet { .. } => 3,
        Instr::BinConst { .. }
        | Instr::BinLocal { .. }
        | Instr::BinSet { .. }
        | Instr::UnLocal { .. }
        | Instr::LoadLocal { .. }
        | Instr::LocalGet2 { .. } => 2,
        _ => 1,
    }
}

/// The fused vector: position `i` holds the superinstruction starting at `i` (specialized when
/// `translate::special` has a form for it), or `instrs[i]`.
pub fn fuse(instrs: &[Instr]) -> Vec<Instr> {
    instrs
        .iter()
        .enumerate()
        .map(|(at, original)| fuse_at(instrs, at, false).map_or(*original, specialize))
        .collect()
}
