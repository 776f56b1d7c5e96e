//! The translator's operand-stack model: slots with types, locations and home cells, plus the
//! helpers that move operands (materialise, preserve, copy into homes) and emit instructions.
//!
//! Invariants: a slot's home is the cell right after the previous slot's cells (the first slot's
//! home is the frame's operand base); a `Dynamic` or `Preserved` slot's cell equals its home;
//! `last_result`, when set, names the instruction emitted for the previous operator and that
//! instruction's destination is the top slot's home.

use wasmparser::ValType;

use super::points::{Loc, Operand};
use super::translate::Translator;
use super::{cells_of, CompileError};
use crate::code::Instr;

/// One operand of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The operand's type.
    pub ty: ValType,
    /// Where its value is.
    pub loc: Loc,
    /// The cell it occupies when materialised.
    pub home: u16,
}

impl Translator<'_> {
    /// The home cell for the next pushed operand.
    pub(super) fn next_home(&self) -> u16 {
        match self.stack.last() {
            Some(slot) => slot.home + cells_of(slot.ty),
            None => self.temp_base,
        }
    }

    /// The home cell of stack position `height`.
    pub(super) fn home_at(&self, height: usize) -> u16 {
        match height
            .checked_sub(1)
            .and_then(|below| self.stack.get(below))
        {
            Some(slot) => slot.home + cells_of(slot.ty),
            None => self.temp_base,
        }
    }

    /// Pushes an operand at its home with location `loc` (`None`: dynamic at home).
    pub(super) fn push(&mut self, ty: ValType, loc: Option<Loc>) -> Result<u16, CompileError> {
        let home = self.next_home();
        let end = u32::from(home) + u32::from(cells_of(ty));
        if end > u32::from(u16::MAX) {
            return Err(CompileError::FrameTooLarge { func: self.func });
        }
        self.max_cell = self.max_cell.max(end);
        let loc = loc.unwrap_or(Loc::Dynamic(home));
        self.stack.push(Slot { ty, loc, home });
        Ok(home)
    }

    /// Pops the top operand.
    pub(super) fn pop(&mut self) -> Result<Slot, CompileError> {
        self.stack
            .pop()
            .ok_or_else(|| self.malformed("operand stack underflow"))
    }

    /// Pops `n` operands, returning them bottom first.
    pub(super) fn pop_n(&mut self, n: usize) -> Result<Vec<Slot>, CompileError> {
        let at = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or_else(|| self.malformed("operand stack underflow"))?;
        Ok(self.stack.split_off(at))
    }

    /// The first cell holding a slot's value right now.
    pub(super) fn cell_of(&mut self, slot: &Slot) -> Result<u16, CompileError> {
        match slot.loc {
            Loc::Local(index) => self
                .locals
                .get(index as usize)
                .map(|local| local.cell)
                .ok_or_else(|| self.malformed("local index out of range")),
            Loc::Const(bits) => {
                let offset = self
                    .pool
                    .find(bits, cells_of(slot.ty))
                    .ok_or_else(|| self.malformed("constant missing from the pool"))?;
                Ok(self.const_base + offset)
            }
            Loc::Dynamic(cell) | Loc::Preserved(cell) => Ok(cell),
        }
    }

    /// Emits a copy of `cells` cells from `src` to `dst` (nothing when equal).
    pub(super) fn emit_copy(&mut self, dst: u16, src: u16, ty: ValType) {
        if dst == src {
            return;
        }
        match cells_of(ty) {
            1 => self.emit(Instr::Copy1(dst, src)),
            _ => self.emit(Instr::Copy2(dst, src)),
        };
    }

    /// Emits an instruction and returns its index.
    pub(super) fn emit(&mut self, instr: Instr) -> usize {
        self.code.push(instr);
        self.code.len() - 1
    }

    /// Emits an instruction whose destination is the top slot's home, remembering it so a
    /// following `local.set`/`local.tee`/`br_if`/`if` can retarget or fuse it.
    pub(super) fn emit_result(&mut self, instr: Instr) {
        let index = self.emit(instr);
        self.last_result = Some(index);
    }

    /// Copies every slot matching `which` into its home cell, making it dynamic.
    pub(super) fn materialise(
        &mut self,
        which: impl Fn(usize, &Slot) -> bool,
    ) -> Result<(), CompileError> {
        for position in 0..self.stack.len() {
            let slot = self.stack[position];
            let movable = matches!(slot.loc, Loc::Local(_) | Loc::Const(_));
            if movable && which(position, &slot) {
                let src = self.cell_of(&slot)?;
                self.emit_copy(slot.home, src, slot.ty);
                self.stack[position].loc = Loc::Dynamic(slot.home);
            }
        }
        Ok(())
    }

    /// Before local `index` is overwritten: copies every operand aliasing it into its home
    /// (now `Preserved`). Returns whether anything was preserved.
    pub(super) fn preserve_local(&mut self, index: u32) -> Result<bool, CompileError> {
        let mut any = false;
        for position in 0..self.stack.len() {
            let slot = self.stack[position];
            if slot.loc == Loc::Local(index) {
                let src = self.cell_of(&slot)?;
                self.emit_copy(slot.home, src, slot.ty);
                self.stack[position].loc = Loc::Preserved(slot.home);
                any = true;
            }
        }
        Ok(any)
    }

    /// The current operand map.
    pub(super) fn operand_map(&self) -> Vec<Operand> {
        self.stack
            .iter()
            .map(|slot| Operand {
                ty: slot.ty,
                loc: slot.loc,
            })
            .collect()
    }
}
