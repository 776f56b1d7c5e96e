//! The interpreter loop: executes a thread's instructions in order over untyped slots until the
//! invocation finishes, traps, runs out of fuel, or stops at a requested event.
//!
//! Wasm-to-Wasm calls within the instance push a [`Frame`] and switch the current code; they
//! never recurse in Rust. Calls to host functions and to other instances' functions are opaque
//! (see `store_ops::call_opaque`). Events fire only at the four sites of the contract
//! (`docs/safe-points.md`): entry (after a frame is pushed), loop (after `loop`, and after a
//! branch to a loop), call (before `call`/`call_indirect`), return (after a callee returned, in the
//! caller).
//!
//! # Dispatch design
//!
//! - Two variants of the loop, chosen by a const generic: the *slow* one (`SLOW = true`)
//!   dispatches the original instructions and checks every boundary (`any` stops, events a
//!   resume still has to skip); the *fast* one dispatches the superinstruction vector and has no
//!   per-boundary check at all. `exec::entry` runs the slow variant only while `any` events are
//!   requested or a resume has something to skip; as soon as neither holds it saves the state
//!   and returns [`Exit::ToFast`], and the fast variant continues from the same pc.
//! - The pc is an instruction pointer `ip` into the current vector (position = `ip - start`,
//!   computed only for events, stops and calls); one fetch per instruction, matched by
//!   reference so that no operand is decoded before the jump table dispatches.
//! - Unsafe invariant: the fetch `*ip` is unchecked. `ip` always points inside the current
//!   vector: the entry pc and every return pc are checked against the vector's length here, a
//!   call starts at position 0 of a non-empty vector, and every other move (fall through, a
//!   fused run's span, branch/`if`/`else`/jump-table targets) was proved to stay inside by
//!   `translate::verify` when the module was loaded (a `Module`'s code is private and built only
//!   by `translate::translate`, which runs the check; tests: `tests/dispatch.rs`).
//! - Superinstructions with one operator dispatch on the generic shape and then on the operator;
//!   the hottest (shape, operator) pairs have their own opcode (`translate::special`) and
//!   dispatch once.
//! - Main events cost one compare against a precomputed threshold (`exec::events`).

use std::any::Any;
use std::rc::Rc;

use baton_runtime::numeric::convert as cv;
use baton_runtime::numeric::float::{f32_ops, f64_ops};
use baton_runtime::numeric::int::{i32_ops, i64_ops};
use baton_runtime::{Config, EventKind, FuncRef, RunOutcome, StopInfo, StopLocation, Trap, Val};

use crate::exec::entry::code_of;
use crate::exec::events::{Decision, Events};
use crate::exec::slot::{from_slot, to_slot, Slot};
use crate::exec::slot_ops::{
    bs, f32s, f64s, i32s, i64s, reshape, sf32, sf64, si32, si64, su32, su64, u32s, u64s, widen,
    RESERVE,
};
use crate::exec::slot_stack::SlotStack;
use crate::exec::store_ops::{self as ops, internal};
use crate::exec::thread::{Frame, Skip, Thread};
use crate::instance::Core;
use crate::translate::binop::{apply, apply_unary, BinOp, UnOp};
use crate::translate::instr::{Instr, LoadKind};

/// How a run of one loop variant ended.
pub(crate) enum Exit {
    /// The run is over for now (finished, stopped, or out of fuel).
    Done(RunOutcome),
    /// The slow variant has nothing left to skip and no `any` events to check: the thread's
    /// state is saved, continue with the fast variant.
    ToFast,
}

/// Runs the thread until it finishes, traps, stops, runs out of fuel, or (slow variant only)
/// no longer needs the slow path; see the module docs for the two variants.
#[allow(clippy::too_many_lines)]
pub(crate) fn run_loop<const SLOW: bool>(
    core: &Rc<Core>,
    thread: &mut Thread,
    ev: &Events,
    config: &Config,
    this: &Rc<dyn Any>,
) -> Result<Exit, Trap> {
    let objects = &core.objects;
    let info = core.module.info();
    let num_imported = info.num_imported_funcs;
    let max_frames = config.max_frames;
    let Thread {
        stack,
        frames,
        pc: saved_pc,
        refs,
        next_event,
        skip: saved_skip,
        stopped_at,
        outer_frames,
        ..
    } = thread;
    let outer = *outer_frames;
    let innermost = *frames.last().ok_or_else(|| internal("no frame"))?;
    let mut func = innermost.func;
    let mut code = code_of(core, func)?;
    let pc = *saved_pc as usize;
    let mut sp = stack.len();
    let reserved = innermost.base as usize + code.locals.len() + code.max_height as usize + RESERVE;
    if stack.len() < reserved {
        stack.resize(reserved.max(sp + 1024));
    }
    let (mut lo, mut hi) = stack.halves_mut();
    let mut skip = *saved_skip;
    if !SLOW && (ev.any || skip != Skip::Nothing) {
        return Err(internal("fast loop with events to check"));
    }
    // The slow variant dispatches the original instructions, the fast one the superinstructions.
    let mut instrs: &[Instr] = if SLOW { &code.instrs } else { &code.fused };
    if pc >= instrs.len() {
        return Err(internal("pc out of range"));
    }
    // The instruction pointer: `instrs[pc]` is `*ip`. Only the fetch at the top of the loop
    // dereferences it (see the SAFETY argument there); `pc!()` recovers the position.
    let mut ip: *const Instr = instrs.as_ptr().wrapping_add(pc);
    macro_rules! pc {
        () => {
            (ip.addr() - instrs.as_ptr().addr()) / std::mem::size_of::<Instr>()
        };
    }
    macro_rules! goto {
        ($target:expr) => {
            ip = instrs.as_ptr().wrapping_add($target as usize)
        };
    }
    let memory_handle = objects.memories.first();
    let mut memory: Option<std::cell::RefMut<'_, baton_runtime::Memory>> = None;
    let core_ptr = Rc::as_ptr(&core.handle) as *const ();

    macro_rules! stop {
        ($kind:expr, $number:expr, $at:expr, $skip:expr) => {{
            stack.truncate(sp);
            *saved_pc = $at as u32;
            *saved_skip = $skip;
            *stopped_at = Some(($kind, $number));
            return Ok(Exit::Done(RunOutcome::Stopped(StopInfo {
                kind: $kind,
                event: $number,
                location: code.offsets.get($at).map(|&pc| StopLocation { func, pc }),
            })));
        }};
    }
    macro_rules! event {
        ($kind:expr, $at:expr, $skip_after:expr) => {{
            let number = *next_event;
            if number >= ev.check_from {
                match ev.decide($kind, number) {
                    Decision::OutOfFuel => return Ok(Exit::Done(RunOutcome::OutOfFuel)),
                    Decision::Stop => {
                        *next_event = number + 1;
                        stop!($kind, number, $at, $skip_after);
                    }
                    Decision::Continue => {}
                }
            }
            *next_event = number + 1;
        }};
    }
    // Numbers live in the low half of a slot: `pop!`, `push!` and `top!` touch only that half.
    macro_rules! pop {
        () => {{
            sp = sp.wrapping_sub(1);
            match lo.get(sp) {
                Some(value) => *value,
                None => return Err(internal("value stack underflow")),
            }
        }};
    }
    macro_rules! push {
        ($v:expr) => {{
            let value: u64 = $v;
            match lo.get_mut(sp) {
                Some(slot) => *slot = value,
                None => return Err(internal("value stack overflow")),
            }
            sp += 1;
        }};
    }
    macro_rules! top {
        () => {
            match lo.get_mut(sp.wrapping_sub(1)) {
                Some(top) => top,
                None => return Err(internal("value stack underflow")),
            }
        };
    }
    // Whole slots (references, copies).
    macro_rules! push_slot {
        ($v:expr) => {{
            let value: Slot = $v;
            match (lo.get_mut(sp), hi.get_mut(sp)) {
                (Some(l), Some(h)) => {
                    *l = value as u64;
                    *h = (value >> 64) as u64;
                }
                _ => return Err(internal("value stack overflow")),
            }
            sp += 1;
        }};
    }
    macro_rules! pop_slot {
        () => {{
            sp = sp.wrapping_sub(1);
            match (lo.get(sp), hi.get(sp)) {
                (Some(l), Some(h)) => (Slot::from(*h) << 64) | Slot::from(*l),
                _ => return Err(internal("value stack underflow")),
            }
        }};
    }
    macro_rules! copy_slot {
        ($from:expr, $to:expr) => {{
            let (from, to) = ($from, $to);
            match (lo.get(from), hi.get(from)) {
                (Some(&l), Some(&h)) => match (lo.get_mut(to), hi.get_mut(to)) {
                    (Some(lt), Some(ht)) => {
                        *lt = l;
                        *ht = h;
                    }
                    _ => return Err(internal("slot index")),
                },
                _ => return Err(internal("slot index")),
            }
        }};
    }
    // Low half of the local `$d` slots below the stack pointer.
    macro_rules! local {
        ($d:expr) => {
            match lo.get(sp.wrapping_sub($d as usize)) {
                Some(value) => *value,
                None => return Err(internal("local index")),
            }
        };
    }
    macro_rules! set_local {
        ($d:expr, $v:expr) => {
            match lo.get_mut(sp.wrapping_sub($d as usize)) {
                Some(slot) => *slot = $v,
                None => return Err(internal("local index")),
            }
        };
    }
    macro_rules! helper {
        ($f:expr) => {{
            let mut view = SlotStack {
                lo: &mut *lo,
                hi: &mut *hi,
                sp,
            };
            ($f)(&mut view)?;
            sp = view.sp;
        }};
    }
    macro_rules! unop {
        ($from:ident, $to:ident, $f:expr) => {{
            let t = top!();
            *t = $to(($f)($from(*t)));
        }};
    }
    macro_rules! binop {
        ($from:ident, $to:ident, $f:expr) => {{
            let b = $from(pop!());
            let t = top!();
            *t = $to(($f)($from(*t), b));
        }};
    }
    macro_rules! binop_trap {
        ($from:ident, $to:ident, $f:expr) => {{
            let b = $from(pop!());
            let t = top!();
            *t = $to(($f)($from(*t), b)?);
        }};
    }
    macro_rules! unop_trap {
        ($from:ident, $to:ident, $f:expr) => {{
            let t = top!();
            *t = $to(($f)($from(*t))?);
        }};
    }
    // Memory 0, mutably borrowed on first use and held until the next call out of this run
    // (host or other-instance call), memory helper, or the end of the run.
    macro_rules! memory {
        () => {{
            if memory.is_none() {
                memory = match memory_handle.map(|handle| handle.try_borrow_mut()) {
                    Some(Ok(borrowed)) => Some(borrowed),
                    _ => return Err(internal("memory 0 unavailable")),
                };
            }
            match memory.as_mut() {
                Some(borrowed) => borrowed,
                None => return Err(internal("memory 0 unavailable")),
            }
        }};
    }
    macro_rules! load {
        ($n:literal, $offset:expr, $conv:expr) => {{
            let t = top!();
            let addr = u64::from(*t as u32) + u64::from($offset);
            let bytes = memory!().load::<$n>(addr)?;
            *t = ($conv)(bytes);
        }};
    }
    macro_rules! store {
        ($offset:expr, $conv:expr) => {{
            let value = pop!();
            let addr = u64::from(pop!() as u32) + u64::from($offset);
            memory!().store(addr, ($conv)(value))?;
        }};
    }
    macro_rules! jump {
        ($index:expr) => {{
            let jump = *code
                .jumps
                .get($index as usize)
                .ok_or_else(|| internal("jump index"))?;
            sp = reshape(lo, hi, sp, &jump)?;
            goto!(jump.target);
            if jump.to_loop {
                event!(EventKind::Loop, pc!(), Skip::Nothing);
            } else if SLOW && jump.to_body {
                // A branch out of the body is a return: the final `end` it lands on may be
                // dead code, so no `any` event may fire there before the `Return` executes.
                skip = Skip::Any;
            }
        }};
    }
    macro_rules! enter {
        ($callee:expr) => {{
            let callee_func: u32 = $callee;
            let callee = code_of(core, callee_func)?;
            if frames.len() + outer >= max_frames {
                return Err(Trap::CallStackExhausted);
            }
            let base = sp
                .checked_sub(callee.ty.params.len())
                .ok_or_else(|| internal("call arguments"))?;
            let locals_end = sp + callee.declared_locals();
            let need = locals_end + callee.max_height as usize + RESERVE;
            if need > lo.len() {
                let new_len = need.max(lo.len() * 2);
                let _ = (lo, hi);
                stack.resize(new_len);
                (lo, hi) = stack.halves_mut();
            }
            match (lo.get_mut(sp..locals_end), hi.get_mut(sp..locals_end)) {
                (Some(l), Some(h)) => {
                    l.fill(0);
                    h.fill(0);
                }
                _ => return Err(internal("locals range")),
            }
            sp = locals_end;
            frames.push(Frame {
                func: callee_func,
                ret_pc: pc!() as u32,
                base: base as u32,
            });
            func = callee_func;
            code = callee;
            instrs = if SLOW { &callee.instrs } else { &callee.fused };
            ip = instrs.as_ptr();
            event!(EventKind::Entry, 0usize, Skip::Nothing);
        }};
    }
    macro_rules! call_opaque {
        ($func:expr) => {{
            let live = frames.len() + outer;
            memory = None;
            helper!(|view: &mut SlotStack<'_>| ops::call_opaque($func, view, refs, live, config));
            event!(EventKind::Return, pc!(), Skip::Nothing);
        }};
    }
    // Fused shapes shared by the generic and the specialized (`translate::special`) variants;
    // with a constant operator, `apply` folds to the one operation.
    macro_rules! bin_local_const_set {
        ($op:expr, $a:expr, $c:expr, $d:expr) => {{
            let op: BinOp = $op;
            let value = apply(op, local!($a), widen(op, $c));
            set_local!($d, value);
            ip = ip.wrapping_add(3);
        }};
    }
    macro_rules! br_if_local_local {
        ($op:expr, $a:expr, $b:expr, $jump:expr) => {{
            if apply($op, local!($a), local!($b)) as u32 != 0 {
                jump!($jump);
            } else {
                ip = ip.wrapping_add(3);
            }
        }};
    }
    macro_rules! br_if_local_const {
        ($op:expr, $a:expr, $c:expr, $jump:expr) => {{
            let op: BinOp = $op;
            if apply(op, local!($a), widen(op, $c)) as u32 != 0 {
                jump!($jump);
            } else {
                ip = ip.wrapping_add(3);
            }
        }};
    }
    macro_rules! un_bin_set {
        ($un:expr, $op:expr, $d:expr) => {{
            let y = apply_unary($un, pop!());
            let x = pop!();
            sp += 2;
            set_local!($d, apply($op, x, y));
            sp -= 2;
            ip = ip.wrapping_add(2);
        }};
    }
    macro_rules! un_local_bin_set {
        ($un:expr, $op:expr, $b:expr, $d:expr) => {{
            let y = apply_unary($un, local!($b));
            let x = pop!();
            sp += 1;
            set_local!($d, apply($op, x, y));
            sp -= 1;
            ip = ip.wrapping_add(3);
        }};
    }

    loop {
        if SLOW {
            match skip {
                Skip::Any => skip = Skip::Nothing,
                Skip::AnyAndCall => {
                    if !matches!(
                        instrs.get(pc!()),
                        Some(Instr::Call(_) | Instr::CallIndirect { .. })
                    ) {
                        skip = Skip::Nothing;
                    }
                }
                Skip::Nothing => {
                    let number = *next_event;
                    if ev.any_stops(number) {
                        stop!(EventKind::Any, number, pc!(), Skip::Any);
                    }
                }
            }
            if !ev.any && skip == Skip::Nothing {
                stack.truncate(sp);
                *saved_pc = pc!() as u32;
                *saved_skip = skip;
                return Ok(Exit::ToFast);
            }
        }
        // SAFETY: `ip` points at `instrs[pc]` with `pc < instrs.len()`, and `instrs` (a code
        // vector of the instance's module, which `core` keeps alive) is borrowed for the whole
        // loop. The bound holds on entry and after a return (both checked above) and after a
        // call (position 0 of a non-empty vector); every other move of `ip` is falling through,
        // skipping a fused run, or a branch, `if`/`else` or jump-table target, all of which
        // `translate::verify` proved at load time to stay inside the vector (only `Return`, at
        // the end, may not fall through), for `instrs` and `fused` alike (same length).
        // Matched by reference, so each arm reads only its own operands.
        #[allow(unsafe_code)]
        let instr: &Instr = unsafe { &*ip };
        ip = ip.wrapping_add(1);
        match *instr {
            Instr::Unreachable => return Err(Trap::Unreachable),
            Instr::Nop | Instr::Block | Instr::End => {}
            Instr::Loop => event!(EventKind::Loop, pc!(), Skip::Nothing),
            Instr::If { else_target } => {
                if pop!() as u32 == 0 {
                    goto!(else_target);
                }
            }
            Instr::Else { end_target } => goto!(end_target),
            Instr::Br(index) => jump!(index),
            Instr::BrIf(index) => {
                if pop!() as u32 != 0 {
                    jump!(index);
                }
            }
            Instr::BrTable { start, len } => {
                let selector = pop!() as u32;
                let entry = if selector < len.saturating_sub(1) {
                    start + selector
                } else {
                    start + len.saturating_sub(1)
                };
                jump!(entry);
            }
            Instr::Return => {
                let frame = frames.pop().ok_or_else(|| internal("no frame"))?;
                let arity = code.ty.results.len();
                let base = frame.base as usize;
                let from = sp
                    .checked_sub(arity)
                    .ok_or_else(|| internal("return values"))?;
                if from != base {
                    if from < base || sp > lo.len() || sp > hi.len() {
                        return Err(internal("return below base"));
                    }
                    lo.copy_within(from..sp, base);
                    hi.copy_within(from..sp, base);
                }
                sp = base + arity;
                match frames.last() {
                    None => {
                        let results = (base..sp)
                            .zip(code.ty.results.iter())
                            .map(|(index, ty)| {
                                let slot = match (lo.get(index), hi.get(index)) {
                                    (Some(l), Some(h)) => (Slot::from(*h) << 64) | Slot::from(*l),
                                    _ => 0,
                                };
                                from_slot(slot, *ty, refs)
                            })
                            .collect();
                        stack.clear();
                        return Ok(Exit::Done(RunOutcome::Finished(results)));
                    }
                    Some(caller) => {
                        func = caller.func;
                        code = code_of(core, func)?;
                        instrs = if SLOW { &code.instrs } else { &code.fused };
                        let pc = frame.ret_pc as usize;
                        if pc >= instrs.len() {
                            return Err(internal("return pc out of range"));
                        }
                        goto!(pc);
                        event!(EventKind::Return, pc, Skip::Nothing);
                    }
                }
            }
            Instr::Call(callee) => {
                if SLOW && skip == Skip::AnyAndCall {
                    skip = Skip::Nothing;
                } else {
                    event!(EventKind::Call, pc!() - 1, Skip::AnyAndCall);
                }
                if callee >= num_imported {
                    enter!(callee);
                } else {
                    let import = objects
                        .imported_funcs
                        .get(callee as usize)
                        .ok_or_else(|| internal("import index"))?;
                    call_opaque!(import);
                }
            }
            Instr::CallIndirect { type_index, table } => {
                if SLOW && skip == Skip::AnyAndCall {
                    skip = Skip::Nothing;
                } else {
                    event!(EventKind::Call, pc!() - 1, Skip::AnyAndCall);
                }
                let index = pop!() as u32;
                let element = objects
                    .tables
                    .get(table as usize)
                    .ok_or_else(|| internal("table index"))?
                    .try_borrow()
                    .map_err(|_| internal("table borrowed"))?
                    .get(index)
                    .map_err(|_| Trap::UndefinedElement)?
                    .clone();
                let target = match element {
                    Val::FuncRef(Some(target)) => target,
                    Val::FuncRef(None) => return Err(Trap::UninitializedElement),
                    _ => return Err(internal("call_indirect on a non-funcref table")),
                };
                let expected = info
                    .types
                    .get(type_index as usize)
                    .ok_or_else(|| internal("type index"))?;
                if **expected != *target.ty() {
                    return Err(Trap::IndirectCallTypeMismatch);
                }
                match &target {
                    FuncRef::Wasm(wasm) if Rc::as_ptr(&wasm.instance) as *const () == core_ptr => {
                        enter!(wasm.index)
                    }
                    _ => call_opaque!(&target),
                }
            }
            Instr::Drop => {
                pop!();
            }
            Instr::Select => {
                let condition = pop!() as u32;
                sp = sp.wrapping_sub(1);
                if condition == 0 {
                    copy_slot!(sp, sp.wrapping_sub(1));
                }
            }
            Instr::LocalGet(distance) => {
                copy_slot!(sp.wrapping_sub(distance as usize), sp);
                sp += 1;
            }
            Instr::LocalSet(distance) => {
                sp = sp.wrapping_sub(1);
                copy_slot!(sp, sp.wrapping_add(1).wrapping_sub(distance as usize));
            }
            Instr::LocalTee(distance) => {
                copy_slot!(sp.wrapping_sub(1), sp.wrapping_sub(distance as usize));
            }
            Instr::GlobalGet(index) => {
                let global = objects
                    .globals
                    .get(index as usize)
                    .ok_or_else(|| internal("global index"))?
                    .try_borrow()
                    .map_err(|_| internal("global borrowed"))?;
                let slot = to_slot(global.get(), refs);
                push_slot!(slot);
            }
            Instr::GlobalSet(index) => {
                let slot = pop_slot!();
                let mut global = objects
                    .globals
                    .get(index as usize)
                    .ok_or_else(|| internal("global index"))?
                    .try_borrow_mut()
                    .map_err(|_| internal("global borrowed"))?;
                let value = from_slot(slot, global.ty().content, refs);
                global.set(value);
            }
            Instr::TableGet(t) => {
                helper!(|view: &mut SlotStack<'_>| ops::table_get(objects, t, view, refs))
            }
            Instr::TableSet(t) => {
                helper!(|view: &mut SlotStack<'_>| ops::table_set(objects, t, view, refs))
            }
            Instr::TableSize(t) => {
                helper!(|view: &mut SlotStack<'_>| ops::table_size(objects, t, view))
            }
            Instr::TableGrow(t) => {
                helper!(|view: &mut SlotStack<'_>| ops::table_grow(objects, t, view, refs))
            }
            Instr::TableFill(t) => {
                helper!(|view: &mut SlotStack<'_>| ops::table_fill(objects, t, view, refs))
            }
            Instr::TableCopy { dst, src } => {
                helper!(|view: &mut SlotStack<'_>| ops::table_copy(objects, dst, src, view))
            }
            Instr::TableInit { elem, table } => {
                helper!(|view: &mut SlotStack<'_>| ops::table_init_op(
                    objects, this, elem, table, view
                ))
            }
            Instr::ElemDrop(elem) => {
                if let Some(flag) = objects.dropped_elements.get(elem as usize) {
                    flag.set(true);
                }
            }
            Instr::I32Load(o) => load!(4, o, |b| u32s(u32::from_le_bytes(b))),
            Instr::I64Load(o) => load!(8, o, |b| u64s(u64::from_le_bytes(b))),
            Instr::F32Load(o) => load!(4, o, |b| u32s(u32::from_le_bytes(b))),
            Instr::F64Load(o) => load!(8, o, |b| u64s(u64::from_le_bytes(b))),
            Instr::I32Load8S(o) => load!(1, o, |b| i32s(i32::from(i8::from_le_bytes(b)))),
            Instr::I32Load8U(o) => load!(1, o, |b| u32s(u32::from(u8::from_le_bytes(b)))),
            Instr::I32Load16S(o) => load!(2, o, |b| i32s(i32::from(i16::from_le_bytes(b)))),
            Instr::I32Load16U(o) => load!(2, o, |b| u32s(u32::from(u16::from_le_bytes(b)))),
            Instr::I64Load8S(o) => load!(1, o, |b| i64s(i64::from(i8::from_le_bytes(b)))),
            Instr::I64Load8U(o) => load!(1, o, |b| u64s(u64::from(u8::from_le_bytes(b)))),
            Instr::I64Load16S(o) => load!(2, o, |b| i64s(i64::from(i16::from_le_bytes(b)))),
            Instr::I64Load16U(o) => load!(2, o, |b| u64s(u64::from(u16::from_le_bytes(b)))),
            Instr::I64Load32S(o) => load!(4, o, |b| i64s(i64::from(i32::from_le_bytes(b)))),
            Instr::I64Load32U(o) => load!(4, o, |b| u64s(u64::from(u32::from_le_bytes(b)))),
            Instr::I32Store(o) | Instr::F32Store(o) => {
                store!(o, |v: u64| (v as u32).to_le_bytes())
            }
            Instr::I64Store(o) | Instr::F64Store(o) => {
                store!(o, |v: u64| v.to_le_bytes())
            }
            Instr::I32Store8(o) | Instr::I64Store8(o) => {
                store!(o, |v: u64| (v as u8).to_le_bytes())
            }
            Instr::I32Store16(o) | Instr::I64Store16(o) => {
                store!(o, |v: u64| (v as u16).to_le_bytes())
            }
            Instr::I64Store32(o) => store!(o, |v: u64| (v as u32).to_le_bytes()),
            Instr::MemorySize => {
                let pages = memory!().pages();
                push!(pages);
            }
            Instr::MemoryGrow => {
                memory = None;
                helper!(|view: &mut SlotStack<'_>| ops::memory_grow(objects, view))
            }
            Instr::MemoryFill => {
                memory = None;
                helper!(|view: &mut SlotStack<'_>| ops::memory_fill(objects, view))
            }
            Instr::MemoryCopy => {
                memory = None;
                helper!(|view: &mut SlotStack<'_>| ops::memory_copy(objects, view))
            }
            Instr::MemoryInit(data) => {
                memory = None;
                helper!(|view: &mut SlotStack<'_>| ops::memory_init_op(objects, data, view))
            }
            Instr::DataDrop(data) => {
                if let Some(flag) = objects.dropped_data.get(data as usize) {
                    flag.set(true);
                }
            }
            Instr::I32Const(v) => push!(i32s(v)),
            Instr::I64Const(v) => push!(i64s(v)),
            Instr::F32Const(bits) => push!(u32s(bits)),
            Instr::F64Const(bits) => push!(u64s(bits)),
            Instr::RefNull => push_slot!(0),
            Instr::RefIsNull => {
                let slot = pop_slot!();
                push!(bs(slot == 0));
            }
            Instr::RefFunc(index) => {
                let func = objects
                    .func_ref(index, this)
                    .ok_or_else(|| internal("function index"))?;
                let slot = refs.intern(&func);
                push_slot!(slot);
            }
            Instr::I32Eqz => unop!(su32, bs, |a: u32| a == 0),
            Instr::I32Eq => binop!(su32, bs, |a: u32, b: u32| a == b),
            Instr::I32Ne => binop!(su32, bs, |a: u32, b: u32| a != b),
            Instr::I32LtS => binop!(si32, bs, |a: i32, b: i32| a < b),
            Instr::I32LtU => binop!(su32, bs, |a: u32, b: u32| a < b),
            Instr::I32GtS => binop!(si32, bs, |a: i32, b: i32| a > b),
            Instr::I32GtU => binop!(su32, bs, |a: u32, b: u32| a > b),
            Instr::I32LeS => binop!(si32, bs, |a: i32, b: i32| a <= b),
            Instr::I32LeU => binop!(su32, bs, |a: u32, b: u32| a <= b),
            Instr::I32GeS => binop!(si32, bs, |a: i32, b: i32| a >= b),
            Instr::I32GeU => binop!(su32, bs, |a: u32, b: u32| a >= b),
            Instr::I64Eqz => unop!(su64, bs, |a: u64| a == 0),
            Instr::I64Eq => binop!(su64, bs, |a: u64, b: u64| a == b),
            Instr::I64Ne => binop!(su64, bs, |a: u64, b: u64| a != b),
            Instr::I64LtS => binop!(si64, bs, |a: i64, b: i64| a < b),
            Instr::I64LtU => binop!(su64, bs, |a: u64, b: u64| a < b),
            Instr::I64GtS => binop!(si64, bs, |a: i64, b: i64| a > b),
            Instr::I64GtU => binop!(su64, bs, |a: u64, b: u64| a > b),
            Instr::I64LeS => binop!(si64, bs, |a: i64, b: i64| a <= b),
            Instr::I64LeU => binop!(su64, bs, |a: u64, b: u64| a <= b),
            Instr::I64GeS => binop!(si64, bs, |a: i64, b: i64| a >= b),
            Instr::I64GeU => binop!(su64, bs, |a: u64, b: u64| a >= b),
            Instr::F32Eq => binop!(sf32, bs, |a: f32, b: f32| a == b),
            Instr::F32Ne => binop!(sf32, bs, |a: f32, b: f32| a != b),
            Instr::F32Lt => binop!(sf32, bs, |a: f32, b: f32| a < b),
            Instr::F32Gt => binop!(sf32, bs, |a: f32, b: f32| a > b),
            Instr::F32Le => binop!(sf32, bs, |a: f32, b: f32| a <= b),
            Instr::F32Ge => binop!(sf32, bs, |a: f32, b: f32| a >= b),
            Instr::F64Eq => binop!(sf64, bs, |a: f64, b: f64| a == b),
            Instr::F64Ne => binop!(sf64, bs, |a: f64, b: f64| a != b),
            Instr::F64Lt => binop!(sf64, bs, |a: f64, b: f64| a < b),
            Instr::F64Gt => binop!(sf64, bs, |a: f64, b: f64| a > b),
            Instr::F64Le => binop!(sf64, bs, |a: f64, b: f64| a <= b),
            Instr::F64Ge => binop!(sf64, bs, |a: f64, b: f64| a >= b),
            Instr::I32Clz => unop!(su32, u32s, |a: u32| a.leading_zeros()),
            Instr::I32Ctz => unop!(su32, u32s, |a: u32| a.trailing_zeros()),
            Instr::I32Popcnt => unop!(su32, u32s, |a: u32| a.count_ones()),
            Instr::I32Add => binop!(su32, u32s, |a: u32, b: u32| a.wrapping_add(b)),
            Instr::I32Sub => binop!(su32, u32s, |a: u32, b: u32| a.wrapping_sub(b)),
            Instr::I32Mul => binop!(su32, u32s, |a: u32, b: u32| a.wrapping_mul(b)),
            Instr::I32DivS => binop_trap!(si32, i32s, i32_ops::div_s),
            Instr::I32DivU => binop_trap!(su32, u32s, i32_ops::div_u),
            Instr::I32RemS => binop_trap!(si32, i32s, i32_ops::rem_s),
            Instr::I32RemU => binop_trap!(su32, u32s, i32_ops::rem_u),
            Instr::I32And => binop!(su32, u32s, |a: u32, b: u32| a & b),
            Instr::I32Or => binop!(su32, u32s, |a: u32, b: u32| a | b),
            Instr::I32Xor => binop!(su32, u32s, |a: u32, b: u32| a ^ b),
            Instr::I32Shl => binop!(su32, u32s, |a: u32, b: u32| a.wrapping_shl(b)),
            Instr::I32ShrS => binop!(si32, i32s, |a: i32, b: i32| a.wrapping_shr(b as u32)),
            Instr::I32ShrU => binop!(su32, u32s, |a: u32, b: u32| a.wrapping_shr(b)),
            Instr::I32Rotl => binop!(su32, u32s, |a: u32, b: u32| a.rotate_left(b % 32)),
            Instr::I32Rotr => binop!(su32, u32s, |a: u32, b: u32| a.rotate_right(b % 32)),
            Instr::I64Clz => unop!(su64, u64s, |a: u64| u64::from(a.leading_zeros())),
            Instr::I64Ctz => unop!(su64, u64s, |a: u64| u64::from(a.trailing_zeros())),
            Instr::I64Popcnt => unop!(su64, u64s, |a: u64| u64::from(a.count_ones())),
            Instr::I64Add => binop!(su64, u64s, |a: u64, b: u64| a.wrapping_add(b)),
            Instr::I64Sub => binop!(su64, u64s, |a: u64, b: u64| a.wrapping_sub(b)),
            Instr::I64Mul => binop!(su64, u64s, |a: u64, b: u64| a.wrapping_mul(b)),
            Instr::I64DivS => binop_trap!(si64, i64s, i64_ops::div_s),
            Instr::I64DivU => binop_trap!(su64, u64s, i64_ops::div_u),
            Instr::I64RemS => binop_trap!(si64, i64s, i64_ops::rem_s),
            Instr::I64RemU => binop_trap!(su64, u64s, i64_ops::rem_u),
            Instr::I64And => binop!(su64, u64s, |a: u64, b: u64| a & b),
            Instr::I64Or => binop!(su64, u64s, |a: u64, b: u64| a | b),
            Instr::I64Xor => binop!(su64, u64s, |a: u64, b: u64| a ^ b),
            Instr::I64Shl => binop!(su64, u64s, |a: u64, b: u64| a.wrapping_shl(b as u32)),
            Instr::I64ShrS => binop!(si64, i64s, |a: i64, b: i64| a.wrapping_shr(b as u32)),
            Instr::I64ShrU => binop!(su64, u64s, |a: u64, b: u64| a.wrapping_shr(b as u32)),
            Instr::I64Rotl => {
                binop!(su64, u64s, |a: u64, b: u64| a.rotate_left((b % 64) as u32))
            }
            Instr::I64Rotr => {
                binop!(su64, u64s, |a: u64, b: u64| a.rotate_right((b % 64) as u32))
            }
            Instr::F32Abs => unop!(su32, u32s, f32_ops::abs),
            Instr::F32Neg => unop!(su32, u32s, f32_ops::neg),
            Instr::F32Ceil => unop!(sf32, f32s, f32_ops::ceil),
            Instr::F32Floor => unop!(sf32, f32s, f32_ops::floor),
            Instr::F32Trunc => unop!(sf32, f32s, f32_ops::trunc),
            Instr::F32Nearest => unop!(sf32, f32s, f32_ops::nearest),
            Instr::F32Sqrt => unop!(sf32, f32s, f32_ops::sqrt),
            Instr::F32Add => binop!(sf32, f32s, |a: f32, b: f32| a + b),
            Instr::F32Sub => binop!(sf32, f32s, |a: f32, b: f32| a - b),
            Instr::F32Mul => binop!(sf32, f32s, |a: f32, b: f32| a * b),
            Instr::F32Div => binop!(sf32, f32s, |a: f32, b: f32| a / b),
            Instr::F32Min => binop!(sf32, f32s, f32_ops::min),
            Instr::F32Max => binop!(sf32, f32s, f32_ops::max),
            Instr::F32Copysign => binop!(su32, u32s, f32_ops::copysign),
            Instr::F64Abs => unop!(su64, u64s, f64_ops::abs),
            Instr::F64Neg => unop!(su64, u64s, f64_ops::neg),
            Instr::F64Ceil => unop!(sf64, f64s, f64_ops::ceil),
            Instr::F64Floor => unop!(sf64, f64s, f64_ops::floor),
            Instr::F64Trunc => unop!(sf64, f64s, f64_ops::trunc),
            Instr::F64Nearest => unop!(sf64, f64s, f64_ops::nearest),
            Instr::F64Sqrt => unop!(sf64, f64s, f64_ops::sqrt),
            Instr::F64Add => binop!(sf64, f64s, |a: f64, b: f64| a + b),
            Instr::F64Sub => binop!(sf64, f64s, |a: f64, b: f64| a - b),
            Instr::F64Mul => binop!(sf64, f64s, |a: f64, b: f64| a * b),
            Instr::F64Div => binop!(sf64, f64s, |a: f64, b: f64| a / b),
            Instr::F64Min => binop!(sf64, f64s, f64_ops::min),
            Instr::F64Max => binop!(sf64, f64s, f64_ops::max),
            Instr::F64Copysign => binop!(su64, u64s, f64_ops::copysign),
            Instr::I32WrapI64 => unop!(su64, u32s, |a: u64| a as u32),
            Instr::I32TruncF32S => unop_trap!(sf32, i32s, cv::i32_trunc_f32_s),
            Instr::I32TruncF32U => unop_trap!(sf32, u32s, cv::i32_trunc_f32_u),
            Instr::I32TruncF64S => unop_trap!(sf64, i32s, cv::i32_trunc_f64_s),
            Instr::I32TruncF64U => unop_trap!(sf64, u32s, cv::i32_trunc_f64_u),
            Instr::I64ExtendI32S => unop!(si32, i64s, i64::from),
            Instr::I64ExtendI32U => unop!(su32, u64s, u64::from),
            Instr::I64TruncF32S => unop_trap!(sf32, i64s, cv::i64_trunc_f32_s),
            Instr::I64TruncF32U => unop_trap!(sf32, u64s, cv::i64_trunc_f32_u),
            Instr::I64TruncF64S => unop_trap!(sf64, i64s, cv::i64_trunc_f64_s),
            Instr::I64TruncF64U => unop_trap!(sf64, u64s, cv::i64_trunc_f64_u),
            Instr::F32ConvertI32S => unop!(si32, f32s, |a: i32| a as f32),
            Instr::F32ConvertI32U => unop!(su32, f32s, |a: u32| a as f32),
            Instr::F32ConvertI64S => unop!(si64, f32s, |a: i64| a as f32),
            Instr::F32ConvertI64U => unop!(su64, f32s, |a: u64| a as f32),
            Instr::F32DemoteF64 => unop!(sf64, f32s, |a: f64| a as f32),
            Instr::F64ConvertI32S => unop!(si32, f64s, f64::from),
            Instr::F64ConvertI32U => unop!(su32, f64s, f64::from),
            Instr::F64ConvertI64S => unop!(si64, f64s, |a: i64| a as f64),
            Instr::F64ConvertI64U => unop!(su64, f64s, |a: u64| a as f64),
            Instr::F64PromoteF32 => unop!(sf32, f64s, f64::from),
            Instr::I32ReinterpretF32
            | Instr::I64ReinterpretF64
            | Instr::F32ReinterpretI32
            | Instr::F64ReinterpretI64 => {}
            Instr::I32Extend8S => unop!(si32, i32s, |a: i32| i32::from(a as i8)),
            Instr::I32Extend16S => unop!(si32, i32s, |a: i32| i32::from(a as i16)),
            Instr::I64Extend8S => unop!(si64, i64s, |a: i64| i64::from(a as i8)),
            Instr::I64Extend16S => unop!(si64, i64s, |a: i64| i64::from(a as i16)),
            Instr::I64Extend32S => unop!(si64, i64s, |a: i64| i64::from(a as i32)),
            Instr::BinLocalLocal { op, a, b } => {
                let x = local!(a);
                let y = local!(b);
                push!(apply(op, x, y));
                ip = ip.wrapping_add(2);
            }
            Instr::BinLocalConst { op, a, c } => {
                let x = local!(a);
                push!(apply(op, x, c));
                ip = ip.wrapping_add(2);
            }
            Instr::BinConst { op, c } => {
                let t = top!();
                *t = apply(op, *t, c);
                ip = ip.wrapping_add(1);
            }
            Instr::BinLocal { op, b } => {
                let y = local!(b);
                let t = top!();
                *t = apply(op, *t, y);
                ip = ip.wrapping_add(1);
            }
            Instr::BinLocalLocalSet { op, a, b, d } => {
                let value = apply(op, local!(a), local!(b));
                set_local!(d, value);
                ip = ip.wrapping_add(3);
            }
            Instr::BinLocalConstSet { op, a, c, d } => bin_local_const_set!(op, a, c, d),
            Instr::BrIfLocalLocal { op, a, b, jump } => br_if_local_local!(op, a, b, jump),
            Instr::BrIfLocalConst { op, a, c, jump } => br_if_local_const!(op, a, c, jump),
            Instr::BrIfLocalLocalI32Eq { a, b, jump } => {
                br_if_local_local!(BinOp::I32Eq, a, b, jump)
            }
            Instr::BrIfLocalLocalI32Ne { a, b, jump } => {
                br_if_local_local!(BinOp::I32Ne, a, b, jump)
            }
            Instr::BrIfLocalLocalI32LtS { a, b, jump } => {
                br_if_local_local!(BinOp::I32LtS, a, b, jump)
            }
            Instr::BrIfLocalLocalI32LtU { a, b, jump } => {
                br_if_local_local!(BinOp::I32LtU, a, b, jump)
            }
            Instr::BrIfLocalLocalI32GtS { a, b, jump } => {
                br_if_local_local!(BinOp::I32GtS, a, b, jump)
            }
            Instr::BrIfLocalLocalI32GtU { a, b, jump } => {
                br_if_local_local!(BinOp::I32GtU, a, b, jump)
            }
            Instr::BrIfLocalLocalI32LeS { a, b, jump } => {
                br_if_local_local!(BinOp::I32LeS, a, b, jump)
            }
            Instr::BrIfLocalLocalI32LeU { a, b, jump } => {
                br_if_local_local!(BinOp::I32LeU, a, b, jump)
            }
            Instr::BrIfLocalLocalI32GeS { a, b, jump } => {
                br_if_local_local!(BinOp::I32GeS, a, b, jump)
            }
            Instr::BrIfLocalLocalI32GeU { a, b, jump } => {
                br_if_local_local!(BinOp::I32GeU, a, b, jump)
            }
            Instr::BrIfLocalConstI32Eq { a, c, jump } => {
                br_if_local_const!(BinOp::I32Eq, a, c, jump)
            }
            Instr::BrIfLocalConstI32Ne { a, c, jump } => {
                br_if_local_const!(BinOp::I32Ne, a, c, jump)
            }
            Instr::BrIfLocalConstI32LtS { a, c, jump } => {
                br_if_local_const!(BinOp::I32LtS, a, c, jump)
            }
            Instr::BrIfLocalConstI32LtU { a, c, jump } => {
                br_if_local_const!(BinOp::I32LtU, a, c, jump)
            }
            Instr::BrIfLocalConstI32GtS { a, c, jump } => {
                br_if_local_const!(BinOp::I32GtS, a, c, jump)
            }
            Instr::BrIfLocalConstI32GtU { a, c, jump } => {
                br_if_local_const!(BinOp::I32GtU, a, c, jump)
            }
            Instr::BrIfLocalConstI32LeS { a, c, jump } => {
                br_if_local_const!(BinOp::I32LeS, a, c, jump)
            }
            Instr::BrIfLocalConstI32LeU { a, c, jump } => {
                br_if_local_const!(BinOp::I32LeU, a, c, jump)
            }
            Instr::BrIfLocalConstI32GeS { a, c, jump } => {
                br_if_local_const!(BinOp::I32GeS, a, c, jump)
            }
            Instr::BrIfLocalConstI32GeU { a, c, jump } => {
                br_if_local_const!(BinOp::I32GeU, a, c, jump)
            }
            Instr::BinLocalConstSetI32Add { a, c, d } => {
                bin_local_const_set!(BinOp::I32Add, a, c, d)
            }
            Instr::BinLocalConstSetI32Sub { a, c, d } => {
                bin_local_const_set!(BinOp::I32Sub, a, c, d)
            }
            Instr::BinLocalConstSetI64Add { a, c, d } => {
                bin_local_const_set!(BinOp::I64Add, a, c, d)
            }
            Instr::BinLocalConstSetI64Sub { a, c, d } => {
                bin_local_const_set!(BinOp::I64Sub, a, c, d)
            }
            Instr::BinLocalSet { op, b, d } => {
                let y = local!(b);
                let x = pop!();
                let value = apply(op, x, y);
                sp += 1;
                set_local!(d, value);
                sp -= 1;
                ip = ip.wrapping_add(2);
            }
            Instr::BinSet { op, d } => {
                let y = pop!();
                let x = pop!();
                sp += 2;
                set_local!(d, apply(op, x, y));
                sp -= 2;
                ip = ip.wrapping_add(1);
            }
            Instr::BinConstLocal { op, c, b } => {
                let y = local!(b);
                push!(apply(op, c, y));
                ip = ip.wrapping_add(2);
            }
            Instr::UnLocal { op, a } => {
                push!(apply_unary(op, local!(a)));
                ip = ip.wrapping_add(1);
            }
            Instr::LoadLocal { kind, a, offset } => {
                let addr = u64::from(local!(a) as u32) + u64::from(offset);
                let mem = memory!();
                let value = load_kind(mem, kind, addr)?;
                push!(value);
                ip = ip.wrapping_add(1);
            }
            Instr::LoadLocalSet { kind, a, offset, d } => {
                let addr = u64::from(local!(a) as u32) + u64::from(offset);
                let value = load_kind(memory!(), kind, addr)?;
                set_local!(d, value);
                ip = ip.wrapping_add(2);
            }
            Instr::LoadLocalBin {
                kind,
                op,
                a,
                offset,
            } => {
                let addr = u64::from(local!(a) as u32) + u64::from(offset);
                let value = load_kind(memory!(), kind, addr)?;
                let t = top!();
                *t = apply(op, *t, value);
                ip = ip.wrapping_add(2);
            }
            Instr::LocalGet2 { a, b } => {
                copy_slot!(sp.wrapping_sub(a as usize), sp);
                copy_slot!(sp.wrapping_sub(b as usize), sp + 1);
                sp += 2;
                ip = ip.wrapping_add(1);
            }
            Instr::BinLocalConstBin { op, outer, a, c } => {
                let value = apply(op, local!(a), widen(op, c));
                let t = top!();
                *t = apply(outer, *t, value);
                ip = ip.wrapping_add(3);
            }
            Instr::UnBinSet { un, op, d } => un_bin_set!(un, op, d),
            Instr::UnBinSetI64AddExtendU { d } => {
                un_bin_set!(UnOp::I64ExtendI32U, BinOp::I64Add, d)
            }
            Instr::UnBinSetI64AddExtendS { d } => {
                un_bin_set!(UnOp::I64ExtendI32S, BinOp::I64Add, d)
            }
            Instr::UnLocalBinSet { un, op, b, d } => un_local_bin_set!(un, op, b, d),
            Instr::UnLocalBinSetI64AddExtendU { b, d } => {
                un_local_bin_set!(UnOp::I64ExtendI32U, BinOp::I64Add, b, d)
            }
            Instr::UnLocalBinSetI64AddExtendS { b, d } => {
                un_local_bin_set!(UnOp::I64ExtendI32S, BinOp::I64Add, b, d)
            }
            Instr::I32TruncSatF32S => unop!(sf32, i32s, |a: f32| a as i32),
            Instr::I32TruncSatF32U => unop!(sf32, u32s, |a: f32| a as u32),
            Instr::I32TruncSatF64S => unop!(sf64, i32s, |a: f64| a as i32),
            Instr::I32TruncSatF64U => unop!(sf64, u32s, |a: f64| a as u32),
            Instr::I64TruncSatF32S => unop!(sf32, i64s, |a: f32| a as i64),
            Instr::I64TruncSatF32U => unop!(sf32, u64s, |a: f32| a as u64),
            Instr::I64TruncSatF64S => unop!(sf64, i64s, |a: f64| a as i64),
            Instr::I64TruncSatF64U => unop!(sf64, u64s, |a: f64| a as u64),
        }
    }
}

/// Performs a fused load of `kind` at `addr` of `mem`, returning the value as a slot low half.
#[inline(always)]
fn load_kind(mem: &baton_runtime::Memory, kind: LoadKind, addr: u64) -> Result<u64, Trap> {
    Ok(match kind {
        LoadKind::I32Load | LoadKind::F32Load => u32s(u32::from_le_bytes(mem.load::<4>(addr)?)),
        LoadKind::I64Load | LoadKind::F64Load => u64::from_le_bytes(mem.load::<8>(addr)?),
        LoadKind::I32Load8S => i32s(i32::from(i8::from_le_bytes(mem.load::<1>(addr)?))),
        LoadKind::I32Load8U => u32s(u32::from(u8::from_le_bytes(mem.load::<1>(addr)?))),
        LoadKind::I32Load16S => i32s(i32::from(i16::from_le_bytes(mem.load::<2>(addr)?))),
        LoadKind::I32Load16U => u32s(u32::from(u16::from_le_bytes(mem.load::<2>(addr)?))),
        LoadKind::I64Load8S => i64s(i64::from(i8::from_le_bytes(mem.load::<1>(addr)?))),
        LoadKind::I64Load8U => u64::from(u8::from_le_bytes(mem.load::<1>(addr)?)),
        LoadKind::I64Load16S => i64s(i64::from(i16::from_le_bytes(mem.load::<2>(addr)?))),
        LoadKind::I64Load16U => u64::from(u16::from_le_bytes(mem.load::<2>(addr)?)),
        LoadKind::I64Load32S => i64s(i64::from(i32::from_le_bytes(mem.load::<4>(addr)?))),
        LoadKind::I64Load32U => u64::from(u32::from_le_bytes(mem.load::<4>(addr)?)),
    })
}
