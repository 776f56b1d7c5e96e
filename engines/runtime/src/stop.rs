//! The driving contract's outcome types (see `docs/safe-points.md`); the kinds, kind sets and
//! stop requests are the adapter API's ([`EventKind`], [`KindSet`], [`StopRequest`]), re-exported.
//!
//! Events of the four main kinds (entry, loop, call, return) share one counter per invocation;
//! `any` events fire at every instruction boundary and do not consume numbers.

pub use baton_engine::{EventKind, KindSet, StopRequest};

use crate::trap::Trap;
use crate::value::Val;

/// Where a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopInfo {
    /// The event's kind.
    pub kind: EventKind,
    /// The event's number (for `any`: the number the next main event would get).
    pub event: u64,
    /// The innermost frame's function (index in the instance's function index space).
    pub func: u32,
    /// The innermost frame's pc, as an image offset (see the image's `Frame.pc`).
    pub pc: u32,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome {
    /// The invocation returned these results; the instance is idle again.
    Finished(Vec<Val>),
    /// The invocation trapped; the instance is idle again (memories etc. keep their writes).
    Trapped(Trap),
    /// The next event's number reached the fuel limit; the invocation is abandoned.
    OutOfFuel,
    /// Stopped at a requested event; the instance can be imaged, then continued.
    Stopped(StopInfo),
}
