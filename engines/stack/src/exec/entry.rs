//! Starting and continuing a run: the invocation's entry (an import called opaquely, or the
//! first frame pushed with its entry event) and the hand-over to the interpreter loop.

use std::any::Any;
use std::rc::Rc;

use baton_runtime::{Config, EventKind, RunOutcome, StopInfo, StopLocation, StopRequest, Trap};

use crate::exec::events::{Decision, Events};
use crate::exec::run::{run_loop, Exit};
use crate::exec::slot::to_slot;
use crate::exec::store_ops::{self as ops, internal};
use crate::exec::thread::{Frame, Skip, Thread};
use crate::instance::Core;
use crate::translate::FuncCode;

/// Runs `thread` on `core` until it finishes, traps, runs out of fuel or stops.
pub fn run(
    core: &Rc<Core>,
    thread: &mut Thread,
    stop: Option<StopRequest>,
    config: &Config,
) -> RunOutcome {
    let events = Events::new(stop, config.fuel, thread.events);
    thread.stopped_at = None;
    match execute(core, thread, &events, config) {
        Ok(outcome) => outcome,
        Err(trap) => RunOutcome::Trapped(trap),
    }
}

pub(crate) fn code_of(core: &Core, func: u32) -> Result<&FuncCode, Trap> {
    core.module
        .code(func)
        .ok_or_else(|| internal("no code for function"))
}

fn execute(
    core: &Rc<Core>,
    thread: &mut Thread,
    ev: &Events,
    config: &Config,
) -> Result<RunOutcome, Trap> {
    let this: Rc<dyn Any> = core.handle.clone();
    if !thread.pending_entry {
        return continue_run(core, thread, ev, config, &this);
    }
    thread.pending_entry = false;
    let entry = thread.entry.clone().ok_or_else(|| internal("no entry"))?;
    if entry.func < core.module.info().num_imported_funcs {
        let func = core
            .objects
            .imported_funcs
            .get(entry.func as usize)
            .ok_or_else(|| internal("import index"))?;
        let results = ops::call_function(func, entry.args, thread.outer_frames, config)?;
        return Ok(RunOutcome::Finished(results));
    }
    thread.stack.clear();
    thread.frames.clear();
    thread.skip = Skip::Nothing;
    thread.next_event = 0;
    for arg in &entry.args {
        let slot = to_slot(arg, &mut thread.refs);
        thread.stack.push(slot);
    }
    enter_and_run(core, thread, ev, config, entry.func, &this)
}

fn enter_and_run(
    core: &Rc<Core>,
    thread: &mut Thread,
    ev: &Events,
    config: &Config,
    func: u32,
    this: &Rc<dyn Any>,
) -> Result<RunOutcome, Trap> {
    let callee = code_of(core, func)?;
    if thread.frames.len() + thread.outer_frames >= config.max_frames {
        return Err(Trap::CallStackExhausted);
    }
    let base = thread
        .stack
        .len()
        .checked_sub(callee.ty.params.len())
        .ok_or_else(|| internal("entry arguments"))?;
    thread
        .stack
        .resize(thread.stack.len() + callee.declared_locals());
    thread.frames.push(Frame {
        func,
        ret_pc: 0,
        base: base as u32,
    });
    thread.pc = 0;
    let number = thread.next_event;
    if number >= ev.check_from {
        match ev.decide(EventKind::Entry, number) {
            Decision::OutOfFuel => return Ok(RunOutcome::OutOfFuel),
            Decision::Stop => {
                thread.next_event = number + 1;
                thread.skip = Skip::Nothing;
                thread.stopped_at = Some((EventKind::Entry, number));
                return Ok(RunOutcome::Stopped(StopInfo {
                    kind: EventKind::Entry,
                    event: number,
                    location: callee.offsets.first().map(|&pc| StopLocation { func, pc }),
                }));
            }
            Decision::Continue => {}
        }
    }
    thread.next_event = number + 1;
    continue_run(core, thread, ev, config, this)
}

/// Runs the interpreter loop: the slow variant (original instructions, a check at every
/// boundary) while `any` events are requested or a resume still has events to skip at the
/// current boundary, the fast variant (superinstructions, no boundary checks) otherwise.
fn continue_run(
    core: &Rc<Core>,
    thread: &mut Thread,
    ev: &Events,
    config: &Config,
    this: &Rc<dyn Any>,
) -> Result<RunOutcome, Trap> {
    loop {
        let exit = if ev.any || thread.skip != Skip::Nothing {
            run_loop::<true>(core, thread, ev, config, this)?
        } else {
            run_loop::<false>(core, thread, ev, config, this)?
        };
        match exit {
            Exit::Done(outcome) => return Ok(outcome),
            Exit::ToFast => {}
        }
    }
}
