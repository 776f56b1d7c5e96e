//! The fast path: runs the threaded handlers of [`super::handlers`] (everything that touches
//! only the current frame's cells and the memory's bytes) and, between their chains, switches
//! frames for Wasm-to-Wasm calls and returns whose events need no attention. Anything else
//! (host calls, events that may stop, store objects, the frame limit) hands control back to the
//! outer loop in [`super::run`] with `ip` at that instruction.
//!
//! Invariants: on `Ok(())` the instruction at `*ip` is one the outer loop handles and has not
//! been executed; on a trap `*ip` is unspecified (the run is over). Events fired here are
//! counted in the chain's local budget (the events left before the counter's threshold) and
//! settled into the counter however the run ends, traps included.

use std::rc::Rc;

use baton_runtime::store::TableHandle;
use baton_runtime::{FuncRef, Trap, Val};

use super::calls::init_frame;
use super::handlers::{self, Chain, Flow};
use super::run::{window, WINDOW};
use super::Activation;
use crate::code::Instr;
use crate::compiler::Callee;
use crate::compiler::CompiledFunc;
use crate::module::ModuleCode;
use baton_runtime::events::Events;

/// Hands control to the outer loop at instruction `$ip` of `$func` (frame at `$fp`).
macro_rules! leave {
    ($at:ident, $func:ident, $fp:ident, $ip:expr) => {{
        $at.func = $func;
        $at.fp = $fp;
        $at.ip = $ip;
        return Ok(());
    }};
}

/// What the fast path works on besides the current position.
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

/// Fires a main-kind event from the chain's budget: `false` when the budget is spent and the
/// event needs the outer loop's slow path (nothing is counted then).
#[inline(always)]
fn spend(chain: &mut Chain<'_>) -> bool {
    if chain.budget != 0 {
        chain.budget -= 1;
        true
    } else {
        false
    }
}

/// Runs from `at` until an instruction needs the outer loop; `at` then names it.
pub(super) fn run<'m>(
    ctx: &mut Context<'_, 'm>,
    at: &mut Position<'m>,
    mem: &mut [u8],
) -> Result<(), Trap> {
    let start = ctx.events.fast_budget();
    let mut chain = Chain {
        mem,
        budget: start,
        copies: &at.func.copies,
        tables: &at.func.tables,
        pc: at.ip,
        acc: 0,
        trap: None,
    };
    let result = drive(ctx, at, &mut chain);
    ctx.events.consume_fast(start - chain.budget);
    result
}

/// Alternates handler chains with frame switches.
fn drive<'m: 'c, 'c>(
    ctx: &mut Context<'_, 'm>,
    at: &mut Position<'m>,
    chain: &mut Chain<'c>,
) -> Result<(), Trap> {
    let module = ctx.module;
    let storage = &mut *ctx.storage;
    let frames = &mut *ctx.frames;
    let mut func = at.func;
    let mut fp = at.fp;
    let mut pc = at.ip;
    loop {
        chain.copies = &func.copies;
        chain.tables = &func.tables;
        let frame = window(storage, fp)?;
        let flow = handlers::enter(&func.ops, pc, frame, chain);
        pc = chain.pc;
        match flow {
            Flow::Next | Flow::Leave => leave!(at, func, fp, pc),
            Flow::Trap => {
                return Err(chain
                    .trap
                    .take()
                    .unwrap_or_else(|| Trap::Host("trap without a cause".into())));
            }
            Flow::Call => {
                let (Instr::Call(site) | Instr::CallIndirect(site)) =
                    func.code.get(pc).copied().unwrap_or(Instr::Unreachable)
                else {
                    leave!(at, func, fp, pc);
                };
                let Some(site) = func.calls.get(site as usize) else {
                    leave!(at, func, fp, pc);
                };
                let target = match site.callee {
                    Callee::Direct(target) => target,
                    Callee::Indirect { type_index, table } => {
                        let slot = frame[site.index as usize];
                        match own_indirect_target(
                            ctx.tables,
                            ctx.instance,
                            module,
                            type_index,
                            table,
                            slot,
                        ) {
                            Some(target) => target,
                            None => leave!(at, func, fp, pc),
                        }
                    }
                };
                let Some(callee) = module.func(target) else {
                    leave!(at, func, fp, pc);
                };
                let new_fp = fp + func.frame_cells as usize;
                if frames.len() >= ctx.max_frames
                    || storage.len() < new_fp + WINDOW
                    || !spend(chain)
                {
                    leave!(at, func, fp, pc);
                }
                for (i, src) in site.args.iter().enumerate() {
                    storage[new_fp + i] = storage[fp + *src as usize];
                }
                init_frame(storage, new_fp, callee);
                if let Some(top) = frames.last_mut() {
                    top.ip = pc + 1;
                }
                frames.push(Activation {
                    func: target,
                    fp: new_fp,
                    ip: 0,
                    ret: site.results,
                });
                fp = new_fp;
                func = callee;
                pc = 0;
                if let Some(Instr::Entry) = func.code.first() {
                    if !spend(chain) {
                        leave!(at, func, fp, 0);
                    }
                    pc = 1;
                }
            }
            Flow::Return => {
                if frames.len() < 2 {
                    leave!(at, func, fp, pc);
                }
                let (values, count) = match func.code.get(pc) {
                    Some(Instr::Return1(src)) => ([frame[*src as usize], 0], 1),
                    Some(Instr::Return2(src)) => {
                        ([frame[*src as usize], frame[*src as usize + 1]], 2)
                    }
                    Some(Instr::Return0) => ([0, 0], 0),
                    _ => leave!(at, func, fp, pc),
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
                let frame = window(storage, fp)?;
                let dst = done.ret as usize;
                for (i, value) in values.iter().take(count).enumerate() {
                    frame[dst + i] = *value;
                }
                pc = caller.ip;
                if let Some(Instr::AfterCall) = func.code.get(pc) {
                    if !spend(chain) {
                        leave!(at, func, fp, pc);
                    }
                    pc += 1;
                }
            }
        }
    }
}
