//! The check that lets handlers read and write frame slots without a bounds check: every slot
//! immediate of every op whose handler accesses slots through `get!`/`set!` is below the
//! function's frame size. [`crate::module::FuncCode::new`] refuses code that fails it (only a
//! compiler bug could), so every lowered function's slot accesses are in bounds of a frame of
//! at least `frame_size` slots — which is what every activation runs with.
//!
//! The check is exact about layouts: each such op must have exactly the number of immediates
//! its handler reads, and every immediate that is not an offset, a branch target or a loop
//! restart operand is checked as a slot.

use crate::code::{Instr, Shape1, Shape2, Word};
use crate::values::Class;

/// For an op whose handler accesses slots: `(immediates, leading non-slots, trailing
/// non-slots)`; every immediate in between is a slot. `None` for the other ops.
fn slot_layout(instr: Instr) -> Option<(usize, usize, usize)> {
    let two = |shape: Shape2| if shape == Shape2::SS { 2 } else { 1 };
    let one = |shape: Shape1| usize::from(shape == Shape1::S);
    Some(match instr {
        Instr::Bin(_, shape, to_slot) => (two(shape) + usize::from(to_slot), 0, 0),
        Instr::BinContinue(_, shape) => (two(shape) + 3, 0, 2),
        Instr::Un(_, shape, to_slot) => (one(shape) + usize::from(to_slot), 0, 0),
        Instr::Spill(_) => (1, 0, 0),
        Instr::Copy => (2, 0, 0),
        Instr::BrCmp(_, shape, _) => (two(shape) + 1, 0, 1),
        Instr::BrCmpBreak(_, shape) => (two(shape) + 2, 0, 2),
        Instr::BrIf(shape) | Instr::BrUnless(shape) => (one(shape) + 1, 0, 1),
        Instr::Select(class) => (3 + usize::from(class == Class::Ref), 0, 0),
        Instr::Load(_, shape, to_slot) => (1 + one(shape) + usize::from(to_slot), 1, 0),
        Instr::Store(_, shape) => {
            let slots = match shape {
                Shape2::SS => 2,
                Shape2::RS | Shape2::SR => 1,
                Shape2::RR => 0,
            };
            (1 + slots, 1, 0)
        }
        _ => return None,
    })
}

/// Checks that every slot immediate of every op with unchecked slot accesses is below
/// `frame_size` and that those ops have exactly their immediates; the error names the first
/// offending code position.
pub fn check_slots(code: &[Word], frame_size: usize) -> Result<(), String> {
    for (at, word) in code.iter().enumerate() {
        let Word::Op(instr) = *word else { continue };
        let Some((count, lead, trail)) = slot_layout(instr) else {
            continue;
        };
        let imms = code[at + 1..]
            .iter()
            .take_while(|w| matches!(w, Word::Imm(_)))
            .count();
        if imms != count {
            return Err(format!(
                "op {instr:?} at {at} has {imms} immediates, its handler reads {count}"
            ));
        }
        for k in lead..count - trail {
            let Some(Word::Imm(slot)) = code.get(at + 1 + k) else {
                return Err(format!("op {instr:?} at {at}: missing immediate {k}"));
            };
            if *slot >= frame_size as u64 {
                return Err(format!(
                    "op {instr:?} at {at}: slot {slot} outside the frame of {frame_size} slots"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::LoadKind;
    use crate::ops::BinOp;

    fn bin(a: u64, b: u64, dst: u64) -> Vec<Word> {
        vec![
            Word::Op(Instr::Bin(BinOp::I32Add, Shape2::SS, true)),
            Word::Imm(a),
            Word::Imm(b),
            Word::Imm(dst),
            Word::Op(Instr::Copy),
            Word::Imm(0),
            Word::Imm(1),
        ]
    }

    #[test]
    fn slots_inside_the_frame_pass_and_any_outside_is_refused() {
        assert_eq!(check_slots(&bin(0, 1, 2), 3), Ok(()));
        for code in [bin(3, 1, 2), bin(0, 3, 2), bin(0, 1, 3)] {
            let error = check_slots(&code, 3).expect_err("slot 3 of a 3-slot frame");
            assert!(error.contains("slot 3 outside"), "{error}");
        }
    }

    #[test]
    fn offsets_and_targets_are_not_slots_but_missing_immediates_are_refused() {
        let load = vec![
            Word::Op(Instr::Load(LoadKind::I32, Shape1::S, true)),
            Word::Imm(1 << 20),
            Word::Imm(1),
            Word::Imm(2),
        ];
        assert_eq!(check_slots(&load, 3), Ok(()), "the offset is no slot");
        let branch = vec![
            Word::Op(Instr::BrCmp(BinOp::I32LtU, Shape2::SS, true)),
            Word::Imm(0),
            Word::Imm(1),
            Word::Imm(500),
        ];
        assert_eq!(check_slots(&branch, 3), Ok(()), "the target is no slot");
        let short = vec![
            Word::Op(Instr::BrCmp(BinOp::I32LtU, Shape2::SS, true)),
            Word::Imm(0),
            Word::Imm(500),
        ];
        let error = check_slots(&short, 3).expect_err("a slot immediate is missing");
        assert!(error.contains("has 2 immediates"), "{error}");
    }
}
