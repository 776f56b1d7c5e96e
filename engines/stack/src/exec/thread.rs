//! One invocation's execution state: the value stack, the frame stack, the pc, the event
//! counter and what is still pending at the current boundary after a stop.
//!
//! Layout invariant: for every frame `f`, `stack[f.base .. f.base + locals]` are its locals
//! (parameters first) and its operands follow up to the next frame's base (or the stack top for
//! the innermost frame). `pc` indexes the innermost frame's instruction vector.

use baton_runtime::{EventKind, Val};

use crate::exec::slot::RefArena;
use crate::exec::value_stack::ValueStack;

/// One Wasm activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The function (index space of the thread's instance).
    pub func: u32,
    /// Where the caller continues (instruction position in the caller); unused for the entry
    /// frame.
    pub ret_pc: u32,
    /// Stack index of local 0.
    pub base: u32,
}

/// What has already happened at the current boundary when resuming after a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Skip {
    /// Nothing: run the boundary's remaining events normally.
    #[default]
    Nothing,
    /// No `any` event at this boundary: it already fired, or the boundary is the body's final
    /// `end` reached by a branch out of the body (a return; that `end` may be dead code).
    Any,
    /// The `any` and `call` events at this boundary already fired: execute the call.
    AnyAndCall,
}

/// The invoked function and its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryCall {
    /// Function index.
    pub func: u32,
    /// Arguments.
    pub args: Vec<Val>,
}

/// A suspended or running invocation.
#[derive(Clone, Default)]
pub struct Thread {
    /// The value stack (locals and operands of every frame).
    pub stack: ValueStack,
    /// Frames, outermost first.
    pub frames: Vec<Frame>,
    /// Position in the innermost frame's code.
    pub pc: u32,
    /// Function references held in slots.
    pub refs: RefArena,
    /// The number the next main event gets.
    pub next_event: u64,
    /// Events already fired at the current boundary (after a stop/restore).
    pub skip: Skip,
    /// The entry function still has to be entered (fresh invocation).
    pub pending_entry: bool,
    /// What the embedder invoked.
    pub entry: Option<EntryCall>,
    /// Where the thread is stopped, if it is.
    pub stopped_at: Option<(EventKind, u64)>,
    /// Wasm frames live in enclosing runs (for the call-depth limit of nested calls).
    pub outer_frames: usize,
    /// Whether events fire (false for opaque nested calls into another instance).
    pub events: bool,
}

impl Thread {
    /// A fresh invocation of `func` with `args` (already checked against the signature).
    pub fn new(func: u32, args: Vec<Val>, events: bool, outer_frames: usize) -> Thread {
        Thread {
            pending_entry: true,
            entry: Some(EntryCall { func, args }),
            events,
            outer_frames,
            ..Thread::default()
        }
    }
}
