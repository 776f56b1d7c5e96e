//! The wasmi adapter body shared by every wasmi version the harness links ([`super::wasmi`],
//! 2.0, the primary oracle, and [`super::wasmi_v1`], 1.x, the tie-breaker): the two APIs differ
//! only in a few names (nullable references, zero values) and in how tables hold elements, so one macro
//! expands the session, value conversions, trap mapping and [`baton_engine::Engine`] impl for
//! either crate.
//!
//! Invariants: uninterrupted runs only (every checkpoint operation answers `Unsupported`); the
//! configuration is baton's feature set, Wasm 2.0 (mutable globals, sign extension, saturating
//! float-to-int, multi-value, bulk memory, reference types on; every later proposal off), no
//! fuel, recursion limited to [`baton_engine::EngineConfig::max_frames`]. Handles index an arena
//! kept in the store's data, so host functions can translate function references too. An
//! instantiation that fails in an active segment is repaired before it is reported (see
//! [`super::wasmi_segments`]: wasmi leaves functions of an unfinished instance in imported
//! tables, and calling one that reads its globals crashes the process).
//!
//! The invoking module must define `NAME`, `new_table(&mut Store<Arena>, TableType)` and
//! `table_element(&Store<Arena>, Table, u64)` (the version-specific table code).

/// Expands a wasmi adapter for crate `$wasmi`, whose nullable reference type is `$null` and
/// whose zero-value constructor is `Val::$default_for`.
macro_rules! wasmi_adapter {
    ($wasmi:ident, $null:ident, $default_for:ident) => {
        use $wasmi::{
            errors::{ErrorKind, InstantiationError},
            $null, AsContextMut, Config, Extern, ExternRef, Func, Global, Instance, Memory, Module,
            Mutability, Store, Table, TrapCode, Val,
        };

        use crate::imports::read_imports;
        use baton_engine::{
            Engine, EngineConfig, EngineError, ExternHandle, ExternKind, HostFunc, InstanceId,
            ModuleId, RunOptions, RunOutcome, RunReport, Trap,
        };
        use baton_engine::{FuncIdentity, FuncSpace, Identities};
        use baton_engine::{FuncType, GlobalType, MemoryType, TableType, ValType, Value};

        /// Extern handles of one session, kept in the store so host functions can reach them.
        #[derive(Default)]
        struct Arena {
            externs: Vec<Extern>,
        }

        impl Arena {
            fn push(&mut self, ext: Extern) -> ExternHandle {
                let kind = match &ext {
                    Extern::Func(_) => ExternKind::Func,
                    Extern::Table(_) => ExternKind::Table,
                    Extern::Memory(_) => ExternKind::Memory,
                    Extern::Global(_) => ExternKind::Global,
                };
                let id = u32::try_from(self.externs.len()).unwrap_or(u32::MAX);
                self.externs.push(ext);
                ExternHandle { kind, id }
            }

            fn get(&self, handle: ExternHandle) -> Result<&Extern, EngineError> {
                usize::try_from(handle.id)
                    .ok()
                    .and_then(|index| self.externs.get(index))
                    .ok_or_else(|| EngineError::BadHandle(format!("{handle:?}")))
            }
        }

        /// A session of this wasmi version.
        pub struct Session {
            store: Store<Arena>,
            /// Compiled modules with their imports' declared kinds, in declaration order,
            /// their function index spaces and their bytes (for [`Session::repair`]).
            modules: Vec<(Module, Vec<ExternKind>, FuncSpace, Vec<u8>)>,
            /// Instances with their exports (in the module's export order), registered in the
            /// arena, and the identities of their visible functions.
            instances: Vec<(Instance, Vec<(String, ExternHandle)>, Identities<String>)>,
        }

        /// A function's identity key: wasmi's `Func` has no `Eq`, but its `Debug` form is its
        /// store id and its index in the store's function arena, which is what makes two handles
        /// the same function (`harness/tests/instrumented.rs` checks that keys separate distinct
        /// functions and match across an export, a table slot and a global).
        fn func_key(func: &Func) -> String {
            format!("{func:?}")
        }

        /// wasmi's value-stack limit (1 MB by default): raised so that `max_frames` is the limit
        /// a recursion reaches first, as on baton's engines, also for functions with many locals
        /// (spec `skip-stack-guard-page.wast`, and modules rewritten by `baton instrument`,
        /// which add spill locals). The stack grows only as deep as a run goes.
        const MAX_VALUE_STACK_BYTES: usize = 256 << 20;

        /// Creates a session.
        pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
            let mut wasmi_config = Config::default();
            wasmi_config
                .wasm_mutable_global(true)
                .wasm_sign_extension(true)
                .wasm_saturating_float_to_int(true)
                .wasm_multi_value(true)
                .wasm_bulk_memory(true)
                .wasm_reference_types(true)
                .wasm_multi_memory(false)
                .wasm_tail_call(false)
                .wasm_extended_const(false)
                .wasm_memory64(false)
                .wasm_custom_page_sizes(false)
                .wasm_wide_arithmetic(false)
                .consume_fuel(false)
                .set_max_recursion_depth(usize::try_from(config.max_frames).unwrap_or(usize::MAX))
                .set_max_stack_height(MAX_VALUE_STACK_BYTES);
            let engine = $wasmi::Engine::new(&wasmi_config);
            Box::new(Session {
                store: Store::new(&engine, Arena::default()),
                modules: Vec::new(),
                instances: Vec::new(),
            })
        }

        fn to_wasmi_type(ty: ValType) -> $wasmi::ValType {
            match ty {
                ValType::I32 => $wasmi::ValType::I32,
                ValType::I64 => $wasmi::ValType::I64,
                ValType::F32 => $wasmi::ValType::F32,
                ValType::F64 => $wasmi::ValType::F64,
                ValType::FuncRef => $wasmi::ValType::FuncRef,
                ValType::ExternRef => $wasmi::ValType::ExternRef,
            }
        }

        /// Converts a harness value into wasmi's, allocating extern references in the store.
        fn to_wasmi(
            mut ctx: impl AsContextMut<Data = Arena>,
            value: Value,
        ) -> Result<Val, EngineError> {
            Ok(match value {
                Value::I32(v) => Val::I32(v),
                Value::I64(v) => Val::I64(v),
                Value::F32(bits) => Val::F32($wasmi::F32::from_bits(bits)),
                Value::F64(bits) => Val::F64($wasmi::F64::from_bits(bits)),
                Value::FuncRef(None) => Val::FuncRef($null::Null),
                Value::FuncRef(Some(id)) => {
                    let handle = ExternHandle {
                        kind: ExternKind::Func,
                        id,
                    };
                    match ctx.as_context().data().get(handle)? {
                        Extern::Func(func) => Val::FuncRef($null::Val(*func)),
                        _ => return Err(EngineError::BadHandle(format!("funcref {id}"))),
                    }
                }
                Value::ExternRef(None) => Val::ExternRef($null::Null),
                Value::ExternRef(Some(handle)) => {
                    Val::ExternRef($null::Val(ExternRef::new(ctx.as_context_mut(), handle)))
                }
            })
        }

        /// Converts a wasmi value into the harness's, registering function references in the arena.
        fn from_wasmi(
            mut ctx: impl AsContextMut<Data = Arena>,
            value: &Val,
        ) -> Result<Value, EngineError> {
            Ok(match value {
                Val::I32(v) => Value::I32(*v),
                Val::I64(v) => Value::I64(*v),
                Val::F32(v) => Value::F32(v.to_bits()),
                Val::F64(v) => Value::F64(v.to_bits()),
                Val::V128(_) => {
                    return Err(EngineError::Other(
                        "v128 is outside baton's feature set".into(),
                    ))
                }
                Val::FuncRef($null::Null) => Value::FuncRef(None),
                Val::FuncRef($null::Val(func)) => {
                    let handle = ctx.as_context_mut().data_mut().push(Extern::Func(*func));
                    Value::FuncRef(Some(handle.id))
                }
                Val::ExternRef($null::Null) => Value::ExternRef(None),
                Val::ExternRef($null::Val(ext)) => {
                    let data = ext.data(ctx.as_context());
                    match data.downcast_ref::<u64>() {
                        Some(handle) => Value::ExternRef(Some(*handle)),
                        None => {
                            return Err(EngineError::Other("externref not created by baton".into()))
                        }
                    }
                }
            })
        }

        /// Checks a host function's results against its signature and converts them into
        /// wasmi's result slots.
        fn store_results(
            mut ctx: impl AsContextMut<Data = Arena>,
            values: Vec<Value>,
            types: &[ValType],
            results: &mut [Val],
        ) -> Result<(), $wasmi::Error> {
            let types_match =
                values.len() == types.len() && values.iter().zip(types).all(|(v, t)| v.ty() == *t);
            if !types_match || values.len() != results.len() {
                return Err($wasmi::Error::new(
                    "host function returned mistyped results",
                ));
            }
            for (slot, value) in results.iter_mut().zip(values) {
                *slot = to_wasmi(&mut ctx, value)
                    .map_err(|error| $wasmi::Error::new(error.to_string()))?;
            }
            Ok(())
        }

        // wasmi 2.0 has one more resource-limit code than 1.x; both end in the catch-all.
        #[allow(unreachable_patterns)]
        fn trap_from_code(code: TrapCode) -> Option<Trap> {
            Some(match code {
                TrapCode::UnreachableCodeReached => Trap::Unreachable,
                TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
                TrapCode::TableOutOfBounds => Trap::TableOutOfBounds,
                TrapCode::IndirectCallToNull => Trap::UninitializedElement,
                TrapCode::IntegerDivisionByZero => Trap::IntegerDivideByZero,
                TrapCode::IntegerOverflow => Trap::IntegerOverflow,
                TrapCode::BadConversionToInteger => Trap::InvalidConversionToInteger,
                TrapCode::StackOverflow => Trap::CallStackExhausted,
                TrapCode::BadSignature => Trap::IndirectCallTypeMismatch,
                // Resource-limit codes (fuel, growth limits, host memory) are not Wasm traps.
                _ => return None,
            })
        }

        /// The trap a wasmi error stands for, if it is one.
        fn trap_of(error: &$wasmi::Error) -> Option<Trap> {
            if let Some(code) = error.as_trap_code() {
                return trap_from_code(code);
            }
            match error.kind() {
                ErrorKind::Message(message) => Some(Trap::Host(message.to_string())),
                ErrorKind::Host(host) => Some(Trap::Host(host.to_string())),
                _ => None,
            }
        }

        impl Session {
            /// After an instantiation of `wasm` failed in an active segment: instantiates it
            /// again with its segments applied by its start function, which overwrites the
            /// entries the failed one left in imported tables with functions of a finished
            /// instance, and fails at the same segment (see
            /// [`crate::adapters::wasmi_segments`]).
            fn repair(&mut self, wasm: &[u8], externs: &[Extern]) -> Result<(), EngineError> {
                let rewritten = crate::adapters::wasmi_segments::segments_in_start(wasm)
                    .map_err(|error| EngineError::Other(format!("segment repair: {error}")))?;
                let module = Module::new(self.store.engine(), &rewritten[..])
                    .map_err(|error| EngineError::Other(format!("segment repair: {error}")))?;
                match Instance::new(&mut self.store, &module, externs) {
                    Err(error) if trap_of(&error).is_some() => Ok(()),
                    Err(error) => Err(EngineError::Other(format!("segment repair: {error}"))),
                    Ok(_) => Err(EngineError::Other(
                        "segment repair: the segments fit the second time".into(),
                    )),
                }
            }

            fn module(&self, id: ModuleId) -> Result<&Module, EngineError> {
                usize::try_from(id.0)
                    .ok()
                    .and_then(|index| self.modules.get(index))
                    .map(|(module, _, _, _)| module)
                    .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
            }

            fn instance(&self, id: InstanceId) -> Result<Instance, EngineError> {
                usize::try_from(id.0)
                    .ok()
                    .and_then(|index| self.instances.get(index))
                    .map(|(instance, _, _)| *instance)
                    .ok_or_else(|| EngineError::BadHandle(format!("{id:?}")))
            }

            fn push_extern(&mut self, ext: Extern) -> ExternHandle {
                self.store.data_mut().push(ext)
            }

            fn global(&self, handle: ExternHandle) -> Result<Global, EngineError> {
                match self.store.data().get(handle)? {
                    Extern::Global(global) => Ok(*global),
                    _ => Err(EngineError::BadHandle(format!(
                        "{handle:?} is not a global"
                    ))),
                }
            }
        }

        /// wasmi's import grouping order.
        fn kind_rank(kind: ExternKind) -> u8 {
            match kind {
                ExternKind::Func => 0,
                ExternKind::Table => 1,
                ExternKind::Memory => 2,
                ExternKind::Global => 3,
            }
        }

        /// wasmi checks that active element segments fit before initialising any; the spec calls
        /// that an instantiation trap.
        /// Whether instantiation stopped at an active segment that does not fit: the instance
        /// was left unfinished (see [`crate::adapters::wasmi_segments`]).
        fn failed_in_a_segment(error: &$wasmi::Error) -> bool {
            matches!(
                error.kind(),
                ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. })
                    | ErrorKind::Memory(_)
            )
        }

        fn instantiation_trap(error: &$wasmi::Error) -> Option<Trap> {
            match error.kind() {
                ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit {
                    ..
                }) => Some(Trap::TableOutOfBounds),
                _ => trap_of(error),
            }
        }

        /// Converts a value read from a global or table: function references need arena
        /// registration, which needs `&mut`, so they are reported by null-ness with a stable
        /// placeholder identity.
        fn stored_value(store: &Store<Arena>, value: Val) -> Result<Value, EngineError> {
            match value {
                Val::FuncRef($null::Val(_)) => Ok(Value::FuncRef(Some(u32::MAX))),
                Val::ExternRef($null::Val(ext)) => match ext.data(store).downcast_ref::<u64>() {
                    Some(handle) => Ok(Value::ExternRef(Some(*handle))),
                    None => Err(EngineError::Other("externref not created by baton".into())),
                },
                Val::V128(_) => Err(EngineError::Other("v128 value".into())),
                Val::I32(v) => Ok(Value::I32(v)),
                Val::I64(v) => Ok(Value::I64(v)),
                Val::F32(v) => Ok(Value::F32(v.to_bits())),
                Val::F64(v) => Ok(Value::F64(v.to_bits())),
                Val::FuncRef($null::Null) => Ok(Value::FuncRef(None)),
                Val::ExternRef($null::Null) => Ok(Value::ExternRef(None)),
            }
        }

        impl Engine for Session {
            fn name(&self) -> &'static str {
                NAME
            }

            /// wasmi uses one trap code for "out of bounds table access" and for `call_indirect` past
            /// the table's end ("undefined element"); its own message names both.
            fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
                &[(Trap::TableOutOfBounds, "undefined element")]
            }

            fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
                let module = Module::new(self.store.engine(), wasm)
                    .map_err(|error| EngineError::Rejected(error.to_string()))?;
                let kinds = read_imports(wasm)
                    .map_err(EngineError::Rejected)?
                    .into_iter()
                    .map(|decl| decl.kind)
                    .collect();
                let space = FuncSpace::read(wasm).map_err(EngineError::Rejected)?;
                let id = ModuleId(u32::try_from(self.modules.len()).unwrap_or(u32::MAX));
                self.modules.push((module, kinds, space, wasm.to_vec()));
                Ok(id)
            }

            fn instantiate(
                &mut self,
                module: ModuleId,
                imports: &[ExternHandle],
            ) -> Result<InstanceId, EngineError> {
                let (kinds, space, wasm) = usize::try_from(module.0)
                    .ok()
                    .and_then(|index| self.modules.get(index))
                    .map(|(_, kinds, space, wasm)| (kinds.clone(), space.clone(), wasm.clone()))
                    .unwrap_or_default();
                let module = self.module(module)?.clone();
                if kinds.len() != imports.len() {
                    return Err(EngineError::Link(format!(
                        "module has {} imports, {} given",
                        kinds.len(),
                        imports.len()
                    )));
                }
                // wasmi lists a module's imports grouped by kind (functions, tables, memories, globals),
                // each group in declaration order: reorder the declaration-ordered handles to match.
                let mut order: Vec<usize> = (0..imports.len()).collect();
                order.sort_by_key(|&index| kinds.get(index).map(|kind| kind_rank(*kind)));
                let externs = order
                    .iter()
                    .filter_map(|&index| imports.get(index))
                    .map(|handle| self.store.data().get(*handle).cloned())
                    .collect::<Result<Vec<_>, _>>()?;
                let instance = match Instance::new(&mut self.store, &module, &externs) {
                    Ok(instance) => instance,
                    Err(error) => {
                        if failed_in_a_segment(&error) {
                            self.repair(&wasm, &externs)?;
                        }
                        return Err(match instantiation_trap(&error) {
                            Some(trap) => EngineError::InstantiationTrap(trap),
                            None => EngineError::Link(error.to_string()),
                        });
                    }
                };
                let names: Vec<String> = module.exports().map(|e| e.name().to_string()).collect();
                let mut exports = Vec::with_capacity(names.len());
                let mut func_exports = Vec::new();
                for name in names {
                    if let Some(ext) = instance.get_export(&self.store, &name) {
                        if let Extern::Func(func) = &ext {
                            func_exports.push((name.clone(), func_key(func)));
                        }
                        let handle = self.push_extern(ext);
                        exports.push((name, handle));
                    }
                }
                let func_imports = externs.iter().filter_map(|ext| match ext {
                    Extern::Func(func) => Some(func_key(func)),
                    _ => None,
                });
                let identities = Identities::new(
                    &space,
                    func_imports,
                    func_exports
                        .iter()
                        .map(|(name, key)| (name.as_str(), key.clone())),
                );
                let id = InstanceId(u32::try_from(self.instances.len()).unwrap_or(u32::MAX));
                self.instances.push((instance, exports, identities));
                Ok(id)
            }

            fn host_func(
                &mut self,
                ty: &FuncType,
                func: HostFunc,
            ) -> Result<ExternHandle, EngineError> {
                let wasmi_ty = $wasmi::FuncType::new(
                    ty.params.iter().copied().map(to_wasmi_type),
                    ty.results.iter().copied().map(to_wasmi_type),
                );
                let result_types = ty.results.clone();
                let host = Func::new(
                    &mut self.store,
                    wasmi_ty,
                    move |mut caller, params: &[Val], results: &mut [Val]| {
                        let args = params
                            .iter()
                            .map(|param| from_wasmi(&mut caller, param))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|error| $wasmi::Error::new(error.to_string()))?;
                        let values = func(&args).map_err($wasmi::Error::new)?;
                        store_results(&mut caller, values, &result_types, results)
                    },
                );
                Ok(self.push_extern(Extern::Func(host)))
            }

            fn host_func_with_memory(
                &mut self,
                ty: &FuncType,
                func: baton_engine::MemoryHostFunc,
            ) -> Result<ExternHandle, EngineError> {
                let wasmi_ty = $wasmi::FuncType::new(
                    ty.params.iter().copied().map(to_wasmi_type),
                    ty.results.iter().copied().map(to_wasmi_type),
                );
                let result_types = ty.results.clone();
                let host = Func::new(
                    &mut self.store,
                    wasmi_ty,
                    move |mut caller: $wasmi::Caller<'_, Arena>,
                          params: &[Val],
                          results: &mut [Val]| {
                        let args = params
                            .iter()
                            .map(|param| from_wasmi(&mut caller, param))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|error| $wasmi::Error::new(error.to_string()))?;
                        // The caller's exported memory (see baton_engine::memory).
                        let memory = caller
                            .get_export(baton_engine::CALLER_MEMORY_EXPORT)
                            .and_then(Extern::into_memory);
                        let values = match memory {
                            Some(memory) => func(
                                &mut baton_engine::SliceMemory(memory.data_mut(&mut caller)),
                                &args,
                            ),
                            None => func(&mut baton_engine::SliceMemory(&mut []), &args),
                        }
                        .map_err($wasmi::Error::new)?;
                        store_results(&mut caller, values, &result_types, results)
                    },
                );
                Ok(self.push_extern(Extern::Func(host)))
            }

            fn host_global(
                &mut self,
                ty: GlobalType,
                init: Value,
            ) -> Result<ExternHandle, EngineError> {
                if init.ty() != ty.content {
                    return Err(EngineError::BadArguments(format!(
                        "global of {:?} initialised with {init}",
                        ty.content
                    )));
                }
                let value = to_wasmi(&mut self.store, init)?;
                let mutability = if ty.mutable {
                    Mutability::Var
                } else {
                    Mutability::Const
                };
                let global = Global::new(&mut self.store, value, mutability);
                Ok(self.push_extern(Extern::Global(global)))
            }

            fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
                let table = new_table(&mut self.store, ty)?;
                Ok(self.push_extern(Extern::Table(table)))
            }

            fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
                let memory = Memory::new(&mut self.store, $wasmi::MemoryType::new(ty.min, ty.max))
                    .map_err(|error| EngineError::Other(error.to_string()))?;
                Ok(self.push_extern(Extern::Memory(memory)))
            }

            fn exports(
                &self,
                instance: InstanceId,
            ) -> Result<Vec<(String, ExternHandle)>, EngineError> {
                usize::try_from(instance.0)
                    .ok()
                    .and_then(|index| self.instances.get(index))
                    .map(|(_, exports, _)| exports.clone())
                    .ok_or_else(|| EngineError::BadHandle(format!("{instance:?}")))
            }

            fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
                stored_value(&self.store, self.global(global)?.get(&self.store))
            }

            fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
                match self.store.data().get(memory)? {
                    Extern::Memory(memory) => Ok(memory.data(&self.store).to_vec()),
                    _ => Err(EngineError::BadHandle(format!(
                        "{memory:?} is not a memory"
                    ))),
                }
            }

            fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
                let table = match self.store.data().get(table)? {
                    Extern::Table(table) => *table,
                    _ => return Err(EngineError::BadHandle(format!("{table:?} is not a table"))),
                };
                let size = table.size(&self.store);
                (0..size)
                    .map(|index| table_element(&self.store, table, index))
                    .collect()
            }

            /// Identified by comparing with the instance's imported and exported functions (see
            /// [`Identities`]): every function of an instrumented module is exported.
            fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
                let Value::FuncRef(Some(id)) = value else {
                    return None;
                };
                let handle = ExternHandle {
                    kind: ExternKind::Func,
                    id: *id,
                };
                let Ok(Extern::Func(func)) = self.store.data().get(handle) else {
                    return None;
                };
                let (_, _, identities) = usize::try_from(instance.0)
                    .ok()
                    .and_then(|index| self.instances.get(index))?;
                identities.identify(&func_key(func))
            }

            fn invoke(
                &mut self,
                instance: InstanceId,
                export: &str,
                args: &[Value],
                options: RunOptions,
            ) -> Result<RunReport, EngineError> {
                if options.stop.is_some() {
                    return Err(self.unsupported("stopping at safe points"));
                }
                if options.fuel.is_some() {
                    return Err(self.unsupported("event fuel"));
                }
                let instance = self.instance(instance)?;
                let func = instance
                    .get_export(&self.store, export)
                    .and_then(Extern::into_func)
                    .ok_or_else(|| EngineError::NoSuchExport {
                        kind: "function".into(),
                        name: export.to_string(),
                    })?;
                let ty = func.ty(&self.store);
                if ty.params().len() != args.len() {
                    return Err(EngineError::BadArguments(format!(
                        "{export} takes {} arguments, got {}",
                        ty.params().len(),
                        args.len()
                    )));
                }
                let inputs = args
                    .iter()
                    .map(|arg| to_wasmi(&mut self.store, *arg))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut outputs: Vec<Val> = ty
                    .results()
                    .iter()
                    .map(|ty| Val::$default_for(*ty))
                    .collect();
                let outcome = match func.call(&mut self.store, &inputs, &mut outputs) {
                    Ok(()) => RunOutcome::Returned(
                        outputs
                            .iter()
                            .map(|value| from_wasmi(&mut self.store, value))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    Err(error) => match trap_of(&error) {
                        Some(trap) => RunOutcome::Trapped(trap),
                        None => return Err(EngineError::Other(error.to_string())),
                    },
                };
                Ok(RunReport {
                    outcome,
                    events: None,
                })
            }
        }
    };
}

pub(crate) use wasmi_adapter;
