//! The driving contract's outcome types (see `docs/safe-points.md`); the kinds, kind sets and
//! stop requests are the adapter API's ([`EventKind`], [`KindSet`], [`StopRequest`]), re-exported.
//!
//! Events of the four main kinds (entry, loop, call, return) share one counter per invocation;
//! `any` events fire at every instruction boundary and do not consume numbers.

pub use baton_engine::{EventKind, KindSet, StopLocation, StopRequest};

use crate::trap::Trap;
use crate::value::Val;

/// Where a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopInfo {
    /// The event's kind.
    pub kind: EventKind,
    /// The event's number (for `any`: the number the next main event would get).
    pub event: u64,
    /// The innermost frame's function and image pc; `None` when the engine's own maps cannot
    /// place the stop (the image taken there would be refused too).
    pub location: Option<StopLocation>,
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
