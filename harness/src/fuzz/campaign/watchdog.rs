//! The campaign watchdog: reports cases that run past the hang limit (twice the per-operation
//! wall-clock limit) as `timeout` findings while the campaign goes on, rewrites `summary.json`
//! every few seconds (so even a SIGKILLed campaign leaves recent numbers), and, once no further
//! case will be taken and only hung cases remain, writes the summary and exits (status 1)
//! instead of waiting for an engine that never returns.
//!
//! Invariant: each hung case is journaled once, as a `timeout` finding; when it finishes after
//! all, its worker drops the result.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::run::{lock, Run};
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::oracles::{CaseResult, Stats, Verdict};

/// How often `summary.json` is rewritten while the campaign runs.
const SUMMARY_EVERY: Duration = Duration::from_secs(2);

/// Polls until `done` (or exits the process, see the module docs).
pub(super) fn watch(run: &Run<'_>, done: &AtomicBool) {
    let hang = run.options.limits.wall * 2;
    let mut last_summary = Instant::now();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        let mut state = lock(&run.state);
        let newly_hung: Vec<u64> = state
            .running
            .iter()
            .filter(|(index, start)| start.elapsed() > hang && !state.hung.contains(index))
            .map(|(index, _)| *index)
            .collect();
        for index in newly_hung {
            let Some(case) = run.case_at(index) else {
                continue;
            };
            state.hung.insert(index);
            let finding = Finding {
                class: Class::Timeout,
                engines: run.names.clone(),
                summary: format!("case {index} still running after {hang:?}"),
                first_difference: "no engine operation returned within the hang limit; \
                                   the worker is stuck"
                    .into(),
                place: "hang".into(),
                evidence: Vec::new(),
                images: Vec::new(),
            };
            let result = CaseResult {
                verdict: Verdict::Finding(Box::new(finding)),
                stats: Stats::default(),
            };
            run.complete(&mut state, index, case, result);
        }
        if last_summary.elapsed() >= SUMMARY_EVERY {
            run.finalize(&mut state, false);
            last_summary = Instant::now();
        }
        let only_hung = !state.running.is_empty()
            && state.running.keys().all(|index| state.hung.contains(index));
        if run.exhausted() && only_hung && run.options.exit_on_hang {
            run.finalize(&mut state, true);
            println!("{}", state.summary.line());
            eprintln!(
                "baton fuzz: {} case(s) hung in an engine; exiting without waiting for them",
                state.running.len()
            );
            std::process::exit(1);
        }
    }
}
