//! Execution of threaded code, after Wasm3: every operation is a handler function
//! `(ip, frame, ctx, r0, fp0) -> Signal` that executes its op and continues with the
//! next op's handler — by a tail call where cfg `baton_tail_calls` is set (`build.rs`), by
//! returning [`Signal::Next`] to a loop otherwise. `r0` and `fp0` are the top-of-stack
//! registers, passed from handler to handler.
//!
//! Calls and loops recurse on the native stack: a call op runs its callee in a nested native
//! call ([`control`]), a loop op runs its body in one and re-enters it on `Continue`. The native
//! stack is extended on demand (`stacker`) so deep Wasm recursion cannot overflow it.
//!
//! Stopping at a safe point *unwinds*: the stopping op pushes a [`Native`] record and returns
//! [`Signal::Unwind`]; every native frame on the way out (loop ops, call ops, function
//! activations) pushes its own record. Continuing *rewinds*: the records are replayed
//! outermost first, re-entering every native frame down to the stop position. Restoring from
//! an image builds the same records ([`crate::checkpoint`]) and takes the same path.
//!
//! Invariants: a handler's `frame` is at least the function's `frame_size` slots long; every
//! slot immediate is below it (compiler invariant), so slot indexing cannot fail.

mod bulk;
mod control;
mod handlers;
mod lower;
mod verify;

use std::cell::RefMut;
use std::rc::Rc;

use baton_runtime::{EventKind, Memory, Trap, Val};

pub use baton_runtime::events::Events;
pub use lower::{fires_no_events, lower};
pub use verify::check_slots;

use crate::instance::InstanceInner;
use crate::module::ModuleCode;
use crate::values::{from_bits, to_bits};

/// A handler: executes the op `ip` starts with and continues with the next.
///
/// `ip` is the current function's code from this op on (so immediates are `ip[1..]`); jumps
/// go through [`Ctx::code`]. `fp0` travels as an `f64` (bits only, never arithmetic) so that
/// every argument has a register and the tail call stays a jump.
pub type Handler = fn(&[Cell], &mut [u64], &mut Ctx<'_>, u64, f64) -> Signal;

/// One word of lowered threaded code: an operation's handler (with `imm` 0), or an immediate
/// (with the handler of a broken-code trap, so dispatching to an immediate cannot go wrong).
/// Both fields are always valid, so neither read needs a check of which one the word is.
#[derive(Clone, Copy)]
pub struct Cell {
    /// The handler.
    pub op: Handler,
    /// The immediate.
    pub imm: u64,
}

/// Why a handler chain ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The function returned (results in slots `0..m` of its frame).
    Return,
    /// Leave `depth` more native loop frames, then restart that loop's body; packed as
    /// `depth << 32` ([`CONTINUE_UNIT`] per frame, see [`pack_continue`]; lowering packs the
    /// `Continue` ops' immediates), so that a leaf loop tests "restart me, and an event is left
    /// in the local budget" with one comparison (`packed < left`, see
    /// `control::loop_run`).
    Continue(u64),
    /// Leave `depth` more native loop frames, then continue at code position `target`, packed
    /// as `depth << 32 | target` (see [`Signal::breaking`]) so the signal is two registers.
    Break(u64),
    /// Unwinding for a stop: every native frame records itself and returns.
    Unwind,
    /// Trap or fuel exhaustion (in [`Ctx::abort`]).
    Abort,
    /// Internal to loop and call ops (never leaves them): the loop ended, or the call
    /// returned, and the caller's code continues at this position.
    At(u64),
    /// Run the op at `Ctx::next` (only without tail calls).
    #[cfg(not(baton_tail_calls))]
    Next,
}

impl Signal {
    /// A [`Signal::Break`] leaving `depth` more loop frames towards `target`.
    #[inline(always)]
    pub fn breaking(depth: u32, target: u32) -> Signal {
        Signal::Break((u64::from(depth) << 32) | u64::from(target))
    }
}

/// One native loop frame in a packed [`Signal::Continue`].
pub const CONTINUE_UNIT: u64 = 1 << 32;

/// The packed [`Signal::Continue`] payload for leaving `depth` more loop frames (depths beyond
/// `u32::MAX` saturate; no function nests that deep).
pub fn pack_continue(depth: u64) -> u64 {
    depth.min(u64::from(u32::MAX)) * CONTINUE_UNIT
}

/// The depth and target of a packed [`Signal::Break`].
#[inline(always)]
pub fn unpack_break(packed: u64) -> (u32, u32) {
    ((packed >> 32) as u32, packed as u32)
}

/// One native frame's record in an unwind (or rewind) record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Native {
    /// A function activation and its frame's slots (`frame_size` of them).
    Function {
        /// Function index.
        func: u32,
        /// The frame.
        slots: Vec<u64>,
    },
    /// A loop op at code position `at`, running its body.
    Loop {
        /// The `Loop` op's position.
        at: u32,
    },
    /// A call op at `at` whose callee is the next record (or, innermost: stopped at its call
    /// event, the call not yet made), with the caller's registers.
    Call {
        /// The call op's position.
        at: u32,
        /// `r0`.
        r0: u64,
        /// `fp0`.
        fp0: u64,
    },
    /// Innermost: continue the function's code at `at` with these registers (after an entry or
    /// return stop).
    Resume {
        /// The position to continue at.
        at: u32,
        /// `r0`.
        r0: u64,
        /// `fp0`.
        fp0: u64,
    },
}

/// How a run ended.
#[derive(Debug)]
pub enum Exit {
    /// Returned these values.
    Finished(Vec<Val>),
    /// Trapped.
    Trapped(Trap),
    /// Fuel exhausted.
    OutOfFuel,
    /// Stopped at an event; the unwind record, outermost first.
    Stopped {
        /// The event's kind.
        kind: EventKind,
        /// The event's number.
        event: u64,
        /// The native frames.
        records: Vec<Native>,
    },
}

/// What a run starts from.
pub enum Start {
    /// A fresh call.
    Fresh {
        /// Function index.
        func: u32,
        /// Arguments (checked against the signature).
        args: Vec<Val>,
    },
    /// Rewinding an unwind record (outermost first).
    Rewind(Vec<Native>),
}

/// Native frame counters, for tests of the native shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NativeCounts {
    /// Native frame records (function activations, loop ops, call ops, the resume position)
    /// pushed by the last unwind, each by the native frame it describes.
    pub unwound: u64,
    /// Records replayed by the last rewind, each re-entering its native frame.
    pub rewound: u64,
}

/// What handlers share besides code, position, frame and registers.
pub struct Ctx<'m> {
    /// The module's code.
    pub module: &'m ModuleCode,
    /// The current function's code (jump targets are positions in it).
    pub code: &'m [Cell],
    /// The instance.
    pub inner: &'m InstanceInner,
    /// The default memory's bytes, borrowed once per run (released around calls out of the
    /// instance and re-borrowed after operations that need the whole [`Memory`]).
    pub memory: Option<RefMut<'m, [u8]>>,
    /// The event counter.
    pub events: Events,
    /// The frame limit.
    pub max_frames: usize,
    /// Live Wasm frames.
    pub depth: usize,
    /// Native nesting levels (calls and loops) of this run.
    pub native_depth: u32,
    /// The unwind record being built, innermost first.
    pub unwind: Vec<Native>,
    /// The rewind record being replayed, innermost first (`pop` gives the next outer one).
    pub rewind: Vec<Native>,
    /// Why the run aborted.
    pub abort: Option<Exit>,
    /// The stop, while unwinding.
    pub stopped: Option<(EventKind, u64)>,
    /// Native frame counters.
    pub counts: NativeCounts,
    /// Where to continue after [`Signal::Next`].
    #[cfg(not(baton_tail_calls))]
    pub next: (usize, u64, u64),
}

impl Ctx<'_> {
    /// The memory's bytes (empty without a memory).
    #[inline(always)]
    pub fn mem(&mut self) -> &mut [u8] {
        match self.memory.as_deref_mut() {
            Some(memory) => memory,
            None => &mut [],
        }
    }

    /// Runs `f` on the whole default memory (`memory.size`, `grow`, bulk operations): the
    /// cached byte slice is released for it and borrowed again afterwards (a grow moves it).
    /// `None` without a memory.
    pub fn with_memory<R>(&mut self, f: impl FnOnce(&mut Memory) -> R) -> Result<Option<R>, Trap> {
        self.memory = None;
        let inner: &InstanceInner = self.inner;
        let result = match inner.objects.memories.first() {
            Some(memory) => {
                let mut memory = memory
                    .try_borrow_mut()
                    .map_err(|_| Trap::Host("memory is in use by another call".into()))?;
                Some(f(&mut memory))
            }
            None => None,
        };
        self.reborrow()?;
        Ok(result)
    }

    /// The out-of-bounds memory access trap (out of line, no arguments: the handlers' fast
    /// paths need no stack frame for it).
    #[cold]
    #[inline(never)]
    pub fn trap_oob(&mut self) -> Signal {
        self.trap(Trap::MemoryOutOfBounds)
    }

    /// Aborts with a trap (out of line, so a handler's trap path is a tail call and the handler
    /// needs no stack frame).
    #[cold]
    #[inline(never)]
    pub fn trap(&mut self, trap: Trap) -> Signal {
        self.abort = Some(Exit::Trapped(trap));
        Signal::Abort
    }

    /// Re-borrows the memory after a call out of the instance.
    pub fn reborrow(&mut self) -> Result<(), Trap> {
        let inner: &InstanceInner = self.inner;
        self.memory = borrow_memory(inner)?;
        Ok(())
    }
}

fn borrow_memory(inner: &InstanceInner) -> Result<Option<RefMut<'_, [u8]>>, Trap> {
    inner
        .objects
        .memories
        .first()
        .map(|m| {
            m.try_borrow_mut()
                .map(|m| RefMut::map(m, Memory::data_mut))
                .map_err(|_| Trap::Host("memory is in use by another call".into()))
        })
        .transpose()
}

/// Slots allocated at least for a native stack segment of frames.
pub const SEGMENT_SLOTS: usize = 1 << 16;

/// Runs `start` on `inner` to a stop or the end. `depth` is the number of Wasm frames already
/// live outside this run (for nested runs of another instance).
pub fn run(
    inner: &Rc<InstanceInner>,
    start: Start,
    events: &mut Events,
    max_frames: usize,
    depth: usize,
    counts: &mut NativeCounts,
) -> Exit {
    let memory = match borrow_memory(inner) {
        Ok(memory) => memory,
        Err(trap) => return Exit::Trapped(trap),
    };
    let module: &ModuleCode = &inner.module;
    let mut ctx = Ctx {
        module,
        code: &[],
        inner,
        memory,
        events: *events,
        max_frames,
        depth,
        native_depth: 0,
        unwind: Vec::new(),
        rewind: Vec::new(),
        abort: None,
        stopped: None,
        counts: NativeCounts::default(),
        #[cfg(not(baton_tail_calls))]
        next: (0, 0, 0),
    };
    let exit = stacker::maybe_grow(control::RED_ZONE, control::STACK_SEGMENT, || {
        run_in(&mut ctx, start)
    });
    *events = ctx.events;
    if matches!(exit, Exit::Stopped { .. }) {
        counts.unwound = ctx.counts.unwound;
    }
    counts.rewound = ctx.counts.rewound;
    exit
}

fn run_in(ctx: &mut Ctx<'_>, start: Start) -> Exit {
    let module = ctx.module;
    let (func, signal, mut frame) = match start {
        Start::Fresh { func, args } => {
            let Some(code) = module.func(func) else {
                return Exit::Trapped(Trap::Host("entry function has no code".into()));
            };
            if ctx.depth >= ctx.max_frames {
                return Exit::Trapped(Trap::CallStackExhausted);
            }
            let mut frame = vec![0u64; (code.compiled.frame_size as usize).max(SEGMENT_SLOTS)];
            {
                let mut refs = ctx.inner.refs.borrow_mut();
                for (slot, arg) in frame.iter_mut().zip(&args) {
                    *slot = to_bits(arg, &mut refs);
                }
            }
            ctx.depth += 1;
            let signal = control::enter(ctx, func, &mut frame);
            (func, signal, frame)
        }
        Start::Rewind(mut records) => {
            let Some(Native::Function { func, .. }) = records.first() else {
                return Exit::Trapped(Trap::Host("rewind record without a function".into()));
            };
            let func = *func;
            let Some(code) = module.func(func) else {
                return Exit::Trapped(Trap::Host("entry function has no code".into()));
            };
            records.reverse();
            ctx.rewind = records;
            let mut frame = vec![0u64; (code.compiled.frame_size as usize).max(SEGMENT_SLOTS)];
            ctx.depth += 1;
            let signal = control::rewind_function(ctx, &mut frame);
            (func, signal, frame)
        }
    };
    match signal {
        Signal::Return => {
            let Some(ty) = module.info.func_type(func) else {
                return Exit::Trapped(Trap::Host("entry function has no type".into()));
            };
            let refs = ctx.inner.refs.borrow();
            let values = ty
                .results
                .iter()
                .zip(frame.iter_mut())
                .map(|(ty, bits)| from_bits(*bits, *ty, &refs))
                .collect();
            Exit::Finished(values)
        }
        Signal::Unwind => {
            let Some((kind, event)) = ctx.stopped else {
                return Exit::Trapped(Trap::Host(
                    "internal engine error: unwind without a stop".into(),
                ));
            };
            let mut records = std::mem::take(&mut ctx.unwind);
            records.reverse();
            Exit::Stopped {
                kind,
                event,
                records,
            }
        }
        Signal::Abort => ctx.abort.take().unwrap_or(Exit::Trapped(Trap::Host(
            "internal engine error: abort".into(),
        ))),
        other => Exit::Trapped(Trap::Host(format!(
            "internal engine error: signal {other:?} reached the entry"
        ))),
    }
}
