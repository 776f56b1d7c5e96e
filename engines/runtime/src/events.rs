//! The event counter every in-house engine uses: numbering, fuel and stop requests, checked
//! with one decrement-and-test of a budget on the hot path.
//!
//! Invariants: the next main-kind event's number is `limit - budget`; `threshold` is the
//! smallest number at which something may happen (fuel or a stop), `u64::MAX` when nothing
//! can; `limit = max(threshold, next)`, so `budget` is how many events may still fire without
//! a look at fuel or the stop request (0 once the counter reached the threshold: from then on
//! every event takes the slow path). When `enabled` is false (nested cross-instance runs)
//! events are neither counted nor checked.

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
    budget: u64,
    limit: u64,
    threshold: u64,
    fuel: Option<u64>,
    stop: Option<StopRequest>,
    enabled: bool,
}

impl Events {
    /// Counting from `next` with the given fuel limit and stop request.
    pub fn new(next: u64, fuel: Option<u64>, stop: Option<StopRequest>) -> Events {
        let mut events = Events {
            budget: 0,
            limit: next,
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
        let mut events = Events::new(0, None, None);
        events.enabled = false;
        events.set_stop(None);
        events
    }

    /// The number the next main-kind event gets (the number of events fired so far).
    #[inline(always)]
    pub fn next(&self) -> u64 {
        self.limit - self.budget
    }

    /// Sets the next event's number (keeps the invariant `limit = max(threshold, next)`).
    fn set_next(&mut self, next: u64) {
        self.limit = self.threshold.max(next);
        self.budget = self.limit - next;
    }

    /// Replaces the fuel limit.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.fuel = fuel;
        self.set_stop(self.stop);
    }

    /// Replaces the stop request.
    pub fn set_stop(&mut self, stop: Option<StopRequest>) {
        let next = self.next();
        self.stop = stop.filter(|s| !s.kinds.is_empty());
        let stop_at = self.stop.map_or(u64::MAX, |s| s.at);
        self.threshold = self.fuel.unwrap_or(u64::MAX).min(stop_at);
        if !self.enabled {
            self.threshold = u64::MAX;
        }
        self.set_next(next);
    }

    /// Fires an event of `kind`.
    #[inline(always)]
    pub fn fire(&mut self, kind: EventKind) -> Fired {
        if self.take_fast(1) {
            Fired::Continue
        } else {
            self.slow(kind)
        }
    }

    /// Fires an event on the fast path only: `false` (nothing counted) when the event needs the
    /// slow path (fuel, a possible stop), which the caller must then take with [`Events::fire`].
    #[inline(always)]
    pub fn fire_fast(&mut self) -> bool {
        self.take_fast(1)
    }

    /// Fires `n` consecutive events on the fast path when none of them can stop or run out of
    /// fuel (`false`, nothing counted, otherwise: the caller then fires them one by one with
    /// [`Events::fire`]). Only for events between which nothing else fires.
    ///
    /// The fast path is one subtraction whose borrow is the test (`sub [budget], n; jb` on
    /// x86-64): the difference is stored unconditionally and the cold path puts the budget
    /// back.
    #[inline(always)]
    pub fn take_fast(&mut self, n: u64) -> bool {
        let (rest, short) = self.budget.overflowing_sub(n);
        self.budget = rest;
        if short {
            self.undo_take(n);
            false
        } else {
            true
        }
    }

    /// Puts back the `n` events a failed [`Events::take_fast`] subtracted (out of line: the
    /// fast path stays a subtraction and a branch).
    #[cold]
    #[inline(never)]
    fn undo_take(&mut self, n: u64) {
        self.budget = self.budget.wrapping_add(n);
    }

    /// Un-counts `n` events just counted by [`Events::take_fast`] that turned out not to
    /// happen (e.g. the entry event of a callee that is an import, or that traps before its
    /// frame exists).
    #[inline(always)]
    pub fn give_back(&mut self, n: u64) {
        self.budget += n;
    }

    /// How many events can fire before the counter reaches its threshold (fuel or a stop).
    #[inline(always)]
    pub fn fast_budget(&self) -> u64 {
        self.budget
    }

    /// Counts `used` events fired from a [`Events::fast_budget`] budget.
    #[inline(always)]
    pub fn consume_fast(&mut self, used: u64) {
        self.budget -= used;
    }

    #[cold]
    #[inline(never)]
    fn slow(&mut self, kind: EventKind) -> Fired {
        if !self.enabled {
            return Fired::Continue;
        }
        let number = self.next();
        if self.fuel.is_some_and(|fuel| number >= fuel) {
            return Fired::OutOfFuel;
        }
        self.set_next(number.saturating_add(1));
        match self.stop {
            Some(stop) if stop.kinds.contains(kind) && number >= stop.at => Fired::Stop(number),
            _ => Fired::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KindSet;

    fn stop(kind: EventKind, at: u64) -> Option<StopRequest> {
        Some(StopRequest::new(KindSet::of(&[kind]), at))
    }

    #[test]
    fn numbering_fuel_and_stops_through_fast_and_slow_paths() {
        // Stop at the first `loop` event numbered >= 3, fuel 6.
        let mut events = Events::new(0, Some(6), stop(EventKind::Loop, 3));
        assert_eq!(events.fast_budget(), 3);
        assert!(events.take_fast(2));
        assert_eq!(events.fire(EventKind::Call), Fired::Continue);
        assert_eq!(events.next(), 3);
        assert!(!events.take_fast(1), "event 3 may stop: no fast path");
        assert_eq!(events.fire(EventKind::Call), Fired::Continue);
        assert_eq!(events.fire(EventKind::Loop), Fired::Stop(4));
        assert_eq!(events.next(), 5);
        assert_eq!(events.fire(EventKind::Entry), Fired::Continue);
        assert_eq!(events.fire(EventKind::Loop), Fired::OutOfFuel);
        assert_eq!(events.next(), 6, "running out of fuel counts nothing");
    }

    #[test]
    fn give_back_and_resuming_keep_the_count() {
        let mut events = Events::new(10, None, stop(EventKind::Call, 13));
        assert!(events.take_fast(2));
        events.give_back(1);
        assert_eq!(events.next(), 11);
        events.consume_fast(1);
        assert_eq!(events.next(), 12);
        events.set_stop(None);
        events.set_fuel(Some(13));
        assert_eq!(events.fast_budget(), 1);
        assert!(!events.take_fast(2));
        assert_eq!(events.fire(EventKind::Call), Fired::Continue);
        assert_eq!(events.fire(EventKind::Call), Fired::OutOfFuel);
        let mut disabled = Events::disabled();
        assert_eq!(disabled.fire(EventKind::Call), Fired::Continue);
        assert!(disabled.take_fast(u64::MAX / 2));
    }
}
