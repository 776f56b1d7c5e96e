//! Pass 2 over one function body: the rewritten body.
//!
//! Shape of a rewritten function (`R` its results):
//! ```text
//! block $unwind
//!   block $body (result R)
//!     [rewinding: reload every local from the host]
//!     <body level: wrappers + dispatch, entry check, original code with checks>
//!   end
//!   return
//! end
//! [unwinding: save locals (last first), frame_done(site), zero results]
//! ```
//! A level holding sites `1..n` opens `n` wrapper blocks `[P] -> [T_i]` (outermost `n`) and a
//! dispatch block `[P] -> [P]`: when rewinding, the dispatch loads the site number and that
//! site's operands from the host and branches to the end of wrapper `i`, which sits exactly at
//! site `i`. Operands under a nested level are copied into spill locals when it is entered,
//! so an unwind inside it can save them (they are otherwise unreachable until it ends).

use std::borrow::Cow;

use baton_checkpoint::analysis::{FunctionAnalysis, ModuleAnalysis};
use wasm_encoder::reencode::Reencode;
use wasm_encoder::{Encode, Function, Instruction};
use wasmparser::{FunctionBody, Operator, ValType};

use crate::error::InstrumentError;
use crate::layout::{enc, zero, Layout, Remap, Types};
use crate::meta::SiteKind;
use crate::plan::{block_sig, call_sig, PlanLevel};

/// Mode values of the mode global.
const UNWINDING: i32 = 1;
const REWINDING: i32 = 2;

/// An entry of the emitted control stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctl {
    /// The outer block whose end is the unwind tail.
    Unwind,
    /// A label of the original code (the body block included).
    Orig,
    /// A wrapper or transient block of the instrumentation.
    Added,
}

/// A level being emitted.
struct Open {
    plan: usize,
    cursor: usize,
    dead: bool,
    spills: Vec<(u32, ValType)>,
}

/// Emits one function.
pub(crate) struct Emitter<'a> {
    pub layout: &'a Layout,
    pub types: &'a mut Types,
    pub analysis: &'a ModuleAnalysis,
    pub function: &'a FunctionAnalysis,
    pub levels: &'a [PlanLevel],
    /// Global site ids per plan level, parallel to its sites.
    pub site_ids: &'a [Vec<u32>],
    out: Vec<u8>,
    ctl: Vec<Ctl>,
    open: Vec<Open>,
    locals: Vec<ValType>,
    next_level: usize,
    uw_site: u32,
    tmp_site: u32,
}

impl<'a> Emitter<'a> {
    /// An emitter for one function.
    pub fn new(
        layout: &'a Layout,
        types: &'a mut Types,
        analysis: &'a ModuleAnalysis,
        function: &'a FunctionAnalysis,
        levels: &'a [PlanLevel],
        site_ids: &'a [Vec<u32>],
    ) -> Self {
        let mut locals = function.locals().to_vec();
        let uw_site = locals.len() as u32;
        locals.push(ValType::I32);
        locals.push(ValType::I32);
        Emitter {
            layout,
            types,
            analysis,
            function,
            levels,
            site_ids,
            out: Vec::new(),
            ctl: Vec::new(),
            open: Vec::new(),
            locals,
            next_level: 0,
            uw_site,
            tmp_site: uw_site + 1,
        }
    }

    fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        self.locals.len() as u32 - 1
    }

    fn emit(&mut self, instr: Instruction<'_>) {
        instr.encode(&mut self.out);
    }

    fn depth_to_unwind(&self) -> u32 {
        let pos = self
            .ctl
            .iter()
            .rposition(|c| *c == Ctl::Unwind)
            .unwrap_or(0);
        (self.ctl.len() - 1 - pos) as u32
    }

    /// The emitted depth of original relative label `depth`.
    fn orig_depth(&self, depth: u32, offset: u64) -> Result<u32, InstrumentError> {
        let mut remaining = depth;
        for (i, c) in self.ctl.iter().rev().enumerate() {
            if *c == Ctl::Orig {
                if remaining == 0 {
                    return Ok(i as u32);
                }
                remaining -= 1;
            }
        }
        Err(InstrumentError::at(
            offset,
            format!("branch depth {depth} out of range"),
        ))
    }

    fn block(&mut self, params: &[ValType], results: &[ValType], ctl: Ctl) {
        let ty = self.types.block(params, results);
        self.emit(Instruction::Block(ty));
        self.ctl.push(ctl);
    }

    fn end(&mut self) {
        self.emit(Instruction::End);
        self.ctl.pop();
    }

    /// Saves the spilled operands of every open level, innermost first, top first.
    fn save_spills(&mut self) {
        let spills: Vec<(u32, ValType)> = self
            .open
            .iter()
            .rev()
            .flat_map(|open| open.spills.iter().rev().copied())
            .collect();
        for (local, ty) in spills {
            self.emit(Instruction::LocalGet(local));
            for instr in self.layout.save_seq(ty) {
                self.emit(instr);
            }
        }
    }

    /// Saves `types` (top first, from the stack), the spills, and leaves for the unwind tail
    /// with `site` (the caller is inside one added block).
    fn unwind_from(&mut self, types: &[ValType], site: u32) {
        for ty in types.iter().rev() {
            for instr in self.layout.save_seq(*ty) {
                self.emit(instr);
            }
        }
        self.save_spills();
        self.emit(Instruction::I32Const(site as i32));
        self.emit(Instruction::LocalSet(self.uw_site));
        let depth = self.depth_to_unwind();
        self.emit(Instruction::Br(depth));
    }

    /// An event check: calls the host at events numbered `>=` the threshold; a stop unwinds.
    fn event_check(&mut self, kind: i32, site: u32, types: &[ValType]) {
        let l = self.layout;
        self.block(types, types, Ctl::Added);
        self.emit(Instruction::GlobalGet(l.count));
        self.emit(Instruction::GlobalGet(l.threshold));
        self.emit(Instruction::I64LtU);
        self.emit(Instruction::BrIf(0));
        self.emit(Instruction::I32Const(kind));
        self.emit(Instruction::I32Const(site as i32));
        self.emit(Instruction::GlobalGet(l.count));
        self.emit(Instruction::Call(l.event()));
        self.emit(Instruction::I32Eqz);
        self.emit(Instruction::BrIf(0));
        self.emit(Instruction::I32Const(UNWINDING));
        self.emit(Instruction::GlobalSet(l.mode));
        self.unwind_from(types, site);
        self.end();
        self.emit(Instruction::GlobalGet(l.count));
        self.emit(Instruction::I64Const(1));
        self.emit(Instruction::I64Add);
        self.emit(Instruction::GlobalSet(l.count));
    }

    /// After a call: when unwinding, drop the (meaningless) results, save the rest, leave.
    fn unwind_check(&mut self, types: &[ValType], results: usize, site: u32) {
        self.block(types, types, Ctl::Added);
        self.emit(Instruction::GlobalGet(self.layout.mode));
        self.emit(Instruction::I32Eqz);
        self.emit(Instruction::BrIf(0));
        for _ in 0..results {
            self.emit(Instruction::Drop);
        }
        let keep = types.len().saturating_sub(results);
        self.unwind_from(&types[..keep], site);
        self.end();
    }

    /// Opens the wrappers and the dispatch of a level with sites.
    fn open_level(&mut self, plan: usize) {
        let level = &self.levels[plan];
        let params = level.params.clone();
        let sites: Vec<Vec<ValType>> = level.sites.iter().map(|s| s.types.clone()).collect();
        if sites.is_empty() {
            return;
        }
        for types in sites.iter().rev() {
            self.block(&params, types, Ctl::Added);
        }
        self.block(&params, &params, Ctl::Added);
        let l = self.layout;
        self.emit(Instruction::GlobalGet(l.mode));
        self.emit(Instruction::I32Const(REWINDING));
        self.emit(Instruction::I32Ne);
        self.emit(Instruction::BrIf(0));
        self.emit(Instruction::Call(l.load(ValType::I32)));
        self.emit(Instruction::LocalSet(self.tmp_site));
        for (i, types) in sites.iter().enumerate() {
            self.emit(Instruction::LocalGet(self.tmp_site));
            self.emit(Instruction::I32Const(i as i32 + 1));
            self.emit(Instruction::I32Eq);
            self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
            for ty in types {
                for instr in l.load_seq(*ty) {
                    self.emit(instr);
                }
            }
            self.emit(Instruction::Call(l.load(ValType::I32)));
            self.emit(Instruction::GlobalSet(l.mode));
            self.emit(Instruction::Br(i as u32 + 2));
            self.emit(Instruction::End);
        }
        self.emit(Instruction::Unreachable);
        self.end();
    }

    /// The next site of the innermost level, checked to be `kind`; `None` in dead code.
    fn take_site(
        &mut self,
        kind: SiteKind,
        offset: u64,
    ) -> Result<Option<(u32, Vec<ValType>)>, InstrumentError> {
        let Some(open) = self.open.last_mut() else {
            return Err(InstrumentError::at(offset, "no open level"));
        };
        if open.dead {
            return Ok(None);
        }
        let level = &self.levels[open.plan];
        let site = level
            .sites
            .get(open.cursor)
            .filter(|site| site.kind == kind)
            .ok_or_else(|| {
                InstrumentError::at(offset, format!("plan has no {kind:?} site here"))
            })?;
        let id = self.site_ids[open.plan][open.cursor];
        open.cursor += 1;
        Ok(Some((id, site.types.clone())))
    }

    /// Whether the innermost level's next site is a block site at `pc`.
    fn block_site_here(&self, pc: u32) -> bool {
        self.open.last().is_some_and(|open| {
            !open.dead
                && self.levels[open.plan]
                    .sites
                    .get(open.cursor)
                    .is_some_and(|s| s.kind == SiteKind::Block && s.pc == pc)
        })
    }

    fn push_level(&mut self, dead: bool, spills: Vec<(u32, ValType)>) -> usize {
        let plan = self.next_level;
        self.next_level += 1;
        self.open.push(Open {
            plan,
            cursor: 0,
            dead,
            spills,
        });
        plan
    }

    /// Emits the whole function.
    pub fn run(
        mut self,
        body: &FunctionBody<'_>,
        remap: &mut Remap,
    ) -> Result<Function, InstrumentError> {
        let base = body.range().start;
        let results = self.function.results().to_vec();
        let l = self.layout.clone();
        // Prologue.
        self.block(&[], &[], Ctl::Unwind);
        self.block(&[], &results, Ctl::Orig);
        self.emit(Instruction::GlobalGet(l.mode));
        self.emit(Instruction::I32Const(REWINDING));
        self.emit(Instruction::I32Eq);
        self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
        for (i, ty) in self.function.locals().to_vec().into_iter().enumerate() {
            for instr in l.load_seq(ty) {
                self.emit(instr);
            }
            self.emit(Instruction::LocalSet(i as u32));
        }
        self.emit(Instruction::End);
        let body_plan = self.push_level(false, Vec::new());
        self.open_level(body_plan);
        if let Some((id, types)) = self.take_site(SiteKind::Entry, base)? {
            self.event_check(1, id, &types);
            self.end();
        }
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            let pc = u32::try_from(offset - base).unwrap_or(u32::MAX);
            self.operator(op, offset, pc, remap)?;
        }
        let params = self.function.params().len();
        let mut function = Function::new_with_locals_types(
            self.locals
                .get(params..)
                .unwrap_or(&[])
                .iter()
                .map(|t| enc(*t)),
        );
        function.raw(self.out);
        Ok(function)
    }

    fn operator(
        &mut self,
        op: Operator<'_>,
        offset: u64,
        pc: u32,
        remap: &mut Remap,
    ) -> Result<(), InstrumentError> {
        let l = self.layout.clone();
        let dead = self.open.last().is_none_or(|open| open.dead);
        match op {
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                let (params, _) = block_sig(self.analysis, blockty, offset)?;
                let cond = usize::from(matches!(op, Operator::If { .. }));
                let mut spills = Vec::new();
                if self.block_site_here(pc) {
                    let (id, types) = self
                        .take_site(SiteKind::Block, offset)?
                        .ok_or_else(|| InstrumentError::at(offset, "dead block site"))?;
                    let _ = id;
                    self.end();
                    let q = params.len() + cond;
                    let seg = types.len().saturating_sub(q);
                    if seg > 0 {
                        let top: Vec<ValType> = types[seg..].to_vec();
                        let scratch: Vec<u32> = top.iter().map(|t| self.local(*t)).collect();
                        for local in scratch.iter().rev() {
                            self.emit(Instruction::LocalSet(*local));
                        }
                        for ty in &types[..seg] {
                            let local = self.local(*ty);
                            spills.push((local, *ty));
                        }
                        for (local, _) in spills.iter().rev() {
                            self.emit(Instruction::LocalSet(*local));
                        }
                        for (local, _) in &spills {
                            self.emit(Instruction::LocalGet(*local));
                        }
                        for local in &scratch {
                            self.emit(Instruction::LocalGet(*local));
                        }
                    }
                }
                let ty = remap.block_type(blockty)?;
                self.emit(match op {
                    Operator::Loop { .. } => Instruction::Loop(ty),
                    Operator::If { .. } => Instruction::If(ty),
                    _ => Instruction::Block(ty),
                });
                self.ctl.push(Ctl::Orig);
                let plan = self.push_level(dead, spills);
                self.open_level(plan);
                if matches!(op, Operator::Loop { .. }) {
                    if let Some((id, types)) = self.take_site(SiteKind::Loop, offset)? {
                        self.event_check(2, id, &types);
                        self.end();
                    }
                }
            }
            Operator::Else => {
                let then = self
                    .open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "else without if"))?;
                self.check_done(&then, offset)?;
                self.emit(Instruction::Else);
                let parent_dead = self.open.last().is_none_or(|open| open.dead);
                let plan = self.push_level(parent_dead, then.spills);
                self.open_level(plan);
            }
            Operator::End => {
                let done = self
                    .open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "end without block"))?;
                self.check_done(&done, offset)?;
                if self.open.is_empty() {
                    self.tail();
                } else {
                    self.end();
                }
            }
            Operator::Br { relative_depth } => {
                let d = self.orig_depth(relative_depth, offset)?;
                self.emit(Instruction::Br(d));
                self.kill();
            }
            Operator::BrIf { relative_depth } => {
                let d = self.orig_depth(relative_depth, offset)?;
                self.emit(Instruction::BrIf(d));
            }
            Operator::BrTable { targets } => {
                let mut mapped = Vec::new();
                for target in targets.targets() {
                    mapped.push(self.orig_depth(target?, offset)?);
                }
                let default = self.orig_depth(targets.default(), offset)?;
                self.emit(Instruction::BrTable(Cow::Owned(mapped), default));
                self.kill();
            }
            Operator::Return | Operator::Unreachable => {
                self.emit(if matches!(op, Operator::Return) {
                    Instruction::Return
                } else {
                    Instruction::Unreachable
                });
                self.kill();
            }
            Operator::DataDrop { data_index } => {
                self.emit(Instruction::DataDrop(data_index));
                if let Some(Some(flag)) = l.data_flags.get(data_index as usize) {
                    self.emit(Instruction::I32Const(1));
                    self.emit(Instruction::GlobalSet(*flag));
                }
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(Instruction::ElemDrop(elem_index));
                if let Some(Some(flag)) = l.elem_flags.get(elem_index as usize) {
                    self.emit(Instruction::I32Const(1));
                    self.emit(Instruction::GlobalSet(*flag));
                }
            }
            ref call @ (Operator::Call { .. } | Operator::CallIndirect { .. }) if !dead => {
                let (params, results, indirect) = call_sig(self.analysis, call, offset)?
                    .ok_or_else(|| InstrumentError::at(offset, "not a call"))?;
                let (call_id, call_types) = self
                    .take_site(SiteKind::Call, offset)?
                    .ok_or_else(|| InstrumentError::at(offset, "dead call site"))?;
                self.event_check(3, call_id, &call_types);
                self.end();
                match *call {
                    Operator::CallIndirect {
                        type_index,
                        table_index,
                    } => {
                        let mut inputs = params.clone();
                        inputs.push(ValType::I32);
                        self.emit(Instruction::GlobalGet(l.mode));
                        let ty = self.types.block(&inputs, &results);
                        self.emit(Instruction::If(ty));
                        self.emit(Instruction::CallIndirect {
                            type_index,
                            table_index: l.funcs_table,
                        });
                        self.emit(Instruction::Else);
                        self.emit(Instruction::CallIndirect {
                            type_index,
                            table_index,
                        });
                        self.emit(Instruction::End);
                    }
                    Operator::Call { function_index } => {
                        self.emit(Instruction::Call(l.func(function_index)));
                    }
                    _ => {}
                }
                let _ = indirect;
                let (ret_id, ret_types) = self
                    .take_site(SiteKind::Return, offset)?
                    .ok_or_else(|| InstrumentError::at(offset, "dead return site"))?;
                self.unwind_check(&ret_types, results.len(), call_id);
                self.event_check(4, ret_id, &ret_types);
                self.end();
            }
            other => {
                let instr = remap.instruction(other)?;
                self.emit(instr);
            }
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(open) = self.open.last_mut() {
            open.dead = true;
        }
    }

    fn check_done(&self, open: &Open, offset: u64) -> Result<(), InstrumentError> {
        let expected = self.levels.get(open.plan).map_or(0, |l| l.sites.len());
        if open.cursor != expected {
            return Err(InstrumentError::at(
                offset,
                format!("level ended after {} of {expected} sites", open.cursor),
            ));
        }
        Ok(())
    }

    /// The function's end: close the body, return, and the unwind tail.
    fn tail(&mut self) {
        let l = self.layout.clone();
        self.end();
        self.emit(Instruction::Return);
        self.end();
        let locals = self.function.locals().to_vec();
        for (i, ty) in locals.iter().enumerate().rev() {
            self.emit(Instruction::LocalGet(i as u32));
            for instr in l.save_seq(*ty) {
                self.emit(instr);
            }
        }
        self.emit(Instruction::LocalGet(self.uw_site));
        self.emit(Instruction::Call(l.frame_done()));
        for ty in self.function.results().to_vec() {
            self.emit(zero(ty));
        }
        self.emit(Instruction::End);
    }
}
