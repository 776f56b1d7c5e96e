//! One engine session as the fuzzer uses it: compiled module, host functions bound to one host
//! state, and the run helpers (invoke with fuel fallback, outcome mapping, images with the host
//! section, observation of exports); for WASI cases, the WASI host ([`crate::wasi`]) serves the
//! `wasi_snapshot_preview1` imports and its state travels in the image too; plus the per-thread cache that reuses a session across the
//! operations of one case.
//!
//! Invariants: a session goes back to the cache only after an operation that succeeded, only for
//! the same module bytes on the same thread, and for at most [`MAX_SESSION_USES`] operations; a
//! session that failed or panicked is dropped.

use std::cell::RefCell;
use std::collections::HashMap;

use baton_checkpoint::image::Image;

use super::{engine_failure, fail, guarded, Failure, FailureKind, Limits};
use crate::fuzz::case::{Case, CaseValue};
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::host::{self, FuncImport, HostState};
use crate::fuzz::observation::{Observation, Outcome};
use crate::wasi::{WasiHost, WASI_MODULE};
use baton_engine::{
    Engine, EngineConfig, EngineError, ExternKind, InstanceId, ModuleId, RunOptions, RunOutcome,
    RunReport, StopRequest, Trap, Value,
};

pub(super) struct Session<'a> {
    pub(super) spec: &'a EngineSpec,
    pub(super) engine: Box<dyn Engine>,
    pub(super) module: ModuleId,
    pub(super) host: HostState,
    pub(super) wasi: Option<WasiHost>,
    pub(super) limits: Limits,
    pub(super) fuel: bool,
    pub(super) imports: Vec<baton_engine::ExternHandle>,
    pub(super) uses: u32,
}

/// The hosts a session's imports are bound to: the harness host, and the WASI host for a case
/// with a WASI configuration.
pub(super) struct Hosts {
    pub(super) harness: HostState,
    pub(super) wasi: Option<WasiHost>,
}

impl Hosts {
    /// Fresh hosts for a run of `case` from the start.
    pub(super) fn fresh(case: &Case) -> Self {
        Self {
            harness: HostState::new(),
            wasi: case.wasi.as_ref().map(WasiHost::new),
        }
    }

    /// The hosts an image carries (its host sections).
    pub(super) fn from_image(case: &Case, image: &Image) -> Result<Self, String> {
        Ok(Self {
            harness: HostState::from_image(image)?,
            wasi: match &case.wasi {
                None => None,
                Some(config) => {
                    Some(WasiHost::from_image(config, image).map_err(|e| e.to_string())?)
                }
            },
        })
    }
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
pub(super) fn with_session<T>(
    spec: &EngineSpec,
    case: &Case,
    imports: &[FuncImport],
    hosts: Hosts,
    limits: &Limits,
    body: impl FnOnce(&mut Session<'_>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    guarded(spec, limits, || {
        let mut session = Session::open(spec, case, imports, hosts, *limits)?;
        let result = body(&mut session);
        if result.is_ok() {
            session.keep(&case.module);
        }
        result
    })
}

/// A new engine for `spec` built with `limits`, and `case`'s module compiled on it.
fn compiled(
    spec: &EngineSpec,
    case: &Case,
    limits: Limits,
) -> Result<(Box<dyn Engine>, ModuleId), Failure> {
    let mut engine = (spec.create)(&EngineConfig {
        max_frames: limits.max_frames,
    });
    let module = engine
        .compile(&case.module)
        .map_err(|e| engine_failure(spec, "compile", e))?;
    Ok((engine, module))
}

impl<'a> Session<'a> {
    pub(super) fn open(
        spec: &'a EngineSpec,
        case: &Case,
        imports: &[FuncImport],
        hosts: Hosts,
        limits: Limits,
    ) -> Result<Self, Failure> {
        let (engine, module, uses) = match take_cached(&spec.name, &case.module) {
            Some(cached) => (cached.engine, cached.module, cached.uses + 1),
            None => {
                let (engine, module) = compiled(spec, case, limits)?;
                (engine, module, 1)
            }
        };
        Self::link(spec, engine, module, uses, imports, hosts, limits)
    }

    /// Links `imports` into `engine` for `module`, bound to `hosts`.
    fn link(
        spec: &'a EngineSpec,
        mut engine: Box<dyn Engine>,
        module: ModuleId,
        uses: u32,
        imports: &[FuncImport],
        hosts: Hosts,
        limits: Limits,
    ) -> Result<Self, Failure> {
        let Hosts {
            harness: host,
            wasi,
        } = hosts;
        let mut handles = Vec::with_capacity(imports.len());
        for import in imports {
            let handle = match &wasi {
                Some(wasi) if import.module == WASI_MODULE => {
                    wasi.link_import(engine.as_mut(), import)
                }
                _ => host::link(engine.as_mut(), std::slice::from_ref(import), &host).and_then(
                    |handles| {
                        handles.into_iter().next().ok_or_else(|| {
                            baton_engine::EngineError::Other("host link made no function".into())
                        })
                    },
                ),
            };
            handles.push(handle.map_err(|e| engine_failure(spec, "link host", e))?);
        }
        Ok(Self {
            spec,
            engine,
            module,
            host,
            wasi,
            limits,
            fuel: true,
            imports: handles,
            uses,
        })
    }

    /// A session compiled afresh with `limits` (never from the per-thread cache, and not put
    /// back into it), linked to fresh hosts.
    pub(super) fn open_fresh(
        spec: &'a EngineSpec,
        case: &Case,
        imports: &[FuncImport],
        limits: Limits,
    ) -> Result<Self, Failure> {
        let (engine, module) = compiled(spec, case, limits)?;
        Self::link(spec, engine, module, 1, imports, Hosts::fresh(case), limits)
    }

    /// Puts the session back into the per-thread cache for module `wasm`, unless its uses are
    /// spent.
    pub(super) fn keep(self, wasm: &[u8]) {
        if self.uses < MAX_SESSION_USES {
            let cached = CachedSession {
                engine: self.engine,
                module: self.module,
                uses: self.uses,
            };
            put_cached(&self.spec.name, wasm, cached);
        }
    }

    pub(super) fn options(&self, stop: Option<StopRequest>) -> RunOptions {
        RunOptions {
            stop,
            fuel: self.fuel.then_some(self.limits.fuel),
        }
    }

    pub(super) fn invoke(
        &mut self,
        instance: InstanceId,
        index: usize,
        case: &Case,
        stop: Option<StopRequest>,
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

    /// A value of `instance` in engine-neutral form (function references by identity when the
    /// engine reports it and the check is on).
    fn neutral(&self, instance: InstanceId, value: &Value) -> CaseValue {
        let identity = self.limits.checks.func_identity;
        CaseValue::observed(self.engine.as_ref(), instance, value, identity)
    }

    pub(super) fn outcome(
        &self,
        instance: InstanceId,
        report: &RunReport,
        step: &str,
    ) -> Result<Outcome, Failure> {
        Ok(match &report.outcome {
            RunOutcome::Returned(values) => {
                Outcome::Returned(values.iter().map(|v| self.neutral(instance, v)).collect())
            }
            RunOutcome::Trapped(trap) => Outcome::Trapped(trap.clone()),
            RunOutcome::OutOfFuel => Outcome::OutOfFuel,
            RunOutcome::Suspended { kind, event, .. } => {
                return Err(fail(
                    self.spec,
                    FailureKind::Error,
                    step,
                    format!("suspended at {kind:?} event {event} without a stop request"),
                ))
            }
        })
    }

    pub(super) fn image(&mut self, instance: InstanceId) -> Result<Image, Failure> {
        let mut image = self
            .engine
            .take_image(instance)
            .map_err(|e| engine_failure(self.spec, "take_image", e))?;
        self.host.store_into(&mut image);
        if let Some(wasi) = &self.wasi {
            wasi.store_into(&mut image);
        }
        Ok(image)
    }

    /// The image of an instance that just suspended with `outcome`, checked against the stop
    /// location the run reported ([`super::location`]).
    pub(super) fn suspended_image(
        &mut self,
        instance: InstanceId,
        outcome: &RunOutcome,
    ) -> Result<Image, Failure> {
        let image = self.image(instance)?;
        let required = self.engine.locates_stops();
        match super::location::disagreement(outcome, &image, required) {
            Some(message) => Err(fail(
                self.spec,
                FailureKind::Error,
                "stop location",
                message,
            )),
            None => Ok(image),
        }
    }

    pub(super) fn final_image(&mut self, instance: InstanceId) -> Result<Option<Image>, Failure> {
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
    pub(super) fn run_rest(
        &mut self,
        instance: InstanceId,
        case: &Case,
        from: usize,
        outcomes: &mut Vec<Outcome>,
        events: &mut Vec<Option<u64>>,
    ) -> Result<(), Failure> {
        for index in from..case.invocations.len() {
            let report = self.invoke(instance, index, case, None)?;
            outcomes.push(self.outcome(instance, &report, &format!("invoke {index}"))?);
            events.push(report.events);
        }
        Ok(())
    }

    pub(super) fn observe(
        &self,
        instance: InstanceId,
        outcomes: Vec<Outcome>,
    ) -> Result<Observation, Failure> {
        let mut observation = Observation {
            outcomes,
            trace: self.host.trace(),
            wasi: self.wasi.as_ref().map(|wasi| Box::new(wasi.output())),
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
                        .push((name, self.neutral(instance, &value)));
                }
                ExternKind::Table => {
                    let elements = self
                        .engine
                        .table_elements(handle)
                        .map_err(|e| engine_failure(self.spec, step, e))?;
                    let elements = elements.iter().map(|v| self.neutral(instance, v)).collect();
                    observation.tables.push((name, elements));
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

    pub(super) fn instantiate(&mut self) -> Result<Result<InstanceId, Trap>, Failure> {
        match self.engine.instantiate(self.module, &self.imports) {
            Ok(instance) => Ok(Ok(instance)),
            Err(EngineError::InstantiationTrap(trap)) => Ok(Err(trap)),
            Err(e) => Err(engine_failure(self.spec, "instantiate", e)),
        }
    }
}
