//! Drives one engine through a case: uninterrupted, up to a checkpoint, or from an image to
//! the end (or to the next stop of a chain).
//!
//! Invariants: every operation runs in an engine session (compiled once per case and engine,
//! dropped after any failure, see [`session::MAX_SESSION_USES`]) under `catch_unwind` and a
//! wall-clock check, so a panic, an engine error or a too-slow run comes back as a typed
//! [`Failure`]; runs use event fuel when the engine supports it, so a restored run and an
//! uninterrupted one end identically; images always carry the host's trace section.
//!
//! The private `session` module holds the per-engine session (compile, host linking, one run's helpers) and its
//! per-thread cache.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use baton_checkpoint::image::Image;
use baton_checkpoint::EventKind;

use super::case::Case;
use super::engines::EngineSpec;
use super::host::FuncImport;
use super::observation::{Observation, Outcome};
use baton_checkpoint::encode;
use baton_engine::{EngineError, InstanceId, RunOptions, RunOutcome, StopRequest};

pub mod location;
mod session;
mod stepper;

pub use session::MAX_SESSION_USES;
use session::{with_session, Hosts};
pub use stepper::{Step, Stepper};

/// Bounds on one engine operation, and which of the sharper checks run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Event fuel per invocation (engines that support it).
    pub fuel: u64,
    /// Wall-clock limit per engine operation.
    pub wall: Duration,
    /// Maximum Wasm frames, the same on every engine.
    pub max_frames: u32,
    /// The sharper checks (all on by default; tests turn them off to show what the older
    /// properties miss).
    pub checks: Checks,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 1_000_000,
            wall: Duration::from_secs(10),
            max_frames: 1024,
            checks: Checks::ALL,
        }
    }
}

/// The checks that make a lossy restore show even when the program's outcome does not depend
/// on what was lost (issue 14). Each can be turned off on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checks {
    /// Event numbering after a restore: a restored run of an invocation that fires `N` events
    /// in total reports `N`, completes with fuel `N` and runs out of fuel with `N - 1`.
    pub event_numbering: bool,
    /// Restore fidelity: right after a restore, the engine's own image equals the image it was
    /// restored from, byte for byte.
    pub fidelity: bool,
    /// Function references compare by identity (index in the instance), not null-ness.
    pub func_identity: bool,
    /// NaN bits compare exactly wherever the engines are deterministic (images, restored runs
    /// against uninterrupted ones), instead of up to NaN payloads.
    pub nan_bits: bool,
}

impl Checks {
    /// Every check on.
    pub const ALL: Checks = Checks {
        event_numbering: true,
        fidelity: true,
        func_identity: true,
        nan_bits: true,
    };
    /// The properties as they were before these checks: all off.
    pub const NONE: Checks = Checks {
        event_numbering: false,
        fidelity: false,
        func_identity: false,
        nan_bits: false,
    };
}

/// What went wrong in an engine (as opposed to a wrong result).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// The engine returned an error.
    Error,
    /// The engine panicked.
    Panic,
    /// The operation ran past the wall-clock limit.
    Timeout,
    /// An out-of-process adapter crashed, hung, sent malformed bytes or broke the protocol
    /// ([`EngineError::Adapter`]; the message carries its stderr tail).
    Adapter,
    /// The engine lacks the operation, or the state is not imageable (not a finding: the
    /// property is skipped for it).
    Unsupported,
}

/// An engine failure during one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// Which engine.
    pub engine: String,
    /// Which step (`compile`, `instantiate`, `invoke 2`, `take_image`, `restore`, ...).
    pub step: String,
    /// The engine's message.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} during {}: {}",
            self.engine, self.kind, self.step, self.message
        )
    }
}

/// An uninterrupted run's results.
#[derive(Clone, Debug)]
pub struct Uninterrupted {
    /// What it showed.
    pub observation: Observation,
    /// Main-kind events each invocation fired, when the engine counts them.
    pub events: Vec<Option<u64>>,
    /// The idle image at the end, for checkpointing engines.
    pub final_image: Option<Image>,
}

/// A run up to a checkpoint.
#[derive(Clone, Debug)]
pub enum Checkpointed {
    /// Suspended: the image, and the outcomes of the invocations before the checkpointed one.
    Suspended {
        /// The image (host section included).
        image: Box<Image>,
        /// Outcomes of invocations before the checkpointed one.
        prefix: Vec<Outcome>,
    },
    /// The run ended before any matching event.
    NotReached,
}

/// A run continued from an image.
#[derive(Clone, Debug)]
pub enum Resumed {
    /// Ran to the end.
    Finished {
        /// What the whole case showed (prefix included).
        observation: Observation,
        /// The idle image at the end.
        final_image: Option<Image>,
        /// Main-kind events the resumed invocation reported in total (from event 0), when the
        /// engine counts them.
        events: Option<u64>,
    },
    /// Stopped again at the requested point.
    Suspended(Image),
    /// Ended before the requested stop (chains only).
    NotReached(Observation),
    /// Right after the restore, the engine's own image differed from the image it was restored
    /// from (restore fidelity, checked when [`Checks::fidelity`] is on): that image.
    Unfaithful(Box<Image>),
}

fn fail(spec: &EngineSpec, kind: FailureKind, step: impl Into<String>, message: String) -> Failure {
    Failure {
        kind,
        engine: spec.name.clone(),
        step: step.into(),
        message,
    }
}

fn engine_failure(spec: &EngineSpec, step: impl Into<String>, error: EngineError) -> Failure {
    let kind = match error {
        EngineError::Unsupported { .. } | EngineError::NotImageable(_) => FailureKind::Unsupported,
        EngineError::Adapter { .. } => FailureKind::Adapter,
        _ => FailureKind::Error,
    };
    fail(spec, kind, step, error.to_string())
}

/// Runs `operation` for engine `spec` under `catch_unwind` and the wall-clock limit.
pub fn guarded<T>(
    spec: &EngineSpec,
    limits: &Limits,
    operation: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(operation)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic payload".into());
        Err(fail(spec, FailureKind::Panic, "run", message))
    });
    let elapsed = started.elapsed();
    if elapsed > limits.wall {
        return Err(fail(
            spec,
            FailureKind::Timeout,
            "run",
            format!("took {elapsed:?} (limit {:?})", limits.wall),
        ));
    }
    result
}

/// Runs the whole case without interruption.
pub fn uninterrupted(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
) -> Result<Uninterrupted, Failure> {
    with_session(spec, case, imports, Hosts::fresh(case), limits, |session| {
        let instance = match session.instantiate()? {
            Ok(instance) => instance,
            Err(trap) => {
                return Ok(Uninterrupted {
                    observation: Observation {
                        instantiation_trap: Some(trap),
                        trace: session.host.trace(),
                        wasi: session.wasi.as_ref().map(|wasi| Box::new(wasi.output())),
                        ..Observation::default()
                    },
                    events: Vec::new(),
                    final_image: None,
                })
            }
        };
        let (mut outcomes, mut events) = (Vec::new(), Vec::new());
        session.run_rest(instance, case, 0, &mut outcomes, &mut events)?;
        let observation = session.observe(instance, outcomes)?;
        let final_image = session.final_image(instance)?;
        Ok(Uninterrupted {
            observation,
            events,
            final_image,
        })
    })
}

/// Runs the case up to the first matching event of invocation `invocation` and takes an image.
pub fn checkpoint(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
    invocation: usize,
    stop: StopRequest,
) -> Result<Checkpointed, Failure> {
    with_session(spec, case, imports, Hosts::fresh(case), limits, |session| {
        let Ok(instance) = session.instantiate()? else {
            return Ok(Checkpointed::NotReached);
        };
        let mut prefix = Vec::new();
        for index in 0..invocation.min(case.invocations.len()) {
            let report = session.invoke(instance, index, case, None)?;
            prefix.push(session.outcome(instance, &report, &format!("invoke {index}"))?);
        }
        if invocation >= case.invocations.len() {
            return Ok(Checkpointed::NotReached);
        }
        let report = session.invoke(instance, invocation, case, Some(stop))?;
        match report.outcome {
            RunOutcome::Suspended { .. } => {
                let image = Box::new(session.suspended_image(instance, &report.outcome)?);
                Ok(Checkpointed::Suspended { image, prefix })
            }
            _ => Ok(Checkpointed::NotReached),
        }
    })
}

/// Where a restored run picks up: the image, the invocation it was taken in, the outcomes
/// of the invocations before it, and the fuel of the resumed invocation.
#[derive(Clone, Copy, Debug)]
pub struct ResumePoint<'a> {
    /// The image.
    pub image: &'a Image,
    /// The invocation in progress in the image.
    pub invocation: usize,
    /// Outcomes of the earlier invocations.
    pub prefix: &'a [Outcome],
    /// Fuel of the resumed invocation (absolute, like every fuel); `None` is the limits' fuel.
    /// Later invocations always get the limits' fuel.
    pub fuel: Option<u64>,
}

/// Restores `point.image` on `spec` in `session` and, when [`Checks::fidelity`] is on, takes the
/// engine's own image right away: `Err(image)` when it differs from the one restored.
fn restore_faithfully(
    session: &mut session::Session<'_>,
    image: &Image,
) -> Result<Result<InstanceId, Box<Image>>, Failure> {
    let spec = session.spec;
    let instance = session
        .engine
        .restore(session.module, &session.imports, image)
        .map_err(|e| engine_failure(spec, "restore", e))?;
    if session.limits.checks.fidelity {
        match session.image(instance) {
            Ok(back) if encode(&back) != encode(image) => return Ok(Err(Box::new(back))),
            Ok(_) => {}
            Err(failure) if failure.kind == FailureKind::Unsupported => {}
            Err(mut failure) => {
                failure.step = "take_image right after restore".into();
                return Err(failure);
            }
        }
    }
    Ok(Ok(instance))
}

/// Restores `point.image` on `spec`, resumes it, and either stops again at `stop` or runs the
/// rest of the case.
pub fn resume_from(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
    point: ResumePoint<'_>,
    stop: Option<StopRequest>,
) -> Result<Resumed, Failure> {
    let ResumePoint {
        image,
        invocation,
        prefix,
        fuel,
    } = point;
    let hosts = Hosts::from_image(case, image)
        .map_err(|message| fail(spec, FailureKind::Error, "read host section", message))?;
    with_session(spec, case, imports, hosts, limits, |session| {
        let instance = match restore_faithfully(session, image)? {
            Ok(instance) => instance,
            Err(restored) => return Ok(Resumed::Unfaithful(restored)),
        };
        let mut options = session.options(stop);
        if options.fuel.is_some() {
            options.fuel = fuel.or(options.fuel);
        }
        let report = session
            .engine
            .resume(instance, options)
            .map_err(|e| engine_failure(spec, "resume", e))?;
        if let RunOutcome::Suspended { .. } = report.outcome {
            if stop.is_some() {
                return Ok(Resumed::Suspended(
                    session.suspended_image(instance, &report.outcome)?,
                ));
            }
        }
        let step = format!("resume invocation {invocation}");
        let mut outcomes = prefix.to_vec();
        outcomes.push(session.outcome(instance, &report, &step)?);
        let mut events = Vec::new();
        session.run_rest(instance, case, invocation + 1, &mut outcomes, &mut events)?;
        let observation = session.observe(instance, outcomes)?;
        if stop.is_some() {
            return Ok(Resumed::NotReached(observation));
        }
        let final_image = session.final_image(instance)?;
        Ok(Resumed::Finished {
            observation,
            final_image,
            events: report.events,
        })
    })
}

/// Restores `point.image` on `spec` and resumes it with fuel `point.fuel` (the fuel contract's
/// probe): how the resumed invocation ended, and the events it reported. `None` when the
/// engine has no event fuel.
pub fn resume_with_fuel(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
    point: ResumePoint<'_>,
) -> Result<Option<(Outcome, Option<u64>)>, Failure> {
    let hosts = Hosts::from_image(case, point.image)
        .map_err(|message| fail(spec, FailureKind::Error, "read host section", message))?;
    let no_fidelity = Limits {
        checks: Checks {
            fidelity: false,
            ..limits.checks
        },
        ..*limits
    };
    with_session(spec, case, imports, hosts, &no_fidelity, |session| {
        let Ok(instance) = restore_faithfully(session, point.image)? else {
            return Ok(None);
        };
        let options = RunOptions {
            stop: None,
            fuel: point.fuel,
        };
        let report = match session.engine.resume(instance, options) {
            Err(EngineError::Unsupported { .. }) => return Ok(None),
            other => other.map_err(|e| engine_failure(spec, "resume (fuel probe)", e))?,
        };
        let step = format!("resume invocation {} (fuel probe)", point.invocation);
        let outcome = session.outcome(instance, &report, &step)?;
        Ok(Some((outcome, report.events)))
    })
}

/// What an engine's restore made of one image offered by [`restore_each`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restored {
    /// The restore succeeded.
    Accepted,
    /// The restore returned this error.
    Refused(EngineError),
}

/// Offers each of `images` to `spec`'s restore, nothing else (no resume), on one engine
/// session, reopened after a failure. With `cached`, the session comes from (and goes back to)
/// the per-thread cache, whose sessions are built with the campaign's limits: `limits` must be
/// those. Otherwise it is built afresh with `limits` and dropped at the end. A panic or a
/// too-slow restore is that image's [`Failure`].
pub fn restore_each(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
    images: &[&Image],
    cached: bool,
) -> Vec<Result<Restored, Failure>> {
    let mut kept: Option<session::Session<'_>> = None;
    let results = images
        .iter()
        .map(|image| {
            let mut slot = kept.take();
            let result = guarded(spec, limits, || {
                let mut session = match slot.take() {
                    Some(session) => session,
                    None if cached => {
                        session::Session::open(spec, case, imports, Hosts::fresh(case), *limits)?
                    }
                    None => session::Session::open_fresh(spec, case, imports, *limits)?,
                };
                let restored = session
                    .engine
                    .restore(session.module, &session.imports, image);
                Ok((session, restored))
            });
            result.map(|(session, restored)| {
                kept = Some(session);
                match restored {
                    Ok(_) => Restored::Accepted,
                    Err(error) => Restored::Refused(error),
                }
            })
        })
        .collect();
    if let (Some(session), true) = (kept, cached) {
        session.keep(&case.module);
    }
    results
}

/// The kinds a schedule may use (the main kinds; `any` is optional for engines).
pub const SCHEDULE_KINDS: [EventKind; 4] = [
    EventKind::Entry,
    EventKind::Loop,
    EventKind::Call,
    EventKind::Return,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::engines::resolve;

    #[test]
    fn panics_and_slow_operations_become_failures() {
        let spec = resolve("register").expect("register is registered");
        let limits = Limits::default();
        let panicked = guarded(&spec, &limits, || -> Result<(), Failure> {
            std::panic::panic_any("engine exploded".to_string())
        });
        let failure = panicked.expect_err("a panic is a failure");
        assert_eq!(failure.kind, FailureKind::Panic);
        assert_eq!(failure.message, "engine exploded");
        let slow = Limits {
            wall: Duration::from_millis(1),
            ..limits
        };
        let timed_out = guarded(&spec, &slow, || {
            std::thread::sleep(Duration::from_millis(20));
            Ok(())
        });
        assert_eq!(timed_out.expect_err("too slow").kind, FailureKind::Timeout);
        assert_eq!(guarded(&spec, &limits, || Ok(5)), Ok(5));
    }
}
