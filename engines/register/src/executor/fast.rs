//! The fast inner loop: every instruction that touches only the current frame's cells and the
//! memory's bytes (numeric ops, moves, branches, loads and stores, loop headers whose event
//! needs no attention). It makes no calls, so its state (code, ip, frame, memory) stays in
//! registers; anything else (calls, returns, events that may stop, store objects) hands control
//! back to the outer loop in [`super::run`] with `ip` at that instruction.
//!
//! Invariants: on `Ok(())` the instruction at `*ip` is one the outer loop handles and has not
//! been executed; on a trap `*ip` is unspecified (the run is over). Every cell index is a `u16`
//! into a [`Window`], so cell accesses need no bounds checks.

use std::rc::Rc;

use baton_runtime::store::TableHandle;
use baton_runtime::{FuncRef, Trap, Val};

use super::calls::init_frame;
use super::events::Events;
use super::run::{window, Window, WINDOW};
use super::Activation;
use crate::cells::{opaque_high, read_u64, write_u64, CellValue};
use crate::code::{Instr, LoadKind, StoreKind};
use crate::compiler::Callee;
use crate::compiler::CompiledFunc;
use crate::module::ModuleCode;
use crate::ops::for_each_numeric;

/// Reads `N` bytes of memory at `at`, trapping when out of bounds.
#[inline(always)]
fn load<const N: usize>(mem: &[u8], at: u64) -> Result<[u8; N], Trap> {
    let start = usize::try_from(at).map_err(|_| Trap::MemoryOutOfBounds)?;
    mem.get(start..start.wrapping_add(N))
        .filter(|_| start.checked_add(N).is_some())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(Trap::MemoryOutOfBounds)
}

/// Writes `N` bytes of memory at `at`, trapping when out of bounds.
#[inline(always)]
fn store<const N: usize>(mem: &mut [u8], at: u64, bytes: [u8; N]) -> Result<(), Trap> {
    let start = usize::try_from(at).map_err(|_| Trap::MemoryOutOfBounds)?;
    let end = start.checked_add(N).ok_or(Trap::MemoryOutOfBounds)?;
    mem.get_mut(start..end)
        .ok_or(Trap::MemoryOutOfBounds)?
        .copy_from_slice(&bytes);
    Ok(())
}

/// Hands control to the outer loop at instruction `$ip` of `$func` (frame at `$fp`).
/// Hands control to the outer loop at instruction `$ip` of `$func` (frame at `$fp`).
macro_rules! leave {
    ($at:ident, $func:ident, $fp:ident, $ip:expr) => {{
        $at.func = $func;
        $at.fp = $fp;
        $at.ip = $ip;
        return Ok(());
    }};
}

/// Fires a main-kind event from the local budget: `false` when the budget is spent and the
/// event needs the outer loop's slow path (nothing is counted then).
macro_rules! spend {
    ($budget:ident) => {
        if *$budget != 0 {
            *$budget -= 1;
            true
        } else {
            false
        }
    };
}

/// What the fast loop works on besides the current position.
pub(super) struct Context<'a, 'm> {
    /// The module's code.
    pub module: &'m ModuleCode,
    /// All frames' cells.
    pub storage: &'a mut Vec<u32>,
    /// The frame stack.
    pub frames: &'a mut Vec<Activation>,
    /// The event counter.
    pub events: &'a mut Events,
    /// The frame limit.
    pub max_frames: usize,
    /// The instance's tables (for `call_indirect`).
    pub tables: &'m [TableHandle],
    /// The address of the instance's handle, to recognise its own functions in tables.
    pub instance: *const (),
}

/// The callee of a `call_indirect` when it is a function of this instance with exactly the
/// expected type; `None` for anything else (null, out of range, another instance's or a host
/// function, a type mismatch), which the outer loop resolves with the proper trap or call.
#[inline(always)]
fn own_indirect_target(
    tables: &[TableHandle],
    instance: *const (),
    module: &ModuleCode,
    type_index: u32,
    table: u32,
    slot: u32,
) -> Option<u32> {
    let table = tables.get(table as usize)?.try_borrow().ok()?;
    let Val::FuncRef(Some(FuncRef::Wasm(callee))) = table.elements().get(slot as usize)? else {
        return None;
    };
    if !std::ptr::addr_eq(Rc::as_ptr(&callee.instance), instance) {
        return None;
    }
    let expected = module.info.types.get(type_index as usize)?;
    (Rc::ptr_eq(&callee.ty, expected) || *callee.ty == **expected).then_some(callee.index)
}

/// Where execution stands: function, next instruction, frame base.
pub(super) struct Position<'m> {
    /// The current function's code.
    pub func: &'m CompiledFunc,
    /// The next instruction.
    pub ip: usize,
    /// The frame base.
    pub fp: usize,
}

macro_rules! define_fast {
    (
        binary: [$(($bn:ident, $bi:ty, $bo:ty, $bvi:ident, $bvo:ident, $ba:ident, $bb:ident => $be:expr)),* $(,)?],
        binary_trap: [$(($tn:ident, $ti:ty, $to:ty, $tvi:ident, $tvo:ident, $ta:ident, $tb:ident => $te:expr)),* $(,)?],
        unary: [$(($un:ident, $ui:ty, $uo:ty, $uvi:ident, $uvo:ident, $ua:ident => $ue:expr)),* $(,)?],
        unary_trap: [$(($vn:ident, $vi:ty, $vo:ty, $vvi:ident, $vvo:ident, $va:ident => $ve:expr)),* $(,)?],
        imm: [$(($in:ident, $iname:ident, $it:ty, $ia:ident, $ib:ident => $ie:expr)),* $(,)?],
        cmp_branch: [$(($cn:ident, $cif:ident, $cunless:ident, $ct:ty, $ca:ident, $cb:ident => $ce:expr)),* $(,)?],
        eqz_branch: [$(($en:ident, $eif:ident, $eunless:ident, $et:ty)),* $(,)?],
    ) => {
        /// Runs from `at` until an instruction needs the outer loop; `at` then names it. Events
        /// fired on the fast path are counted in a local budget (the events left before the
        /// counter's threshold) and settled into the counter however the loop ends, traps
        /// included.
        pub(super) fn run<'m>(
            ctx: &mut Context<'_, 'm>,
            at: &mut Position<'m>,
            mem: &mut [u8],
        ) -> Result<(), Trap> {
            let start = ctx.events.fast_budget();
            let mut budget = start;
            let result = run_budgeted(ctx, at, mem, &mut budget);
            ctx.events.consume_fast(start - budget);
            result
        }

        // `!(a < b)` is intended for floats: a fused `if` branches away exactly when the compare
        // is false, NaN operands included.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        #[inline(never)]
        fn run_budgeted<'m>(
            ctx: &mut Context<'_, 'm>,
            at: &mut Position<'m>,
            mem: &mut [u8],
            budget: &mut u64,
        ) -> Result<(), Trap> {
            let module = ctx.module;
            let storage = &mut *ctx.storage;
            let frames = &mut *ctx.frames;
                        let mut func = at.func;
            let mut fp = at.fp;
            let mut pc = at.ip;
            let mut frame: &mut Window = window(storage, fp)?;
            let mut code: &[Instr] = &func.code;
            loop {
                let Some(&instr) = code.get(pc) else {
                    return Err(Trap::Host("ran off the end of the code".into()));
                };
                pc += 1;
                match instr {
                    Instr::LoopHead => {
                        if !spend!(budget) {
                            leave!(at, func, fp, pc - 1);
                        }
                    }
                    Instr::Call(site) | Instr::CallIndirect(site) => {
                        let Some(site) = func.calls.get(site as usize) else {
                            leave!(at, func, fp, pc - 1);
                        };
                        let target = match site.callee {
                            Callee::Direct(target) => target,
                            Callee::Indirect { type_index, table } => {
                                let slot = frame[site.index as usize];
                                match own_indirect_target(ctx.tables, ctx.instance, module, type_index, table, slot) {
                                    Some(target) => target,
                                    None => leave!(at, func, fp, pc - 1),
                                }
                            }
                        };
                        let Some(callee) = module.func(target) else {
                            leave!(at, func, fp, pc - 1);
                        };
                        let new_fp = fp + func.frame_cells as usize;
                        if frames.len() >= ctx.max_frames
                            || storage.len() < new_fp + WINDOW
                            || !spend!(budget)
                        {
                            leave!(at, func, fp, pc - 1);
                        }
                        for (i, src) in site.args.iter().enumerate() {
                            storage[new_fp + i] = storage[fp + *src as usize];
                        }
                        init_frame(storage, new_fp, callee);
                        if let Some(top) = frames.last_mut() {
                            top.ip = pc;
                        }
                        frames.push(Activation {
                            func: target,
                            fp: new_fp,
                            ip: 0,
                            ret: site.results,
                        });
                        fp = new_fp;
                        func = callee;
                        code = &func.code;
                        frame = window(storage, fp)?;
                        pc = 0;
                        if let Some(Instr::Entry) = code.first() {
                            if !spend!(budget) {
                                leave!(at, func, fp, 0);
                            }
                            pc = 1;
                        }
                    }
                    Instr::Return0 | Instr::Return1(_) | Instr::Return2(_) => {
                        if frames.len() < 2 {
                            leave!(at, func, fp, pc - 1);
                        }
                        let (values, count) = match instr {
                            Instr::Return1(src) => ([frame[src as usize], 0], 1),
                            Instr::Return2(src) => ([frame[src as usize], frame[src as usize + 1]], 2),
                            _ => ([0, 0], 0),
                        };
                        let Some(done) = frames.pop() else {
                            return Err(Trap::Host("return without a frame".into()));
                        };
                        let Some(&caller) = frames.last() else {
                            return Err(Trap::Host("return without a caller".into()));
                        };
                        let Some(caller_func) = module.func(caller.func) else {
                            return Err(Trap::Host("frame of an unknown function".into()));
                        };
                        fp = caller.fp;
                        func = caller_func;
                        code = &func.code;
                        frame = window(storage, fp)?;
                        let dst = done.ret as usize;
                        for (i, value) in values.iter().take(count).enumerate() {
                            frame[dst + i] = *value;
                        }
                        pc = caller.ip;
                        if let Some(Instr::AfterCall) = code.get(pc) {
                            if !spend!(budget) {
                                leave!(at, func, fp, pc);
                            }
                            pc += 1;
                        }
                    }
                    Instr::Unreachable => return Err(Trap::Unreachable),
                    Instr::Br(target) => pc = target as usize,
                    Instr::BrLoop(header) => {
                        pc = header as usize + usize::from(spend!(budget));
                    }
                    Instr::BrCopy(list, target) => {
                        copies(frame, &func.copies, list);
                        pc = target as usize;
                    }
                    Instr::BrIf(cond, target) => {
                        if frame[cond as usize] != 0 {
                            pc = target as usize;
                        }
                    }
                    Instr::BrUnless(cond, target) => {
                        if frame[cond as usize] == 0 {
                            pc = target as usize;
                        }
                    }
                    Instr::BrIfCopy(cond, list, target) => {
                        if frame[cond as usize] != 0 {
                            copies(frame, &func.copies, list);
                            pc = target as usize;
                        }
                    }
                    Instr::BrTable(index, table) => {
                        let Some(entries) = func.tables.get(table as usize) else {
                            return Err(Trap::Host("missing branch table".into()));
                        };
                        let chosen = (frame[index as usize] as usize).min(entries.len().saturating_sub(1));
                        let Some(entry) = entries.get(chosen) else {
                            return Err(Trap::Host("empty branch table".into()));
                        };
                        if let Some(list) = entry.copies {
                            copies(frame, &func.copies, list);
                        }
                        pc = entry.target as usize;
                    }
                    Instr::Copy1(dst, src) => frame[dst as usize] = frame[src as usize],
                    Instr::Copy2(dst, src) => {
                        let (lo, hi) = (frame[src as usize], frame[src as usize + 1]);
                        frame[dst as usize] = lo;
                        frame[dst as usize + 1] = hi;
                    }
                    Instr::CopyList(list) => copies(frame, &func.copies, list),
                    Instr::Select1(dst, cond, a, b) => {
                        let pick = if frame[cond as usize] != 0 { a } else { b };
                        frame[dst as usize] = frame[pick as usize];
                    }
                    Instr::Select2(dst, cond, a, b) => {
                        let pick = if frame[cond as usize] != 0 { a } else { b };
                        let (lo, hi) = (frame[pick as usize], frame[pick as usize + 1]);
                        frame[dst as usize] = lo;
                        frame[dst as usize + 1] = hi;
                    }
                    Instr::Load(kind, dst, addr, offset) => {
                        let at = u64::from(frame[addr as usize]) + u64::from(offset);
                        let d = dst as usize;
                        match kind {
                            LoadKind::I32 => frame[d] = u32::from_le_bytes(load(mem, at)?),
                            LoadKind::I64 => write_u64(frame, d, u64::from_le_bytes(load(mem, at)?)),
                            LoadKind::I32S8 => frame[d] = load::<1>(mem, at)?[0] as i8 as i32 as u32,
                            LoadKind::I32U8 => frame[d] = u32::from(load::<1>(mem, at)?[0]),
                            LoadKind::I32S16 => frame[d] = i16::from_le_bytes(load(mem, at)?) as i32 as u32,
                            LoadKind::I32U16 => frame[d] = u32::from(u16::from_le_bytes(load(mem, at)?)),
                            LoadKind::I64S8 => write_u64(frame, d, load::<1>(mem, at)?[0] as i8 as i64 as u64),
                            LoadKind::I64U8 => write_u64(frame, d, opaque_high(i64::from(load::<1>(mem, at)?[0])) as u64),
                            LoadKind::I64S16 => write_u64(frame, d, i16::from_le_bytes(load(mem, at)?) as i64 as u64),
                            LoadKind::I64U16 => write_u64(frame, d, opaque_high(i64::from(u16::from_le_bytes(load(mem, at)?))) as u64),
                            LoadKind::I64S32 => write_u64(frame, d, i32::from_le_bytes(load(mem, at)?) as i64 as u64),
                            LoadKind::I64U32 => write_u64(frame, d, opaque_high(i64::from(u32::from_le_bytes(load(mem, at)?))) as u64),
                        }
                    }
                    Instr::Store(kind, value, addr, offset) => {
                        let at = u64::from(frame[addr as usize]) + u64::from(offset);
                        let v = value as usize;
                        match kind {
                            StoreKind::B32 => store(mem, at, frame[v].to_le_bytes())?,
                            StoreKind::B64 => store(mem, at, read_u64(frame, v).to_le_bytes())?,
                            StoreKind::B8 => store(mem, at, [frame[v] as u8])?,
                            StoreKind::B16 => store(mem, at, (frame[v] as u16).to_le_bytes())?,
                        }
                    }
                    Instr::MemorySize(dst) => {
                        frame[dst as usize] = (mem.len() / baton_runtime::store::PAGE_SIZE as usize) as u32;
                    }
                    Instr::RefNull(dst) => frame[dst as usize] = 0,
                    Instr::RefIsNull(dst, src) => {
                        frame[dst as usize] = u32::from(frame[src as usize] == 0);
                    }
                    Instr::RefFunc(dst, func) => frame[dst as usize] = func + 1,
                    $(
                        Instr::$bn(dst, a, b) => {
                            let $ba = <$bi as CellValue>::read(frame, a as usize);
                            let $bb = <$bi as CellValue>::read(frame, b as usize);
                            let result: $bo = $be;
                            result.write(frame, dst as usize);
                        }
                    )*
                    $(
                        Instr::$tn(dst, a, b) => {
                            let $ta = <$ti as CellValue>::read(frame, a as usize);
                            let $tb = <$ti as CellValue>::read(frame, b as usize);
                            let result: $to = $te?;
                            result.write(frame, dst as usize);
                        }
                    )*
                    $(
                        Instr::$un(dst, a) => {
                            let $ua = <$ui as CellValue>::read(frame, a as usize);
                            let result: $uo = $ue;
                            result.write(frame, dst as usize);
                        }
                    )*
                    $(
                        Instr::$vn(dst, a) => {
                            let $va = <$vi as CellValue>::read(frame, a as usize);
                            let result: $vo = $ve?;
                            result.write(frame, dst as usize);
                        }
                    )*
                    $(
                        Instr::$iname(dst, a, imm) => {
                            let $ia = <$it as CellValue>::read(frame, a as usize);
                            let $ib = imm as $it;
                            let result: $it = $ie;
                            result.write(frame, dst as usize);
                        }
                    )*
                    $(
                        Instr::$cif(a, b, target) => {
                            let $ca = <$ct as CellValue>::read(frame, a as usize);
                            let $cb = <$ct as CellValue>::read(frame, b as usize);
                            if $ce {
                                pc = target as usize;
                            }
                        }
                        Instr::$cunless(a, b, target) => {
                            let $ca = <$ct as CellValue>::read(frame, a as usize);
                            let $cb = <$ct as CellValue>::read(frame, b as usize);
                            if !($ce) {
                                pc = target as usize;
                            }
                        }
                    )*
                    $(
                        Instr::$eif(a, target) => {
                            if <$et as CellValue>::read(frame, a as usize) == 0 {
                                pc = target as usize;
                            }
                        }
                        Instr::$eunless(a, target) => {
                            if <$et as CellValue>::read(frame, a as usize) != 0 {
                                pc = target as usize;
                            }
                        }
                    )*
                    _ => leave!(at, func, fp, pc - 1),
                }
            }
        }
    };
}

for_each_numeric!(define_fast);

/// Runs copy list `list` of `lists` in the frame.
#[inline(always)]
fn copies(frame: &mut Window, lists: &[crate::code::CopyList], list: u32) {
    if let Some(list) = lists.get(list as usize) {
        for &(dst, src) in list {
            frame[dst as usize] = frame[src as usize];
        }
    }
}
