//! Load-time check of the control-flow invariant the executor's unchecked instruction fetch
//! rests on: from every position, every way the interpreter can move the pc lands inside the
//! instruction vector.
//!
//! Checked for each translated function (a violation is an internal translator bug, reported as
//! a typed [`ModuleError`], never executed):
//! - `instrs`, `fused` and `offsets` have the same, non-zero length;
//! - every instruction except `Return` at position `i` covering `n` original instructions (1,
//!   or a fused instruction's span) has `i + n < len`: falling through, or continuing after a
//!   fused run or an untaken branch, stays inside (so the last position holds `Return`);
//! - every `If`/`Else` target and every jump-table target is inside the vector, every branch's
//!   jump index (`Br`, `BrIf`, `BrTable` range, fused `br_if`) is inside the jump table;

use baton_runtime::ModuleError;

use crate::translate::fuse::span;
use crate::translate::instr::Instr;
use crate::translate::special::generic;
use crate::translate::FuncCode;

/// Checks `code`'s control-flow invariant (see the module docs).
pub fn verify(code: &FuncCode, origin: u64) -> Result<(), ModuleError> {
    let fail = |what: String| ModuleError::Unsupported {
        offset: origin,
        what: format!("function {}: translated code {what}", code.func),
    };
    let len = code.instrs.len();
    if len == 0 || code.fused.len() != len || code.offsets.len() != len {
        return Err(fail(format!(
            "has mismatched lengths ({len} instructions, {} fused, {} offsets)",
            code.fused.len(),
            code.offsets.len()
        )));
    }
    let jumps = code.jumps.len();
    let in_code = |target: u32| (target as usize) < len;
    for (at, target) in code.jumps.iter().enumerate() {
        if !in_code(target.target) {
            return Err(fail(format!("jump {at} targets {}", target.target)));
        }
    }
    for (at, instr) in code.instrs.iter().chain(code.fused.iter()).enumerate() {
        let at = at % len;
        let ok = match generic(*instr) {
            Instr::If { else_target } => in_code(else_target),
            Instr::Else { end_target } => in_code(end_target),
            Instr::Br(jump)
            | Instr::BrIf(jump)
            | Instr::BrIfLocalLocal { jump, .. }
            | Instr::BrIfLocalConst { jump, .. } => (jump as usize) < jumps,
            Instr::BrTable { start, len: count } => {
                count >= 1 && (start as usize).saturating_add(count as usize) <= jumps
            }
            _ => true,
        } && (*instr == Instr::Return || at + span(instr) < len);
        if !ok {
            return Err(fail(format!(
                "instruction {at} ({instr:?}) leaves the code"
            )));
        }
    }
    Ok(())
}
