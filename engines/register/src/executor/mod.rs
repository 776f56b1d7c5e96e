//! The executor: runs register code over one growable `Vec<u32>` of cells, with an explicit
//! frame stack (Wasm-to-Wasm calls never recurse in Rust).
//!
//! Invariants:
//! - `frames` holds every live activation, outermost first; each frame's cells are
//!   `cells[fp .. fp + frame_cells]` and a callee's frame starts right after its caller's;
//! - a non-innermost activation's `ip` is the index right after its call instruction (the
//!   `AfterCall` safe point when polling), and `ret` is where the callee's results go;
//! - while stopped, the innermost activation's `ip` is the instruction that fired the event, and
//!   `stopped` records the event; resuming continues after it (for a call event, the call runs
//!   without firing again).

mod calls;
mod fast;
pub(crate) mod handlers;
mod run;

pub use baton_runtime::events::Events;

use std::rc::Rc;

use baton_runtime::{EventKind, Trap, Val};

use crate::instance::InstanceInner;

/// One live Wasm activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activation {
    /// Function index (index space; always a defined function).
    pub func: u32,
    /// First cell of the frame.
    pub fp: usize,
    /// Next instruction (see the module invariants).
    pub ip: usize,
    /// Cell offset in the caller's frame receiving the results (unused for the outermost).
    pub ret: u16,
}

/// Where a stopped execution stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The event's kind.
    pub kind: EventKind,
    /// The event's number.
    pub event: u64,
}

/// How a run segment ended.
#[derive(Debug)]
pub enum Exit {
    /// The entry function returned.
    Finished(Vec<Val>),
    /// A trap.
    Trapped(Trap),
    /// Fuel ran out.
    OutOfFuel,
    /// Stopped at a requested event (the state is kept in the execution).
    Stopped(Stopped),
}

/// One invocation in progress.
pub struct Execution {
    /// The instance being run.
    pub inner: Rc<InstanceInner>,
    /// All frames' cells.
    pub cells: Vec<u32>,
    /// Live activations, outermost first.
    pub frames: Vec<Activation>,
    /// The event counter and stop/fuel limits.
    pub events: Events,
    /// The invoked function.
    pub entry_func: u32,
    /// The invocation's arguments.
    pub entry_args: Vec<Val>,
    /// Set while stopped at an event.
    pub stopped: Option<Stopped>,
    /// Frame limit for this execution.
    pub max_frames: usize,
}

impl Execution {
    /// A fresh execution of defined function `func` with `args` (already type-checked).
    pub fn start(
        inner: Rc<InstanceInner>,
        func: u32,
        args: Vec<Val>,
        events: Events,
        max_frames: usize,
    ) -> Result<Execution, Trap> {
        let mut execution = Execution {
            inner,
            cells: Vec::new(),
            frames: Vec::new(),
            events,
            entry_func: func,
            entry_args: Vec::new(),
            stopped: None,
            max_frames,
        };
        execution.push_entry_frame(func, &args)?;
        execution.entry_args = args;
        Ok(execution)
    }

    /// Runs until the invocation finishes, traps, runs out of fuel or stops.
    pub fn run(&mut self) -> Exit {
        let pending_call = match self.stopped.take() {
            Some(Stopped {
                kind: EventKind::Call,
                ..
            }) => true,
            Some(_) => {
                if let Some(top) = self.frames.last_mut() {
                    top.ip += 1;
                }
                false
            }
            None => false,
        };
        self.run_loop(pending_call)
    }
}
