//! The campaign watchdog: reports cases that run past the hang limit (twice the per-operation
//! wall-clock limit) as `timeout` findings while the campaign goes on, and, once the budget is
//! over and only hung cases remain, writes the summary and exits (status 1) instead of waiting
//! for an engine that never returns.
//!
//! Invariant: each hung case is reported once; a hung case that finishes after all is counted
//! normally too.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{case_at, finalize, lock, record, Budget, Options, State};
use crate::fuzz::finding::{Class, Finding};

/// What the watchdog watches.
pub(super) struct Watch<'a> {
    pub(super) state: &'a Mutex<State>,
    pub(super) options: &'a Options,
    pub(super) started: Instant,
    pub(super) done: &'a AtomicBool,
    pub(super) next: &'a AtomicU64,
    pub(super) names: &'a [String],
    pub(super) checkpointers: &'a [String],
}

impl Watch<'_> {
    /// Polls until the campaign is done (or exits the process, see the module docs).
    pub(super) fn run(&self) {
        let hang = self.options.limits.wall * 2;
        while !self.done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let mut state = lock(self.state);
            let newly_hung: Vec<u64> = state
                .running
                .iter()
                .filter(|(index, start)| start.elapsed() > hang && !state.hung.contains(index))
                .map(|(index, _)| *index)
                .collect();
            for index in newly_hung {
                state.hung.insert(index);
                let Some(case) = case_at(self.options, index, self.names, self.checkpointers)
                else {
                    continue;
                };
                let finding = Finding {
                    class: Class::Timeout,
                    engines: self.names.to_vec(),
                    summary: format!("case {index} still running after {hang:?}"),
                    first_difference: "no engine operation returned within the hang limit; \
                                       the worker is stuck"
                        .into(),
                    place: "hang".into(),
                    evidence: Vec::new(),
                    images: Vec::new(),
                };
                record(&mut state, self.options, case, finding);
            }
            let budget_over = match self.options.budget {
                Budget::Time(limit) => self.started.elapsed() >= limit,
                Budget::Cases(n) => {
                    self.next.load(Ordering::Relaxed) >= n + self.options.seeds.len() as u64
                }
            };
            let only_hung = !state.running.is_empty()
                && state.running.keys().all(|index| state.hung.contains(index));
            if budget_over && only_hung && self.options.exit_on_hang {
                finalize(&mut state, self.options, self.started);
                println!("{}", state.summary.line());
                eprintln!(
                    "baton fuzz: {} case(s) hung in an engine; exiting without waiting for them",
                    state.running.len()
                );
                std::process::exit(1);
            }
        }
    }
}
