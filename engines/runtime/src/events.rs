//! The event counter every in-house engine uses: numbering, fuel and stop requests, checked
//! with one comparison on the hot path.
//!
//! Invariants: `next` is the number the next main-kind event gets; `threshold` is the smallest
//! number at which something may happen (fuel or a stop), `u64::MAX` when nothing can; when
//! `enabled` is false (nested cross-instance runs) events are neither counted nor checked.

use crate::{EventKind, StopRequest};

/// What firing an event caused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fired {
    /// Keep running.
    Continue,
    /// Stop here with this event number.
    Stop(u64),
    /// Fuel exhausted.
    OutOfFuel,
}

/// The per-invocation event state.
#[derive(Clone, Copy, Debug)]
pub struct Events {
    /// The next event's number.
    pub next: u64,
    threshold: u64,
    fuel: Option<u64>,
    stop: Option<StopRequest>,
    enabled: bool,
}

impl Events {
    /// Counting from `next` with the given fuel limit and stop request.
    pub fn new(next: u64, fuel: Option<u64>, stop: Option<StopRequest>) -> Events {
        let mut events = Events {
            next,
            threshold: u64::MAX,
            fuel,
            stop: None,
            enabled: true,
        };
        events.set_stop(stop);
        events
    }

    /// No events at all (a nested run of another instance).
    pub fn disabled() -> Events {
        Events {
            next: 0,
            threshold: u64::MAX,
            fuel: None,
            stop: None,
            enabled: false,
        }
    }

    /// Replaces the fuel limit.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.fuel = fuel;
        self.set_stop(self.stop);
    }

    /// Replaces the stop request.
    pub fn set_stop(&mut self, stop: Option<StopRequest>) {
        self.stop = stop.filter(|s| !s.kinds.is_empty());
        let stop_at = self.stop.map_or(u64::MAX, |s| s.at);
        self.threshold = self.fuel.unwrap_or(u64::MAX).min(stop_at);
        if !self.enabled {
            self.threshold = u64::MAX;
        }
    }

    /// Fires an event of `kind`.
    #[inline(always)]
    pub fn fire(&mut self, kind: EventKind) -> Fired {
        if self.next < self.threshold {
            self.next += 1;
            Fired::Continue
        } else {
            self.slow(kind)
        }
    }

    /// Fires an event on the fast path only: `false` (nothing counted) when the event needs the
    /// slow path (fuel, a possible stop), which the caller must then take with [`Events::fire`].
    #[inline(always)]
    pub fn fire_fast(&mut self) -> bool {
        if self.next < self.threshold {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// How many events can fire before the counter reaches its threshold (fuel or a stop).
    #[inline(always)]
    pub fn fast_budget(&self) -> u64 {
        self.threshold.saturating_sub(self.next)
    }

    /// Fires an event on the fast path when the event after it will take the fast path too
    /// (`false`, nothing counted, otherwise): the caller may then count that next event with
    /// [`Events::consume_fast`] without a check, provided nothing else fires in between.
    #[inline(always)]
    pub fn fire_fast_pair(&mut self) -> bool {
        if self.next + 1 < self.threshold {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// Counts `used` events fired from a [`Events::fast_budget`] budget.
    #[inline(always)]
    pub fn consume_fast(&mut self, used: u64) {
        self.next += used;
    }

    #[cold]
    #[inline(never)]
    fn slow(&mut self, kind: EventKind) -> Fired {
        if !self.enabled {
            return Fired::Continue;
        }
        if self.fuel.is_some_and(|fuel| self.next >= fuel) {
            return Fired::OutOfFuel;
        }
        let number = self.next;
        self.next += 1;
        match self.stop {
            Some(stop) if stop.kinds.contains(kind) && number >= stop.at => Fired::Stop(number),
            _ => Fired::Continue,
        }
    }
}
