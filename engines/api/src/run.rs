//! What a run is asked to do and how it ended: the stop request and fuel of one run, its
//! outcome, and the session-wide engine configuration. See `docs/safe-points.md`.

use baton_checkpoint::{EventKind, KindSet};

use crate::trap::Trap;
use crate::value::Value;

/// Where to stop: the first event whose number is `>= at` and whose kind is in `kinds` (for an
/// `any` event, its number is the one the next main event would get).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopRequest {
    /// Kinds that may stop the run.
    pub kinds: KindSet,
    /// The smallest event number that may stop the run.
    pub at: u64,
}

impl StopRequest {
    /// Stop at the first event of `kinds` numbered `at` or later.
    pub fn new(kinds: KindSet, at: u64) -> Self {
        Self { kinds, at }
    }

    /// Whether an event of `kind` numbered `event` satisfies the request.
    pub fn matches(&self, kind: EventKind, event: u64) -> bool {
        self.kinds.contains(kind) && event >= self.at
    }
}

/// Options for one run (an invocation or a resumption).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Suspend at this safe point; `None` runs to completion.
    pub stop: Option<StopRequest>,
    /// Absolute limit on event numbers (see the safe-point contract); `None` is unlimited.
    pub fuel: Option<u64>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The invoked function returned these results.
    Returned(Vec<Value>),
    /// Execution trapped.
    Trapped(Trap),
    /// The fuel limit was reached.
    OutOfFuel,
    /// Suspended at a safe point; continue with [`crate::Engine::resume`] or take an image.
    Suspended {
        /// The kind of the event where it stopped.
        kind: EventKind,
        /// The event's number.
        event: u64,
        /// Where the innermost frame stopped, when the engine reports it; it must equal the
        /// innermost frame of the image taken at this stop (the harness checks it).
        location: Option<StopLocation>,
    },
}

/// Where a run suspended: the innermost frame's function and pc, in the image's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StopLocation {
    /// The function's index in the instance's function index space.
    pub func: u32,
    /// The pc as an image offset (see the image's `Frame.pc`).
    pub pc: u32,
}

/// A run's outcome plus the number of main-kind events fired so far in the invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Events fired in this invocation (from event 0, across resumptions); `None` when the engine
    /// does not count events.
    pub events: Option<u64>,
}

/// Session-wide settings, identical on every engine so runs are comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Maximum number of Wasm frames; one more traps "call stack exhausted".
    pub max_frames: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { max_frames: 1024 }
    }
}
