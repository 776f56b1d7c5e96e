//! Engines that wrap a real engine and change what it reports (the harness's corruption
//! mutants, test adapters that fake engine bugs, an adapter that adds logging): implement [`Wrapper`] and get
//! [`Engine`] for free. Every operation is forwarded to the inner engine; the hooks see (and may
//! change) what comes back.
//!
//! Invariant: a wrapper never changes handles: the ids the inner engine issues are the ids the
//! wrapper's callers see, so a wrapper is as good as its inner engine for every operation it does
//! not hook.

use baton_checkpoint::image::Image;

use crate::{
    Engine, EngineError, ExternHandle, FuncIdentity, FuncType, GlobalType, HostFunc, InstanceId,
    KindSet, MemoryHostFunc, MemoryType, ModuleId, RunOptions, RunReport, TableType, Trap, Value,
};

/// An engine wrapped around another one; see the module docs.
pub trait Wrapper {
    /// The wrapped engine.
    fn inner(&self) -> &dyn Engine;
    /// The wrapped engine, mutably.
    fn inner_mut(&mut self) -> &mut dyn Engine;
    /// The name the wrapper reports (default: the inner engine's).
    fn wrapper_name(&self) -> &str {
        self.inner().name()
    }
    /// Called with each instance the inner engine instantiated.
    fn after_instantiate(&mut self, instance: InstanceId) {
        let _ = instance;
    }
    /// Called with the options of every `invoke` and `resume` before they reach the inner engine.
    fn before_run(&mut self, instance: InstanceId, options: &mut RunOptions) {
        let _ = (instance, options);
    }
    /// Called with every image about to be restored; `Some` replaces what the inner engine
    /// restores (a restore-side bug), `None` (the default) restores the image as given.
    fn before_restore(&mut self, image: &Image) -> Option<Image> {
        let _ = image;
        None
    }
    /// Called with the report of every `invoke` and `resume`.
    fn after_run(&mut self, instance: InstanceId, report: &mut RunReport) {
        let _ = (instance, report);
    }
    /// Called with every image the inner engine took.
    fn after_take_image(&mut self, instance: InstanceId, image: &mut Image) {
        let _ = (instance, image);
    }
    /// Called with each instance the inner engine restored, and the image it came from.
    fn after_restore(&mut self, instance: InstanceId, image: &Image) {
        let _ = (instance, image);
    }
}

impl<W: Wrapper> Engine for W {
    fn name(&self) -> &str {
        self.wrapper_name()
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, EngineError> {
        self.inner_mut().compile(wasm)
    }

    fn instantiate(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
    ) -> Result<InstanceId, EngineError> {
        let instance = self.inner_mut().instantiate(module, imports)?;
        self.after_instantiate(instance);
        Ok(instance)
    }

    fn host_func(&mut self, ty: &FuncType, func: HostFunc) -> Result<ExternHandle, EngineError> {
        self.inner_mut().host_func(ty, func)
    }

    fn host_func_with_memory(
        &mut self,
        ty: &FuncType,
        func: MemoryHostFunc,
    ) -> Result<ExternHandle, EngineError> {
        self.inner_mut().host_func_with_memory(ty, func)
    }

    fn host_global(&mut self, ty: GlobalType, init: Value) -> Result<ExternHandle, EngineError> {
        self.inner_mut().host_global(ty, init)
    }

    fn host_table(&mut self, ty: TableType) -> Result<ExternHandle, EngineError> {
        self.inner_mut().host_table(ty)
    }

    fn host_memory(&mut self, ty: MemoryType) -> Result<ExternHandle, EngineError> {
        self.inner_mut().host_memory(ty)
    }

    fn exports(&self, instance: InstanceId) -> Result<Vec<(String, ExternHandle)>, EngineError> {
        self.inner().exports(instance)
    }

    fn global_value(&self, global: ExternHandle) -> Result<Value, EngineError> {
        self.inner().global_value(global)
    }

    fn memory_data(&self, memory: ExternHandle) -> Result<Vec<u8>, EngineError> {
        self.inner().memory_data(memory)
    }

    fn table_elements(&self, table: ExternHandle) -> Result<Vec<Value>, EngineError> {
        self.inner().table_elements(table)
    }

    fn invoke(
        &mut self,
        instance: InstanceId,
        export: &str,
        args: &[Value],
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let mut options = options;
        self.before_run(instance, &mut options);
        let mut report = self.inner_mut().invoke(instance, export, args, options)?;
        self.after_run(instance, &mut report);
        Ok(report)
    }

    fn resume(
        &mut self,
        instance: InstanceId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let mut options = options;
        self.before_run(instance, &mut options);
        let mut report = self.inner_mut().resume(instance, options)?;
        self.after_run(instance, &mut report);
        Ok(report)
    }

    fn take_image(&mut self, instance: InstanceId) -> Result<Image, EngineError> {
        let mut image = self.inner_mut().take_image(instance)?;
        self.after_take_image(instance, &mut image);
        Ok(image)
    }

    fn restore(
        &mut self,
        module: ModuleId,
        imports: &[ExternHandle],
        image: &Image,
    ) -> Result<InstanceId, EngineError> {
        let instance = match self.before_restore(image) {
            Some(replaced) => self.inner_mut().restore(module, imports, &replaced)?,
            None => self.inner_mut().restore(module, imports, image)?,
        };
        self.after_restore(instance, image);
        Ok(instance)
    }

    fn func_identity(&self, instance: InstanceId, value: &Value) -> Option<FuncIdentity> {
        self.inner().func_identity(instance, value)
    }

    fn safe_point_kinds(&self) -> KindSet {
        self.inner().safe_point_kinds()
    }

    fn locates_stops(&self) -> bool {
        self.inner().locates_stops()
    }

    fn trap_aliases(&self) -> &'static [(Trap, &'static str)] {
        self.inner().trap_aliases()
    }

    fn exhausted_native_stack(&self, instance: InstanceId) -> bool {
        self.inner().exhausted_native_stack(instance)
    }
}
