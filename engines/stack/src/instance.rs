//! Instances and the driving API: instantiate, invoke, run until an outcome, resume, abandon.
//! Imaging and restoring live in [`crate::checkpoint`].
//!
//! Invariants: an [`Instance`] holds a thread only while a call is stopped; `Core::handle` (an
//! [`InstanceLink`], a weak link to the `Core`) is the allocation every
//! [`baton_runtime::WasmFunc`] of this instance points to (its identity). Function references
//! therefore never keep a `Core` alive: the [`Instance`] value (and a running call) does, so an
//! instance whose tables hold its own functions is freed when its `Instance` is dropped.

use std::any::Any;
use std::rc::Rc;

use baton_runtime::{
    Config, Extern, Imports, InstanceLink, InstanceObjects, InstantiationError, InvokeError,
    RunOutcome, StopAt, Trap, Val,
};

use crate::exec::thread::Thread;
use crate::module::Module;

/// The shared part of an instance: its module and store objects.
pub(crate) struct Core {
    pub module: Module,
    pub objects: InstanceObjects,
    /// This instance's identity handle: an [`InstanceLink`] to this `Core`.
    pub handle: Rc<dyn Any>,
}

/// An instance of a module on the stack engine.
pub struct Instance {
    pub(crate) core: Rc<Core>,
    pub(crate) config: Config,
    pub(crate) thread: Option<Thread>,
    /// Main events fired so far by the current or last invocation.
    pub(crate) events_fired: u64,
}

impl Instance {
    /// Links `module` against `imports`, initialises it and runs its start function.
    pub fn instantiate(
        module: &Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Instance, InstantiationError> {
        let instance = Instance::link(module, imports, config)?;
        instance.initialize(module, &config).map_err(|trap| {
            // The failed instance's functions may now sit in imported tables (or wherever its
            // start function put them); the spec keeps them callable, and nobody owns it.
            if instance.core.objects.references_may_escape() {
                InstanceLink::pin(&instance.core.handle, instance.core.clone());
            }
            InstantiationError::Trap(trap)
        })?;
        Ok(instance)
    }

    /// Evaluates initialisers, applies active segments and runs the start function.
    fn initialize(&self, module: &Module, config: &Config) -> Result<(), Trap> {
        self.core.objects.initialize(&self.handle())?;
        if let Some(start) = module.info().start {
            let mut thread = Thread::new(start, Vec::new(), false, 0);
            match crate::exec::run(&self.core, &mut thread, None, config) {
                RunOutcome::Trapped(trap) => return Err(trap),
                RunOutcome::Finished(_) | RunOutcome::OutOfFuel | RunOutcome::Stopped(_) => {}
            }
        }
        Ok(())
    }

    /// Links and allocates without initialising (restore starts from here).
    pub(crate) fn link(
        module: &Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Instance, InstantiationError> {
        let objects = InstanceObjects::link(module.info_rc().clone(), imports)?;
        Ok(Instance {
            core: Rc::new_cyclic(|core| Core {
                module: module.clone(),
                objects,
                handle: InstanceLink::handle(core.clone()),
            }),
            config,
            thread: None,
            events_fired: 0,
        })
    }

    /// This instance's identity handle (what its function references point to).
    pub(crate) fn handle(&self) -> Rc<dyn Any> {
        self.core.handle.clone()
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.core.module
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Replaces the configuration (applies from the next run).
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// The export named `name`.
    pub fn export(&self, name: &str) -> Option<Extern> {
        let kind = self.core.module.info().export(name)?;
        self.core.objects.export_extern(kind, &self.handle())
    }

    /// Every export, in declaration order.
    pub fn exports(&self) -> Vec<(String, Extern)> {
        let this = self.handle();
        self.core
            .module
            .info()
            .exports
            .iter()
            .filter_map(|(name, kind)| {
                Some((name.clone(), self.core.objects.export_extern(*kind, &this)?))
            })
            .collect()
    }

    /// Whether a call is stopped (and can be imaged or resumed).
    pub fn is_stopped(&self) -> bool {
        self.thread.is_some()
    }

    /// The number of main-kind events (entry, loop, call, return) fired so far by the current
    /// (stopped) or last invocation; for a restored instance, counted from the image's event.
    pub fn events_fired(&self) -> u64 {
        self.events_fired
    }

    /// Drops a stopped call; the instance becomes idle (store changes stay).
    pub fn abandon(&mut self) {
        self.thread = None;
    }

    /// Calls the exported function `name` with `args`, running until an outcome (see
    /// [`RunOutcome`]); `stop` requests a stop at an event.
    pub fn invoke(
        &mut self,
        name: &str,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        let func = self.core.module.info().exported_func(name)?;
        self.start(func, name.to_string(), args, stop)
    }

    /// Calls function `func` (index space, imports included) with `args`.
    pub fn invoke_index(
        &mut self,
        func: u32,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        self.start(func, format!("#{func}"), args, stop)
    }

    fn start(
        &mut self,
        func: u32,
        label: String,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        if self.thread.is_some() {
            return Err(InvokeError::Busy);
        }
        self.core
            .module
            .info()
            .check_call_args(func, &label, args)?;
        let thread = Thread::new(func, args.to_vec(), true, 0);
        Ok(self.drive(thread, stop))
    }

    /// Continues a stopped call.
    pub fn resume(&mut self, stop: Option<StopAt>) -> Result<RunOutcome, InvokeError> {
        let thread = self.thread.take().ok_or(InvokeError::NotStopped)?;
        Ok(self.drive(thread, stop))
    }

    fn drive(&mut self, mut thread: Thread, stop: Option<StopAt>) -> RunOutcome {
        let outcome = crate::exec::run(&self.core, &mut thread, stop, &self.config);
        self.events_fired = thread.next_event;
        if let RunOutcome::Stopped(_) = outcome {
            self.thread = Some(thread);
        }
        outcome
    }
}
