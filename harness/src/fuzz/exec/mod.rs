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
use baton_engine::{EngineError, RunOutcome, StopRequest};

mod session;
mod stepper;

pub use session::MAX_SESSION_USES;
use session::{with_session, Hosts};
pub use stepper::{Step, Stepper};

/// Bounds on one engine operation.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Event fuel per invocation (engines that support it).
    pub fuel: u64,
    /// Wall-clock limit per engine operation.
    pub wall: Duration,
    /// Maximum Wasm frames, the same on every engine.
    pub max_frames: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 1_000_000,
            wall: Duration::from_secs(10),
            max_frames: 1024,
        }
    }
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
    },
    /// Stopped again at the requested point.
    Suspended(Image),
    /// Ended before the requested stop (chains only).
    NotReached(Observation),
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
            prefix.push(session.outcome(&report, &format!("invoke {index}"))?);
        }
        if invocation >= case.invocations.len() {
            return Ok(Checkpointed::NotReached);
        }
        let report = session.invoke(instance, invocation, case, Some(stop))?;
        match report.outcome {
            RunOutcome::Suspended { .. } => {
                let image = Box::new(session.image(instance)?);
                Ok(Checkpointed::Suspended { image, prefix })
            }
            _ => Ok(Checkpointed::NotReached),
        }
    })
}

/// Where a restored run picks up: the image, the invocation it was taken in, and the outcomes
/// of the invocations before it.
#[derive(Clone, Copy, Debug)]
pub struct ResumePoint<'a> {
    /// The image.
    pub image: &'a Image,
    /// The invocation in progress in the image.
    pub invocation: usize,
    /// Outcomes of the earlier invocations.
    pub prefix: &'a [Outcome],
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
    } = point;
    let hosts = Hosts::from_image(case, image)
        .map_err(|message| fail(spec, FailureKind::Error, "read host section", message))?;
    with_session(spec, case, imports, hosts, limits, |session| {
        let instance = session
            .engine
            .restore(session.module, &session.imports, image)
            .map_err(|e| engine_failure(spec, "restore", e))?;
        let options = session.options(stop);
        let report = session
            .engine
            .resume(instance, options)
            .map_err(|e| engine_failure(spec, "resume", e))?;
        if let RunOutcome::Suspended { .. } = report.outcome {
            if stop.is_some() {
                return Ok(Resumed::Suspended(session.image(instance)?));
            }
        }
        let step = format!("resume invocation {invocation}");
        let mut outcomes = prefix.to_vec();
        outcomes.push(session.outcome(&report, &step)?);
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
        })
    })
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
