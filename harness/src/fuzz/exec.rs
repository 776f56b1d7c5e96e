//! Drives one engine through a case: uninterrupted, up to a checkpoint, or from an image to
//! the end (or to the next stop of a chain).
//!
//! Invariants: every operation runs in an engine session (compiled once per case and engine,
//! dropped after any failure, see [`MAX_SESSION_USES`]) under `catch_unwind` and a
//! wall-clock check, so a panic, an engine error or a too-slow run comes back as a typed
//! [`Failure`]; runs use event fuel when the engine supports it, so a restored run and an
//! uninterrupted one end identically; images always carry the host's trace section.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use baton_checkpoint::image::{Image, SafePointKind};

use super::case::{Case, CaseValue};
use super::engines::EngineSpec;
use super::host::{self, FuncImport, HostState};
use super::observation::{Observation, Outcome};
use crate::engine::{
    Engine, EngineConfig, EngineError, ExternKind, InstanceId, KindSet, ModuleId, RunOptions,
    RunOutcome, RunReport, StopRequest,
};

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

/// A stop request as the case describes it.
#[derive(Clone, Copy, Debug)]
pub struct Stop {
    /// Kinds that may stop.
    pub kinds: KindSet,
    /// Smallest event number.
    pub at: u64,
}

struct Session<'a> {
    spec: &'a EngineSpec,
    engine: Box<dyn Engine>,
    module: ModuleId,
    host: HostState,
    limits: Limits,
    fuel: bool,
    imports: Vec<crate::engine::ExternHandle>,
    uses: u32,
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

/// Sessions are reused across the operations of one case (one compile per engine and module):
/// a session is kept only after an operation that succeeded, only for the same module bytes on
/// the same thread, and for at most [`MAX_SESSION_USES`] operations (its instances accumulate).
pub const MAX_SESSION_USES: u32 = 32;

struct CachedSession {
    engine: Box<dyn Engine>,
    module: ModuleId,
    uses: u32,
}

thread_local! {
    static SESSIONS: RefCell<(Vec<u8>, HashMap<String, CachedSession>)> =
        RefCell::new((Vec::new(), HashMap::new()));
}

fn take_cached(name: &str, wasm: &[u8]) -> Option<CachedSession> {
    SESSIONS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != wasm {
            cache.0 = wasm.to_vec();
            cache.1.clear();
            return None;
        }
        cache.1.remove(name)
    })
}

fn put_cached(name: &str, wasm: &[u8], session: CachedSession) {
    SESSIONS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 == wasm {
            cache.1.insert(name.to_string(), session);
        }
    });
}

/// Runs `body` on a session for `spec` (cached or fresh) under [`guarded`]; the session goes
/// back to the cache only if `body` succeeded.
fn with_session<T>(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    host: HostState,
    limits: &Limits,
    body: impl FnOnce(&mut Session<'_>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    guarded(spec, limits, || {
        let mut session = Session::open(spec, case, imports, host, *limits)?;
        let result = body(&mut session);
        if result.is_ok() && session.uses < MAX_SESSION_USES {
            put_cached(
                &spec.name,
                &case.module,
                CachedSession {
                    engine: session.engine,
                    module: session.module,
                    uses: session.uses,
                },
            );
        }
        result
    })
}

impl<'a> Session<'a> {
    fn open(
        spec: &'a EngineSpec,
        case: &Case,
        imports: &[FuncImport],
        host: HostState,
        limits: Limits,
    ) -> Result<Self, Failure> {
        let (mut engine, module, uses) = match take_cached(&spec.name, &case.module) {
            Some(cached) => (cached.engine, cached.module, cached.uses + 1),
            None => {
                let mut engine = (spec.create)(&EngineConfig {
                    max_frames: limits.max_frames,
                });
                let module = engine
                    .compile(&case.module)
                    .map_err(|e| engine_failure(spec, "compile", e))?;
                (engine, module, 1)
            }
        };
        let handles = host::link(engine.as_mut(), imports, &host)
            .map_err(|e| engine_failure(spec, "link host", e))?;
        Ok(Self {
            spec,
            engine,
            module,
            host,
            limits,
            fuel: true,
            imports: handles,
            uses,
        })
    }

    fn options(&self, stop: Option<Stop>) -> RunOptions {
        RunOptions {
            stop: stop.map(|s| StopRequest {
                kinds: s.kinds,
                at: s.at,
            }),
            fuel: self.fuel.then_some(self.limits.fuel),
        }
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        index: usize,
        case: &Case,
        stop: Option<Stop>,
    ) -> Result<RunReport, Failure> {
        let step = format!("invoke {index}");
        let invocation = case.invocations.get(index).ok_or_else(|| {
            fail(
                self.spec,
                FailureKind::Error,
                &step,
                "no such invocation".into(),
            )
        })?;
        let args = invocation
            .args
            .iter()
            .map(|v| v.to_value())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                fail(
                    self.spec,
                    FailureKind::Error,
                    &step,
                    "non-null funcref argument".into(),
                )
            })?;
        let first = self
            .engine
            .invoke(instance, &invocation.export, &args, self.options(stop));
        let result = match first {
            Err(EngineError::Unsupported { .. }) if self.fuel => {
                self.fuel = false;
                self.engine
                    .invoke(instance, &invocation.export, &args, self.options(stop))
            }
            other => other,
        };
        result.map_err(|e| engine_failure(self.spec, step, e))
    }

    fn outcome(&self, report: &RunReport, step: &str) -> Result<Outcome, Failure> {
        Ok(match &report.outcome {
            RunOutcome::Returned(values) => {
                Outcome::Returned(values.iter().map(CaseValue::from_value).collect())
            }
            RunOutcome::Trapped(trap) => Outcome::Trapped(trap.message().to_string()),
            RunOutcome::OutOfFuel => Outcome::OutOfFuel,
            RunOutcome::Suspended { kind, event } => {
                return Err(fail(
                    self.spec,
                    FailureKind::Error,
                    step,
                    format!("suspended at {kind:?} event {event} without a stop request"),
                ))
            }
        })
    }

    fn image(&mut self, instance: InstanceId) -> Result<Image, Failure> {
        let mut image = self
            .engine
            .take_image(instance)
            .map_err(|e| engine_failure(self.spec, "take_image", e))?;
        self.host.store_into(&mut image);
        Ok(image)
    }

    fn final_image(&mut self, instance: InstanceId) -> Result<Option<Image>, Failure> {
        if !self.spec.checkpoints {
            return Ok(None);
        }
        match self.image(instance) {
            Ok(image) => Ok(Some(image)),
            Err(f) if f.kind == FailureKind::Unsupported => Ok(None),
            Err(mut f) => {
                f.step = "take_image (idle, end of case)".into();
                Err(f)
            }
        }
    }

    /// Runs invocations `from..` uninterrupted, appending outcomes and event counts.
    fn run_rest(
        &mut self,
        instance: InstanceId,
        case: &Case,
        from: usize,
        outcomes: &mut Vec<Outcome>,
        events: &mut Vec<Option<u64>>,
    ) -> Result<(), Failure> {
        for index in from..case.invocations.len() {
            let report = self.invoke(instance, index, case, None)?;
            outcomes.push(self.outcome(&report, &format!("invoke {index}"))?);
            events.push(report.events);
        }
        Ok(())
    }

    fn observe(
        &self,
        instance: InstanceId,
        outcomes: Vec<Outcome>,
    ) -> Result<Observation, Failure> {
        let mut observation = Observation {
            outcomes,
            trace: self.host.trace(),
            ..Observation::default()
        };
        let step = "read exports";
        let exports = self
            .engine
            .exports(instance)
            .map_err(|e| engine_failure(self.spec, step, e))?;
        for (name, handle) in exports {
            match handle.kind {
                ExternKind::Func => {}
                ExternKind::Global => {
                    let value = self
                        .engine
                        .global_value(handle)
                        .map_err(|e| engine_failure(self.spec, step, e))?;
                    observation
                        .globals
                        .push((name, CaseValue::from_value(&value)));
                }
                ExternKind::Table => {
                    let elements = self
                        .engine
                        .table_elements(handle)
                        .map_err(|e| engine_failure(self.spec, step, e))?;
                    observation
                        .tables
                        .push((name, elements.iter().map(CaseValue::from_value).collect()));
                }
                ExternKind::Memory => {
                    let bytes = self
                        .engine
                        .memory_data(handle)
                        .map_err(|e| engine_failure(self.spec, step, e))?;
                    observation.memories.push((name, bytes));
                }
            }
        }
        // Export order is the module's, but adapters need not keep it: compare by name.
        observation.globals.sort_by(|a, b| a.0.cmp(&b.0));
        observation.tables.sort_by(|a, b| a.0.cmp(&b.0));
        observation.memories.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(observation)
    }

    fn instantiate(&mut self) -> Result<Result<InstanceId, String>, Failure> {
        match self.engine.instantiate(self.module, &self.imports) {
            Ok(instance) => Ok(Ok(instance)),
            Err(EngineError::InstantiationTrap(trap)) => Ok(Err(trap.message().to_string())),
            Err(e) => Err(engine_failure(self.spec, "instantiate", e)),
        }
    }
}

/// Runs the whole case without interruption.
pub fn uninterrupted(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    limits: &Limits,
) -> Result<Uninterrupted, Failure> {
    with_session(spec, case, imports, HostState::new(), limits, |session| {
        let instance = match session.instantiate()? {
            Ok(instance) => instance,
            Err(trap) => {
                return Ok(Uninterrupted {
                    observation: Observation {
                        instantiation_trap: Some(trap),
                        trace: session.host.trace(),
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
    stop: Stop,
) -> Result<Checkpointed, Failure> {
    with_session(spec, case, imports, HostState::new(), limits, |session| {
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
    stop: Option<Stop>,
) -> Result<Resumed, Failure> {
    let ResumePoint {
        image,
        invocation,
        prefix,
    } = point;
    let host = HostState::from_image(image)
        .map_err(|message| fail(spec, FailureKind::Error, "read host section", message))?;
    with_session(spec, case, imports, host, limits, |session| {
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
pub const SCHEDULE_KINDS: [SafePointKind; 4] = [
    SafePointKind::Entry,
    SafePointKind::Loop,
    SafePointKind::Call,
    SafePointKind::Return,
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
