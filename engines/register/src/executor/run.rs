//! The dispatch loop: one `match` over [`Instr`] per instruction, cells addressed as
//! `fp + offset`.
//!
//! Invariants: `cur`, `ip` and `fp` mirror the innermost activation (its stored `ip` is only
//! written when control leaves it: on a call, a stop or a trap); numeric arms are generated
//! from the same table as the instructions ([`crate::ops`]); every failure is a [`Trap`]
//! returned as [`Exit::Trapped`], never a panic on module input.

use std::cell::RefMut;

use baton_runtime::store::MemoryHandle;
use baton_runtime::{EventKind, Memory, Trap};

use super::calls::Target;
use super::events::EventResult;
use super::{Execution, Exit, Stopped};
use crate::cells::CellValue;
use crate::code::{Instr, LoadKind, StoreKind};
use crate::ops::for_each_numeric;

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
            EventResult::Continue => {}
            EventResult::OutOfFuel => return Exit::OutOfFuel,
            EventResult::Stop(event) => {
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

macro_rules! define_run {
    (
        binary: [$(($bn:ident, $bi:ty, $bo:ty, $bvi:ident, $bvo:ident, $ba:ident, $bb:ident => $be:expr)),* $(,)?],
        binary_trap: [$(($tn:ident, $ti:ty, $to:ty, $tvi:ident, $tvo:ident, $ta:ident, $tb:ident => $te:expr)),* $(,)?],
        unary: [$(($un:ident, $ui:ty, $uo:ty, $uvi:ident, $uvo:ident, $ua:ident => $ue:expr)),* $(,)?],
        unary_trap: [$(($vn:ident, $vi:ty, $vo:ty, $vvi:ident, $vvo:ident, $va:ident => $ve:expr)),* $(,)?],
        imm: [$(($in:ident, $iname:ident, $ia:ident, $ib:ident => $ie:expr)),* $(,)?],
        cmp_branch: [$(($cn:ident, $cif:ident, $cunless:ident, $ct:ty, $ca:ident, $cb:ident => $ce:expr)),* $(,)?],
        eqz_branch: [$(($en:ident, $eif:ident, $eunless:ident, $et:ty)),* $(,)?],
    ) => {
        impl Execution {
            /// Runs from the innermost activation; `skip_call_event` resumes a call stopped at
            /// its call event.
            pub(super) fn run_loop(&mut self, skip_call_event: bool) -> Exit {
                let mut cells = std::mem::take(&mut self.cells);
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
                let mut cells: &mut [u32] = storage.as_mut_slice();
                let memory_cell = inner.objects.memories.first();
                let mut memory = tri!(borrow_memory(memory_cell));
                loop {
                    let instr = code[ip];
                    ip += 1;
                    match instr {
                        Instr::Entry => event!(self, EventKind::Entry, ip - 1),
                        Instr::LoopHead => event!(self, EventKind::Loop, ip - 1),
                        Instr::AfterCall => event!(self, EventKind::Return, ip - 1),
                        Instr::Unreachable => return Exit::Trapped(Trap::Unreachable),
                        Instr::Br(target) => ip = target as usize,
                        Instr::BrCopy(list, target) => {
                            Self::run_copies(cells, &cur.copies[list as usize], fp);
                            ip = target as usize;
                        }
                        Instr::BrIf(cond, target) => {
                            if cells[fp + cond as usize] != 0 {
                                ip = target as usize;
                            }
                        }
                        Instr::BrUnless(cond, target) => {
                            if cells[fp + cond as usize] == 0 {
                                ip = target as usize;
                            }
                        }
                        Instr::BrIfCopy(cond, list, target) => {
                            if cells[fp + cond as usize] != 0 {
                                Self::run_copies(cells, &cur.copies[list as usize], fp);
                                ip = target as usize;
                            }
                        }
                        Instr::BrTable(index, table) => {
                            let entries = &cur.tables[table as usize];
                            let chosen = (cells[fp + index as usize] as usize)
                                .min(entries.len().saturating_sub(1));
                            let Some(entry) = entries.get(chosen) else {
                                return Exit::Trapped(Trap::Unreachable);
                            };
                            if let Some(list) = entry.copies {
                                Self::run_copies(cells, &cur.copies[list as usize], fp);
                            }
                            ip = entry.target as usize;
                        }
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
                            let Some(done) = self.frames.pop() else {
                                return Exit::Trapped(Trap::Host("return without a frame".into()));
                            };
                            match self.frames.last().copied() {
                                None => return Exit::Finished(self.results(cells, cur, fp, sources)),
                                Some(caller) => {
                                    let dst = caller.fp + done.ret as usize;
                                    for (i, src) in sources.iter().enumerate() {
                                        cells[dst + i] = cells[fp + *src as usize];
                                    }
                                    let Some(func) = module.func(caller.func) else {
                                        return Exit::Trapped(Trap::Host("frame of an unknown function".into()));
                                    };
                                    cur = func;
                                    code = &cur.code;
                                    ip = caller.ip;
                                    fp = caller.fp;
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
                            let target = match tri!(self.resolve(cells, &module, site, fp)) {
                                Target::Own(func) => func,
                                Target::Other(func) => {
                                    drop(memory.take());
                                    tri!(self.call_other(cells, &func, site, fp));
                                    memory = tri!(borrow_memory(memory_cell));
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
                            cells = storage.as_mut_slice();
                            cur = callee;
                            code = &cur.code;
                            ip = 0;
                        }
                        Instr::Copy1(dst, src) => {
                            cells[fp + dst as usize] = cells[fp + src as usize];
                        }
                        Instr::Copy2(dst, src) => {
                            let (d, s) = (fp + dst as usize, fp + src as usize);
                            let (lo, hi) = (cells[s], cells[s + 1]);
                            cells[d] = lo;
                            cells[d + 1] = hi;
                        }
                        Instr::CopyList(list) => Self::run_copies(cells, &cur.copies[list as usize], fp),
                        Instr::Select1(dst, cond, a, b) => {
                            let pick = if cells[fp + cond as usize] != 0 { a } else { b };
                            cells[fp + dst as usize] = cells[fp + pick as usize];
                        }
                        Instr::Select2(dst, cond, a, b) => {
                            let pick = if cells[fp + cond as usize] != 0 { a } else { b };
                            let s = fp + pick as usize;
                            let (lo, hi) = (cells[s], cells[s + 1]);
                            let d = fp + dst as usize;
                            cells[d] = lo;
                            cells[d + 1] = hi;
                        }
                        Instr::GlobalGet(dst, global) => tri!(self.global_get(cells, global, fp + dst as usize)),
                        Instr::GlobalSet(src, global) => tri!(self.global_set(cells, global, fp + src as usize)),
                        Instr::Load(kind, dst, addr, offset) => {
                            let Some(memory) = memory.as_deref() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let at = u64::from(cells[fp + addr as usize]) + u64::from(offset);
                            let d = fp + dst as usize;
                            match kind {
                                LoadKind::I32 => cells[d] = u32::from_le_bytes(tri!(memory.load::<4>(at))),
                                LoadKind::I64 => u64::from_le_bytes(tri!(memory.load::<8>(at))).write_to(cells, d),
                                LoadKind::I32S8 => cells[d] = tri!(memory.load::<1>(at))[0] as i8 as i32 as u32,
                                LoadKind::I32U8 => cells[d] = u32::from(tri!(memory.load::<1>(at))[0]),
                                LoadKind::I32S16 => cells[d] = i16::from_le_bytes(tri!(memory.load::<2>(at))) as i32 as u32,
                                LoadKind::I32U16 => cells[d] = u32::from(u16::from_le_bytes(tri!(memory.load::<2>(at)))),
                                LoadKind::I64S8 => (tri!(memory.load::<1>(at))[0] as i8 as i64 as u64).write_to(cells, d),
                                LoadKind::I64U8 => u64::from(tri!(memory.load::<1>(at))[0]).write_to(cells, d),
                                LoadKind::I64S16 => (i16::from_le_bytes(tri!(memory.load::<2>(at))) as i64 as u64).write_to(cells, d),
                                LoadKind::I64U16 => u64::from(u16::from_le_bytes(tri!(memory.load::<2>(at)))).write_to(cells, d),
                                LoadKind::I64S32 => (i32::from_le_bytes(tri!(memory.load::<4>(at))) as i64 as u64).write_to(cells, d),
                                LoadKind::I64U32 => u64::from(u32::from_le_bytes(tri!(memory.load::<4>(at)))).write_to(cells, d),
                            }
                        }
                        Instr::Store(kind, value, addr, offset) => {
                            let Some(memory) = memory.as_deref_mut() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let at = u64::from(cells[fp + addr as usize]) + u64::from(offset);
                            let v = fp + value as usize;
                            match kind {
                                StoreKind::B32 => tri!(memory.store(at, cells[v].to_le_bytes())),
                                StoreKind::B64 => tri!(memory.store(at, crate::cells::read_u64(cells, v).to_le_bytes())),
                                StoreKind::B8 => tri!(memory.store(at, [cells[v] as u8])),
                                StoreKind::B16 => tri!(memory.store(at, (cells[v] as u16).to_le_bytes())),
                            }
                        }
                        Instr::MemorySize(dst) => {
                            let pages = memory.as_deref().map_or(0, |m| m.pages());
                            cells[fp + dst as usize] = pages as u32;
                        }
                        Instr::MemoryGrow(dst, delta) => {
                            let delta = u64::from(cells[fp + delta as usize]);
                            let old = memory.as_deref_mut().and_then(|m| m.grow(delta));
                            cells[fp + dst as usize] = old.map_or(u32::MAX, |pages| pages as u32);
                        }
                        Instr::MemoryFill(dst, value, len) => {
                            let Some(memory) = memory.as_deref_mut() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let (d, v, n) = (cells[fp + dst as usize], cells[fp + value as usize], cells[fp + len as usize]);
                            tri!(memory.fill(u64::from(d), v as u8, u64::from(n)));
                        }
                        Instr::MemoryCopy(dst, src, len) => {
                            let Some(memory) = memory.as_deref_mut() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let (d, s, n) = (cells[fp + dst as usize], cells[fp + src as usize], cells[fp + len as usize]);
                            tri!(memory.copy_within(u64::from(d), u64::from(s), u64::from(n)));
                        }
                        Instr::MemoryInit(record) => tri!(self.memory_init(cells, memory.as_deref_mut(), &cur.bulk[record as usize], fp)),
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
                        Instr::Table(op, record) => tri!(self.table_op(cells, op, &cur.bulk[record as usize], fp)),
                        Instr::RefNull(dst) => cells[fp + dst as usize] = 0,
                        Instr::RefIsNull(dst, src) => {
                            cells[fp + dst as usize] = u32::from(cells[fp + src as usize] == 0);
                        }
                        Instr::RefFunc(dst, func) => cells[fp + dst as usize] = func + 1,
                        $(
                            Instr::$bn(dst, a, b) => {
                                let $ba = <$bi as CellValue>::read(cells, fp + a as usize);
                                let $bb = <$bi as CellValue>::read(cells, fp + b as usize);
                                let result: $bo = $be;
                                result.write(cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$tn(dst, a, b) => {
                                let $ta = <$ti as CellValue>::read(cells, fp + a as usize);
                                let $tb = <$ti as CellValue>::read(cells, fp + b as usize);
                                let result: $to = tri!($te);
                                result.write(cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$un(dst, a) => {
                                let $ua = <$ui as CellValue>::read(cells, fp + a as usize);
                                let result: $uo = $ue;
                                result.write(cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$vn(dst, a) => {
                                let $va = <$vi as CellValue>::read(cells, fp + a as usize);
                                let result: $vo = tri!($ve);
                                result.write(cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$iname(dst, a, imm) => {
                                let $ia = <i32 as CellValue>::read(cells, fp + a as usize);
                                let $ib: i32 = imm;
                                let result: i32 = $ie;
                                result.write(cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$cif(a, b, target) => {
                                let $ca = <$ct as CellValue>::read(cells, fp + a as usize);
                                let $cb = <$ct as CellValue>::read(cells, fp + b as usize);
                                if $ce {
                                    ip = target as usize;
                                }
                            }
                            Instr::$cunless(a, b, target) => {
                                let $ca = <$ct as CellValue>::read(cells, fp + a as usize);
                                let $cb = <$ct as CellValue>::read(cells, fp + b as usize);
                                if !($ce) {
                                    ip = target as usize;
                                }
                            }
                        )*
                        $(
                            Instr::$eif(a, target) => {
                                if <$et as CellValue>::read(cells, fp + a as usize) == 0 {
                                    ip = target as usize;
                                }
                            }
                            Instr::$eunless(a, target) => {
                                if <$et as CellValue>::read(cells, fp + a as usize) != 0 {
                                    ip = target as usize;
                                }
                            }
                        )*
                    }
                }
            }
        }
    };
}

for_each_numeric!(define_run);

/// Borrows the instance's memory for the duration of a run segment (released around calls
/// that leave the instance). A memory already borrowed elsewhere is reported as a trap.
fn borrow_memory(cell: Option<&MemoryHandle>) -> Result<Option<RefMut<'_, Memory>>, Trap> {
    cell.map(|cell| {
        cell.try_borrow_mut()
            .map_err(|_| Trap::Host("memory is in use by another call".into()))
    })
    .transpose()
}

/// Writing a raw 64-bit value into two cells.
trait WriteTo {
    fn write_to(self, cells: &mut [u32], at: usize);
}

impl WriteTo for u64 {
    #[inline(always)]
    fn write_to(self, cells: &mut [u32], at: usize) {
        crate::cells::write_u64(cells, at, self);
    }
}
