//! The operator translator: one call of [`Compiler::operator`] per Wasm operator, emitting
//! threaded code and safe points. Control flow is in [`super::control`], the operand stack in
//! [`super::stack`].

use std::collections::HashMap;
use std::rc::Rc;

use baton_runtime::{FuncType, ModuleInfo, ValType};
use wasmparser::{MemArg, Operator};

use super::control::Label;
use super::points::{Loc, Operand, SafePoint, SafePoints};
use super::stack::reg_of;
use crate::code::{Bulk, Instr, LoadKind, Shape1, Shape2, StoreKind, Word};
use crate::ops::{BinOp, UnOp};
use crate::values::{class_of, Class};

/// The translation state of one function.
pub struct Compiler<'a> {
    pub(super) info: &'a ModuleInfo,
    pub(super) ty: Rc<FuncType>,
    pub(super) code: Vec<Word>,
    pub(super) stack: Vec<Operand>,
    pub(super) labels: Vec<Label>,
    /// Code positions of the open `Loop` ops, outermost first.
    pub(super) loops: Vec<u32>,
    pub(super) locals: Vec<ValType>,
    pub(super) temp_base: u32,
    pub(super) max_height: usize,
    pub(super) points: SafePoints,
    /// The rest of the current block is unreachable (nothing is emitted for it).
    pub(super) dead: bool,
    pub(super) polling: bool,
    /// Constant bits -> slot.
    pub const_slots: HashMap<u64, u32>,
    /// The last operation when it put its result in a register and nothing was emitted
    /// since: (its position, the code length after it, the register).
    pub(super) retarget: Option<(usize, usize, Loc)>,
    /// The greatest code position a jump was patched to (fusing the op before a position
    /// with the op at it is only allowed when nothing jumps to the latter).
    pub(super) last_target: usize,
    /// The entry safe point is recorded (at the first operator, with polling).
    pub(super) entry_recorded: bool,
}

type Step = Result<(), String>;

impl<'a> Compiler<'a> {
    /// A compiler for a function of type `ty`, its body's label open.
    pub fn new(
        info: &'a ModuleInfo,
        ty: Rc<FuncType>,
        locals: Vec<ValType>,
        temp_base: u32,
        polling: bool,
    ) -> Compiler<'a> {
        let mut compiler = Compiler {
            info,
            ty: ty.clone(),
            code: Vec::new(),
            stack: Vec::new(),
            labels: Vec::new(),
            loops: Vec::new(),
            locals,
            temp_base,
            max_height: 0,
            points: SafePoints::default(),
            dead: false,
            polling,
            const_slots: HashMap::new(),
            retarget: None,
            last_target: 0,
            entry_recorded: false,
        };
        compiler.labels.push(Label::function(ty.results.to_vec()));
        compiler
    }

    /// The code, safe points, maximal stack height and local types.
    pub fn finish(self) -> (Vec<Word>, SafePoints, usize, Vec<ValType>) {
        (self.code, self.points, self.max_height, self.locals)
    }

    /// Records a safe point of the current stack.
    pub(super) fn point(&mut self, kind: super::PointKind, pos: usize, pc: u32, consumed: u32) {
        let mut loops = self.loops.clone();
        if kind == super::PointKind::Loop {
            loops.push(pos as u32);
        }
        self.points.add(SafePoint {
            kind,
            pos: pos as u32,
            pc,
            loops,
            operands: self.stack.clone(),
            consumed,
        });
    }

    fn local_type(&self, local: u32) -> Result<ValType, String> {
        self.locals
            .get(local as usize)
            .copied()
            .ok_or_else(|| format!("no local {local}"))
    }

    fn constant(&mut self, ty: ValType, bits: u64) -> Step {
        let slot = *self
            .const_slots
            .get(&bits)
            .ok_or("constant missing from the pool")?;
        self.push(ty, Loc::Const(slot));
        Ok(())
    }

    /// Translates one operator at body offset `pc` (`next` is the following one's).
    pub fn operator(&mut self, op: &Operator<'_>, pc: u32, next: u32) -> Step {
        if self.polling && !self.entry_recorded {
            // The entry safe point: before the first op, at position 0 (no code of its own;
            // the activation fires the event).
            self.entry_recorded = true;
            self.point(super::PointKind::Entry, 0, pc, 0);
        }
        if let Some(done) = self.control(op, pc, next)? {
            return done;
        }
        if self.dead {
            return Ok(());
        }
        if let Some(bin) = BinOp::of(op) {
            return self.binary(bin);
        }
        if let Some(un) = UnOp::of(op) {
            return self.unary(un);
        }
        match *op {
            Operator::Nop => {}
            Operator::Drop => {
                self.pop()?;
            }
            Operator::I32Const { value } => self.constant(ValType::I32, u64::from(value as u32))?,
            Operator::I64Const { value } => self.constant(ValType::I64, value as u64)?,
            Operator::F32Const { value } => self.constant(ValType::F32, u64::from(value.bits()))?,
            Operator::F64Const { value } => self.constant(ValType::F64, value.bits())?,
            Operator::RefNull { hty } => {
                let ty = match hty {
                    wasmparser::HeapType::EXTERN => ValType::ExternRef,
                    _ => ValType::FuncRef,
                };
                self.constant(ty, 0)?
            }
            Operator::LocalGet { local_index } => {
                let ty = self.local_type(local_index)?;
                self.push(ty, Loc::Local(local_index));
            }
            Operator::LocalSet { local_index } => {
                let value = self.pop()?;
                self.set_local(local_index, value, true)?;
            }
            Operator::LocalTee { local_index } => {
                let value = self.pop()?;
                self.set_local(local_index, value, false)?;
                let loc = match value.loc {
                    Loc::Local(_) => Loc::Local(local_index),
                    other => other,
                };
                self.push(value.ty, loc);
            }
            Operator::GlobalGet { global_index } => {
                let ty = self
                    .info
                    .globals
                    .get(global_index as usize)
                    .ok_or("no such global")?
                    .content;
                self.free_reg_for(ty);
                let class = class_of(ty);
                self.emit(Instr::GlobalGet(class));
                self.imm(global_index);
                if class == Class::Ref {
                    let dst = self.home(self.stack.len());
                    self.imm(dst);
                }
                self.push_result(ty);
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop()?;
                match value.loc {
                    Loc::R0 | Loc::Fp0 => {
                        self.emit(Instr::GlobalSet(Shape1::R, value.loc == Loc::Fp0));
                        self.imm(global_index);
                    }
                    other => {
                        let src = self.slot_of(other).ok_or("no slot")?;
                        self.emit(Instr::GlobalSet(Shape1::S, false));
                        self.imm(global_index);
                        self.imm(src);
                    }
                }
            }
            Operator::Select | Operator::TypedSelect { .. } => self.select()?,
            Operator::Unreachable => {
                self.emit(Instr::Unreachable);
                self.dead = true;
            }
            Operator::Call { function_index } => self.call(function_index, pc, next)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, pc, next)?,
            _ => return self.memory_or_table(op),
        }
        Ok(())
    }

    /// Writes `value` to local `local`; with `fold`, an operation that just computed it into a
    /// register writes the local instead (the value is not used again).
    fn set_local(&mut self, local: u32, value: Operand, fold: bool) -> Step {
        if value.loc == Loc::Local(local) {
            return Ok(());
        }
        // `op; local.set`: the op writes the local's slot itself (nothing was emitted in
        // between, so no safe point separates them, and the value is the op's result).
        if let Some((at, end, reg)) = self.retarget.filter(|_| fold) {
            let aliased = self.stack.iter().any(|op| op.loc == Loc::Local(local));
            if end == self.pos() && value.loc == reg && !aliased {
                let folded = match self.code.get(at) {
                    Some(Word::Op(instr)) => instr.to_slot_variant(),
                    _ => None,
                };
                if let Some(folded) = folded {
                    self.code[at] = Word::Op(folded);
                    self.imm(local);
                    self.retarget = None;
                    return Ok(());
                }
            }
        }
        self.preserve_local(local);
        self.move_to(value.loc, local);
        Ok(())
    }

    fn binary(&mut self, op: BinOp) -> Step {
        let b = self.pop()?;
        let a = self.pop()?;
        let h = self.stack.len();
        let in_reg = |loc: Loc| matches!(loc, Loc::R0 | Loc::Fp0);
        let (mut a_slot, mut b_slot) = (self.slot_of(a.loc), self.slot_of(b.loc));
        if in_reg(a.loc) && in_reg(b.loc) {
            a_slot = Some(self.popped_slot(a, h));
        }
        let out = op.result();
        self.free_reg_for(out);
        let shape = match (a_slot, b_slot) {
            (Some(_), Some(_)) => Shape2::SS,
            (None, Some(_)) => Shape2::RS,
            (Some(_), None) => Shape2::SR,
            (None, None) => {
                b_slot = Some(self.popped_slot(b, h + 1));
                Shape2::RS
            }
        };
        self.emit(Instr::Bin(op, shape, false));
        let at = self.pos() - 1;
        if let (Shape2::SS | Shape2::SR, Some(a)) = (shape, a_slot) {
            self.imm(a);
        }
        if let (Shape2::SS | Shape2::RS, Some(b)) = (shape, b_slot) {
            self.imm(b);
        }
        let reg = reg_of(out).ok_or("ref result")?;
        self.push(out, reg);
        self.retarget = Some((at, self.pos(), reg));
        Ok(())
    }

    fn unary(&mut self, op: UnOp) -> Step {
        let a = self.pop()?;
        let out = op.result();
        // `i64.extend_i32_u` is the identity on slot and register bits (an i32 is zero-extended
        // wherever it lives), so it only retypes the operand where it is; nothing is emitted,
        // and a pending fold of the producing op stays valid (same bits).
        if op == UnOp::I64ExtendI32U && matches!(a.loc, Loc::R0 | Loc::Slot(_) | Loc::Local(_)) {
            self.push(out, a.loc);
            return Ok(());
        }
        let slot = self.slot_of(a.loc);
        self.free_reg_for(out);
        let at = self.pos();
        match slot {
            Some(slot) => {
                self.emit(Instr::Un(op, Shape1::S, false));
                self.imm(slot);
            }
            None => self.emit(Instr::Un(op, Shape1::R, false)),
        }
        let reg = reg_of(out).ok_or("ref result")?;
        self.push(out, reg);
        self.retarget = Some((at, self.pos(), reg));
        Ok(())
    }

    fn select(&mut self) -> Step {
        let c = self.pop()?;
        let b = self.pop()?;
        let a = self.pop()?;
        let h = self.stack.len();
        let c = self.popped_slot(c, h + 2);
        let b = self.popped_slot(b, h + 1);
        let a_slot = self.popped_slot(a, h);
        let class = class_of(a.ty);
        self.free_reg_for(a.ty);
        self.emit(Instr::Select(class));
        self.imm(c);
        self.imm(a_slot);
        self.imm(b);
        if class == Class::Ref {
            let dst = self.home(h);
            self.imm(dst);
        }
        self.push_result(a.ty);
        Ok(())
    }

    fn call_args(&mut self, params: usize, extra: usize) -> Result<usize, String> {
        let n = params + extra;
        let first = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or("too few call operands")?;
        for h in first..self.stack.len() {
            self.move_home(h);
        }
        Ok(first)
    }

    fn after_call(&mut self, first: usize, n: usize, results: &[ValType], next: u32) {
        self.stack.truncate(self.stack.len() - n);
        for (i, ty) in results.iter().enumerate() {
            let home = self.home(first + i);
            self.push(*ty, Loc::Slot(home));
        }
        if self.polling {
            self.point(super::PointKind::Return, self.pos(), next, 0);
        }
    }

    fn call(&mut self, func: u32, pc: u32, next: u32) -> Step {
        let ty = self.info.func_type(func).ok_or("no such function")?.clone();
        let n = ty.params.len();
        let first = self.call_args(n, 0)?;
        let pos = self.pos();
        if self.polling {
            self.point(super::PointKind::Call, pos, pc, n as u32);
        }
        self.emit(Instr::Call);
        self.imm(0u64);
        self.imm(func);
        let base = self.home(first);
        self.imm(base);
        self.after_call(first, n, &ty.results, next);
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32, pc: u32, next: u32) -> Step {
        let ty = self
            .info
            .types
            .get(type_index as usize)
            .ok_or("no such type")?
            .clone();
        let n = ty.params.len();
        let first = self.call_args(n, 1)?;
        let pos = self.pos();
        if self.polling {
            self.point(super::PointKind::Call, pos, pc, n as u32 + 1);
        }
        self.emit(Instr::CallIndirect);
        self.imm(1u64);
        self.imm(type_index);
        self.imm(table);
        let base = self.home(first);
        self.imm(base);
        let index = self.home(first + n);
        self.imm(index);
        self.after_call(first, n + 1, &ty.results, next);
        Ok(())
    }

    fn load(&mut self, kind: LoadKind, memarg: &MemArg) -> Step {
        let offset = offset32(memarg)?;
        let addr = self.pop()?;
        let out = load_type(kind);
        let slot = self.slot_of(addr.loc);
        self.free_reg_for(out);
        let at = self.pos();
        match slot {
            Some(slot) => {
                self.emit(Instr::Load(kind, Shape1::S, false));
                self.imm(offset);
                self.imm(slot);
            }
            None => {
                self.emit(Instr::Load(kind, Shape1::R, false));
                self.imm(offset);
            }
        }
        self.push_result(out);
        if let Some(reg) = reg_of(out) {
            self.retarget = Some((at, self.pos(), reg));
        }
        Ok(())
    }

    fn store(&mut self, kind: StoreKind, memarg: &MemArg) -> Step {
        let offset = offset32(memarg)?;
        let value = self.pop()?;
        let addr = self.pop()?;
        let h = self.stack.len();
        let mut v_slot = self.slot_of(value.loc);
        let a_slot = self.slot_of(addr.loc);
        if v_slot.is_none() && a_slot.is_none() && !kind.float() {
            v_slot = Some(self.popped_slot(value, h + 1));
        }
        let shape = match (v_slot, a_slot) {
            (Some(_), Some(_)) => Shape2::SS,
            (None, Some(_)) => Shape2::RS,
            (Some(_), None) => Shape2::SR,
            (None, None) => Shape2::RR,
        };
        self.emit(Instr::Store(kind, shape));
        self.imm(offset);
        if let Some(v) = v_slot {
            self.imm(v);
        }
        if let Some(a) = a_slot {
            self.imm(a);
        }
        Ok(())
    }

    /// Emits a [`Bulk`] op whose `n` operands (top of stack, bottom first) are all in slots;
    /// `imms_before` go first; a result of type `result` goes to the home slot of the first
    /// operand (or of the current height when there are none).
    fn bulk(&mut self, op: Bulk, imms_before: &[u32], n: usize, result: Option<ValType>) -> Step {
        let first = self.stack.len().checked_sub(n).ok_or("too few operands")?;
        let mut slots = Vec::with_capacity(n);
        let operands: Vec<Operand> = self.stack.drain(first..).collect();
        for (i, operand) in operands.into_iter().enumerate() {
            slots.push(self.popped_slot(operand, first + i));
        }
        self.emit(Instr::Bulk(op));
        for imm in imms_before {
            self.imm(*imm);
        }
        if let Some(ty) = result {
            let dst = self.home(first);
            if op != Bulk::RefIsNull {
                self.imm(dst);
            }
            for slot in slots {
                self.imm(slot);
            }
            if op == Bulk::RefIsNull {
                self.push_result(ty);
            } else {
                self.push(ty, Loc::Slot(dst));
            }
        } else {
            for slot in slots {
                self.imm(slot);
            }
        }
        Ok(())
    }

    fn memory_or_table(&mut self, op: &Operator<'_>) -> Step {
        use Operator as O;
        match *op {
            O::I32Load { ref memarg } => self.load(LoadKind::I32, memarg),
            O::I64Load { ref memarg } => self.load(LoadKind::I64, memarg),
            O::F32Load { ref memarg } => self.load(LoadKind::F32, memarg),
            O::F64Load { ref memarg } => self.load(LoadKind::F64, memarg),
            O::I32Load8S { ref memarg } => self.load(LoadKind::I32S8, memarg),
            O::I32Load8U { ref memarg } => self.load(LoadKind::I32U8, memarg),
            O::I32Load16S { ref memarg } => self.load(LoadKind::I32S16, memarg),
            O::I32Load16U { ref memarg } => self.load(LoadKind::I32U16, memarg),
            O::I64Load8S { ref memarg } => self.load(LoadKind::I64S8, memarg),
            O::I64Load8U { ref memarg } => self.load(LoadKind::I64U8, memarg),
            O::I64Load16S { ref memarg } => self.load(LoadKind::I64S16, memarg),
            O::I64Load16U { ref memarg } => self.load(LoadKind::I64U16, memarg),
            O::I64Load32S { ref memarg } => self.load(LoadKind::I64S32, memarg),
            O::I64Load32U { ref memarg } => self.load(LoadKind::I64U32, memarg),
            O::I32Store { ref memarg } | O::I64Store32 { ref memarg } => {
                self.store(StoreKind::B32, memarg)
            }
            O::I64Store { ref memarg } => self.store(StoreKind::B64, memarg),
            O::F32Store { ref memarg } => self.store(StoreKind::F32, memarg),
            O::F64Store { ref memarg } => self.store(StoreKind::F64, memarg),
            O::I32Store8 { ref memarg } | O::I64Store8 { ref memarg } => {
                self.store(StoreKind::B8, memarg)
            }
            O::I32Store16 { ref memarg } | O::I64Store16 { ref memarg } => {
                self.store(StoreKind::B16, memarg)
            }
            O::MemorySize { .. } => self.bulk(Bulk::MemorySize, &[], 0, Some(ValType::I32)),
            O::MemoryGrow { .. } => self.bulk(Bulk::MemoryGrow, &[], 1, Some(ValType::I32)),
            O::MemoryFill { .. } => self.bulk(Bulk::MemoryFill, &[], 3, None),
            O::MemoryCopy { .. } => self.bulk(Bulk::MemoryCopy, &[], 3, None),
            O::MemoryInit { data_index, .. } => self.bulk(Bulk::MemoryInit, &[data_index], 3, None),
            O::DataDrop { data_index } => self.bulk(Bulk::DataDrop, &[data_index], 0, None),
            O::TableGet { table } => {
                let ty = self.table_type(table)?;
                self.bulk(Bulk::TableGet, &[table], 1, Some(ty))
            }
            O::TableSet { table } => self.bulk(Bulk::TableSet, &[table], 2, None),
            O::TableSize { table } => self.bulk(Bulk::TableSize, &[table], 0, Some(ValType::I32)),
            O::TableGrow { table } => self.bulk(Bulk::TableGrow, &[table], 2, Some(ValType::I32)),
            O::TableFill { table } => self.bulk(Bulk::TableFill, &[table], 3, None),
            O::TableCopy {
                dst_table,
                src_table,
            } => self.bulk(Bulk::TableCopy, &[dst_table, src_table], 3, None),
            O::TableInit { elem_index, table } => {
                self.bulk(Bulk::TableInit, &[table, elem_index], 3, None)
            }
            O::ElemDrop { elem_index } => self.bulk(Bulk::ElemDrop, &[elem_index], 0, None),
            O::RefFunc { function_index } => {
                self.bulk(Bulk::RefFunc, &[function_index], 0, Some(ValType::FuncRef))
            }
            O::RefIsNull => {
                self.free_reg_for(ValType::I32);
                self.bulk(Bulk::RefIsNull, &[], 1, Some(ValType::I32))
            }
            ref other => Err(format!("unsupported operator {other:?}")),
        }
    }

    fn table_type(&self, table: u32) -> Result<ValType, String> {
        Ok(self
            .info
            .tables
            .get(table as usize)
            .ok_or("no such table")?
            .elem
            .val_type())
    }
}

/// A memarg's offset, which the executor's address arithmetic relies on being 32 bits (as it
/// is for every memory of a validated Wasm 2.0 module).
fn offset32(memarg: &MemArg) -> Result<u32, String> {
    u32::try_from(memarg.offset)
        .map_err(|_| format!("memory offset {} beyond 32 bits", memarg.offset))
}

fn load_type(kind: LoadKind) -> ValType {
    match kind {
        LoadKind::I32 | LoadKind::I32S8 | LoadKind::I32U8 | LoadKind::I32S16 | LoadKind::I32U16 => {
            ValType::I32
        }
        LoadKind::F32 => ValType::F32,
        LoadKind::F64 => ValType::F64,
        _ => ValType::I64,
    }
}
