//! The operator loop: reads a validated body with wasmparser and emits register code.
//!
//! Invariants: see the module docs of [`super`]. `local.get` and constants emit nothing; every
//! other operator either emits instructions or only changes the operand model (`drop`, `block`,
//! `nop`). Dead code after an unconditional branch is skipped up to its frame's `else`/`end`.

use wasmparser::{FunctionBody, Operator, ValType};

use super::control::{Ctrl, CtrlKind};
use super::patch::{dst_mut, fuse_branch, numeric, Numeric};
use super::points::{Loc, PointKind, SafePoint, SafePoints};
use super::pool::ConstPool;
use super::stack::Slot;
use super::{cells_of, CallSite, Callee, CompileError, CompiledFunc, LocalSlot, ModuleInfo};
use crate::code::{BranchTarget, BulkOperands, CopyList, Instr};

/// The translator's state for one function.
pub struct Translator<'m> {
    pub(super) module: &'m ModuleInfo,
    pub(super) func: u32,
    pub(super) poll: bool,
    pub(super) code: Vec<Instr>,
    pub(super) stack: Vec<Slot>,
    pub(super) ctrls: Vec<Ctrl>,
    pub(super) locals: Vec<LocalSlot>,
    pub(super) pool: ConstPool,
    pub(super) const_base: u16,
    pub(super) temp_base: u16,
    pub(super) max_cell: u32,
    pub(super) copies: Vec<CopyList>,
    pub(super) returns: Vec<Vec<u16>>,
    pub(super) tables: Vec<Vec<BranchTarget>>,
    pub(super) calls: Vec<CallSite>,
    pub(super) bulk: Vec<BulkOperands>,
    pub(super) points: SafePoints,
    pub(super) last_result: Option<usize>,
    /// Body-relative offset of the operator being translated.
    pub(super) pc: u32,
}

/// The constant bits and width of a constant operator, if it is one.
fn constant(op: &Operator<'_>) -> Option<(u64, ValType)> {
    Some(match op {
        Operator::I32Const { value } => (u64::from(*value as u32), ValType::I32),
        Operator::I64Const { value } => (*value as u64, ValType::I64),
        Operator::F32Const { value } => (u64::from(value.bits()), ValType::F32),
        Operator::F64Const { value } => (value.bits(), ValType::F64),
        Operator::RefNull { hty } => (0, ref_type(*hty)),
        Operator::RefFunc { function_index } => (u64::from(*function_index) + 1, ValType::FUNCREF),
        _ => return None,
    })
}

fn ref_type(hty: wasmparser::HeapType) -> ValType {
    if hty == wasmparser::HeapType::EXTERN {
        ValType::EXTERNREF
    } else {
        ValType::FUNCREF
    }
}

impl<'m> Translator<'m> {
    /// Compiles `body` of function `func`.
    pub fn run(
        module: &'m ModuleInfo,
        func: u32,
        body: &FunctionBody<'_>,
        poll: bool,
    ) -> Result<CompiledFunc, CompileError> {
        let read_err = |e: wasmparser::BinaryReaderError| CompileError::Read {
            func,
            message: e.to_string(),
        };
        let body_start = body.range().start;
        let ty = module.func_type(func).ok_or(CompileError::Malformed {
            func,
            pc: 0,
            what: "function has no type".into(),
        })?;
        let mut local_types: Vec<ValType> = ty.params().to_vec();
        let param_count = local_types.len();
        for entry in body.get_locals_reader().map_err(read_err)? {
            let (count, ty) = entry.map_err(read_err)?;
            if local_types.len() + count as usize > usize::from(u16::MAX) {
                return Err(CompileError::FrameTooLarge { func });
            }
            local_types.extend(std::iter::repeat_n(ty, count as usize));
        }
        let mut locals = Vec::with_capacity(local_types.len());
        let mut cell = 0u32;
        let mut param_cells = 0u32;
        for (index, ty) in local_types.iter().enumerate() {
            if index == param_count {
                param_cells = cell;
            }
            locals.push(LocalSlot {
                ty: *ty,
                cell: u16::try_from(cell).map_err(|_| CompileError::FrameTooLarge { func })?,
            });
            cell += u32::from(cells_of(*ty));
        }
        if param_count == local_types.len() {
            param_cells = cell;
        }
        let local_cells = u16::try_from(cell).map_err(|_| CompileError::FrameTooLarge { func })?;

        // Pre-scan: the constant pool.
        let mut pool = ConstPool::default();
        let mut scan = body.get_operators_reader().map_err(read_err)?;
        while !scan.eof() {
            if let Some((bits, ty)) = constant(&scan.read().map_err(read_err)?) {
                pool.intern(bits, cells_of(ty));
            }
        }
        let temp_base = u32::from(local_cells) + pool.len() as u32;
        let temp_base =
            u16::try_from(temp_base).map_err(|_| CompileError::FrameTooLarge { func })?;

        let mut t = Translator {
            module,
            func,
            poll,
            code: Vec::new(),
            stack: Vec::new(),
            ctrls: Vec::new(),
            locals,
            pool,
            const_base: local_cells,
            temp_base,
            max_cell: u32::from(temp_base),
            copies: Vec::new(),
            returns: Vec::new(),
            tables: Vec::new(),
            calls: Vec::new(),
            bulk: Vec::new(),
            points: SafePoints::default(),
            last_result: None,
            pc: 0,
        };
        t.ctrls.push(Ctrl {
            kind: CtrlKind::Body,
            height: 0,
            base: temp_base,
            params: Vec::new(),
            results: ty.results().to_vec(),
            loop_target: 0,
            fixups: Vec::new(),
            else_fixup: None,
            unreachable: false,
        });

        let mut reader = body.get_operators_reader().map_err(read_err)?;
        let mut first = true;
        let mut skip_depth = 0usize;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset().map_err(read_err)?;
            t.pc = (offset - body_start) as u32;
            let next_pc = (reader.original_position() - body_start) as u32;
            if first {
                first = false;
                if poll {
                    let code = t.emit(Instr::Entry) as u32;
                    t.record_point(PointKind::Entry, code, t.pc, 0);
                }
            }
            let dead = t.ctrls.last().is_some_and(|c| c.unreachable);
            if dead {
                match op {
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                        skip_depth += 1;
                        continue;
                    }
                    Operator::Else if skip_depth > 0 => continue,
                    Operator::End if skip_depth > 0 => {
                        skip_depth -= 1;
                        continue;
                    }
                    Operator::Else | Operator::End => {}
                    _ => continue,
                }
            }
            let last = t.last_result.take();
            t.operator(op, next_pc, last)?;
        }
        if !t.ctrls.is_empty() {
            return Err(t.malformed("body ended with open blocks"));
        }
        if t.max_cell > u32::from(u16::MAX) {
            return Err(CompileError::FrameTooLarge { func });
        }
        Ok(CompiledFunc {
            func,
            ops: crate::executor::handlers::lower(&t.code, &t.tables),
            code: t.code,
            consts: t.pool.into_cells(),
            param_cells: param_cells as u16,
            local_cells,
            frame_cells: t.max_cell,
            locals: t.locals,
            results: ty.results().to_vec(),
            copies: t.copies,
            returns: t.returns,
            tables: t.tables,
            calls: t.calls,
            bulk: t.bulk,
            points: t.points,
        })
    }

    /// An error naming the current function and offset.
    pub(super) fn malformed(&self, what: &str) -> CompileError {
        CompileError::Malformed {
            func: self.func,
            pc: self.pc,
            what: what.to_string(),
        }
    }

    /// Records a safe point with the current operand map.
    pub(super) fn record_point(
        &mut self,
        kind: PointKind,
        code: u32,
        pc: u32,
        consumed: u32,
    ) -> u32 {
        let operands = self.operand_map();
        self.points.push(SafePoint {
            kind,
            code,
            pc,
            operands,
            consumed,
        })
    }

    /// The compare emitted at `at`, in a form [`fuse_branch`] can fuse (compares with a fused
    /// immediate read the constant from its pool cell instead).
    pub(super) fn compare_at(&self, at: usize) -> Option<Instr> {
        let instr = *self.code.get(at)?;
        let pool = |imm: i32| {
            self.pool
                .find(u64::from(imm as u32), 1)
                .map(|offset| self.const_base + offset)
        };
        Some(super::patch::unfuse_immediate(instr, pool).unwrap_or(instr))
    }

    fn local(&self, index: u32) -> Result<LocalSlot, CompileError> {
        self.locals
            .get(index as usize)
            .copied()
            .ok_or_else(|| self.malformed("local index out of range"))
    }

    /// Pops the operands of an instruction and returns their cells, bottom first.
    pub(super) fn operand_cells(&mut self, n: usize) -> Result<Vec<u16>, CompileError> {
        let slots = self.pop_n(n)?;
        slots.iter().map(|slot| self.cell_of(slot)).collect()
    }

    pub(super) fn pop_cell(&mut self) -> Result<u16, CompileError> {
        let slot = self.pop()?;
        self.cell_of(&slot)
    }

    /// `local.set`/`local.tee`: `tee` pushes the local back as an alias.
    fn set_local(
        &mut self,
        index: u32,
        tee: bool,
        last: Option<usize>,
    ) -> Result<(), CompileError> {
        let local = self.local(index)?;
        let value = self.pop()?;
        if value.loc != Loc::Local(index) {
            let preserved = self.preserve_local(index)?;
            let retarget = match (last, value.loc) {
                (Some(at), Loc::Dynamic(cell)) if !preserved => self
                    .code
                    .get_mut(at)
                    .and_then(dst_mut)
                    .filter(|dst| **dst == cell)
                    .map(|dst| *dst = local.cell)
                    .is_some(),
                _ => false,
            };
            if !retarget {
                let src = self.cell_of(&value)?;
                self.emit_copy(local.cell, src, local.ty);
            }
        }
        if tee {
            self.push(local.ty, Some(Loc::Local(index)))?;
        }
        Ok(())
    }

    fn numeric_op(&mut self, numeric: Numeric) -> Result<(), CompileError> {
        match numeric {
            Numeric::Binary {
                make, result, imm, ..
            } => {
                let rhs = self.pop()?;
                let lhs = self.pop()?;
                let a = self.cell_of(&lhs)?;
                let dst = self.push(result, None)?;
                // The immediate is an i32; for i64 operators it must round-trip through one.
                let immediate = match (rhs.loc, rhs.ty) {
                    (Loc::Const(bits), ValType::I32) => Some(bits as u32 as i32),
                    (Loc::Const(bits), ValType::I64) => i32::try_from(bits as i64).ok(),
                    _ => None,
                };
                match (imm, immediate) {
                    (Some(fused), Some(value)) => self.emit_result(fused(dst, a, value)),
                    _ => {
                        let b = self.cell_of(&rhs)?;
                        self.emit_result(make(dst, a, b));
                    }
                }
            }
            Numeric::Unary { make, result, .. } => {
                let a = self.pop_cell()?;
                let dst = self.push(result, None)?;
                self.emit_result(make(dst, a));
            }
        }
        Ok(())
    }

    fn call(&mut self, callee: Callee, type_index: u32, next_pc: u32) -> Result<(), CompileError> {
        let ty = self
            .module
            .type_at(type_index)
            .ok_or_else(|| self.malformed("call type out of range"))?
            .clone();
        let indirect = matches!(callee, Callee::Indirect { .. });
        let consumed = ty.params().len() + usize::from(indirect);
        let code = self.code.len() as u32;
        let point = self.record_point(PointKind::Call, code, self.pc, consumed as u32);
        let index = if indirect { self.pop_cell()? } else { 0 };
        let args = self.pop_n(ty.params().len())?;
        let mut arg_cells = Vec::new();
        for slot in &args {
            let cell = self.cell_of(slot)?;
            for offset in 0..cells_of(slot.ty) {
                arg_cells.push(cell + offset);
            }
        }
        let results = self.next_home();
        for ty in ty.results() {
            self.push(*ty, None)?;
        }
        self.calls.push(CallSite {
            callee,
            args: arg_cells,
            index,
            results,
            type_index,
            point,
        });
        let site = self.calls.len() as u32 - 1;
        self.emit(if indirect {
            Instr::CallIndirect(site)
        } else {
            Instr::Call(site)
        });
        if self.poll {
            let code = self.emit(Instr::AfterCall) as u32;
            self.record_point(PointKind::Return, code, next_pc, 0);
        }
        Ok(())
    }

    /// Translates one live operator.
    fn operator(
        &mut self,
        op: Operator<'_>,
        next_pc: u32,
        last: Option<usize>,
    ) -> Result<(), CompileError> {
        if let Some((bits, ty)) = constant(&op) {
            self.push(ty, Some(Loc::Const(bits)))?;
            return Ok(());
        }
        if let Some(numeric) = numeric(&op) {
            return self.numeric_op(numeric);
        }
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.emit(Instr::Unreachable);
                self.mark_unreachable();
            }
            Operator::Block { blockty } => self.enter(CtrlKind::Block, blockty, next_pc)?,
            Operator::Loop { blockty } => self.enter(CtrlKind::Loop, blockty, next_pc)?,
            Operator::If { blockty } => {
                let cond = self.pop()?;
                let cond_cell = self.cell_of(&cond)?;
                let before = self.code.len();
                self.enter(CtrlKind::If, blockty, next_pc)?;
                let fused = if self.code.len() == before {
                    last.and_then(|at| {
                        let is_cond = matches!(cond.loc, Loc::Dynamic(c) if c == cond.home);
                        is_cond
                            .then(|| fuse_branch(self.compare_at(at)?, 0, false).map(|f| (at, f)))?
                    })
                } else {
                    None
                };
                let at = match fused {
                    Some((at, instr)) => {
                        self.code[at] = instr;
                        at
                    }
                    None => self.emit(Instr::BrUnless(cond_cell, 0)),
                };
                if let Some(ctrl) = self.ctrls.last_mut() {
                    ctrl.else_fixup = Some(at);
                }
            }
            Operator::Else => self.enter_else()?,
            Operator::End => {
                if self.ctrls.len() == 1 {
                    self.finish_body()?;
                } else {
                    self.leave()?;
                }
            }
            Operator::Br { relative_depth } => self.branch(relative_depth)?,
            Operator::BrIf { relative_depth } => {
                let cond = self.pop()?;
                let cell = self.cell_of(&cond)?;
                let fusable =
                    last.filter(|_| matches!(cond.loc, Loc::Dynamic(c) if c == cond.home));
                self.branch_if(relative_depth, cell, fusable)?;
            }
            Operator::BrTable { targets } => {
                let index = self.pop_cell()?;
                let mut depths = Vec::new();
                for depth in targets.targets() {
                    depths.push(depth.map_err(|e| CompileError::Read {
                        func: self.func,
                        message: e.to_string(),
                    })?);
                }
                depths.push(targets.default());
                self.branch_table(index, &depths)?;
            }
            Operator::Return => {
                let count = self.ctrls.first().map_or(0, |c| c.results.len());
                let values = self.pop_n(count)?;
                let mut sources = Vec::new();
                for slot in &values {
                    sources.push((self.cell_of(slot)?, slot.ty));
                }
                self.emit_return_from(&sources);
                self.mark_unreachable();
            }
            Operator::Call { function_index } => {
                let type_index = *self
                    .module
                    .func_types
                    .get(function_index as usize)
                    .ok_or_else(|| self.malformed("function index out of range"))?;
                self.call(Callee::Direct(function_index), type_index, next_pc)?;
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call(
                Callee::Indirect {
                    type_index,
                    table: table_index,
                },
                type_index,
                next_pc,
            )?,
            Operator::Drop => {
                self.pop()?;
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let cond = self.pop_cell()?;
                let b = self.pop()?;
                let a = self.pop()?;
                let (a_cell, b_cell) = (self.cell_of(&a)?, self.cell_of(&b)?);
                let dst = self.push(a.ty, None)?;
                let instr = if cells_of(a.ty) == 1 {
                    Instr::Select1(dst, cond, a_cell, b_cell)
                } else {
                    Instr::Select2(dst, cond, a_cell, b_cell)
                };
                self.emit_result(instr);
            }
            Operator::LocalGet { local_index } => {
                let local = self.local(local_index)?;
                self.push(local.ty, Some(Loc::Local(local_index)))?;
            }
            Operator::LocalSet { local_index } => self.set_local(local_index, false, last)?,
            Operator::LocalTee { local_index } => self.set_local(local_index, true, last)?,
            Operator::GlobalGet { global_index } => {
                let ty = *self
                    .module
                    .globals
                    .get(global_index as usize)
                    .ok_or_else(|| self.malformed("global index out of range"))?;
                let dst = self.push(ty, None)?;
                self.emit_result(Instr::GlobalGet(dst, global_index));
            }
            Operator::GlobalSet { global_index } => {
                let src = self.pop_cell()?;
                self.emit(Instr::GlobalSet(src, global_index));
            }
            op if self.memory_operator(&op)? => {}
            other => {
                return Err(CompileError::Unsupported {
                    func: self.func,
                    pc: self.pc,
                    what: format!("{other:?}"),
                })
            }
        }
        Ok(())
    }
}
