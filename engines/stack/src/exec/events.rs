//! Event bookkeeping for one run: the stop request and fuel folded into one cheap threshold.
//!
//! A main event numbered `n` needs attention only when `n >= check_from`
//! (`check_from = min(fuel, stop.event)` over what is set); below it, firing an event is one
//! compare and one increment. `any` checks happen only when `any` is requested.

use baton_runtime::{EventKind, KindSet, StopRequest};

/// What a fired event decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Keep running.
    Continue,
    /// Stop here (the event counted).
    Stop,
    /// Out of fuel (the event did not fire).
    OutOfFuel,
}

/// The stop request and fuel of a run.
#[derive(Clone, Copy, Debug)]
pub struct Events {
    /// Events numbered below this need no check.
    pub check_from: u64,
    kinds: KindSet,
    stop_from: u64,
    fuel: u64,
    /// Whether `any` events are requested.
    pub any: bool,
}

impl Events {
    /// Folds a stop request and fuel; `enabled == false` disables everything.
    pub fn new(stop: Option<StopRequest>, fuel: Option<u64>, enabled: bool) -> Events {
        let (kinds, stop_from) = match stop {
            Some(stop) if enabled && !stop.kinds.is_empty() => (stop.kinds, stop.at),
            _ => (KindSet::EMPTY, u64::MAX),
        };
        let fuel = if enabled {
            fuel.unwrap_or(u64::MAX)
        } else {
            u64::MAX
        };
        let main_stop = if kinds.contains(EventKind::Entry)
            || kinds.contains(EventKind::Loop)
            || kinds.contains(EventKind::Call)
            || kinds.contains(EventKind::Return)
        {
            stop_from
        } else {
            u64::MAX
        };
        Events {
            check_from: main_stop.min(fuel),
            kinds,
            stop_from,
            fuel,
            any: kinds.contains(EventKind::Any),
        }
    }

    /// Decides main event `number` of `kind` (called only when `number >= check_from`).
    #[cold]
    pub fn decide(&self, kind: EventKind, number: u64) -> Decision {
        if number >= self.fuel {
            Decision::OutOfFuel
        } else if self.kinds.contains(kind) && number >= self.stop_from {
            Decision::Stop
        } else {
            Decision::Continue
        }
    }

    /// Whether an `any` event at a boundary where the next main event is `next` stops.
    #[inline]
    pub fn any_stops(&self, next: u64) -> bool {
        self.any && next >= self.stop_from
    }
}
