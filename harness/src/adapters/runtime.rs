//! The [`Engine`] implementation shared by every engine built on `baton-runtime` (`stack`,
//! `register`, ...): they all expose the plain driving API of `docs/driving.md`, so one generic
//! session ([`RuntimeEngine`]) adapts them; each engine's file only implements [`Backend`].
//!
//! Handles index an arena of `baton_runtime::Extern`s. Host-function closures need it too (to
//! give function references crossing the host boundary an id), so it is shared through `Rc`;
//! closures hold a `Weak` reference, because the arena owns them and a strong one would be a
//! cycle that leaks the whole session (every memory of every instance) when it is dropped.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use baton_checkpoint::image::Image;
use baton_runtime::{
    Config, EventKind, Extern, FuncRef, Global, ImageError, Imports, InstantiationError,
    InvokeError, Memory, ModuleError, ModuleInfo, RefType, RestoreError, StopAt, Table, Val,
};

use crate::engine::{
    Engine, EngineConfig, EngineError, ExternHandle, ExternKind, HostFunc, InstanceId, ModuleId,
    RunOptions, RunOutcome, RunReport, StopRequest, Trap,
};
use crate::value::{FuncType, GlobalType, MemoryType, TableType, ValType, Value};

/// One `baton-runtime` engine's driving API (see `docs/driving.md`).
pub trait Backend: 'static {
    /// The registry name.
    const NAME: &'static str;
    /// The engine's compiled module.
    type Module: Clone;
    /// The engine's instance.
    type Instance;

    /// Decodes, validates and translates a module.
    fn compile(bytes: &[u8]) -> Result<Self::Module, ModuleError>;
    /// The module's static description.
    fn info(module: &Self::Module) -> &ModuleInfo;
    /// Links, initialises and starts an instance.
    fn instantiate(
        module: &Self::Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Self::Instance, InstantiationError>;
    /// A fresh instance whose whole state is the image's.
    fn restore(
        module: &Self::Module,
        image: &Image,
        imports: &Imports,
        config: Config,
    ) -> Result<Self::Instance, RestoreError>;
    /// The instance's exports.
    fn exports(instance: &Self::Instance) -> Vec<(String, Extern)>;
    /// Applies the next run's configuration (the session's frame limit, the run's fuel).
    fn configure(instance: &mut Self::Instance, config: Config);
    /// Starts a call.
    fn invoke(
        instance: &mut Self::Instance,
        name: &str,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<baton_runtime::RunOutcome, InvokeError>;
    /// Continues a stopped call.
    fn resume(
        instance: &mut Self::Instance,
        stop: Option<StopAt>,
    ) -> Result<baton_runtime::RunOutcome, InvokeError>;
    /// The instance's image (idle or stopped).
    fn image(instance: &Self::Instance) -> Result<Image, ImageError>;
    /// Main events fired by the current or last invocation.
    fn events_fired(instance: &Self::Instance) -> u64;
}

/// Implements [`Backend`] for an engine crate that exposes the driving API of
/// `docs/driving.md` under its usual names (`Module::new`, `Instance::{instantiate, restore,
/// exports, set_config, invoke, resume, image, events_fired}`), and defines the file's `NAME` and
/// `create` for the registry. An engine whose API differs implements [`Backend`] by hand.
macro_rules! driving_api_backend {
    ($backend:ident, $name:literal, $engine:ident) => {
        /// The registry name.
        pub const NAME: &str = $name;

        #[doc = concat!("The `", $name, "` backend.")]
        pub struct $backend;

        #[doc = concat!("Creates a `", $name, "` session.")]
        pub fn create(config: &$crate::engine::EngineConfig) -> Box<dyn $crate::engine::Engine> {
            $crate::adapters::runtime::create::<$backend>(config)
        }

        impl $crate::adapters::runtime::Backend for $backend {
            const NAME: &'static str = NAME;
            type Module = $engine::Module;
            type Instance = $engine::Instance;

            fn compile(bytes: &[u8]) -> Result<Self::Module, baton_runtime::ModuleError> {
                $engine::Module::new(bytes)
            }

            fn info(module: &Self::Module) -> &baton_runtime::ModuleInfo {
                module.info()
            }

            fn instantiate(
                module: &Self::Module,
                imports: &baton_runtime::Imports,
                config: baton_runtime::Config,
            ) -> Result<Self::Instance, baton_runtime::InstantiationError> {
                $engine::Instance::instantiate(module, imports, config)
            }

            fn restore(
                module: &Self::Module,
                image: &baton_checkpoint::image::Image,
                imports: &baton_runtime::Imports,
                config: baton_runtime::Config,
            ) -> Result<Self::Instance, baton_runtime::RestoreError> {
                $engine::Instance::restore(module, image, imports, config)
            }

            fn exports(instance: &Self::Instance) -> Vec<(String, baton_runtime::Extern)> {
                instance.exports()
            }

            fn configure(instance: &mut Self::Instance, config: baton_runtime::Config) {
                instance.set_config(config);
            }

            fn invoke(
                instance: &mut Self::Instance,
                name: &str,
                args: &[baton_runtime::Val],
                stop: Option<baton_runtime::StopAt>,
            ) -> Result<baton_runtime::RunOutcome, baton_runtime::InvokeError> {
                instance.invoke(name, args, stop)
            }

            fn resume(
                instance: &mut Self::Instance,
                stop: Option<baton_runtime::StopAt>,
            ) -> Result<baton_runtime::RunOutcome, baton_runtime::InvokeError> {
                instance.resume(stop)
            }

            fn image(
                instance: &Self::Instance,
            ) -> Result<baton_checkpoint::image::Image, baton_runtime::ImageError> {
                instance.image()
            }

            fn events_fired(instance: &Self::Instance) -> u64 {
                instance.events_fired()
            }
        }
    };
}
pub(crate) use driving_api_backend;

/// Externs of one session.
type Arena = Rc<RefCell<Vec<Extern>>>;

/// A session of a `baton-runtime` engine.
pub struct RuntimeEngine<B: Backend> {
    config: Config,
    arena: Arena,
    modules: Vec<B::Module>,
    instances: Vec<(B::Instance, Exports)>,
}

/// An instance's exports with their session handles.
type Exports = Vec<(String, ExternHandle)>;

/// Creates a session of backend `B` (the registry's `create` for it).
pub fn create<B: Backend>(config: &EngineConfig) -> Box<dyn Engine> {
    Box::new(RuntimeEngine::<B> {
        config: Config {
            max_frames: usize::try_from(config.max_frames).unwrap_or(usize::MAX),
            fuel: None,
        },
        arena: Rc::new(RefCell::new(Vec::new())),
        modules: Vec::new(),
        instances: Vec::new(),
    })
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

fn runtime_type(ty: ValType) -> baton_runtime::ValType {
    match ty {
        ValType::I32 => baton_runtime::ValType::I32,
        ValType::I64 => baton_runtime::ValType::I64,
        ValType::F32 => baton_runtime::ValType::F32,
        ValType::F64 => baton_runtime::ValType::F64,
        ValType::FuncRef => baton_runtime::ValType::FuncRef,
        ValType::ExternRef => baton_runtime::ValType::ExternRef,
    }
}

/// Maps a runtime trap onto the harness's.
fn trap(trap: &baton_runtime::Trap) -> Trap {
    use baton_runtime::Trap as T;
    match trap {
        T::Unreachable => Trap::Unreachable,
        T::IntegerDivideByZero => Trap::IntegerDivideByZero,
        T::IntegerOverflow => Trap::IntegerOverflow,
        T::InvalidConversionToInteger => Trap::InvalidConversionToInteger,
        T::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        T::TableOutOfBounds => Trap::TableOutOfBounds,
        T::UndefinedElement => Trap::UndefinedElement,
        T::UninitializedElement => Trap::UninitializedElement,
        T::IndirectCallTypeMismatch => Trap::IndirectCallTypeMismatch,
        T::CallStackExhausted => Trap::CallStackExhausted,
        T::Host(message) => Trap::Host(message.clone()),
    }
}

/// Maps a stop request.
fn stop_at(stop: Option<StopRequest>) -> Option<StopAt> {
    stop.map(|stop| {
        let kinds: Vec<EventKind> = EventKind::ALL
            .iter()
            .copied()
            .filter(|kind| stop.kinds.contains(kind.to_image()))
            .collect();
        StopAt {
            kinds: baton_runtime::KindSet::of(&kinds),
            event: stop.at,
        }
    })
}

fn instantiation_error(error: InstantiationError) -> EngineError {
    match error {
        InstantiationError::Module(error) => EngineError::Rejected(error.to_string()),
        InstantiationError::Link(error) => EngineError::Link(error.to_string()),
        InstantiationError::Trap(t) => EngineError::InstantiationTrap(trap(&t)),
        other => EngineError::Other(other.to_string()),
    }
}

fn invoke_error(error: InvokeError) -> EngineError {
    match error {
        InvokeError::MissingExport(name) | InvokeError::NotAFunction(name) => {
            EngineError::NoSuchExport {
                kind: "function",
                name,
            }
        }
        InvokeError::Busy | InvokeError::NotStopped => EngineError::Other(error.to_string()),
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

impl<B: Backend> RuntimeEngine<B> {
    fn module(&self, id: ModuleId) -> Result<&B::Module, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.modules.get(index))
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn instance(&self, id: InstanceId) -> Result<&B::Instance, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.instances.get(index))
            .map(|(instance, _)| instance)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn instance_mut(&mut self, id: InstanceId) -> Result<&mut B::Instance, EngineError> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.instances.get_mut(index))
            .map(|(instance, _)| instance)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    /// The import map for `module` from handles in declaration order.
    fn imports(
        &self,
        module: &B::Module,
        handles: &[ExternHandle],
    ) -> Result<Imports, EngineError> {
        let decls = &B::info(module).imports;
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
    fn add_instance(&mut self, instance: B::Instance) -> InstanceId {
        let exports = B::exports(&instance)
            .into_iter()
            .map(|(name, ext)| (name, push(&self.arena, ext)))
            .collect();
        let id = InstanceId(u32::try_from(self.instances.len()).unwrap_or(u32::MAX));
        self.instances.push((instance, exports));
        id
    }

    /// Prepares a run's fuel.
    fn prepare(
        &mut self,
        id: InstanceId,
        options: RunOptions,
    ) -> Result<&mut B::Instance, EngineError> {
        let config = Config {
            fuel: options.fuel,
            ..self.config
        };
        let instance = self.instance_mut(id)?;
        B::configure(instance, config);
        Ok(instance)
    }

    fn report(&self, id: InstanceId, result: baton_runtime::RunOutcome) -> RunReport {
        let outcome = match result {
            baton_runtime::RunOutcome::Finished(values) => {
                RunOutcome::Returned(values.iter().map(|v| from_val(&self.arena, v)).collect())
            }
            baton_runtime::RunOutcome::Trapped(t) => RunOutcome::Trapped(trap(&t)),
            baton_runtime::RunOutcome::OutOfFuel => RunOutcome::OutOfFuel,
            baton_runtime::RunOutcome::Stopped(info) => RunOutcome::Suspended {
                kind: info.kind.to_image(),
                event: info.event,
            },
        };
        RunReport {
            outcome,
            events: self.instance(id).ok().map(B::events_fired),
        }
    }
}

/// A host function's view of the session: upgraded only while it runs.
fn host_closure(
    weak: Weak<RefCell<Vec<Extern>>>,
    func: HostFunc,
) -> impl Fn(&[Val]) -> Result<Vec<Val>, baton_runtime::Trap> + 'static {
    move |args: &[Val]| {
        let arena = weak.upgrade().ok_or_else(|| {
            baton_runtime::Trap::Host("host function outlived its session".into())
        })?;
        let args: Vec<Value> = args.iter().map(|arg| from_val(&arena, arg)).collect();
        let results = func(&args).map_err(baton_runtime::Trap::Host)?;
        results
            .into_iter()
            .map(|value| to_val(&arena, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| baton_runtime::Trap::Host(error.to_string()))
    }
}

impl<B: Backend> Engine for RuntimeEngine<B> {
    fn name(&self) -> &'static str {
        B::NAME
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        let module = B::compile(wasm).map_err(|error| EngineError::Rejected(error.to_string()))?;
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
            B::instantiate(&module, &imports, self.config).map_err(instantiation_error)?;
        Ok(self.add_instance(instance))
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        let runtime_ty = baton_runtime::FuncType::new(
            ty.params
                .iter()
                .copied()
                .map(runtime_type)
                .collect::<Vec<_>>(),
            ty.results
                .iter()
                .copied()
                .map(runtime_type)
                .collect::<Vec<_>>(),
        );
        let closure = host_closure(Rc::downgrade(&self.arena), func);
        let host = baton_runtime::HostFunc::new(runtime_ty, closure);
        Ok(push(&self.arena, Extern::Func(FuncRef::Host(host))))
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        let value = to_val(&self.arena, init)?;
        let global_ty = baton_runtime::GlobalType {
            content: runtime_type(ty.content),
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
        let table_ty = baton_runtime::TableType {
            elem,
            min: u64::from(ty.min),
            max: ty.max.map(u64::from),
        };
        let table = Table::new_handle(table_ty, elem.null())
            .ok_or_else(|| EngineError::Other(format!("cannot allocate table {ty:?}")))?;
        Ok(push(&self.arena, Extern::Table(table)))
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        let memory_ty = baton_runtime::MemoryType {
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
        let result =
            B::invoke(native, export, &args, stop_at(options.stop)).map_err(invoke_error)?;
        Ok(self.report(instance, result))
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let native = self.prepare(instance, options)?;
        let result = B::resume(native, stop_at(options.stop)).map_err(invoke_error)?;
        Ok(self.report(instance, result))
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        B::image(self.instance(instance)?).map_err(|error| image_error(&error))
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let module = self.module(module)?.clone();
        let imports = self.imports(&module, imports)?;
        let instance = B::restore(&module, image, &imports, self.config)
            .map_err(|error| EngineError::Restore(error.to_string()))?;
        Ok(self.add_instance(instance))
    }
}
