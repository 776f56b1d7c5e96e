//! Control flow: blocks, loops, `if`/`else`, branches and returns.
//!
//! Native shape (after Wasm3's `op_Loop`): a loop's body runs in a nested native frame of the
//! executor, so at any point the native loop frames of a function are exactly the loops whose
//! bodies enclose it. A branch to a label inside the same native frame is a jump; a branch out
//! of `k > 0` loop frames to a block's end is `Break(k - 1, target)`; a branch to a loop from
//! `k` loop frames inside it is `Continue(k)`; the fall-through end of a loop body is
//! `LoopEnd`. A branch's values are first copied to the label's home slots.

use baton_runtime::ValType;
use wasmparser::{BlockType, Operator};

use super::points::{Loc, Operand, PointKind};
use super::translate::Compiler;
use crate::code::{Instr, Shape1, Shape2, Word};

/// What opened a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A compile-time label.
#[derive(Clone, Debug)]
pub(super) struct Label {
    kind: Kind,
    /// Stack height below the label's parameters.
    height: usize,
    params: Vec<ValType>,
    results: Vec<ValType>,
    /// Native loop frames open outside this label (a loop label's own frame excluded).
    loops_outside: usize,
    /// Immediates to patch with the end position.
    patches: Vec<usize>,
    /// An `if`'s conditional jump to patch with the `else` (or end) position.
    else_patch: Option<usize>,
    /// The stack at an `if`'s entry (restored at `else`).
    entry: Vec<Operand>,
    /// Opened in unreachable code (nothing was emitted for it).
    dead: bool,
}

impl Label {
    /// The function body's label.
    pub(super) fn function(results: Vec<ValType>) -> Label {
        Label {
            kind: Kind::Func,
            height: 0,
            params: Vec::new(),
            results,
            loops_outside: 0,
            patches: Vec::new(),
            else_patch: None,
            entry: Vec::new(),
            dead: false,
        }
    }

    /// Values a branch to this label carries.
    fn arity(&self) -> &[ValType] {
        if self.kind == Kind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

type Step = Result<(), String>;

impl Compiler<'_> {
    fn block_type(&self, ty: BlockType) -> Result<(Vec<ValType>, Vec<ValType>), String> {
        Ok(match ty {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => (
                Vec::new(),
                vec![crate::values::from_wasmparser(t).ok_or("unsupported block type")?],
            ),
            BlockType::FuncType(index) => {
                let ty = self.info.types.get(index as usize).ok_or("no such type")?;
                (ty.params.to_vec(), ty.results.to_vec())
            }
        })
    }

    fn open(&mut self, kind: Kind, ty: BlockType) -> Result<(), String> {
        let (params, results) = self.block_type(ty)?;
        let height = self.stack.len().saturating_sub(params.len());
        self.labels.push(Label {
            kind,
            height,
            params,
            results,
            loops_outside: self.loops.len(),
            patches: Vec::new(),
            else_patch: None,
            entry: Vec::new(),
            dead: self.dead,
        });
        Ok(())
    }

    /// Translates a control operator; `None` if `op` is not one.
    pub(super) fn control(
        &mut self,
        op: &Operator<'_>,
        _pc: u32,
        next: u32,
    ) -> Result<Option<Step>, String> {
        let step = match *op {
            Operator::Block { blockty } => {
                if !self.dead {
                    self.preserve_all();
                }
                self.open(Kind::Block, blockty)
            }
            Operator::Loop { blockty } => self.open_loop(blockty, next),
            Operator::If { blockty } => self.open_if(blockty),
            Operator::Else => self.else_(),
            Operator::End => self.end(),
            Operator::Br { relative_depth } => {
                if !self.dead {
                    self.branch(relative_depth)?;
                    self.dead = true;
                }
                Ok(())
            }
            Operator::BrIf { relative_depth } => {
                if self.dead {
                    return Ok(Some(Ok(())));
                }
                self.br_if(relative_depth)
            }
            Operator::BrTable { ref targets } => {
                if self.dead {
                    return Ok(Some(Ok(())));
                }
                let mut depths = Vec::with_capacity(targets.len() as usize + 1);
                for depth in targets.targets() {
                    depths.push(depth.map_err(|e| e.message().to_string())?);
                }
                depths.push(targets.default());
                self.br_table(&depths)
            }
            Operator::Return => {
                if !self.dead {
                    self.ret()?;
                    self.dead = true;
                }
                Ok(())
            }
            _ => return Ok(None),
        };
        Ok(Some(step))
    }

    fn open_loop(&mut self, ty: BlockType, next: u32) -> Step {
        if self.dead {
            return self.open(Kind::Loop, ty);
        }
        self.preserve_all();
        self.open(Kind::Loop, ty)?;
        for h in self.labels.last().map_or(0, |l| l.height)..self.stack.len() {
            self.move_home(h);
        }
        let pos = self.pos();
        self.emit(Instr::Loop);
        if self.polling {
            self.point(PointKind::Loop, pos, next, 0);
        }
        self.loops.push(pos as u32);
        Ok(())
    }

    fn open_if(&mut self, ty: BlockType) -> Step {
        if self.dead {
            return self.open(Kind::If, ty);
        }
        let cond = self.pop()?;
        let cond_slot = self.slot_of(cond.loc);
        // The condition may be in r0; nothing else is (spilled below, r0 first is safe
        // because the condition was popped and owns r0 alone).
        self.preserve_all();
        self.open(Kind::If, ty)?;
        for h in self.labels.last().map_or(0, |l| l.height)..self.stack.len() {
            self.move_home(h);
        }
        // Fused with the comparison only if the spills above emitted nothing.
        if !self.fuse_compare(cond.loc, false) {
            match cond_slot {
                Some(slot) => {
                    self.emit(Instr::BrUnless(Shape1::S));
                    self.imm(slot);
                }
                None => self.emit(Instr::BrUnless(Shape1::R)),
            }
        }
        let at = self.imm(0u64);
        let entry = self.stack.clone();
        if let Some(label) = self.labels.last_mut() {
            label.else_patch = Some(at);
            label.entry = entry;
        }
        Ok(())
    }

    /// Moves a label's values (top of stack) to its home slots in the compile stack.
    fn settle_results(&mut self, height: usize, count: usize) {
        let first = self.stack.len().saturating_sub(count);
        for (i, h) in (first..self.stack.len()).enumerate() {
            let Some(op) = self.stack.get(h).copied() else {
                continue;
            };
            let home = self.home(height + i);
            self.move_to(op.loc, home);
            self.stack[h].loc = Loc::Slot(home);
        }
    }

    fn else_(&mut self) -> Step {
        let label = self.labels.last().cloned().ok_or("else without if")?;
        if label.dead {
            return Ok(());
        }
        if !self.dead {
            self.settle_results(label.height, label.results.len());
            self.emit(Instr::Br);
            let at = self.imm(0u64);
            if let Some(l) = self.labels.last_mut() {
                l.patches.push(at);
            }
        }
        let here = self.pos();
        if let Some(at) = label.else_patch {
            self.patch(at, here);
        }
        self.stack = label.entry.clone();
        self.dead = false;
        if let Some(l) = self.labels.last_mut() {
            l.kind = Kind::Else;
            l.else_patch = None;
        }
        Ok(())
    }

    fn end(&mut self) -> Step {
        let label = self.labels.pop().ok_or("end without a label")?;
        if label.dead {
            return Ok(());
        }
        if !self.dead {
            self.settle_results(label.height, label.results.len());
        }
        match label.kind {
            Kind::Func => {
                if !self.dead {
                    self.ret()?;
                }
                self.dead = true;
                return Ok(());
            }
            Kind::Loop => {
                self.emit(Instr::LoopEnd);
                self.loops.pop();
            }
            _ => {}
        }
        let here = self.pos();
        for at in label.patches {
            self.patch(at, here);
        }
        if let Some(at) = label.else_patch {
            self.patch(at, here);
        }
        self.stack.truncate(label.height);
        for (i, ty) in label.results.iter().enumerate() {
            let home = self.home(label.height + i);
            self.push(*ty, Loc::Slot(home));
        }
        self.dead = false;
        Ok(())
    }

    /// Copies the values for a branch to label `depth` to its home slots (no stack change).
    fn branch_copies(&mut self, label: &Label) {
        let n = label.arity().len();
        let first = self.stack.len().saturating_sub(n);
        for i in 0..n {
            if let Some(op) = self.stack.get(first + i).copied() {
                let home = self.home(label.height + i);
                self.move_to(op.loc, home);
            }
        }
    }

    fn label(&self, depth: u32) -> Result<Label, String> {
        let index = self
            .labels
            .len()
            .checked_sub(depth as usize + 1)
            .ok_or("branch depth out of range")?;
        Ok(self.labels[index].clone())
    }

    /// Emits the jump part of a branch to label `depth` (values already in place).
    fn jump(&mut self, depth: u32) -> Step {
        let label = self.label(depth)?;
        let index = self.labels.len() - depth as usize - 1;
        let frames = self.loops.len();
        match label.kind {
            Kind::Func => return self.ret(),
            Kind::Loop => {
                if !self.fuse_continue() {
                    self.emit(Instr::Continue);
                }
                self.imm((frames - label.loops_outside - 1) as u64);
                let loop_at = self.loops.get(label.loops_outside).copied();
                self.imm(loop_at.ok_or("branch to a loop outside every loop")?);
            }
            _ => {
                let k = frames - label.loops_outside;
                let at = if k == 0 {
                    self.emit(Instr::Br);
                    self.imm(0u64)
                } else {
                    self.emit(Instr::Break);
                    self.imm((k - 1) as u64);
                    self.imm(0u64)
                };
                self.labels[index].patches.push(at);
            }
        }
        Ok(())
    }

    fn branch(&mut self, depth: u32) -> Step {
        let label = self.label(depth)?;
        if label.kind != Kind::Func {
            self.branch_copies(&label);
        }
        self.jump(depth)
    }

    /// Whether a branch to `label` needs neither copies nor a native frame change.
    fn plain_branch(&self, label: &Label) -> bool {
        let n = label.arity().len();
        let first = self.stack.len().saturating_sub(n);
        let in_place = (0..n).all(|i| {
            self.stack.get(first + i).map(|op| op.loc)
                == Some(Loc::Slot(self.home(label.height + i)))
        });
        in_place
            && !matches!(label.kind, Kind::Func | Kind::Loop)
            && self.loops.len() == label.loops_outside
    }

    /// Rewrites the integer comparison that just computed `cond` into `r0` into a fused
    /// compare-and-branch ([`Instr::BrCmp`]) jumping when the comparison is `if_`; the caller
    /// appends the target. Nothing was emitted since the comparison (so no safe point lies
    /// between) and `r0` still holds its result, which nothing else reads.
    fn fuse_compare(&mut self, cond: Loc, if_: bool) -> bool {
        let Some((at, end, reg)) = self.retarget else {
            return false;
        };
        if cond != Loc::R0 || reg != Loc::R0 || end != self.pos() {
            return false;
        }
        let Some(Word::Op(Instr::Bin(op, shape, false))) = self.code.get(at).copied() else {
            return false;
        };
        if !op.fusable_compare() || shape == Shape2::RR {
            return false;
        }
        self.code[at] = Word::Op(Instr::BrCmp(op, shape, if_));
        self.retarget = None;
        true
    }

    fn br_if(&mut self, depth: u32) -> Step {
        let cond = self.pop()?;
        let slot = self.slot_of(cond.loc);
        let shape = if slot.is_some() { Shape1::S } else { Shape1::R };
        let label = self.label(depth)?;
        if self.plain_branch(&label) {
            if !self.fuse_compare(cond.loc, true) {
                self.emit(Instr::BrIf(shape));
                if let Some(slot) = slot {
                    self.imm(slot);
                }
            }
            let at = self.imm(0u64);
            let index = self.labels.len() - depth as usize - 1;
            self.labels[index].patches.push(at);
            return Ok(());
        }
        let fused = self.fuse_compare(cond.loc, false);
        if !fused {
            self.emit(Instr::BrUnless(shape));
            if let Some(slot) = slot {
                self.imm(slot);
            }
        }
        let skip = self.imm(0u64);
        self.branch(depth)?;
        let here = self.pos();
        if fused && self.fuse_break(skip, depth) {
            return Ok(());
        }
        self.patch(skip, here);
        Ok(())
    }

    /// Turns the last op into a [`Instr::BinContinue`] when it is a binary operation of
    /// [`BinOp::continue_fusable`](crate::ops::BinOp::continue_fusable) writing a slot, ending
    /// here, and nothing jumps to here (the `Continue`'s immediates follow). No safe point lies
    /// between the two (a `Continue` is none; the loop event fires at the loop op).
    fn fuse_continue(&mut self) -> bool {
        let here = self.pos();
        if self.last_target >= here {
            return false;
        }
        let Some(at) = self.code.iter().rposition(|w| matches!(w, Word::Op(_))) else {
            return false;
        };
        let Word::Op(Instr::Bin(op, shape, true)) = self.code[at] else {
            return false;
        };
        if !op.continue_fusable() || shape == Shape2::RR {
            return false;
        }
        self.code[at] = Word::Op(Instr::BinContinue(op, shape));
        self.retarget = None;
        true
    }

    /// Turns `BrCmp(op, shape, false) … skip; Break depth target` (a fused compare jumping
    /// over a lone [`Instr::Break`], the branch having needed no copies) into one
    /// [`Instr::BrCmpBreak`] that breaks when the comparison holds: `skip` is the position of
    /// the jump-over target, the `Break` follows it. Nothing between the two is a safe point.
    fn fuse_break(&mut self, skip: usize, depth: u32) -> bool {
        let Some(Word::Op(Instr::Break)) = self.code.get(skip + 1).copied() else {
            return false;
        };
        let Some(Word::Imm(frames)) = self.code.get(skip + 2).copied() else {
            return false;
        };
        if self.pos() != skip + 4 {
            return false;
        }
        let Some(index) = self.labels.len().checked_sub(depth as usize + 1) else {
            return false;
        };
        if self.labels[index].patches.last() != Some(&(skip + 3)) {
            return false;
        }
        let Some(at) = self.code[..skip]
            .iter()
            .rposition(|w| matches!(w, Word::Op(_)))
        else {
            return false;
        };
        let Word::Op(Instr::BrCmp(op, shape, false)) = self.code[at] else {
            return false;
        };
        self.code.truncate(skip);
        self.code[at] = Word::Op(Instr::BrCmpBreak(op, shape));
        self.imm(frames);
        let target = self.imm(0u64);
        if let Some(patch) = self.labels[index].patches.last_mut() {
            *patch = target;
        }
        true
    }

    fn br_table(&mut self, depths: &[u32]) -> Step {
        let index = self.pop()?;
        let slot = self.slot_of(index.loc);
        self.emit(Instr::BrTable(if slot.is_some() {
            Shape1::S
        } else {
            Shape1::R
        }));
        if let Some(slot) = slot {
            self.imm(slot);
        }
        self.imm((depths.len() - 1) as u64);
        let first = self.pos();
        for _ in depths {
            self.imm(0u64);
        }
        let mut stubs: Vec<(u32, usize)> = Vec::new();
        for (i, depth) in depths.iter().enumerate() {
            let stub = match stubs.iter().find(|(d, _)| d == depth) {
                Some((_, stub)) => *stub,
                None => {
                    let stub = self.pos();
                    self.branch(*depth)?;
                    stubs.push((*depth, stub));
                    stub
                }
            };
            self.patch(first + i, stub);
        }
        self.dead = true;
        Ok(())
    }

    /// Emits a return of the function's results (top of stack).
    pub(super) fn ret(&mut self) -> Step {
        let n = self.ty.results.len();
        let first = self.stack.len().checked_sub(n).ok_or("too few results")?;
        let mut sources = Vec::with_capacity(n);
        for h in first..first + n {
            let op = self.stack[h];
            sources.push(self.popped_slot(op, h));
        }
        self.emit(Instr::Return);
        self.imm(n as u64);
        for s in sources {
            self.imm(s);
        }
        Ok(())
    }
}
