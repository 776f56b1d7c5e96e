//! The outer dispatch loop: runs the fast path ([`super::fast`]) and handles what it hands
//! back — events that may stop or run out of fuel, calls and returns (frames pushed and popped
//! on the explicit frame stack), globals, tables and bulk memory operations.
//!
//! Invariants: `cur`, `ip`, `fp` and `frame` mirror the innermost activation (its stored `ip` is
//! only written when control leaves it: on a call, a stop or a trap); the cell vector always
//! extends [`WINDOW`] cells past the innermost frame's base; the memory is borrowed for the whole
//! run segment except around calls that leave the instance; every failure is a [`Trap`] returned
//! as [`Exit::Trapped`], never a panic on module input.

use std::cell::RefMut;

use baton_runtime::store::MemoryHandle;
use baton_runtime::{EventKind, Memory, Trap};

use super::calls::Target;
use super::fast::{Context, Position};
use super::{Execution, Exit, Stopped};
use crate::code::Instr;
use baton_runtime::events::Fired;

/// Unwraps a `Result<_, Trap>` or ends the run with the trap.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(trap) => return Exit::Trapped(trap),
        }
    };
}

/// Fires an event; on a stop records it at instruction `$at` and returns.
macro_rules! event {
    ($self:ident, $kind:expr, $at:expr) => {
        match $self.events.fire($kind) {
            Fired::Continue => {}
            Fired::OutOfFuel => return Exit::OutOfFuel,
            Fired::Stop(event) => {
                if let Some(top) = $self.frames.last_mut() {
                    top.ip = $at;
                }
                let stopped = Stopped { kind: $kind, event };
                $self.stopped = Some(stopped);
                return Exit::Stopped(stopped);
            }
        }
    };
}

impl Execution {
    /// Runs from the innermost activation; `skip_call_event` resumes a call stopped at
    /// its call event.
    pub(super) fn run_loop(&mut self, skip_call_event: bool) -> Exit {
        let mut cells = std::mem::take(&mut self.cells);
        if let Some(top) = self.frames.last() {
            super::calls::ensure_cells(&mut cells, top.fp + WINDOW);
        }
        let exit = self.run_cells(&mut cells, skip_call_event);
        self.cells = cells;
        exit
    }

    /// The loop proper, over the cells moved out of `self`.
    fn run_cells(&mut self, storage: &mut Vec<u32>, mut skip_call_event: bool) -> Exit {
        let inner = self.inner.clone();
        let module = inner.module.clone();
        let Some(top) = self.frames.last().copied() else {
            return Exit::Trapped(Trap::Host("no frame to run".into()));
        };
        let Some(mut cur) = module.func(top.func) else {
            return Exit::Trapped(Trap::Host("frame of an unknown function".into()));
        };
        let mut ip = top.ip;
        let mut fp = top.fp;
        let mut code: &[Instr] = &cur.code;
        let mut frame: &mut Window = tri!(window(storage, fp));
        let memory_cell = inner.objects.memories.first();
        let mut memory = tri!(borrow_memory(memory_cell));
        loop {
            if !skip_call_event {
                let mem: &mut [u8] = match memory.as_deref_mut() {
                    Some(memory) => memory.data_mut(),
                    None => &mut [],
                };
                let mut context = Context {
                    module: &module,
                    storage,
                    frames: &mut self.frames,
                    events: &mut self.events,
                    max_frames: self.max_frames,
                    tables: &inner.objects.tables,
                    instance: inner.handle_addr(),
                };
                let mut at = Position { func: cur, ip, fp };
                tri!(super::fast::run(&mut context, &mut at, mem));
                (cur, ip, fp) = (at.func, at.ip, at.fp);
                code = &cur.code;
                frame = tri!(window(storage, fp));
            }
            let Some(&instr) = code.get(ip) else {
                return Exit::Trapped(Trap::Host("ran off the end of the code".into()));
            };
            ip += 1;
            match instr {
                Instr::Entry => event!(self, EventKind::Entry, ip - 1),
                Instr::LoopHead => event!(self, EventKind::Loop, ip - 1),
                Instr::AfterCall => event!(self, EventKind::Return, ip - 1),
                Instr::Return0 | Instr::Return1(_) | Instr::Return2(_) | Instr::ReturnN(_) => {
                    let one;
                    let two;
                    let sources: &[u16] = match instr {
                        Instr::Return1(src) => {
                            one = [src];
                            &one
                        }
                        Instr::Return2(src) => {
                            two = [src, src + 1];
                            &two
                        }
                        Instr::ReturnN(list) => &cur.returns[list as usize],
                        _ => &[],
                    };
                    let mut pair = [0u32; 2];
                    let many: Vec<u32>;
                    let values: &[u32] = if sources.len() <= 2 {
                        for (slot, src) in pair.iter_mut().zip(sources) {
                            *slot = frame[*src as usize];
                        }
                        &pair[..sources.len()]
                    } else {
                        many = sources.iter().map(|src| frame[*src as usize]).collect();
                        &many
                    };
                    let Some(done) = self.frames.pop() else {
                        return Exit::Trapped(Trap::Host("return without a frame".into()));
                    };
                    match self.frames.last().copied() {
                        None => return Exit::Finished(self.results(values, cur)),
                        Some(caller) => {
                            frame = tri!(window(storage, caller.fp));
                            let dst = done.ret as usize;
                            for (i, value) in values.iter().enumerate() {
                                frame[dst + i] = *value;
                            }
                            let Some(func) = module.func(caller.func) else {
                                return Exit::Trapped(Trap::Host(
                                    "frame of an unknown function".into(),
                                ));
                            };
                            cur = func;
                            code = &cur.code;
                            ip = caller.ip;
                            fp = caller.fp;
                            if let Some(Instr::AfterCall) = code.get(ip) {
                                event!(self, EventKind::Return, ip);
                                ip += 1;
                            }
                        }
                    }
                }
                Instr::Call(site_index) | Instr::CallIndirect(site_index) => {
                    let site = &cur.calls[site_index as usize];
                    if skip_call_event {
                        skip_call_event = false;
                    } else {
                        event!(self, EventKind::Call, ip - 1);
                    }
                    let target = match tri!(self.resolve(frame, &module, site)) {
                        Target::Own(func) => func,
                        Target::Other(func) => {
                            drop(memory.take());
                            tri!(self.call_other(frame, &func, site));
                            memory = tri!(borrow_memory(memory_cell));
                            if let Some(Instr::AfterCall) = code.get(ip) {
                                event!(self, EventKind::Return, ip);
                                ip += 1;
                            }
                            continue;
                        }
                    };
                    let Some(callee) = module.func(target) else {
                        return Exit::Trapped(Trap::Host("call of an unknown function".into()));
                    };
                    if let Some(top) = self.frames.last_mut() {
                        top.ip = ip;
                    }
                    fp = tri!(self.push_frame(storage, cur, callee, target, fp, site));
                    frame = tri!(window(storage, fp));
                    cur = callee;
                    code = &cur.code;
                    ip = 0;
                    if let Some(Instr::Entry) = code.first() {
                        event!(self, EventKind::Entry, 0);
                        ip = 1;
                    }
                }
                Instr::GlobalGet(dst, global) => {
                    tri!(self.global_get(frame, global, dst as usize))
                }
                Instr::GlobalSet(src, global) => {
                    tri!(self.global_set(frame, global, src as usize))
                }
                Instr::MemoryGrow(dst, delta) => {
                    let delta = u64::from(frame[delta as usize]);
                    let old = memory.as_deref_mut().and_then(|m| m.grow(delta));
                    frame[dst as usize] = old.map_or(u32::MAX, |pages| pages as u32);
                }
                Instr::MemoryFill(dst, value, len) => {
                    let Some(memory) = memory.as_deref_mut() else {
                        return Exit::Trapped(Trap::MemoryOutOfBounds);
                    };
                    let (d, v, n) = (
                        frame[dst as usize],
                        frame[value as usize],
                        frame[len as usize],
                    );
                    tri!(memory.fill(u64::from(d), v as u8, u64::from(n)));
                }
                Instr::MemoryCopy(dst, src, len) => {
                    let Some(memory) = memory.as_deref_mut() else {
                        return Exit::Trapped(Trap::MemoryOutOfBounds);
                    };
                    let (d, s, n) = (
                        frame[dst as usize],
                        frame[src as usize],
                        frame[len as usize],
                    );
                    tri!(memory.copy_within(u64::from(d), u64::from(s), u64::from(n)));
                }
                Instr::MemoryInit(record) => {
                    tri!(self.memory_init(frame, memory.as_deref_mut(), &cur.bulk[record as usize]))
                }
                Instr::DataDrop(segment) => {
                    if let Some(flag) = inner.objects.dropped_data.get(segment as usize) {
                        flag.set(true);
                    }
                }
                Instr::ElemDrop(segment) => {
                    if let Some(flag) = inner.objects.dropped_elements.get(segment as usize) {
                        flag.set(true);
                    }
                }
                Instr::Table(op, record) => {
                    tri!(self.table_op(frame, op, &cur.bulk[record as usize]))
                }
                _ => {
                    return Exit::Trapped(Trap::Host(format!(
                        "instruction {instr:?} reached the outer loop"
                    )))
                }
            }
        }
    }
}

/// The cells a frame can address: every `u16` offset plus one (two-cell values), so indexing
/// a frame with a `u16` operand needs no bounds check.
pub(crate) const WINDOW: usize = u16::MAX as usize + 2;

/// A frame's addressable cells.
pub(crate) type Window = [u32; WINDOW];

/// The window of the frame at `fp` (the cell vector always extends `WINDOW` cells past the
/// innermost frame's base).
#[inline]
pub(super) fn window(storage: &mut [u32], fp: usize) -> Result<&mut Window, Trap> {
    storage
        .get_mut(fp..fp + WINDOW)
        .and_then(|cells| cells.try_into().ok())
        .ok_or_else(|| Trap::Host("frame outside the cell stack".into()))
}

/// Borrows the instance's memory for the duration of a run segment (released around calls
/// that leave the instance). A memory already borrowed elsewhere is reported as a trap.
fn borrow_memory(cell: Option<&MemoryHandle>) -> Result<Option<RefMut<'_, Memory>>, Trap> {
    cell.map(|cell| {
        cell.try_borrow_mut()
            .map_err(|_| Trap::Host("memory is in use by another call".into()))
    })
    .transpose()
}
