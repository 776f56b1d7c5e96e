//! The compile-time operand stack: pushing, popping, spilling registers and moving operands to
//! their home slots, emitting the copies that needs.
//!
//! Invariant: at most one operand is in `r0` and at most one in `fp0`; an operand in a
//! temporary slot is in its home slot (`temp_base + height`).

use baton_runtime::ValType;

use super::points::{Loc, Operand};
use super::translate::Compiler;
use crate::code::{Instr, Word};
use crate::values::{class_of, Class};

/// The register a value of `ty` is computed into (`None` for references: slots only).
pub(super) fn reg_of(ty: ValType) -> Option<Loc> {
    match class_of(ty) {
        Class::Int => Some(Loc::R0),
        Class::Float => Some(Loc::Fp0),
        Class::Ref => None,
    }
}

impl Compiler<'_> {
    /// Appends an operation.
    pub(super) fn emit(&mut self, instr: Instr) {
        self.code.push(Word::Op(instr));
    }

    /// Appends an immediate; returns its position (for patching).
    pub(super) fn imm(&mut self, value: impl Into<u64>) -> usize {
        self.code.push(Word::Imm(value.into()));
        self.code.len() - 1
    }

    /// Sets the immediate at `at` to `value`.
    pub(super) fn patch(&mut self, at: usize, value: usize) {
        self.last_target = self.last_target.max(value);
        if let Some(word) = self.code.get_mut(at) {
            *word = Word::Imm(value as u64);
        }
    }

    /// The current code position.
    pub(super) fn pos(&self) -> usize {
        self.code.len()
    }

    /// The home slot of stack height `h`.
    pub(super) fn home(&self, h: usize) -> u32 {
        self.temp_base + h as u32
    }

    /// Pushes an operand.
    pub(super) fn push(&mut self, ty: ValType, loc: Loc) {
        self.stack.push(Operand { ty, loc });
        self.max_height = self.max_height.max(self.stack.len());
    }

    /// Pushes a computed value of `ty` at its natural place: its register, or its home slot
    /// for references.
    pub(super) fn push_result(&mut self, ty: ValType) {
        let loc = reg_of(ty).unwrap_or(Loc::Slot(self.home(self.stack.len())));
        self.push(ty, loc);
    }

    /// Pops an operand.
    pub(super) fn pop(&mut self) -> Result<Operand, String> {
        self.stack
            .pop()
            .ok_or_else(|| "operand stack underflow".to_string())
    }

    /// The slot an operand location names, if it is one.
    pub(super) fn slot_of(&self, loc: Loc) -> Option<u32> {
        match loc {
            Loc::Slot(s) | Loc::Const(s) => Some(s),
            Loc::Local(i) => Some(i),
            Loc::R0 | Loc::Fp0 => None,
        }
    }

    /// Emits the copy of an operand at `loc` into slot `dst` (nothing if it is already there).
    pub(super) fn move_to(&mut self, loc: Loc, dst: u32) {
        match loc {
            Loc::R0 => {
                self.emit(Instr::Spill(Class::Int));
                self.imm(dst);
            }
            Loc::Fp0 => {
                self.emit(Instr::Spill(Class::Float));
                self.imm(dst);
            }
            other => {
                if let Some(src) = self.slot_of(other) {
                    if src != dst {
                        self.emit(Instr::Copy);
                        self.imm(dst);
                        self.imm(src);
                    }
                }
            }
        }
    }

    /// A slot holding a just-popped operand that was at height `h` (a register is spilled to
    /// the home slot of `h`).
    pub(super) fn popped_slot(&mut self, op: Operand, h: usize) -> u32 {
        match self.slot_of(op.loc) {
            Some(slot) => slot,
            None => {
                let home = self.home(h);
                self.move_to(op.loc, home);
                home
            }
        }
    }

    /// Spills the operand in register `reg` (if any) to its home slot.
    pub(super) fn spill(&mut self, reg: Loc) {
        if let Some(h) = self.stack.iter().position(|op| op.loc == reg) {
            let home = self.home(h);
            self.leave_to(reg, home);
            self.stack[h].loc = Loc::Slot(home);
        }
    }

    /// Moves an operand that leaves `loc` for good into slot `dst`: when `loc` is the register
    /// the last operation just computed it into (nothing emitted since, so no safe point lies
    /// between), that operation is rewritten to write `dst` itself, as a folded `local.set`;
    /// otherwise as [`Compiler::move_to`]. The register's value is dead afterwards either way.
    fn leave_to(&mut self, loc: Loc, dst: u32) {
        if let Some((at, end, reg)) = self.retarget {
            if reg == loc && end == self.code.len() {
                let folded = match self.code.get(at) {
                    Some(Word::Op(instr)) => instr.to_slot_variant(),
                    _ => None,
                };
                if let Some(folded) = folded {
                    self.code[at] = Word::Op(folded);
                    self.imm(dst);
                    self.retarget = None;
                    return;
                }
            }
        }
        self.move_to(loc, dst);
    }

    /// Frees the register a result of `ty` goes to.
    pub(super) fn free_reg_for(&mut self, ty: ValType) {
        if let Some(reg) = reg_of(ty) {
            self.spill(reg);
        }
    }

    /// Moves the operand at height `h` to its home slot.
    pub(super) fn move_home(&mut self, h: usize) {
        let Some(op) = self.stack.get(h).copied() else {
            return;
        };
        let home = self.home(h);
        if op.loc != Loc::Slot(home) {
            self.leave_to(op.loc, home);
            self.stack[h].loc = Loc::Slot(home);
        }
    }

    /// Copies every alias of local `local` to its home slot (before the local changes).
    pub(super) fn preserve_local(&mut self, local: u32) {
        for h in 0..self.stack.len() {
            if self.stack[h].loc == Loc::Local(local) {
                self.move_home(h);
            }
        }
    }

    /// Spills both registers and materialises every local alias (before a block, loop or if).
    pub(super) fn preserve_all(&mut self) {
        self.spill(Loc::R0);
        self.spill(Loc::Fp0);
        for h in 0..self.stack.len() {
            if matches!(self.stack[h].loc, Loc::Local(_)) {
                self.move_home(h);
            }
        }
    }
}
