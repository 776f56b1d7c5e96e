//! `--checkpoint-everywhere`: every invocation is also checked by checkpointing it at each of its
//! first `cap` main-kind events and finishing it from the image.
//!
//! Procedure for one invocation on the live instance L (side effects are applied once, to L):
//! 1. take L's idle image I (before the invocation);
//! 2. run the invocation on L uninterrupted: its outcome O is the directive's result; take L's
//!    idle image F afterwards;
//! 3. in a scratch session of the source engine, restore I into a fresh copy C and invoke it
//!    with a stop at event 0; at each stop k (k < `cap`): take C's image, encode and decode it
//!    with `baton_checkpoint::codec` (the round trip must be exact), restore it into a fresh
//!    instance of the target engine (the source engine, or `--engines a,b`'s second) in a
//!    second scratch session, take that instance's image at once (its encoding must be the
//!    same bytes: images compared byte for byte at every event), resume it to completion, and
//!    require: the outcome equals O
//!    (and meets the directive's expectation) and its final idle image equals F; then resume C
//!    with a stop at k + 1. When C ends instead of stopping at k, k is the invocation's event
//!    count E: C must have ended with O and F too, and E must equal the count the engine
//!    reports, if it reports one. Invocations reaching the cap are counted.
//! 4. when C ended before the cap (so E is known): restore I twice more and run with fuel E
//!    (it must end with O and F) and fuel E - 1 (it must run out of fuel).
//!
//! Every run of a copy is bounded by fuel: C and every restored copy run with fuel = the live
//! run's event count L (when the engine counts events), so a broken engine that never stops
//! ends with "out of fuel" and a failure naming the directive instead of hanging the command.
//! At every stop the restored copy is also checked for *restore fidelity* (right after the
//! restore its own image equals the decoded image, byte for byte) and *event numbering* (with
//! fuel L it finishes and reports L events; restored again and run with fuel L - 1, it runs out
//! of fuel if any event was still to fire).
//!
//! Scratch sessions are created per invocation and dropped after it, so copies never touch the
//! live session and memory is bounded. Imports of copies are rebuilt: spectest functions from
//! the scratch session's own spectest; imported memories, tables and globals as private host
//! objects, new for each copy and shaped like the image it restores (restoring fills them with
//! the image's contents), so a copy never writes to state the live instance or another copy
//! shares (a memory an earlier copy grew could not be restored to a smaller image by an engine
//! that cannot shrink memories, e.g. `instrumented:*`). Functions imported from another
//! instance (a "provider", whose state is in no image of this one) come from a copy of the
//! provider restored, in the same scratch session, from its idle image before the invocation
//! (providers of providers likewise). That reproduces the live run only if the invocation left
//! every provider's state unchanged, which is checked afterwards: otherwise the invocation is
//! counted as `skipped (shared state)` and checked live only. States the image format cannot
//! express (a table or global holding another instance's function) are counted as not
//! imageable, never as passes. An invocation whose live run, walked copy or restored copy
//! exhausted an engine's native stack before `max_frames` frames, when the engines declare
//! `native-stack` (V8: the depth varies with its code tier), is checked live only and is a skip
//! with the reason (unless a check failed before); other runs of copies are not excused.

use baton_checkpoint::codec::{decode, encode, DecodeLimits};
use baton_checkpoint::image::Image;
use baton_checkpoint::EventKind;

use super::declared::{Declared, LimitationKind};
use super::expectation::{describe_outcome, Expectation};
use super::report::Verdict;
use super::runner::InstanceRecord;
use super::SpecEngine;
use crate::fuzz::exec::location;
use baton_engine::Value;
use baton_engine::{
    Engine, EngineConfig, EngineError, InstanceId, KindSet, RunOptions, RunOutcome, RunReport,
    StopRequest, Trap,
};
use compare::Expected;
use scratch::{function_providers, provider_images, same_images, Scratch, Sessions};

mod compare;
mod scratch;

/// Checkpoint-everywhere settings.
#[derive(Clone, Debug)]
pub struct CheckpointSettings {
    /// The engine that restores images (the spec run's engine, or another one).
    pub target: SpecEngine,
    /// At most this many stop points per invocation.
    pub cap: u64,
    /// The kinds to stop at: the main kinds (entry, loop, call, return), plus `any` (every
    /// instruction boundary) when requested.
    pub kinds: KindSet,
}

/// Counters of one file's (or the suite's) checkpoint checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// Invocations that were checkpointed.
    pub invocations: usize,
    /// Images taken at a stop (and round-tripped through the codec).
    pub images_taken: usize,
    /// Images restored and resumed on the target engine.
    pub restored: usize,
    /// Stop points whose check failed (stop, image, codec, restore, resume or comparison).
    pub failed: usize,
    /// Invocations not checkpointed because they changed the state of an instance whose
    /// functions they import (copies restore such providers from their state before the call).
    pub skipped_shared: usize,
    /// Invocations not checkpointed because the instance's state is not imageable (a table or
    /// global holds another instance's function).
    pub not_imageable: usize,
    /// Cross-engine resumed runs whose results matched only up to NaN payloads (allowed by the
    /// spec; same-engine runs must match bit for bit).
    pub nan_payload_differences: usize,
    /// Fuel-contract checks run (a copy with fuel = the event count, and with one less).
    pub fuel_checks: usize,
    /// Stop points skipped because the state there is not imageable.
    pub stops_not_imageable: usize,
    /// Invocations with at least `cap` events (events from `cap` on were not checked).
    pub capped: usize,
    /// Restored images whose re-image on the target (before resuming) was byte-identical to
    /// the source's image at the same event.
    pub images_compared: usize,
}

impl CheckpointStats {
    /// Adds another set of counters.
    pub fn add(&mut self, other: &CheckpointStats) {
        self.invocations += other.invocations;
        self.images_taken += other.images_taken;
        self.restored += other.restored;
        self.failed += other.failed;
        self.skipped_shared += other.skipped_shared;
        self.capped += other.capped;
        self.not_imageable += other.not_imageable;
        self.nan_payload_differences += other.nan_payload_differences;
        self.fuel_checks += other.fuel_checks;
        self.stops_not_imageable += other.stops_not_imageable;
        self.images_compared += other.images_compared;
    }
}

/// The checkpoint state of one file's run.
pub struct CheckpointRun {
    source: SpecEngine,
    settings: CheckpointSettings,
    config: EngineConfig,
    stats: CheckpointStats,
    /// The `native-stack` limitation's reason, when the engines declare it.
    native_stack: Option<String>,
}

impl CheckpointRun {
    /// Starts counting for a file; `declared`: what the engines declare (a `native-stack`
    /// limitation excuses the invocations that exhaust the native stack, see
    /// [`CheckpointRun::check_invocation`]).
    pub fn new(
        source: SpecEngine,
        settings: CheckpointSettings,
        config: &EngineConfig,
        declared: &Declared,
    ) -> Self {
        Self {
            source,
            settings,
            config: *config,
            stats: CheckpointStats::default(),
            native_stack: declared.limitation(LimitationKind::NativeStack),
        }
    }

    /// The counters so far.
    pub fn into_stats(self) -> CheckpointStats {
        self.stats
    }

    /// Runs one invocation live and checks it at every stop point (see the module docs).
    ///
    /// An invocation whose live run, walked copy or restored copy ended because an engine's
    /// native stack ran out ([`Engine::exhausted_native_stack`]), when the engines declare
    /// `native-stack`, is checked live only: other runs could run out at another depth. It is a
    /// skip with the reason.
    pub fn check_invocation(
        &mut self,
        live: &mut dyn Engine,
        record: &InstanceRecord,
        export: &str,
        args: &[Value],
        expectation: &Expectation<'_>,
    ) -> Verdict {
        let live_only = |live: &mut dyn Engine| match live.invoke(
            record.id,
            export,
            args,
            RunOptions::default(),
        ) {
            Ok(report) => expectation.verdict(&report.outcome, live.trap_aliases()),
            Err(error) => Verdict::Fail(format!("invoke {export}: {error}")),
        };
        let providers = function_providers(record);
        let before = match provider_images(live, &providers) {
            Ok(images) => images,
            Err(EngineError::NotImageable(_)) => {
                self.stats.not_imageable += 1;
                return live_only(live);
            }
            Err(error) => return Verdict::Fail(format!("checkpoint: provider image: {error}")),
        };
        let idle = match live.take_image(record.id) {
            Ok(image) => image,
            Err(EngineError::NotImageable(_)) => {
                self.stats.not_imageable += 1;
                return live_only(live);
            }
            Err(error) => return Verdict::Fail(format!("checkpoint: idle image: {error}")),
        };
        let report = match live.invoke(record.id, export, args, RunOptions::default()) {
            Ok(report) => report,
            Err(error) => return Verdict::Fail(format!("invoke {export}: {error}")),
        };
        let verdict = expectation.verdict(&report.outcome, live.trap_aliases());
        if matches!(verdict, Verdict::Fail(_)) {
            return verdict;
        }
        if let Some(reason) =
            self.native_stack_skip(live, record.id, &report.outcome, "its live run")
        {
            return Verdict::Skip(reason);
        }
        let final_image = match live.take_image(record.id) {
            Ok(image) => image,
            Err(EngineError::NotImageable(_)) => {
                self.stats.not_imageable += 1;
                return verdict;
            }
            Err(error) => return Verdict::Fail(format!("checkpoint: final image: {error}")),
        };
        // Copies run against providers restored from their images before the invocation: that
        // reproduces the live run only if the invocation left the providers' state unchanged.
        match provider_images(live, &providers) {
            Ok(after) if same_images(&before, &after) => {}
            Ok(_) | Err(EngineError::NotImageable(_)) => {
                self.stats.skipped_shared += 1;
                return verdict;
            }
            Err(error) => return Verdict::Fail(format!("checkpoint: provider image: {error}")),
        }
        self.stats.invocations += 1;
        let expected = Expected {
            outcome: &report.outcome,
            final_image: &final_image,
            expectation,
            events: report.events,
            live_aliases: live.trap_aliases(),
        };
        let mut sessions = match Sessions::new(
            &self.source,
            &self.settings.target,
            &self.config,
            record,
            &before,
        ) {
            Ok(sessions) => sessions,
            Err(message) => {
                self.stats.failed += 1;
                return Verdict::Fail(format!("checkpoint: {message}"));
            }
        };
        let mut failures = Failures::default();
        let walk = self.walk_stops(
            &mut sessions,
            export,
            args,
            &idle,
            &report,
            &expected,
            &mut failures,
        );
        match walk {
            Walk::Ended(events) => self.check_fuel(
                &mut sessions,
                export,
                args,
                &idle,
                events,
                &expected,
                &mut failures,
            ),
            Walk::NativeStack(reason) if failures.count == 0 => {
                // Counted above; only its stops before that copy were checked.
                self.stats.invocations -= 1;
                return Verdict::Skip(reason);
            }
            Walk::NativeStack(_) | Walk::Stopped => {}
        }
        self.stats.failed += failures.count;
        match failures.first {
            Some(message) => Verdict::Fail(message),
            None => verdict,
        }
    }

    /// Why an invocation is checked live only when `run` (its live run, or a restored copy's)
    /// of `instance` on `engine` ended with `outcome`: it exhausted the engine's native stack,
    /// and the engines declare `native-stack`.
    fn native_stack_skip(
        &self,
        engine: &dyn Engine,
        instance: InstanceId,
        outcome: &RunOutcome,
        run: &str,
    ) -> Option<String> {
        let reason = self.native_stack.as_ref()?;
        let native = *outcome == RunOutcome::Trapped(Trap::CallStackExhausted)
            && engine.exhausted_native_stack(instance);
        native.then(|| {
            format!(
                "checked live only: {run} exhausted the native stack of {} before {} frames, a depth other runs need not repeat: {reason}",
                engine.name(),
                self.config.max_frames
            )
        })
    }

    /// Restores one copy from the idle image and stops it at event 0, 1, 2, ... (resuming after
    /// each stop) until it ends or reaches the cap, checking an image at every stop. Returns the
    /// invocation's main-event count when the copy ended before the cap, or why it is checked
    /// live only (a restored copy exhausted a declared native stack).
    #[allow(clippy::too_many_arguments)]
    fn walk_stops(
        &mut self,
        sessions: &mut Sessions,
        export: &str,
        args: &[Value],
        idle: &Image,
        report: &RunReport,
        expected: &Expected<'_>,
        failures: &mut Failures,
    ) -> Walk {
        let source = &mut sessions.source;
        let copy = match source.restore(idle) {
            Ok(copy) => copy,
            Err(error) => {
                failures.add(format!("checkpoint: idle image: {error}"));
                return Walk::Stopped;
            }
        };
        let kinds = self.settings.kinds;
        let bound = expected.events;
        let mut run = source
            .engine
            .invoke(copy, export, args, next_stop(kinds, bound));
        // Stops so far, and main-kind events so far (= the number the next one gets).
        let mut stops = 0;
        let mut events = 0;
        loop {
            if stops >= self.settings.cap {
                self.stats.capped += 1;
                return Walk::Stopped;
            }
            let outcome = match run {
                Ok(report) => report.outcome,
                // A stop the engine declares it cannot take (e.g. `instrumented:*` at the call
                // event of a call that exhausts the stack): the walk ends there.
                Err(EngineError::NotImageable(_)) => {
                    self.stats.stops_not_imageable += 1;
                    return Walk::Stopped;
                }
                Err(error) => {
                    failures.add(format!("checkpoint: run to stop {stops}: {error}"));
                    return Walk::Stopped;
                }
            };
            match &outcome {
                &RunOutcome::Suspended { kind, event, .. } => {
                    // Main events are numbered consecutively; an `any` stop records the number
                    // the next main event will get.
                    if event != events || !kinds.contains(kind) {
                        failures.add(format!(
                            "checkpoint: stop {stops} is {kind:?} event {event}, expected event {events} of a requested kind"
                        ));
                        return Walk::Stopped;
                    }
                    if kind != EventKind::Any {
                        events += 1;
                    }
                    match self.check_image(sessions, copy, expected, &outcome) {
                        Ok(StopPoint::Checked) => {}
                        Ok(StopPoint::NotImageable) => self.stats.stops_not_imageable += 1,
                        Ok(StopPoint::NativeStack(reason)) => return Walk::NativeStack(reason),
                        Err(message) => failures.add(format!(
                            "checkpoint at stop {stops} ({kind:?} event {event}): {message}"
                        )),
                    }
                }
                ended => {
                    // The copy ran out of stops: it must have ended exactly like the live run,
                    // after as many main events as the engine counted.
                    let source = &mut sessions.source;
                    if let Some(reason) = self.native_stack_skip(
                        source.engine.as_ref(),
                        copy,
                        ended,
                        "the copy stopped at every event",
                    ) {
                        return Walk::NativeStack(reason);
                    }
                    if let Err(message) = expected.check(source.engine.as_mut(), copy, ended, false)
                    {
                        failures.add(format!("checkpoint: run past its last stop: {message}"));
                    }
                    if let Some(counted) = report.events.filter(|counted| *counted != events) {
                        failures.add(format!(
                            "checkpoint: the engine counted {counted} events, but stopping at every event shows {events}"
                        ));
                    }
                    return Walk::Ended(events);
                }
            }
            stops += 1;
            run = sessions.source.engine.resume(copy, next_stop(kinds, bound));
        }
    }

    /// Fuel is a limit on event numbers: with fuel E (the invocation's event count) a copy
    /// restored from the idle image must end exactly like the live run; with E - 1 it must run
    /// out of fuel.
    #[allow(clippy::too_many_arguments)]
    fn check_fuel(
        &mut self,
        sessions: &mut Sessions,
        export: &str,
        args: &[Value],
        idle: &Image,
        events: u64,
        expected: &Expected<'_>,
        failures: &mut Failures,
    ) {
        let source = &mut sessions.source;
        for fuel in [Some(events), events.checked_sub(1)].into_iter().flatten() {
            let copy = match source.restore(idle) {
                Ok(copy) => copy,
                Err(error) => {
                    failures.add(format!("checkpoint: idle image for fuel {fuel}: {error}"));
                    return;
                }
            };
            let options = RunOptions {
                stop: None,
                fuel: Some(fuel),
            };
            let outcome = match source.engine.invoke(copy, export, args, options) {
                Ok(report) => report.outcome,
                Err(error) => {
                    failures.add(format!("fuel {fuel}: {error}"));
                    return;
                }
            };
            self.stats.fuel_checks += 1;
            let result = if fuel == events {
                expected
                    .check(source.engine.as_mut(), copy, &outcome, false)
                    .map(|_| ())
            } else if outcome == RunOutcome::OutOfFuel {
                Ok(())
            } else {
                Err(format!(
                    "expected to run out of fuel, {}",
                    describe_outcome(&outcome)
                ))
            };
            if let Err(message) = result {
                failures.add(format!("fuel {fuel} ({events} events): {message}"));
            }
        }
    }

    /// At a stop of the source copy: image, round trip through the codec, restore on the
    /// target, finish, compare with the live run.
    fn check_image(
        &mut self,
        sessions: &mut Sessions,
        copy: InstanceId,
        expected: &Expected<'_>,
        stopped: &RunOutcome,
    ) -> Result<StopPoint, String> {
        let source = &mut sessions.source;
        let image = match source.engine.take_image(copy) {
            Ok(image) => image,
            Err(EngineError::NotImageable(_)) => return Ok(StopPoint::NotImageable),
            Err(error) => return Err(format!("take image: {error}")),
        };
        let required = source.engine.locates_stops();
        if let Some(message) = location::disagreement(stopped, &image, required) {
            return Err(format!("stop location: {message}"));
        }
        self.stats.images_taken += 1;
        let bytes = encode(&image);
        let decoded = decode(&bytes, &DecodeLimits::default())
            .map_err(|error| format!("decode of an encoded image: {error}"))?;
        if decoded != image {
            return Err("codec round trip changed the image".into());
        }
        let cross_engine = sessions.source.engine.name() != sessions.target.engine.name();
        let target = &mut sessions.target;
        let restored = restore_checked(target, &decoded)?;
        self.stats.restored += 1;
        // `restore_checked` proved the restored copy's own image is the same bytes.
        self.stats.images_compared += 1;
        let options = RunOptions {
            stop: None,
            fuel: expected.events,
        };
        let finished = target
            .engine
            .resume(restored, options)
            .map_err(|error| format!("resume on {}: {error}", target.engine.name()))?;
        if let Some(reason) = self.native_stack_skip(
            target.engine.as_ref(),
            restored,
            &finished.outcome,
            "a restored copy",
        ) {
            return Ok(StopPoint::NativeStack(reason));
        }
        let nan_tolerated = expected.check(
            target.engine.as_mut(),
            restored,
            &finished.outcome,
            cross_engine,
        )?;
        if nan_tolerated {
            self.stats.nan_payload_differences += 1;
        }
        if let (Some(live), Some(counted)) = (expected.events, finished.events) {
            if live != counted {
                return Err(format!(
                    "restored run on {} reported {counted} events, the live run {live}",
                    target.engine.name()
                ));
            }
        }
        self.fuel_probe(target, &decoded, expected)?;
        Ok(StopPoint::Checked)
    }

    /// Restored again from `image` and run with fuel L - 1 (L: the live run's event count), a
    /// copy must run out of fuel if an event was still to fire after the image's stop.
    fn fuel_probe(
        &mut self,
        target: &mut Scratch,
        image: &Image,
        expected: &Expected<'_>,
    ) -> Result<(), String> {
        let Some(live) = expected.events else {
            return Ok(());
        };
        let Some(point) = image.execution.as_ref().and_then(|e| e.safe_point.as_ref()) else {
            return Ok(());
        };
        let any = EventKind::from_image(point.kind()) == Some(EventKind::Any);
        let fired = point.event + u64::from(!any);
        let (Some(fuel), true) = (live.checked_sub(1), fired < live) else {
            return Ok(());
        };
        let restored = target.restore(image)?;
        let options = RunOptions {
            stop: None,
            fuel: Some(fuel),
        };
        let outcome = target
            .engine
            .resume(restored, options)
            .map_err(|error| format!("resume on {}: {error}", target.engine.name()))?
            .outcome;
        self.stats.fuel_checks += 1;
        if outcome != RunOutcome::OutOfFuel {
            return Err(format!(
                "restored on {} and resumed with fuel {fuel} ({live} events, {fired} fired before the stop): expected to run out of fuel, {}",
                target.engine.name(),
                describe_outcome(&outcome)
            ));
        }
        Ok(())
    }
}

/// What happened at one stop point.
enum StopPoint {
    /// Imaged, restored and finished as expected.
    Checked,
    /// The state at the stop cannot be imaged (format limitation); skipped and counted.
    NotImageable,
    /// The restored copy exhausted the target's native stack (declared `native-stack`): the
    /// invocation is checked live only, for this reason.
    NativeStack(String),
}

/// How the walk over an invocation's stops ended.
enum Walk {
    /// The copy ended before the cap, after this many main events.
    Ended(u64),
    /// The cap was reached, or a check on the way could not go on.
    Stopped,
    /// A restored copy exhausted the target's native stack: why the invocation is checked
    /// live only.
    NativeStack(String),
}

/// The failures of one invocation's checks: how many, and the first message.
#[derive(Default)]
struct Failures {
    count: usize,
    first: Option<String>,
}

impl Failures {
    fn add(&mut self, message: String) {
        self.count += 1;
        self.first.get_or_insert(message);
    }
}

/// A request to stop at the next event of `kinds` (numbers only grow, so `>= 0` is "next"),
/// with fuel `fuel`.
fn next_stop(kinds: KindSet, fuel: Option<u64>) -> RunOptions {
    RunOptions {
        stop: Some(StopRequest { kinds, at: 0 }),
        fuel,
    }
}

/// Restores `image` into a fresh instance of `target` and checks restore fidelity: the
/// engine's own image right after the restore must equal `image` byte for byte.
fn restore_checked(target: &mut Scratch, image: &Image) -> Result<InstanceId, String> {
    let restored = target.restore(image)?;
    match target.engine.take_image(restored) {
        Ok(back) if encode(&back) != encode(image) => Err(format!(
            "restore fidelity: right after the restore, {}'s image differs from the restored one ({})",
            target.engine.name(),
            compare::first_image_difference(image, &back)
        )),
        Ok(_) | Err(EngineError::NotImageable(_)) => Ok(restored),
        Err(error) => Err(format!("image right after the restore: {error}")),
    }
}
