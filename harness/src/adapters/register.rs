//! The `register` engine adapter (baton-register, the WAMR fast-interpreter design): a thin
//! mapping from the harness's session API onto baton-register's plain driving API
//! (`docs/driving.md`), with stop/fuel/image/restore support.
//!
//! Handles index an arena of `baton_runtime::Extern`s shared (through `Rc<RefCell<..>>`) with the
//! host functions the session creates, so function references crossing the host boundary get
//! session-local ids. Function references read back through `global_value`/`table_elements`
//! (which cannot register new ids) are reported with the placeholder id `u32::MAX`, as the
//! harness only compares references for null-ness.

use std::cell::RefCell;
use std::rc::Rc;

use baton_checkpoint::image::{Image, SafePointKind};
use baton_register::{Instance, Module};
use baton_runtime as rt;

use crate::engine::{
    Engine, EngineConfig, EngineError, ExternHandle, ExternKind, HostFunc, InstanceId, ModuleId,
    RunOptions, RunOutcome, RunReport, Trap,
};
use crate::value::{FuncType, GlobalType, MemoryType, TableType, ValType, Value};

/// The registry name.
pub const NAME: &str = "register";

type Arena = Rc<RefCell<Vec<rt::Extern>>>;

/// A register-engine session.
pub struct RegisterEngine {
    config: rt::Config,
    arena: Arena,
    modules: Vec<Module>,
    instances: Vec<(Instance, Vec<(String, ExternHandle)>)>,
}

/// Creates a session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    Box::new(RegisterEngine {
        config: rt::Config {
            max_frames: config.max_frames as usize,
            fuel: None,
        },
        arena: Rc::new(RefCell::new(Vec::new())),
        modules: Vec::new(),
        instances: Vec::new(),
    })
}

fn kind_of(ext: &rt::Extern) -> ExternKind {
    match ext {
        rt::Extern::Func(_) => ExternKind::Func,
        rt::Extern::Table(_) => ExternKind::Table,
        rt::Extern::Memory(_) => ExternKind::Memory,
        rt::Extern::Global(_) => ExternKind::Global,
    }
}

fn push(arena: &Arena, ext: rt::Extern) -> ExternHandle {
    let mut externs = arena.borrow_mut();
    let handle = ExternHandle {
        kind: kind_of(&ext),
        id: u32::try_from(externs.len()).unwrap_or(u32::MAX),
    };
    externs.push(ext);
    handle
}

fn get(arena: &Arena, handle: ExternHandle) -> Result<rt::Extern, EngineError> {
    arena
        .borrow()
        .get(handle.id as usize)
        .cloned()
        .ok_or_else(|| EngineError::BadHandle(format!("{handle:?}")))
}

fn to_type(ty: ValType) -> rt::ValType {
    match ty {
        ValType::I32 => rt::ValType::I32,
        ValType::I64 => rt::ValType::I64,
        ValType::F32 => rt::ValType::F32,
        ValType::F64 => rt::ValType::F64,
        ValType::FuncRef => rt::ValType::FuncRef,
        ValType::ExternRef => rt::ValType::ExternRef,
    }
}

fn to_val(arena: &Arena, value: Value) -> Result<rt::Val, EngineError> {
    Ok(match value {
        Value::I32(v) => rt::Val::I32(v),
        Value::I64(v) => rt::Val::I64(v),
        Value::F32(bits) => rt::Val::F32(bits),
        Value::F64(bits) => rt::Val::F64(bits),
        Value::FuncRef(None) => rt::Val::FuncRef(None),
        Value::FuncRef(Some(id)) => match arena.borrow().get(id as usize) {
            Some(rt::Extern::Func(func)) => rt::Val::FuncRef(Some(func.clone())),
            _ => return Err(EngineError::BadHandle(format!("funcref {id}"))),
        },
        Value::ExternRef(handle) => rt::Val::ExternRef(handle),
    })
}

fn from_val(arena: Option<&Arena>, value: &rt::Val) -> Value {
    match value {
        rt::Val::I32(v) => Value::I32(*v),
        rt::Val::I64(v) => Value::I64(*v),
        rt::Val::F32(bits) => Value::F32(*bits),
        rt::Val::F64(bits) => Value::F64(*bits),
        rt::Val::FuncRef(None) => Value::FuncRef(None),
        rt::Val::FuncRef(Some(func)) => Value::FuncRef(Some(match arena {
            Some(arena) => push(arena, rt::Extern::Func(func.clone())).id,
            None => u32::MAX,
        })),
        rt::Val::ExternRef(handle) => Value::ExternRef(*handle),
    }
}

fn to_trap(trap: &rt::Trap) -> Trap {
    match trap {
        rt::Trap::Unreachable => Trap::Unreachable,
        rt::Trap::IntegerDivideByZero => Trap::IntegerDivideByZero,
        rt::Trap::IntegerOverflow => Trap::IntegerOverflow,
        rt::Trap::InvalidConversionToInteger => Trap::InvalidConversionToInteger,
        rt::Trap::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        rt::Trap::TableOutOfBounds => Trap::TableOutOfBounds,
        rt::Trap::UndefinedElement => Trap::UndefinedElement,
        rt::Trap::UninitializedElement => Trap::UninitializedElement,
        rt::Trap::IndirectCallTypeMismatch => Trap::IndirectCallTypeMismatch,
        rt::Trap::CallStackExhausted => Trap::CallStackExhausted,
        rt::Trap::Host(message) => Trap::Host(message.clone()),
    }
}

fn to_kind(kind: rt::EventKind) -> SafePointKind {
    kind.to_image()
}

fn stop_of(options: &RunOptions) -> Option<rt::StopAt> {
    let request = options.stop?;
    let kinds: Vec<rt::EventKind> = rt::EventKind::ALL
        .into_iter()
        .filter(|kind| request.kinds.contains(kind.to_image()))
        .collect();
    Some(rt::StopAt {
        kinds: rt::KindSet::of(&kinds),
        event: request.at,
    })
}

impl RegisterEngine {
    fn instance_mut(&mut self, id: InstanceId) -> Result<&mut Instance, EngineError> {
        self.instances
            .get_mut(id.0 as usize)
            .map(|(instance, _)| instance)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn module(&self, id: ModuleId) -> Result<&Module, EngineError> {
        self.modules
            .get(id.0 as usize)
            .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
    }

    fn imports(
        &self,
        module: &Module,
        handles: &[ExternHandle],
    ) -> Result<rt::Imports, EngineError> {
        let declared = &module.info().imports;
        if declared.len() != handles.len() {
            return Err(EngineError::Link(format!(
                "module has {} imports, {} given",
                declared.len(),
                handles.len()
            )));
        }
        let mut imports = rt::Imports::new();
        for (import, handle) in declared.iter().zip(handles) {
            imports.define(&import.module, &import.name, get(&self.arena, *handle)?);
        }
        Ok(imports)
    }

    fn register(&mut self, instance: Instance) -> InstanceId {
        let exports = instance
            .exports()
            .into_iter()
            .map(|(name, ext)| (name, push(&self.arena, ext)))
            .collect();
        let id = InstanceId(u32::try_from(self.instances.len()).unwrap_or(u32::MAX));
        self.instances.push((instance, exports));
        id
    }

    fn report(&self, id: InstanceId, outcome: rt::RunOutcome) -> Result<RunReport, EngineError> {
        let events = self
            .instances
            .get(id.0 as usize)
            .map(|(instance, _)| instance.events_fired());
        let outcome = match outcome {
            rt::RunOutcome::Finished(values) => RunOutcome::Returned(
                values
                    .iter()
                    .map(|v| from_val(Some(&self.arena), v))
                    .collect(),
            ),
            rt::RunOutcome::Trapped(trap) => RunOutcome::Trapped(to_trap(&trap)),
            rt::RunOutcome::OutOfFuel => RunOutcome::OutOfFuel,
            rt::RunOutcome::Stopped(info) => RunOutcome::Suspended {
                kind: to_kind(info.kind),
                event: info.event,
            },
        };
        Ok(RunReport { outcome, events })
    }
}

impl Engine for RegisterEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        let module = Module::new(wasm).map_err(|e| EngineError::Rejected(e.to_string()))?;
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
            Instance::instantiate(&module, &imports, self.config).map_err(|e| match e {
                rt::InstantiationError::Trap(trap) => {
                    EngineError::InstantiationTrap(to_trap(&trap))
                }
                other => EngineError::Link(other.to_string()),
            })?;
        Ok(self.register(instance))
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        let rt_ty = rt::FuncType::new(
            ty.params.iter().copied().map(to_type).collect::<Vec<_>>(),
            ty.results.iter().copied().map(to_type).collect::<Vec<_>>(),
        );
        // A weak reference: the arena owns this function, so a strong one would be a cycle that
        // leaks the whole session (every memory of every instance) when it is dropped.
        let weak = Rc::downgrade(&self.arena);
        let host = rt::HostFunc::new(rt_ty, move |args: &[rt::Val]| {
            let arena = weak
                .upgrade()
                .ok_or_else(|| rt::Trap::Host("host function outlived its session".into()))?;
            let args: Vec<Value> = args.iter().map(|v| from_val(Some(&arena), v)).collect();
            let results = func(&args).map_err(rt::Trap::Host)?;
            results
                .into_iter()
                .map(|v| to_val(&arena, v).map_err(|e| rt::Trap::Host(e.to_string())))
                .collect()
        });
        Ok(push(&self.arena, rt::Extern::Func(rt::FuncRef::Host(host))))
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        let value = to_val(&self.arena, init)?;
        let global = rt::Global::new_handle(
            rt::GlobalType {
                content: to_type(ty.content),
                mutable: ty.mutable,
            },
            value,
        )
        .ok_or_else(|| EngineError::BadArguments(format!("global initialised with {init}")))?;
        Ok(push(&self.arena, rt::Extern::Global(global)))
    }

    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
        let elem = match ty.element {
            ValType::FuncRef => rt::RefType::Func,
            ValType::ExternRef => rt::RefType::Extern,
            other => return Err(EngineError::Other(format!("table of {other:?}"))),
        };
        let table = rt::Table::new_handle(
            rt::TableType {
                elem,
                min: u64::from(ty.min),
                max: ty.max.map(u64::from),
            },
            elem.null(),
        )
        .ok_or_else(|| EngineError::Other("cannot allocate table".into()))?;
        Ok(push(&self.arena, rt::Extern::Table(table)))
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        let memory = rt::Memory::new_handle(rt::MemoryType {
            min: u64::from(ty.min),
            max: ty.max.map(u64::from),
        })
        .ok_or_else(|| EngineError::Other("cannot allocate memory".into()))?;
        Ok(push(&self.arena, rt::Extern::Memory(memory)))
    }

    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError> {
        self.instances
            .get(instance.0 as usize)
            .map(|(_, exports)| exports.clone())
            .ok_or_else(|| EngineError::BadHandle(format!("{instance:?}")))
    }

    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
        match get(&self.arena, global)? {
            rt::Extern::Global(global) => Ok(from_val(None, global.borrow().get())),
            _ => Err(EngineError::BadHandle(format!(
                "{global:?} is not a global"
            ))),
        }
    }

    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
        match get(&self.arena, memory)? {
            rt::Extern::Memory(memory) => Ok(memory.borrow().data().to_vec()),
            _ => Err(EngineError::BadHandle(format!(
                "{memory:?} is not a memory"
            ))),
        }
    }

    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
        match get(&self.arena, table)? {
            rt::Extern::Table(table) => Ok(table
                .borrow()
                .elements()
                .iter()
                .map(|v| from_val(None, v))
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
            .map(|v| to_val(&self.arena, *v))
            .collect::<Result<Vec<_>, _>>()?;
        let stop = stop_of(&options);
        let target = self.instance_mut(instance)?;
        target.set_fuel(options.fuel);
        let outcome = target.invoke(export, &args, stop).map_err(|e| match e {
            rt::InvokeError::MissingExport(name) | rt::InvokeError::NotAFunction(name) => {
                EngineError::NoSuchExport {
                    kind: "function",
                    name,
                }
            }
            other => EngineError::BadArguments(other.to_string()),
        })?;
        self.report(instance, outcome)
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let stop = stop_of(&options);
        let target = self.instance_mut(instance)?;
        target.set_fuel(options.fuel);
        let outcome = target
            .resume(stop)
            .map_err(|e| EngineError::Other(e.to_string()))?;
        self.report(instance, outcome)
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        self.instance_mut(instance)?
            .image()
            .map_err(|e| super::image_error(&e))
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let module = self.module(module)?.clone();
        let imports = self.imports(&module, imports)?;
        let instance = Instance::restore(&module, image, &imports, self.config)
            .map_err(|e| EngineError::Restore(e.to_string()))?;
        Ok(self.register(instance))
    }
}
