//! The dispatch loop: one `match` over [`Instr`] per instruction, cells addressed as
//! `fp + offset`.
//!
//! Invariants: `cur`, `ip` and `fp` mirror the innermost activation (its stored `ip` is only
//! written when control leaves it: on a call, a stop or a trap); numeric arms are generated
//! from the same table as the instructions ([`crate::ops`]); every failure is a [`Trap`]
//! returned as [`Exit::Trapped`], never a panic on module input.

use baton_runtime::{EventKind, Trap};

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
            pub(super) fn run_loop(&mut self, mut skip_call_event: bool) -> Exit {
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
                let memory = inner.objects.memories.first().cloned();
                loop {
                    let instr = cur.code[ip];
                    ip += 1;
                    match instr {
                        Instr::Entry => event!(self, EventKind::Entry, ip - 1),
                        Instr::LoopHead => event!(self, EventKind::Loop, ip - 1),
                        Instr::AfterCall => event!(self, EventKind::Return, ip - 1),
                        Instr::Unreachable => return Exit::Trapped(Trap::Unreachable),
                        Instr::Br(target) => ip = target as usize,
                        Instr::BrCopy(list, target) => {
                            self.run_copies(&cur.copies[list as usize], fp);
                            ip = target as usize;
                        }
                        Instr::BrIf(cond, target) => {
                            if self.cells[fp + cond as usize] != 0 {
                                ip = target as usize;
                            }
                        }
                        Instr::BrUnless(cond, target) => {
                            if self.cells[fp + cond as usize] == 0 {
                                ip = target as usize;
                            }
                        }
                        Instr::BrIfCopy(cond, list, target) => {
                            if self.cells[fp + cond as usize] != 0 {
                                self.run_copies(&cur.copies[list as usize], fp);
                                ip = target as usize;
                            }
                        }
                        Instr::BrTable(index, table) => {
                            let entries = &cur.tables[table as usize];
                            let chosen = (self.cells[fp + index as usize] as usize)
                                .min(entries.len().saturating_sub(1));
                            let Some(entry) = entries.get(chosen) else {
                                return Exit::Trapped(Trap::Unreachable);
                            };
                            if let Some(list) = entry.copies {
                                self.run_copies(&cur.copies[list as usize], fp);
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
                                None => return Exit::Finished(self.results(cur, fp, sources)),
                                Some(caller) => {
                                    let dst = caller.fp + done.ret as usize;
                                    for (i, src) in sources.iter().enumerate() {
                                        self.cells[dst + i] = self.cells[fp + *src as usize];
                                    }
                                    let Some(func) = module.func(caller.func) else {
                                        return Exit::Trapped(Trap::Host("frame of an unknown function".into()));
                                    };
                                    cur = func;
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
                            let target = match tri!(self.resolve(&module, site, fp)) {
                                Target::Own(func) => func,
                                Target::Other(func) => {
                                    tri!(self.call_other(&func, site, fp));
                                    continue;
                                }
                            };
                            let Some(callee) = module.func(target) else {
                                return Exit::Trapped(Trap::Host("call of an unknown function".into()));
                            };
                            if let Some(top) = self.frames.last_mut() {
                                top.ip = ip;
                            }
                            fp = tri!(self.push_frame(cur, callee, target, fp, site));
                            cur = callee;
                            ip = 0;
                        }
                        Instr::Copy1(dst, src) => {
                            self.cells[fp + dst as usize] = self.cells[fp + src as usize];
                        }
                        Instr::Copy2(dst, src) => {
                            let (d, s) = (fp + dst as usize, fp + src as usize);
                            let (lo, hi) = (self.cells[s], self.cells[s + 1]);
                            self.cells[d] = lo;
                            self.cells[d + 1] = hi;
                        }
                        Instr::CopyList(list) => self.run_copies(&cur.copies[list as usize], fp),
                        Instr::Select1(dst, cond, a, b) => {
                            let pick = if self.cells[fp + cond as usize] != 0 { a } else { b };
                            self.cells[fp + dst as usize] = self.cells[fp + pick as usize];
                        }
                        Instr::Select2(dst, cond, a, b) => {
                            let pick = if self.cells[fp + cond as usize] != 0 { a } else { b };
                            let s = fp + pick as usize;
                            let (lo, hi) = (self.cells[s], self.cells[s + 1]);
                            let d = fp + dst as usize;
                            self.cells[d] = lo;
                            self.cells[d + 1] = hi;
                        }
                        Instr::GlobalGet(dst, global) => tri!(self.global_get(global, fp + dst as usize)),
                        Instr::GlobalSet(src, global) => tri!(self.global_set(global, fp + src as usize)),
                        Instr::Load(kind, dst, addr, offset) => {
                            let Some(memory) = memory.as_ref() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let at = u64::from(self.cells[fp + addr as usize]) + u64::from(offset);
                            let memory = memory.borrow();
                            let d = fp + dst as usize;
                            match kind {
                                LoadKind::I32 => self.cells[d] = u32::from_le_bytes(tri!(memory.load::<4>(at))),
                                LoadKind::I64 => u64::from_le_bytes(tri!(memory.load::<8>(at))).write_to(&mut self.cells, d),
                                LoadKind::I32S8 => self.cells[d] = tri!(memory.load::<1>(at))[0] as i8 as i32 as u32,
                                LoadKind::I32U8 => self.cells[d] = u32::from(tri!(memory.load::<1>(at))[0]),
                                LoadKind::I32S16 => self.cells[d] = i16::from_le_bytes(tri!(memory.load::<2>(at))) as i32 as u32,
                                LoadKind::I32U16 => self.cells[d] = u32::from(u16::from_le_bytes(tri!(memory.load::<2>(at)))),
                                LoadKind::I64S8 => (tri!(memory.load::<1>(at))[0] as i8 as i64 as u64).write_to(&mut self.cells, d),
                                LoadKind::I64U8 => u64::from(tri!(memory.load::<1>(at))[0]).write_to(&mut self.cells, d),
                                LoadKind::I64S16 => (i16::from_le_bytes(tri!(memory.load::<2>(at))) as i64 as u64).write_to(&mut self.cells, d),
                                LoadKind::I64U16 => u64::from(u16::from_le_bytes(tri!(memory.load::<2>(at)))).write_to(&mut self.cells, d),
                                LoadKind::I64S32 => (i32::from_le_bytes(tri!(memory.load::<4>(at))) as i64 as u64).write_to(&mut self.cells, d),
                                LoadKind::I64U32 => u64::from(u32::from_le_bytes(tri!(memory.load::<4>(at)))).write_to(&mut self.cells, d),
                            }
                        }
                        Instr::Store(kind, value, addr, offset) => {
                            let Some(memory) = memory.as_ref() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let at = u64::from(self.cells[fp + addr as usize]) + u64::from(offset);
                            let v = fp + value as usize;
                            let mut memory = memory.borrow_mut();
                            match kind {
                                StoreKind::B32 => tri!(memory.store(at, self.cells[v].to_le_bytes())),
                                StoreKind::B64 => tri!(memory.store(at, crate::cells::read_u64(&self.cells, v).to_le_bytes())),
                                StoreKind::B8 => tri!(memory.store(at, [self.cells[v] as u8])),
                                StoreKind::B16 => tri!(memory.store(at, (self.cells[v] as u16).to_le_bytes())),
                            }
                        }
                        Instr::MemorySize(dst) => {
                            let pages = memory.as_ref().map_or(0, |m| m.borrow().pages());
                            self.cells[fp + dst as usize] = pages as u32;
                        }
                        Instr::MemoryGrow(dst, delta) => {
                            let delta = u64::from(self.cells[fp + delta as usize]);
                            let old = memory.as_ref().and_then(|m| m.borrow_mut().grow(delta));
                            self.cells[fp + dst as usize] = old.map_or(u32::MAX, |pages| pages as u32);
                        }
                        Instr::MemoryFill(dst, value, len) => {
                            let Some(memory) = memory.as_ref() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let (d, v, n) = (self.cells[fp + dst as usize], self.cells[fp + value as usize], self.cells[fp + len as usize]);
                            tri!(memory.borrow_mut().fill(u64::from(d), v as u8, u64::from(n)));
                        }
                        Instr::MemoryCopy(dst, src, len) => {
                            let Some(memory) = memory.as_ref() else {
                                return Exit::Trapped(Trap::MemoryOutOfBounds);
                            };
                            let (d, s, n) = (self.cells[fp + dst as usize], self.cells[fp + src as usize], self.cells[fp + len as usize]);
                            tri!(memory.borrow_mut().copy_within(u64::from(d), u64::from(s), u64::from(n)));
                        }
                        Instr::MemoryInit(record) => tri!(self.memory_init(&cur.bulk[record as usize], fp)),
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
                        Instr::Table(op, record) => tri!(self.table_op(op, &cur.bulk[record as usize], fp)),
                        Instr::RefNull(dst) => self.cells[fp + dst as usize] = 0,
                        Instr::RefIsNull(dst, src) => {
                            self.cells[fp + dst as usize] = u32::from(self.cells[fp + src as usize] == 0);
                        }
                        Instr::RefFunc(dst, func) => self.cells[fp + dst as usize] = func + 1,
                        $(
                            Instr::$bn(dst, a, b) => {
                                let $ba = <$bi as CellValue>::read(&self.cells, fp + a as usize);
                                let $bb = <$bi as CellValue>::read(&self.cells, fp + b as usize);
                                let result: $bo = $be;
                                result.write(&mut self.cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$tn(dst, a, b) => {
                                let $ta = <$ti as CellValue>::read(&self.cells, fp + a as usize);
                                let $tb = <$ti as CellValue>::read(&self.cells, fp + b as usize);
                                let result: $to = tri!($te);
                                result.write(&mut self.cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$un(dst, a) => {
                                let $ua = <$ui as CellValue>::read(&self.cells, fp + a as usize);
                                let result: $uo = $ue;
                                result.write(&mut self.cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$vn(dst, a) => {
                                let $va = <$vi as CellValue>::read(&self.cells, fp + a as usize);
                                let result: $vo = tri!($ve);
                                result.write(&mut self.cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$iname(dst, a, imm) => {
                                let $ia = <i32 as CellValue>::read(&self.cells, fp + a as usize);
                                let $ib: i32 = imm;
                                let result: i32 = $ie;
                                result.write(&mut self.cells, fp + dst as usize);
                            }
                        )*
                        $(
                            Instr::$cif(a, b, target) => {
                                let $ca = <$ct as CellValue>::read(&self.cells, fp + a as usize);
                                let $cb = <$ct as CellValue>::read(&self.cells, fp + b as usize);
                                if $ce {
                                    ip = target as usize;
                                }
                            }
                            Instr::$cunless(a, b, target) => {
                                let $ca = <$ct as CellValue>::read(&self.cells, fp + a as usize);
                                let $cb = <$ct as CellValue>::read(&self.cells, fp + b as usize);
                                if !($ce) {
                                    ip = target as usize;
                                }
                            }
                        )*
                        $(
                            Instr::$eif(a, target) => {
                                if <$et as CellValue>::read(&self.cells, fp + a as usize) == 0 {
                                    ip = target as usize;
                                }
                            }
                            Instr::$eunless(a, target) => {
                                if <$et as CellValue>::read(&self.cells, fp + a as usize) != 0 {
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
