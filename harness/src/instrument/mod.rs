//! `instrumented:<engine>`: checkpoint and restore on an engine that cannot, by running modules
//! rewritten by `baton-instrument` on it. The wrapped engine runs the rewritten module
//! unmodified; this session starts runs (setting the stop threshold through the module's
//! control export), answers its host imports ([`host`]), assembles images from what an
//! unwind saved plus the state helpers' output ([`store`], [`frames`]), and rewinds from any
//! image (its own or another engine's).
//!
//! Declared limitations: a non-null function reference in the imaged state (table, global,
//! local, operand) is not imageable unless the wrapped engine tells function identities
//! (`Engine::func_identity`; wasmi does not); `any` stops are not offered. With the rewrite's
//! frame limit on, a wrapped engine whose own stack runs out first (V8's native stack, on
//! functions with large frames) ends the run with "call stack exhausted" at a depth the limit
//! does not fix; the session tells such runs apart (`Engine::exhausted_native_stack`).

pub mod cli;
pub mod frames;
pub mod host;
mod store;

use std::collections::HashMap;
use std::sync::Arc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{Entry, Execution, Frame, Image, SafePoint};
use baton_checkpoint::EventKind;
use baton_engine::{
    Engine, EngineConfig, EngineError, ExternHandle, ExternKind, FuncIdentity, FuncType,
    GlobalType, HostFunc, InstanceId, MemoryType, ModuleId, RunOptions, RunOutcome, RunReport,
    StopLocation, TableType, Trap, Value,
};
use baton_instrument::{names, Meta, Options};

use baton_instrument::layout::STACK_EXHAUSTED;
use frames::{frames_from_raw, rewind_queue, Suspended};

/// The mode value that makes the module rewind.
const REWINDING: i32 = 2;
use baton_instrument::layout::CounterLayout;
use host::{armed_left, create_imports, lock, Shared};

/// One compiled module: the original's analysis and the wrapped engine's rewritten module.
struct ModuleRec {
    inner: ModuleId,
    /// The rewritten module without its start section, which restores instantiate: a restored
    /// instance's state is the image's, and running the start function again would repeat its
    /// host calls (`inner` when the module has no start function).
    inner_restore: ModuleId,
    meta: Arc<Meta>,
    analysis: Arc<ModuleAnalysis>,
    /// Original exports: name, kind, index.
    exports: Vec<(String, ExternKind, u32)>,
}

/// One instance.
struct InstanceRec {
    inner: InstanceId,
    module: usize,
    exports: Vec<(String, ExternHandle)>,
    helpers: HashMap<String, ExternHandle>,
    memory_max: Vec<Option<u64>>,
    table_max: Vec<Option<u64>>,
    suspended: Option<Suspended>,
    /// The last run ended because the wrapped engine's own stack ran out before the rewrite's
    /// frame limit (see [`Engine::exhausted_native_stack`]).
    native_exhaustion: bool,
}

/// A session of `instrumented:<engine>`.
pub struct Session {
    options: Options,
    name: &'static str,
    inner: Box<dyn Engine>,
    shared: Shared,
    imports: Result<Vec<ExternHandle>, EngineError>,
    modules: Vec<ModuleRec>,
    instances: Vec<InstanceRec>,
    /// Maximum sizes of memories and tables this session knows (host objects, exports).
    memory_max: HashMap<u32, Option<u64>>,
    table_max: HashMap<u32, Option<u64>>,
    /// Set while `restore` instantiates (see [`ModuleRec::inner_restore`]).
    restoring: bool,
    /// The most frames a run may hold (baton's `max_frames`): `restore` refuses an image
    /// with more, as every engine does.
    max_frames: u32,
}

impl Session {
    /// Wraps a fresh session of the inner engine.
    ///
    /// Engines behind the adapter protocol (`proc:`) do not enforce baton's `max_frames`, so
    /// their modules count frames themselves (`Options::max_frames`); in-process engines do.
    /// `mvp`: the inner engine lacks reference types (its handshake does not declare them), so
    /// modules get the MVP rewrite (`Options::mvp`).
    pub fn new(
        name: &'static str,
        mut inner: Box<dyn Engine>,
        config: &EngineConfig,
        mvp: bool,
    ) -> Self {
        let shared = Shared::default();
        let imports = create_imports(inner.as_mut(), &shared, mvp);
        let options = Options {
            max_frames: inner
                .name()
                .starts_with(crate::adapters::process::PREFIX)
                .then_some(config.max_frames),
            mvp,
        };
        let mut session = Session::with_options(name, inner, shared, imports, options);
        session.max_frames = config.max_frames;
        session
    }

    /// Wraps `inner`, rewriting modules with `options` (the frame limit: the rewrite's, or
    /// the default `max_frames`).
    pub fn with_rewrite(name: &'static str, mut inner: Box<dyn Engine>, options: Options) -> Self {
        let shared = Shared::default();
        let imports = create_imports(inner.as_mut(), &shared, options.mvp);
        Session::with_options(name, inner, shared, imports, options)
    }

    fn with_options(
        name: &'static str,
        inner: Box<dyn Engine>,
        shared: Shared,
        imports: Result<Vec<ExternHandle>, EngineError>,
        options: Options,
    ) -> Self {
        Session {
            options,
            name,
            inner,
            shared,
            imports,
            modules: Vec::new(),
            instances: Vec::new(),
            memory_max: HashMap::new(),
            table_max: HashMap::new(),
            restoring: false,
            max_frames: options
                .max_frames
                .unwrap_or(EngineConfig::default().max_frames),
        }
    }

    fn instance(&self, id: InstanceId) -> Result<&InstanceRec, EngineError> {
        self.instances
            .get(id.0 as usize)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn instance_mut(&mut self, id: InstanceId) -> Result<&mut InstanceRec, EngineError> {
        self.instances
            .get_mut(id.0 as usize)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn module_of(&self, id: InstanceId) -> Result<&ModuleRec, EngineError> {
        let module = self.instance(id)?.module;
        self.modules
            .get(module)
            .ok_or_else(|| EngineError::BadHandle(format!("module of {id:?}")))
    }

    /// Calls one of the instance's state helpers with a clean host state; returns what it saved.
    fn helper(
        &mut self,
        id: InstanceId,
        name: &str,
        args: &[Value],
        queue: Vec<Value>,
    ) -> Result<(Vec<Value>, Vec<Value>), EngineError> {
        let inner = self.instance(id)?.inner;
        {
            let mut st = lock(&self.shared);
            st.stop = None;
            st.fuel = None;
            st.saved.clear();
            st.queue = queue.into();
        }
        let report = self
            .inner
            .invoke(inner, name, args, RunOptions::default())?;
        let mut st = lock(&self.shared);
        let saved = std::mem::take(&mut st.saved);
        let left = st.queue.len();
        st.queue.clear();
        match report.outcome {
            // A helper that refused (-1: a memory or table cannot shrink) loads nothing.
            RunOutcome::Returned(results) if left == 0 || results == [Value::I32(-1)] => {
                Ok((saved, results))
            }
            RunOutcome::Returned(_) => Err(EngineError::Other(format!(
                "{name} left {left} values unloaded"
            ))),
            other => Err(EngineError::Other(format!("{name}: {other:?}"))),
        }
    }

    /// Sets the run state of the instance's module (mode, and the counter: events left over
    /// the frame depth, see `CounterLayout`).
    fn control(
        &mut self,
        id: InstanceId,
        mode: i32,
        left: i64,
        slack: i64,
    ) -> Result<(), EngineError> {
        self.helper(
            id,
            names::CONTROL,
            &[Value::I32(mode), Value::I64(left), Value::I64(slack)],
            Vec::new(),
        )
        .map(|_| ())
    }

    /// Runs `export` with `args` in `mode` from event `count` (`depth`: the frames a rewind
    /// restores, 0 for a call), then turns what the host saw into the outcome.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        id: InstanceId,
        entry_func: u32,
        export: &str,
        args: &[Value],
        options: RunOptions,
        mode: i32,
        count: u64,
        depth: u32,
        queue: Vec<Value>,
    ) -> Result<RunReport, EngineError> {
        let (left, slack) = armed_left(options, count, depth, self.options.max_frames);
        // Rewinding, every frame's first check must go cold, and `$l` stays negative for the
        // checks at level starts: the last landing sets `left`.
        let layout = CounterLayout::new(self.options.max_frames);
        // (Rewinding, the last landing loads the counter and the slack.)
        let (counter, held) = if mode == REWINDING {
            (layout.counter(-1, 0), 0)
        } else {
            (layout.counter(left, 0), slack)
        };
        self.control(id, mode, counter, held)?;
        {
            let mut st = lock(&self.shared);
            *st = host::HostState {
                stop: options.stop,
                fuel: options.fuel,
                queue: queue.into(),
                start: (count, left + slack),
                undecided_from: count,
                frame_limit: self.options.max_frames,
                ..host::HostState::default()
            };
        }
        let instance = self.instance_mut(id)?;
        instance.native_exhaustion = false;
        let inner = instance.inner;
        let result = self
            .inner
            .invoke(inner, export, args, RunOptions::default());
        let state = std::mem::take(&mut *lock(&self.shared));
        let events = state.counted(layout.left(self.left(id)?) + self.slack(id)?);
        // Later runs of other instances must not call the host.
        self.control(id, 0, i64::MAX, 0)?;
        let report = result?;
        if state.out_of_fuel {
            return Ok(RunReport {
                outcome: RunOutcome::OutOfFuel,
                events: options.fuel,
            });
        }
        if let Some((kind, event)) = state.stopped {
            let module = self.module_of(id)?;
            let frames = frames_from_raw(&module.meta, &module.analysis, state.frames)
                .map_err(|e| EngineError::Other(format!("unwind: {e}")))?;
            let location = frames.last().map(|frame| StopLocation {
                func: frame.func,
                pc: frame.pc,
            });
            self.instance_mut(id)?.suspended = Some(Suspended {
                entry_func,
                args: args.to_vec(),
                kind,
                event,
                frames,
            });
            return Ok(RunReport {
                outcome: RunOutcome::Suspended {
                    kind,
                    event,
                    location,
                },
                events: Some(event + 1),
            });
        }
        if !state.queue.is_empty() {
            return Err(EngineError::Other(format!(
                "rewind left {} values unloaded",
                state.queue.len()
            )));
        }
        // The rewrite's frame limit traps through the `stack_exhausted` import (a host trap);
        // the wrapped engine's own exhaustion is its native stack running out first.
        self.instance_mut(id)?.native_exhaustion = self.options.max_frames.is_some()
            && report.outcome == RunOutcome::Trapped(Trap::CallStackExhausted);
        // Traps a call raises before its callee runs: the call counted its call event (its
        // caller stored the counter), but a counter-passing callee never ran to check it (the
        // stack ran out, or a counter-passing `call_indirect` found no callee of its type).
        let on_call = match &report.outcome {
            RunOutcome::Trapped(
                Trap::CallStackExhausted
                | Trap::UndefinedElement
                | Trap::TableOutOfBounds
                | Trap::UninitializedElement
                | Trap::IndirectCallTypeMismatch,
            ) => true,
            RunOutcome::Trapped(Trap::Host(message)) => message.contains(STACK_EXHAUSTED),
            _ => false,
        };
        if on_call {
            // (Any other trap of these kinds came after its call event was checked: the
            // event before it is below the fuel and no stop.)
            let call = events.checked_sub(1).filter(|call| *call >= count);
            if let (Some(fuel), Some(call)) = (options.fuel, call) {
                if call >= fuel {
                    return Ok(RunReport {
                        outcome: RunOutcome::OutOfFuel,
                        events: options.fuel,
                    });
                }
            }
            if let (Some(stop), Some(call)) = (options.stop, call) {
                if stop.matches(EventKind::Call, call) {
                    return Err(EngineError::NotImageable(format!(
                        "stop at event {call}: the call there trapped before its \
                         counter-passing callee could check the event"
                    )));
                }
            }
        }
        let outcome = match report.outcome {
            RunOutcome::Trapped(Trap::Host(message)) if message.contains(host::OUT_OF_FUEL) => {
                RunOutcome::OutOfFuel
            }
            RunOutcome::Trapped(Trap::Host(message)) if message.contains(STACK_EXHAUSTED) => {
                RunOutcome::Trapped(Trap::CallStackExhausted)
            }
            other => other,
        };
        Ok(RunReport {
            outcome,
            events: Some(events),
        })
    }

    /// The instance's events-left counter.
    fn left(&self, id: InstanceId) -> Result<i64, EngineError> {
        self.i64_global(id, names::LEFT)
    }

    /// The events the host held back from the counter (see `armed_left`).
    fn slack(&self, id: InstanceId) -> Result<i64, EngineError> {
        self.i64_global(id, names::SLACK)
    }

    fn i64_global(&self, id: InstanceId, name: &str) -> Result<i64, EngineError> {
        let handle = self.helper_handle(id, name)?;
        match self.inner.global_value(handle)? {
            Value::I64(v) => Ok(v),
            other => Err(EngineError::Other(format!("{name} holds {other}"))),
        }
    }

    fn helper_handle(&self, id: InstanceId, name: &str) -> Result<ExternHandle, EngineError> {
        self.instance(id)?
            .helpers
            .get(name)
            .copied()
            .ok_or_else(|| EngineError::Other(format!("instrumented module lacks {name}")))
    }

    /// The image value of a function reference, through the wrapped engine's identities.
    fn func_index(&self, id: InstanceId, value: &Value) -> Option<u32> {
        let inner = self.instance(id).ok()?.inner;
        match self.inner.func_identity(inner, value)? {
            FuncIdentity::Index(k) => {
                let imported = self.module_of(id).ok()?.analysis.imported_func_count();
                let imports = baton_instrument::layout::import_count(self.options.mvp);
                if k < imported {
                    Some(k)
                } else {
                    k.checked_sub(imports).filter(|k| *k >= imported)
                }
            }
            FuncIdentity::Foreign => None,
        }
    }

    fn execution_image(
        &self,
        id: InstanceId,
        suspended: &Suspended,
    ) -> Result<Execution, EngineError> {
        let module = self.module_of(id)?;
        let mut frames = Vec::with_capacity(suspended.frames.len());
        for frame in &suspended.frames {
            let point = module
                .analysis
                .function(frame.func)
                .and_then(|f| f.at(frame.pc))
                .ok_or_else(|| EngineError::Other(format!("no point at pc {}", frame.pc)))?;
            frames.push(Frame {
                func: frame.func,
                pc: frame.pc,
                locals: self.values_to_image(id, &frame.locals)?,
                operands: self.values_to_image(id, &frame.operands)?,
                labels: point.labels.clone(),
            });
        }
        Ok(Execution {
            entry: Some(Entry {
                func: suspended.entry_func,
                args: self.values_to_image(id, &suspended.args)?,
            }),
            safe_point: Some(SafePoint {
                kind: suspended.kind.to_image() as i32,
                event: suspended.event,
            }),
            frames,
        })
    }

    fn values_to_image(
        &self,
        id: InstanceId,
        values: &[Value],
    ) -> Result<Vec<baton_checkpoint::image::Value>, EngineError> {
        values
            .iter()
            .map(|v| store::value_to_image(v, |v| self.func_index(id, v)))
            .collect()
    }
}

impl Engine for Session {
    fn name(&self) -> &str {
        self.name
    }

    fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
        self.inner.trap_aliases()
    }

    /// Every stop is located: the innermost unwound frame's function and original pc.
    fn locates_stops(&self) -> bool {
        true
    }

    /// With the rewrite's frame limit on (`instrumented:proc:*`), a call-stack exhaustion the
    /// wrapped engine reports itself is its native stack running out before the limit.
    fn exhausted_native_stack(&self, instance: InstanceId) -> bool {
        self.instance(instance)
            .is_ok_and(|instance| instance.native_exhaustion)
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        // The wrapped engine judges the original bytes (the rewrite re-encodes, and so would
        // hide malformed encodings it tolerates).
        self.inner.compile(wasm)?;
        let analysis =
            ModuleAnalysis::new(wasm).map_err(|e| EngineError::Rejected(e.to_string()))?;
        let instrumented = baton_instrument::instrument_analysed(wasm, &analysis, &self.options)
            .map_err(|e| EngineError::Rejected(format!("instrumentation: {e}")))?;
        let inner = self.inner.compile(&instrumented.wasm)?;
        let inner_restore = match without_start(&instrumented.wasm) {
            Some(wasm) => self.inner.compile(&wasm)?,
            None => inner,
        };
        let exports = store::read_exports(wasm).map_err(EngineError::Rejected)?;
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(ModuleRec {
            inner,
            inner_restore,
            meta: Arc::new(instrumented.meta),
            analysis: Arc::new(analysis),
            exports,
        });
        Ok(id)
    }

    fn instantiate(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
    ) -> Result<InstanceId, EngineError> {
        let rec = self
            .modules
            .get(module.0 as usize)
            .ok_or_else(|| EngineError::BadHandle(format!("{module:?}")))?;
        let baton = self.imports.clone()?;
        let mut all = imports.to_vec();
        all.extend(baton);
        let inner_module = if self.restoring {
            rec.inner_restore
        } else {
            rec.inner
        };
        let inner = self.inner.instantiate(inner_module, &all)?;
        let analysis = rec.analysis.clone();
        let original = rec.exports.clone();
        // Maximum sizes: imported objects as this session knows them, defined ones declared.
        let mut memory_max = Vec::new();
        let mut table_max = Vec::new();
        let (mut mi, mut ti) = (0usize, 0usize);
        for handle in imports {
            match handle.kind {
                ExternKind::Memory => {
                    let declared = analysis.memories().get(mi).and_then(|m| m.maximum);
                    memory_max.push(self.memory_max.get(&handle.id).copied().unwrap_or(declared));
                    mi += 1;
                }
                ExternKind::Table => {
                    let declared = analysis.tables().get(ti).and_then(|t| t.maximum);
                    table_max.push(self.table_max.get(&handle.id).copied().unwrap_or(declared));
                    ti += 1;
                }
                _ => {}
            }
        }
        memory_max.extend(analysis.memories().iter().skip(mi).map(|m| m.maximum));
        table_max.extend(analysis.tables().iter().skip(ti).map(|t| t.maximum));
        let mut exports = Vec::new();
        let mut helpers = HashMap::new();
        for (name, handle) in self.inner.exports(inner)? {
            if name.starts_with(names::PREFIX) {
                helpers.insert(name, handle);
                continue;
            }
            if let Some((_, kind, index)) = original.iter().find(|(n, _, _)| *n == name) {
                match kind {
                    ExternKind::Memory => {
                        if let Some(max) = memory_max.get(*index as usize) {
                            self.memory_max.insert(handle.id, *max);
                        }
                    }
                    ExternKind::Table => {
                        if let Some(max) = table_max.get(*index as usize) {
                            self.table_max.insert(handle.id, *max);
                        }
                    }
                    _ => {}
                }
            }
            exports.push((name, handle));
        }
        let id = InstanceId(self.instances.len() as u32);
        self.instances.push(InstanceRec {
            inner,
            module: module.0 as usize,
            exports,
            helpers,
            memory_max,
            table_max,
            suspended: None,
            native_exhaustion: false,
        });
        Ok(id)
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        self.inner.host_func(ty, func)
    }

    fn host_func_with_memory(
        &mut self,
        ty: &FuncType,
        func: baton_engine::MemoryHostFunc,
    ) -> Result<ExternHandle, EngineError> {
        self.inner.host_func_with_memory(ty, func)
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        self.inner.host_global(ty, init)
    }

    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
        let handle = self.inner.host_table(ty)?;
        self.table_max.insert(handle.id, ty.max.map(u64::from));
        Ok(handle)
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        let handle = self.inner.host_memory(ty)?;
        self.memory_max.insert(handle.id, ty.max.map(u64::from));
        Ok(handle)
    }

    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError> {
        Ok(self.instance(instance)?.exports.clone())
    }

    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
        self.inner.global_value(global)
    }

    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
        self.inner.memory_data(memory)
    }

    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
        self.inner.table_elements(table)
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        export: &str,
        args: &[Value],
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        if self.instance(instance)?.suspended.is_some() {
            return Err(EngineError::State("a run is suspended".into()));
        }
        if export.starts_with(names::PREFIX) {
            return Err(EngineError::NoSuchExport {
                kind: "function".into(),
                name: export.into(),
            });
        }
        let entry = self
            .module_of(instance)?
            .meta
            .func_exports
            .iter()
            .find(|(name, _)| name == export)
            .map(|(_, func)| *func);
        let Some(entry) = entry else {
            // Not a function export: the wrapped engine reports it.
            return self.inner.invoke(
                self.instance(instance)?.inner,
                export,
                args,
                RunOptions::default(),
            );
        };
        self.run(instance, entry, export, args, options, 0, 0, 0, Vec::new())
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let suspended = self
            .instance_mut(instance)?
            .suspended
            .take()
            .ok_or_else(|| EngineError::State("no suspended run".into()))?;
        let module = self.module_of(instance)?;
        let next = suspended.event + 1;
        let queue = rewind_queue(
            &module.meta,
            &module.analysis,
            &suspended,
            armed_left(
                options,
                next,
                suspended.frames.len() as u32,
                self.options.max_frames,
            ),
            CounterLayout::new(self.options.max_frames),
        )
        .map_err(|e| EngineError::Other(format!("rewind: {e}")))?;
        // The entry's rewind copy when it has one; otherwise its own export name when it has
        // one (Wasm3 keeps only the first three export names of a function, so an added
        // `__baton_f{k}` after three original ones is lost).
        let export = if module.meta.rewind_copies.contains(&suspended.entry_func) {
            names::rewind(suspended.entry_func)
        } else {
            module
                .meta
                .func_exports
                .iter()
                .find(|(_, func)| *func == suspended.entry_func)
                .map_or_else(
                    || names::func(suspended.entry_func),
                    |(name, _)| name.clone(),
                )
        };
        self.run(
            instance,
            suspended.entry_func,
            &export,
            &suspended.args,
            options,
            REWINDING,
            next,
            suspended.frames.len() as u32,
            queue.into(),
        )
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        let mut image = store::store_image(self, instance)?;
        if let Some(suspended) = self.instance(instance)?.suspended.clone() {
            image.execution = Some(self.execution_image(instance, &suspended)?);
        }
        Ok(image)
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let rec = self
            .modules
            .get(module.0 as usize)
            .ok_or_else(|| EngineError::BadHandle(format!("{module:?}")))?;
        baton_checkpoint::validate(image, &rec.analysis)
            .map_err(|e| EngineError::Restore(e.to_string()))?;
        let frames = image.execution.as_ref().map_or(0, |e| e.frames.len());
        if frames > self.max_frames as usize {
            return Err(EngineError::Restore(format!(
                "execution: {frames} frames, more than max_frames {}",
                self.max_frames
            )));
        }
        self.restoring = true;
        let id = self.instantiate(module, imports);
        self.restoring = false;
        let id = id.map_err(|e| EngineError::Restore(e.to_string()))?;
        store::restore_store(self, id, image)?;
        if let Some(execution) = &image.execution {
            let suspended = store::suspended_from_image(self, id, execution)?;
            self.instance_mut(id)?.suspended = Some(suspended);
        }
        Ok(id)
    }

    fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
        let inner = self.instance(instance).ok()?.inner;
        match self.inner.func_identity(inner, value)? {
            FuncIdentity::Foreign => Some(FuncIdentity::Foreign),
            FuncIdentity::Index(_) => self.func_index(instance, value).map(FuncIdentity::Index),
        }
    }
}

/// `wasm` (a valid module) without its start section; `None` when it has none.
fn without_start(wasm: &[u8]) -> Option<Vec<u8>> {
    const START: u8 = 8;
    let mut out = wasm.get(..8)?.to_vec();
    let mut found = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Some((id, range)) = payload.ok()?.as_section() else {
            continue;
        };
        if id == START {
            found = true;
            continue;
        }
        let start = usize::try_from(range.start).ok()?;
        let end = usize::try_from(range.end).ok()?;
        let contents = wasm.get(start..end)?;
        out.push(id);
        let mut size = u32::try_from(contents.len()).ok()?;
        loop {
            let byte = (size & 0x7f) as u8;
            size >>= 7;
            out.push(if size == 0 { byte } else { byte | 0x80 });
            if size == 0 {
                break;
            }
        }
        out.extend_from_slice(contents);
    }
    found.then_some(out)
}
