//! [`Session`]: any [`Driving`] engine as a `baton_engine::Engine` adapter session, so each
//! `baton-runtime` engine is pluggable into baton (and servable over the adapter protocol)
//! without glue of its own. The adapter vocabulary (`baton_engine::Value`, `Trap`, ...) is
//! converted to the runtime's (`Val`, ...) here and nowhere else.
//!
//! Handles index an arena of [`Extern`]s. Host-function closures need it too (to give function
//! references crossing the host boundary an id), so it is shared through `Rc`; closures hold a
//! `Weak` reference, because the arena owns them and a strong one would be a cycle that leaks the
//! whole session (every memory of every instance) when it is dropped.
//!
//! Host functions created with `host_func_with_memory` reach the memory exported as `memory` by
//! the instance whose run is in progress (set by `invoke`/`resume`): the caller, for the
//! single-instance programs such functions serve (WASI commands). The interpreters release
//! their borrow of memory 0 before every call out of a run, so the host borrows it freely; a
//! borrow that still fails is a host trap, never a panic.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use baton_checkpoint::image::Image;
use baton_engine::{
    Engine, EngineConfig, EngineError, ExternHandle, ExternKind, FuncIdentity, FuncType,
    GlobalType, HostFunc, InstanceId, KindSet, MemoryHostFunc, MemoryType, ModuleId, RunOptions,
    RunOutcome, RunReport, SliceMemory, TableType, ValType, Value, CALLER_MEMORY_EXPORT,
};

use crate::driving::{CompiledModule, Driving};
use crate::{
    Config, Extern, FuncRef, Global, ImageError, Imports, InstantiationError, InvokeError, Memory,
    RefType, Table, Val,
};

type Arena = Rc<RefCell<Vec<Extern>>>;

/// A session of the `baton-runtime` engine `D`: its modules, instances and host objects.
pub struct Session<D: Driving> {
    config: Config,
    arena: Arena,
    modules: Vec<D::Module>,
    instances: Vec<(D, Exports)>,
    /// The exported `memory` of the instance whose run is in progress.
    running: Running,
}

/// The memory host functions reach (see the module docs).
type Running = Rc<RefCell<Option<crate::store::MemoryHandle>>>;

/// An instance's exports with their session handles.
type Exports = Vec<(String, ExternHandle)>;

impl<D: Driving> Session<D> {
    /// An empty session with the session-wide `config`.
    pub fn new(config: &EngineConfig) -> Self {
        Session {
            config: Config {
                max_frames: usize::try_from(config.max_frames).unwrap_or(usize::MAX),
                fuel: None,
            },
            arena: Rc::new(RefCell::new(Vec::new())),
            modules: Vec::new(),
            instances: Vec::new(),
            running: Rc::new(RefCell::new(None)),
        }
    }

    /// An empty session, boxed as an adapter (a registry's `create` function).
    pub fn boxed(config: &EngineConfig) -> Box<dyn Engine> {
        Box::new(Self::new(config))
    }
}

fn push(arena: &Arena, ext: Extern) -> ExternHandle {
    let kind = match &ext {
        Extern::Func(_) => ExternKind::Func,
        Extern::Table(_) => ExternKind::Table,
        Extern::Memory(_) => ExternKind::Memory,
        Extern::Global(_) => ExternKind::Global,
    };
    let mut externs = arena.borrow_mut();
    let id = u32::try_from(externs.len()).unwrap_or(u32::MAX);
    externs.push(ext);
    ExternHandle { kind, id }
}

fn get(arena: &Arena, handle: ExternHandle) -> Result<Extern, EngineError> {
    usize::try_from(handle.id)
        .ok()
        .and_then(|index| arena.borrow().get(index).cloned())
        .ok_or_else(|| EngineError::BadHandle(format!("{handle:?}")))
}

/// Converts a runtime value, registering function references in the arena.
fn from_val(arena: &Arena, value: &Val) -> Value {
    match value {
        Val::I32(v) => Value::I32(*v),
        Val::I64(v) => Value::I64(*v),
        Val::F32(bits) => Value::F32(*bits),
        Val::F64(bits) => Value::F64(*bits),
        Val::FuncRef(None) => Value::FuncRef(None),
        Val::FuncRef(Some(func)) => {
            Value::FuncRef(Some(push(arena, Extern::Func(func.clone())).id))
        }
        Val::ExternRef(handle) => Value::ExternRef(*handle),
    }
}

/// Converts a harness value; function references must name a function of this session.
fn to_val(arena: &Arena, value: Value) -> Result<Val, EngineError> {
    Ok(match value {
        Value::I32(v) => Val::I32(v),
        Value::I64(v) => Val::I64(v),
        Value::F32(bits) => Val::F32(bits),
        Value::F64(bits) => Val::F64(bits),
        Value::FuncRef(None) => Val::FuncRef(None),
        Value::FuncRef(Some(id)) => {
            let handle = ExternHandle {
                kind: ExternKind::Func,
                id,
            };
            match get(arena, handle)? {
                Extern::Func(func) => Val::FuncRef(Some(func)),
                _ => return Err(EngineError::BadHandle(format!("funcref {id}"))),
            }
        }
        Value::ExternRef(handle) => Val::ExternRef(handle),
    })
}

fn instantiation_error(error: InstantiationError) -> EngineError {
    match error {
        InstantiationError::Module(error) => EngineError::Rejected(error.to_string()),
        InstantiationError::Link(error) => EngineError::Link(error.to_string()),
        InstantiationError::Trap(trap) => EngineError::InstantiationTrap(trap),
        other => EngineError::Other(other.to_string()),
    }
}

fn invoke_error(error: InvokeError) -> EngineError {
    match error {
        InvokeError::MissingExport(name) | InvokeError::NotAFunction(name) => {
            EngineError::NoSuchExport {
                kind: "function".into(),
                name,
            }
        }
        InvokeError::Busy | InvokeError::NotStopped => EngineError::State(error.to_string()),
        other => EngineError::BadArguments(other.to_string()),
    }
}

/// Maps an image error: references outside the instance's function index space make a state
/// not imageable (a limitation of the format, counted separately by the harness).
fn image_error(error: &ImageError) -> EngineError {
    match error {
        ImageError::ForeignFunction { .. } => EngineError::NotImageable(error.to_string()),
        other => EngineError::Other(format!("image: {other}")),
    }
}

fn table_ref_type(ty: ValType) -> Result<RefType, EngineError> {
    match ty {
        ValType::FuncRef => Ok(RefType::Func),
        ValType::ExternRef => Ok(RefType::Extern),
        other => Err(EngineError::Other(format!("table of {other:?}"))),
    }
}

impl<D: Driving> Session<D> {
    fn module(&self, id: ModuleId) -> Result<&D::Module, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.modules.get(index))
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn instance(&self, id: InstanceId) -> Result<&D, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.instances.get(index))
            .map(|(instance, _)| instance)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn instance_mut(&mut self, id: InstanceId) -> Result<&mut D, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.instances.get_mut(index))
            .map(|(instance, _)| instance)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    /// The import map for `module` from handles in declaration order.
    fn imports(
        &self,
        module: &D::Module,
        handles: &[ExternHandle],
    ) -> Result<Imports, EngineError> {
        let decls = &module.module_info().imports;
        if decls.len() != handles.len() {
            return Err(EngineError::Link(format!(
                "module has {} imports, {} given",
                decls.len(),
                handles.len()
            )));
        }
        let mut imports = Imports::new();
        for (decl, handle) in decls.iter().zip(handles) {
            imports.define(&decl.module, &decl.name, get(&self.arena, *handle)?);
        }
        Ok(imports)
    }

    /// Registers a new instance and its exports.
    fn add_instance(&mut self, instance: D) -> InstanceId {
        let exports = instance
            .exports()
            .into_iter()
            .map(|(name, ext)| (name, push(&self.arena, ext)))
            .collect();
        let id = InstanceId(u32::try_from(self.instances.len()).unwrap_or(u32::MAX));
        self.instances.push((instance, exports));
        id
    }

    /// Prepares a run's fuel and the memory host functions reach.
    fn prepare(&mut self, id: InstanceId, options: RunOptions) -> Result<&mut D, EngineError> {
        let memory = self
            .exports(id)?
            .into_iter()
            .find(|(name, _)| name == CALLER_MEMORY_EXPORT)
            .and_then(|(_, handle)| match get(&self.arena, handle) {
                Ok(Extern::Memory(memory)) => Some(memory),
                _ => None,
            });
        *self.running.borrow_mut() = memory;
        let config = Config {
            fuel: options.fuel,
            ..self.config
        };
        let instance = self.instance_mut(id)?;
        instance.set_config(config);
        Ok(instance)
    }

    fn report(&self, id: InstanceId, result: crate::RunOutcome) -> RunReport {
        let outcome = match result {
            crate::RunOutcome::Finished(values) => {
                RunOutcome::Returned(values.iter().map(|v| from_val(&self.arena, v)).collect())
            }
            crate::RunOutcome::Trapped(trap) => RunOutcome::Trapped(trap),
            crate::RunOutcome::OutOfFuel => RunOutcome::OutOfFuel,
            crate::RunOutcome::Stopped(info) => RunOutcome::Suspended {
                kind: info.kind,
                event: info.event,
                location: info.location,
            },
        };
        RunReport {
            outcome,
            events: self.instance(id).ok().map(Driving::events_fired),
        }
    }
}

/// A host function's view of the session: upgraded only while it runs.
fn host_closure(
    weak: Weak<RefCell<Vec<Extern>>>,
    func: HostFunc,
) -> impl Fn(&[Val]) -> Result<Vec<Val>, crate::Trap> + 'static {
    move |args: &[Val]| {
        let arena = weak
            .upgrade()
            .ok_or_else(|| crate::Trap::Host("host function outlived its session".into()))?;
        let args: Vec<Value> = args.iter().map(|arg| from_val(&arena, arg)).collect();
        let results = func(&args).map_err(crate::Trap::Host)?;
        results
            .into_iter()
            .map(|value| to_val(&arena, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| crate::Trap::Host(error.to_string()))
    }
}

/// A memory host function's closure: the running instance's memory, then the call.
fn memory_host_closure(
    weak: Weak<RefCell<Vec<Extern>>>,
    running: Weak<RefCell<Option<crate::store::MemoryHandle>>>,
    func: MemoryHostFunc,
) -> impl Fn(&[Val]) -> Result<Vec<Val>, crate::Trap> + 'static {
    move |args: &[Val]| {
        let gone = || crate::Trap::Host("host function outlived its session".into());
        let arena = weak.upgrade().ok_or_else(gone)?;
        let running = running.upgrade().ok_or_else(gone)?;
        let args: Vec<Value> = args.iter().map(|arg| from_val(&arena, arg)).collect();
        let memory = running.borrow().clone();
        let results = match memory {
            Some(handle) => {
                let mut memory = handle.try_borrow_mut().map_err(|_| {
                    crate::Trap::Host("caller memory is borrowed during a host call".into())
                })?;
                func(&mut SliceMemory(memory.data_mut()), &args)
            }
            None => func(&mut SliceMemory(&mut []), &args),
        }
        .map_err(crate::Trap::Host)?;
        results
            .into_iter()
            .map(|value| to_val(&arena, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| crate::Trap::Host(error.to_string()))
    }
}

impl<D: Driving> Engine for Session<D> {
    fn name(&self) -> &str {
        D::NAME
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        let module =
            D::Module::compile(wasm).map_err(|error| EngineError::Rejected(error.to_string()))?;
        let id = ModuleId(u32::try_from(self.modules.len()).unwrap_or(u32::MAX));
        self.modules.push(module);
        Ok(id)
    }

    fn instantiate(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
    ) -> Result<InstanceId, EngineError> {
        let module = self.module(module)?.clone();
        let imports = self.imports(&module, imports)?;
        let instance =
            D::instantiate(&module, &imports, self.config).map_err(instantiation_error)?;
        Ok(self.add_instance(instance))
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        let runtime_ty = crate::FuncType::new(ty.params.clone(), ty.results.clone());
        let closure = host_closure(Rc::downgrade(&self.arena), func);
        let host = crate::HostFunc::new(runtime_ty, closure);
        Ok(push(&self.arena, Extern::Func(FuncRef::Host(host))))
    }

    fn host_func_with_memory(
        &mut self,
        ty: &FuncType,
        func: MemoryHostFunc,
    ) -> Result<ExternHandle, EngineError> {
        let runtime_ty = crate::FuncType::new(ty.params.clone(), ty.results.clone());
        let closure = memory_host_closure(
            Rc::downgrade(&self.arena),
            Rc::downgrade(&self.running),
            func,
        );
        let host = crate::HostFunc::new(runtime_ty, closure);
        Ok(push(&self.arena, Extern::Func(FuncRef::Host(host))))
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        let value = to_val(&self.arena, init)?;
        let global_ty = crate::GlobalType {
            content: ty.content,
            mutable: ty.mutable,
        };
        let global = Global::new_handle(global_ty, value).ok_or_else(|| {
            EngineError::BadArguments(format!(
                "global of {:?} initialised with {init}",
                ty.content
            ))
        })?;
        Ok(push(&self.arena, Extern::Global(global)))
    }

    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
        let elem = table_ref_type(ty.element)?;
        let table_ty = crate::TableType {
            elem,
            min: u64::from(ty.min),
            max: ty.max.map(u64::from),
        };
        let table = Table::new_handle(table_ty, elem.null())
            .ok_or_else(|| EngineError::Other(format!("cannot allocate table {ty:?}")))?;
        Ok(push(&self.arena, Extern::Table(table)))
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        let memory_ty = crate::MemoryType {
            min: u64::from(ty.min),
            max: ty.max.map(u64::from),
        };
        let memory = Memory::new_handle(memory_ty)
            .ok_or_else(|| EngineError::Other(format!("cannot allocate memory {ty:?}")))?;
        Ok(push(&self.arena, Extern::Memory(memory)))
    }

    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError> {
        usize::try_from(instance.0)
            .ok()
            .and_then(|index| self.instances.get(index))
            .map(|(_, exports)| exports.clone())
            .ok_or_else(|| EngineError::BadHandle(format!("{instance:?}")))
    }

    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
        match get(&self.arena, global)? {
            Extern::Global(global) => Ok(from_val(&self.arena, global.borrow().get())),
            _ => Err(EngineError::BadHandle(format!(
                "{global:?} is not a global"
            ))),
        }
    }

    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
        match get(&self.arena, memory)? {
            Extern::Memory(memory) => Ok(memory.borrow().data().to_vec()),
            _ => Err(EngineError::BadHandle(format!(
                "{memory:?} is not a memory"
            ))),
        }
    }

    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
        match get(&self.arena, table)? {
            Extern::Table(table) => Ok(table
                .borrow()
                .elements()
                .iter()
                .map(|value| from_val(&self.arena, value))
                .collect()),
            _ => Err(EngineError::BadHandle(format!("{table:?} is not a table"))),
        }
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        export: &str,
        args: &[Value],
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let args = args
            .iter()
            .map(|arg| to_val(&self.arena, *arg))
            .collect::<Result<Vec<_>, _>>()?;
        let native = self.prepare(instance, options)?;
        let result = native
            .invoke(export, &args, options.stop)
            .map_err(invoke_error)?;
        Ok(self.report(instance, result))
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let native = self.prepare(instance, options)?;
        let result = native.resume(options.stop).map_err(invoke_error)?;
        Ok(self.report(instance, result))
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        self.instance(instance)?
            .image()
            .map_err(|error| image_error(&error))
    }

    /// A function reference's index in `instance`'s function index space (the index its image
    /// records), or `Foreign`; `None` for anything but a non-null funcref of this session.
    fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
        let Value::FuncRef(Some(id)) = value else {
            return None;
        };
        let handle = ExternHandle {
            kind: ExternKind::Func,
            id: *id,
        };
        let Ok(Extern::Func(func)) = get(&self.arena, handle) else {
            return None;
        };
        let native = self.instance(instance).ok()?;
        Some(match native.objects().func_index(&func, &native.handle()) {
            Some(index) => FuncIdentity::Index(index),
            None => FuncIdentity::Foreign,
        })
    }

    fn safe_point_kinds(&self) -> KindSet {
        D::EVENT_KINDS
    }

    /// Every driving engine places its stops (`StopInfo::location`); `None` there means its
    /// maps failed to, which the harness reports.
    fn locates_stops(&self) -> bool {
        true
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let module = self.module(module)?.clone();
        let imports = self.imports(&module, imports)?;
        let instance = D::restore(&module, image, &imports, self.config)
            .map_err(|error| EngineError::Restore(error.to_string()))?;
        Ok(self.add_instance(instance))
    }
}
