//! Control frames of the translator: blocks, loops and `if`s compile to no code of their own;
//! branches become jumps carrying compile-time copy lists, with forward targets patched when the
//! label's `end` is reached.
//!
//! Invariants: a label's values (a loop's parameters, anything else's results) always land in
//! the home cells starting at the label's `base`; after `br`, `br_table`, `return` and
//! `unreachable` the rest of the frame is dead and emits nothing.

use wasmparser::{BlockType, ValType};

use super::patch::set_target;
use super::points::{Loc, PointKind};
use super::translate::Translator;
use super::{cells_of, CompileError};
use crate::code::{BranchTarget, CopyList, Instr};

/// What kind of construct a control frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlKind {
    /// The function body.
    Body,
    /// `block`.
    Block,
    /// `loop`.
    Loop,
    /// `if` (then arm).
    If,
    /// `else` arm.
    Else,
}

/// A forward branch waiting for its label's end.
#[derive(Clone, Copy, Debug)]
pub enum Fixup {
    /// The branch instruction at this code index.
    Instr(usize),
    /// Entry `.1` of branch table `.0`.
    Table(usize, usize),
}

/// One control frame of the translator.
#[derive(Clone, Debug)]
pub struct Ctrl {
    /// The construct.
    pub kind: CtrlKind,
    /// Operand-stack height at entry, parameters excluded.
    pub height: usize,
    /// Home cell of stack position `height`.
    pub base: u16,
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
    /// For loops: the code index branches jump to.
    pub loop_target: u32,
    /// Forward branches to patch at the end.
    pub fixups: Vec<Fixup>,
    /// For `if`: the conditional jump to the else arm (or the end).
    pub else_fixup: Option<usize>,
    /// Whether the rest of the frame is dead code.
    pub unreachable: bool,
}

impl Ctrl {
    /// The types a branch to this label carries.
    pub fn label_types(&self) -> &[ValType] {
        if self.kind == CtrlKind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

impl Translator<'_> {
    /// Parameter and result types of a block type.
    pub(super) fn block_sig(
        &self,
        ty: BlockType,
    ) -> Result<(Vec<ValType>, Vec<ValType>), CompileError> {
        Ok(match ty {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(ty) => (Vec::new(), vec![ty]),
            BlockType::FuncType(index) => {
                let ty = self
                    .module
                    .type_at(index)
                    .ok_or_else(|| self.malformed("block type index out of range"))?;
                (ty.params().to_vec(), ty.results().to_vec())
            }
        })
    }

    /// Enters a block, loop or if (the condition already popped and its branch emitted by the
    /// caller for `if`).
    pub(super) fn enter(
        &mut self,
        kind: CtrlKind,
        ty: BlockType,
        next_pc: u32,
    ) -> Result<(), CompileError> {
        let (params, results) = self.block_sig(ty)?;
        let height = self
            .stack
            .len()
            .checked_sub(params.len())
            .ok_or_else(|| self.malformed("block parameters missing"))?;
        // No local aliases may cross a label; loop and if parameters must be dynamic.
        let dynamic_params = matches!(kind, CtrlKind::Loop | CtrlKind::If);
        self.materialise(|position, slot| {
            matches!(slot.loc, Loc::Local(_)) || (dynamic_params && position >= height)
        })?;
        let base = self.home_at(height);
        let mut ctrl = Ctrl {
            kind,
            height,
            base,
            params,
            results,
            loop_target: 0,
            fixups: Vec::new(),
            else_fixup: None,
            unreachable: false,
        };
        if kind == CtrlKind::Loop {
            ctrl.loop_target = self.code.len() as u32;
            if self.poll {
                let code = self.emit(Instr::LoopHead) as u32;
                self.record_point(PointKind::Loop, code, next_pc, 0);
            }
        }
        self.ctrls.push(ctrl);
        Ok(())
    }

    /// The copy list moving the top `types.len()` operands into the home cells from `base`.
    pub(super) fn copies_to(
        &mut self,
        types_len: usize,
        base: u16,
    ) -> Result<CopyList, CompileError> {
        let at = self
            .stack
            .len()
            .checked_sub(types_len)
            .ok_or_else(|| self.malformed("branch values missing"))?;
        let mut list = CopyList::new();
        let mut dst = base;
        for position in at..self.stack.len() {
            let slot = self.stack[position];
            let src = self.cell_of(&slot)?;
            let width = cells_of(slot.ty);
            if src != dst {
                for cell in 0..width {
                    list.push((dst + cell, src + cell));
                }
            }
            dst += width;
        }
        Ok(list)
    }

    /// Emits the moves of a copy list as instructions (used at fallthrough ends).
    pub(super) fn emit_copy_list(&mut self, list: CopyList) {
        match list.len() {
            0 => {}
            1 => {
                self.emit(Instr::Copy1(list[0].0, list[0].1));
            }
            _ => {
                let index = self.copies.len() as u32;
                self.copies.push(list);
                self.emit(Instr::CopyList(index));
            }
        }
    }

    /// Resolves a branch of relative `depth`: its copy list and, for a loop, its target.
    fn branch_plan(&mut self, depth: u32) -> Result<(usize, CopyList, Option<u32>), CompileError> {
        let index = self
            .ctrls
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| self.malformed("branch depth out of range"))?;
        let ctrl = &self.ctrls[index];
        let (count, base) = (ctrl.label_types().len(), ctrl.base);
        let target = (ctrl.kind == CtrlKind::Loop).then_some(ctrl.loop_target);
        let list = self.copies_to(count, base)?;
        Ok((index, list, target))
    }

    fn add_copy_list(&mut self, list: CopyList) -> Option<u32> {
        if list.is_empty() {
            return None;
        }
        self.copies.push(list);
        Some(self.copies.len() as u32 - 1)
    }

    /// `br depth`.
    pub(super) fn branch(&mut self, depth: u32) -> Result<(), CompileError> {
        let (ctrl, list, target) = self.branch_plan(depth)?;
        let instr = match (self.add_copy_list(list), target) {
            (Some(copies), _) => Instr::BrCopy(copies, target.unwrap_or(0)),
            (None, Some(header)) if self.poll => Instr::BrLoop(header),
            (None, _) => Instr::Br(target.unwrap_or(0)),
        };
        let at = self.emit(instr);
        if target.is_none() {
            self.ctrls[ctrl].fixups.push(Fixup::Instr(at));
        }
        self.mark_unreachable();
        Ok(())
    }

    /// `br_if depth`, the condition already popped as `cond`; `fusable` is the compare that
    /// produced it, if it was the previous instruction.
    pub(super) fn branch_if(
        &mut self,
        depth: u32,
        cond: u16,
        fusable: Option<usize>,
    ) -> Result<(), CompileError> {
        let (ctrl, list, target) = self.branch_plan(depth)?;
        let goal = target.unwrap_or(0);
        let at = match self.add_copy_list(list) {
            Some(copies) => self.emit(Instr::BrIfCopy(cond, copies, goal)),
            None => match fusable.and_then(|i| {
                Some((
                    i,
                    super::patch::fuse_branch(self.compare_at(i)?, goal, true)?,
                ))
            }) {
                Some((index, fused)) => {
                    self.code[index] = fused;
                    index
                }
                None => self.emit(Instr::BrIf(cond, goal)),
            },
        };
        if target.is_none() {
            self.ctrls[ctrl].fixups.push(Fixup::Instr(at));
        }
        Ok(())
    }

    /// `br_table`, the index already popped as `index`.
    pub(super) fn branch_table(&mut self, index: u16, depths: &[u32]) -> Result<(), CompileError> {
        let table_index = self.tables.len();
        let mut entries = Vec::with_capacity(depths.len());
        let mut fixups = Vec::new();
        for (entry, &depth) in depths.iter().enumerate() {
            let (ctrl, list, target) = self.branch_plan(depth)?;
            let copies = self.add_copy_list(list);
            entries.push(BranchTarget {
                target: target.unwrap_or(0),
                copies,
            });
            if target.is_none() {
                fixups.push((ctrl, Fixup::Table(table_index, entry)));
            }
        }
        self.tables.push(entries);
        for (ctrl, fixup) in fixups {
            self.ctrls[ctrl].fixups.push(fixup);
        }
        self.emit(Instr::BrTable(index, table_index as u32));
        self.mark_unreachable();
        Ok(())
    }

    /// Marks the rest of the current frame dead and drops its operands.
    pub(super) fn mark_unreachable(&mut self) {
        if let Some(ctrl) = self.ctrls.last_mut() {
            ctrl.unreachable = true;
            let height = ctrl.height;
            self.stack.truncate(height);
        }
    }

    /// Points every fixup of a frame at `target`.
    pub(super) fn patch(&mut self, fixups: &[Fixup], target: u32) {
        for fixup in fixups {
            match *fixup {
                Fixup::Instr(at) => {
                    if let Some(instr) = self.code.get_mut(at) {
                        set_target(instr, target);
                    }
                }
                Fixup::Table(table, entry) => {
                    if let Some(slot) = self.tables.get_mut(table).and_then(|t| t.get_mut(entry)) {
                        slot.target = target;
                    }
                }
            }
        }
    }

    /// `else`.
    pub(super) fn enter_else(&mut self) -> Result<(), CompileError> {
        let mut ctrl = self
            .ctrls
            .pop()
            .ok_or_else(|| self.malformed("else without if"))?;
        if !ctrl.unreachable {
            let list = self.copies_to(ctrl.results.len(), ctrl.base)?;
            self.emit_copy_list(list);
            let at = self.emit(Instr::Br(0));
            ctrl.fixups.push(Fixup::Instr(at));
        }
        if let Some(at) = ctrl.else_fixup.take() {
            let here = self.code.len() as u32;
            self.patch(&[Fixup::Instr(at)], here);
        }
        self.stack.truncate(ctrl.height);
        for ty in ctrl.params.clone() {
            self.push(ty, None)?;
        }
        ctrl.kind = CtrlKind::Else;
        ctrl.unreachable = false;
        self.ctrls.push(ctrl);
        Ok(())
    }

    /// `end` of a block, loop or if (not the body).
    pub(super) fn leave(&mut self) -> Result<(), CompileError> {
        let mut ctrl = self
            .ctrls
            .pop()
            .ok_or_else(|| self.malformed("unbalanced end"))?;
        if !ctrl.unreachable {
            let list = self.copies_to(ctrl.results.len(), ctrl.base)?;
            self.emit_copy_list(list);
        }
        let here = self.code.len() as u32;
        if let Some(at) = ctrl.else_fixup.take() {
            ctrl.fixups.push(Fixup::Instr(at));
        }
        self.patch(&ctrl.fixups, here);
        self.stack.truncate(ctrl.height);
        for ty in ctrl.results {
            self.push(ty, None)?;
        }
        Ok(())
    }

    /// The final `end`: results to the body's homes, then return.
    pub(super) fn finish_body(&mut self) -> Result<(), CompileError> {
        let ctrl = self
            .ctrls
            .pop()
            .ok_or_else(|| self.malformed("unbalanced end"))?;
        if ctrl.unreachable && ctrl.fixups.is_empty() {
            return Ok(());
        }
        if !ctrl.unreachable && ctrl.fixups.is_empty() {
            // Only the fallthrough reaches the end: return straight from the values' cells.
            let values = self.pop_n(ctrl.results.len())?;
            let mut sources = Vec::with_capacity(values.len());
            for slot in &values {
                sources.push((self.cell_of(slot)?, slot.ty));
            }
            self.emit_return_from(&sources);
            return Ok(());
        }
        if !ctrl.unreachable {
            let list = self.copies_to(ctrl.results.len(), ctrl.base)?;
            self.emit_copy_list(list);
        }
        let here = self.code.len() as u32;
        self.patch(&ctrl.fixups, here);
        self.stack.truncate(ctrl.height);
        let mut sources = Vec::new();
        for ty in ctrl.results {
            let home = self.push(ty, None)?;
            sources.push((home, ty));
        }
        self.emit_return_from(&sources);
        Ok(())
    }

    /// Emits a return of values at the given cells.
    pub(super) fn emit_return_from(&mut self, values: &[(u16, ValType)]) {
        let instr = match values {
            [] => Instr::Return0,
            [(cell, ty)] if cells_of(*ty) == 1 => Instr::Return1(*cell),
            [(cell, ty)] if cells_of(*ty) == 2 => Instr::Return2(*cell),
            _ => {
                let mut list = Vec::new();
                for &(cell, ty) in values {
                    for offset in 0..cells_of(ty) {
                        list.push(cell + offset);
                    }
                }
                self.returns.push(list);
                Instr::ReturnN(self.returns.len() as u32 - 1)
            }
        };
        self.emit(instr);
    }
}
