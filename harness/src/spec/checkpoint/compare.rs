//! What a finished copy must reproduce: the live run's outcome (up to NaN payloads across
//! engines) and its final instance state.

use baton_checkpoint::image::Image;

use crate::spec::expectation::{describe_outcome, trap_match, Expectation};
use crate::spec::report::Verdict;
use baton_engine::{Engine, InstanceId, RunOutcome, Trap};

/// What every copy of an invocation must reproduce.
pub(super) struct Expected<'a> {
    pub(super) outcome: &'a RunOutcome,
    pub(super) final_image: &'a Image,
    pub(super) expectation: &'a Expectation<'a>,
    /// The live run's main-event count, when the engine counts events: the fuel bounding every
    /// copy, and the count every restored copy must report.
    pub(super) events: Option<u64>,
    /// The live engine's declared trap aliases.
    pub(super) live_aliases: &'a [(Trap, &'static str)],
}

impl Expected<'_> {
    /// Checks a resumed (or run-to-end) copy. With `nan_tolerant` (cross-engine), results may
    /// differ from the uninterrupted run's in NaN payloads only; returns whether that happened.
    pub(super) fn check(
        &self,
        engine: &mut dyn Engine,
        instance: InstanceId,
        outcome: &RunOutcome,
        nan_tolerant: bool,
    ) -> Result<bool, String> {
        if let Verdict::Fail(message) = self.expectation.verdict(outcome, engine.trap_aliases()) {
            return Err(format!("resumed run: {message}"));
        }
        let mut nan_tolerated = false;
        if !same_outcome(self.outcome, outcome)
            && !declared_alias(self.outcome, outcome, engine.trap_aliases())
            && !declared_alias(outcome, self.outcome, self.live_aliases)
        {
            if nan_tolerant && nan_payloads_differ(self.outcome, outcome) {
                nan_tolerated = true;
            } else {
                return Err(format!(
                    "resumed run {}, uninterrupted run {}",
                    describe_outcome(outcome),
                    describe_outcome(self.outcome)
                ));
            }
        }
        self.check_state(engine, instance)?;
        Ok(nan_tolerated)
    }

    /// The final idle state must equal the uninterrupted run's.
    pub(super) fn check_state(
        &self,
        engine: &mut dyn Engine,
        instance: InstanceId,
    ) -> Result<(), String> {
        let image = engine
            .take_image(instance)
            .map_err(|error| format!("final image: {error}"))?;
        if !same_state(self.final_image, &image) {
            return Err(format!(
                "final state differs from the uninterrupted run's: {}",
                first_state_difference(self.final_image, &image)
            ));
        }
        Ok(())
    }
}

/// Whether two outcomes are equal results except for NaN payloads (and differ in at least one).
fn nan_payloads_differ(a: &RunOutcome, b: &RunOutcome) -> bool {
    match (a, b) {
        (RunOutcome::Returned(x), RunOutcome::Returned(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.same_across_engines(q) || p.both_nan(q))
        }
        _ => false,
    }
}

/// Whether run `b` trapped with a trap its engine declares (`aliases`) as standing for run
/// `a`'s (e.g. wasmi's one code for "out of bounds table access" and "undefined element"), as
/// the expectation accepts it against the suite.
fn declared_alias(a: &RunOutcome, b: &RunOutcome, aliases: &[(Trap, &str)]) -> bool {
    match (a, b) {
        (RunOutcome::Trapped(a), RunOutcome::Trapped(b)) => {
            trap_match(b, a.message(), aliases) == Some(true)
        }
        _ => false,
    }
}

fn same_outcome(a: &RunOutcome, b: &RunOutcome) -> bool {
    match (a, b) {
        (RunOutcome::Returned(x), RunOutcome::Returned(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.same_across_engines(q))
        }
        _ => a == b,
    }
}

/// Instance state equality: everything but host sections and the (absent) execution.
pub(super) fn same_state(a: &Image, b: &Image) -> bool {
    a.module_sha256 == b.module_sha256
        && a.memories == b.memories
        && a.globals == b.globals
        && a.tables == b.tables
        && a.dropped_data == b.dropped_data
        && a.dropped_elements == b.dropped_elements
        && a.execution == b.execution
}

/// The first part in which two images differ, execution included (for fidelity messages).
pub(super) fn first_image_difference(a: &Image, b: &Image) -> String {
    if let (Some(x), Some(y)) = (&a.execution, &b.execution) {
        if x.safe_point != y.safe_point {
            return format!("safe point {:?} vs {:?}", x.safe_point, y.safe_point);
        }
        if x.entry != y.entry {
            return "entry call".into();
        }
        if x.frames.len() != y.frames.len() {
            return format!("{} frames vs {}", x.frames.len(), y.frames.len());
        }
        if let Some(i) = x.frames.iter().zip(&y.frames).position(|(f, g)| f != g) {
            return format!("frame {i}");
        }
    }
    if a.host_sections != b.host_sections {
        return "host sections".into();
    }
    first_state_difference(a, b)
}

fn first_state_difference(a: &Image, b: &Image) -> String {
    if a.memories != b.memories {
        return "memories".into();
    }
    if a.globals != b.globals {
        return format!("globals {:?} vs {:?}", a.globals, b.globals);
    }
    if a.tables != b.tables {
        return "tables".into();
    }
    if a.dropped_data != b.dropped_data || a.dropped_elements != b.dropped_elements {
        return "dropped segments".into();
    }
    if a.execution != b.execution {
        return "execution (one instance is not idle)".into();
    }
    "module hash".into()
}
