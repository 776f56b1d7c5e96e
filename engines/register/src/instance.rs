//! [`Instance`]: the driving API (same shape as `baton-stack`, see `docs/driving.md`):
//! instantiate, invoke with an optional stop request, resume, abandon, image and restore.
//!
//! Invariants: at most one invocation is in progress per instance, and only while stopped
//! (`execution` is `Some` exactly then); a finished, trapped or out-of-fuel run leaves the
//! instance idle.
//!
//! Lifetimes: every `WasmFunc` of this instance points at `InstanceInner::handle`, an
//! [`InstanceLink`] holding only a `Weak` to the [`InstanceInner`] (also the references'
//! identity). Function references therefore never keep an instance alive: the [`Instance`] value
//! (and a running call) does, so an instance whose tables or globals hold its own functions is
//! freed when its `Instance` is dropped, and a call through a reference that outlived it traps.
//! A failed instantiation whose references may have escaped is pinned (see `docs/driving.md`).

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use baton_runtime::{
    Config, Extern, FuncRef, Imports, InstanceLink, InstanceObjects, InstantiationError,
    InvokeError, RunOutcome, StopAt, StopInfo, Trap, Val,
};

use crate::executor::{Events, Execution, Exit};
use crate::module::{Module, ModuleCode};
use crate::refs::RefPool;

/// The shared part of an instance: its code, store objects and reference pool.
pub struct InstanceInner {
    /// The module's compiled code.
    pub module: Rc<ModuleCode>,
    /// Memories, tables, globals, imports and segment flags.
    pub objects: InstanceObjects,
    /// References named by cells.
    pub refs: RefCell<RefPool>,
    /// This instance's identity handle: an [`InstanceLink`] (weak) to this `InstanceInner`.
    handle: Rc<dyn Any>,
}

impl InstanceInner {
    /// Wraps linked objects.
    pub(crate) fn new(module: Rc<ModuleCode>, objects: InstanceObjects) -> Rc<InstanceInner> {
        Rc::new_cyclic(|me| InstanceInner {
            module,
            objects,
            refs: RefCell::new(RefPool::default()),
            handle: InstanceLink::handle(me.clone()),
        })
    }

    /// This instance's handle, as held by `WasmFunc`s (an [`InstanceLink`] to `self`).
    pub fn this(&self) -> Rc<dyn Any> {
        self.handle.clone()
    }

    /// The address of this instance's handle: equal to `Rc::as_ptr` of the `instance` of
    /// exactly this instance's `WasmFunc`s.
    pub(crate) fn handle_addr(&self) -> *const () {
        Rc::as_ptr(&self.handle).cast::<()>()
    }

    /// The live instance a `WasmFunc`'s handle points to: traps if it was dropped or belongs
    /// to another engine.
    pub(crate) fn resolve(handle: &Rc<dyn Any>) -> Result<Rc<InstanceInner>, Trap> {
        InstanceLink::<InstanceInner>::resolve(handle)
    }
}

/// An instance of a [`Module`].
pub struct Instance {
    pub(crate) inner: Rc<InstanceInner>,
    pub(crate) config: Config,
    pub(crate) execution: Option<Execution>,
    /// Events fired by the current (or last) invocation so far.
    pub(crate) events_fired: u64,
}

impl Instance {
    /// Links `module` against `imports`, initialises globals and segments and runs the start
    /// function.
    pub fn instantiate(
        module: &Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Instance, InstantiationError> {
        let objects = InstanceObjects::link(module.code.info.clone(), imports)?;
        let mut instance = Instance {
            inner: InstanceInner::new(module.code.clone(), objects),
            config,
            execution: None,
            events_fired: 0,
        };
        match instance.initialize(module) {
            Ok(()) => Ok(instance),
            Err(trap) => {
                // The failed instance's functions may now sit in imported tables (or wherever
                // its start function put them); the spec keeps them callable, and nobody owns it.
                if instance.inner.objects.references_may_escape() {
                    InstanceLink::pin(&instance.inner.handle, instance.inner.clone());
                }
                Err(InstantiationError::Trap(trap))
            }
        }
    }

    /// Evaluates initialisers, applies active segments and runs the start function.
    fn initialize(&mut self, module: &Module) -> Result<(), Trap> {
        self.inner.objects.initialize(&self.inner.this())?;
        if let Some(start) = module.code.info.start {
            match self.call(start, Vec::new(), None) {
                RunOutcome::Trapped(trap) => return Err(trap),
                RunOutcome::OutOfFuel => {
                    return Err(Trap::Host("start function ran out of fuel".into()))
                }
                _ => self.execution = None,
            }
        }
        Ok(())
    }

    /// Every export, in declaration order.
    pub fn exports(&self) -> Vec<(String, Extern)> {
        let this = self.inner.this();
        self.inner
            .module
            .info
            .exports
            .iter()
            .filter_map(|(name, kind)| {
                Some((
                    name.clone(),
                    self.inner.objects.export_extern(*kind, &this)?,
                ))
            })
            .collect()
    }

    /// The export named `name`.
    pub fn export(&self, name: &str) -> Option<Extern> {
        let kind = self.inner.module.info.export(name)?;
        self.inner.objects.export_extern(kind, &self.inner.this())
    }

    /// Invokes exported function `name`.
    pub fn invoke(
        &mut self,
        name: &str,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        let func = self.inner.module.info.exported_func(name)?;
        self.checked_invoke(func, name.to_string(), args, stop)
    }

    /// Invokes function `func` (index space).
    pub fn invoke_index(
        &mut self,
        func: u32,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        self.checked_invoke(func, format!("{func}"), args, stop)
    }

    fn checked_invoke(
        &mut self,
        func: u32,
        label: String,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        if self.execution.is_some() {
            return Err(InvokeError::Busy);
        }
        self.inner.module.info.check_call_args(func, &label, args)?;
        Ok(self.call(func, args.to_vec(), stop))
    }

    /// Runs function `func` from the start.
    fn call(&mut self, func: u32, args: Vec<Val>, stop: Option<StopAt>) -> RunOutcome {
        let module = self.inner.module.clone();
        // An invoked import runs as one opaque step: no frames of this instance, no events.
        self.events_fired = 0;
        if func < module.imported_funcs {
            let this = self.inner.this();
            let Some(target) = self.inner.objects.func_ref(func, &this) else {
                return RunOutcome::Trapped(Trap::Host(format!("import {func} missing")));
            };
            return call_foreign(&target, &args, self.config.max_frames);
        }
        let events = if module.polling {
            Events::new(0, self.config.fuel, stop)
        } else {
            Events::disabled()
        };
        match Execution::start(
            self.inner.clone(),
            func,
            args,
            events,
            self.config.max_frames,
        ) {
            Ok(execution) => {
                self.execution = Some(execution);
                self.continue_run()
            }
            Err(trap) => RunOutcome::Trapped(trap),
        }
    }

    /// Continues a stopped invocation.
    pub fn resume(&mut self, stop: Option<StopAt>) -> Result<RunOutcome, InvokeError> {
        match self.execution.as_mut() {
            Some(execution) if execution.stopped.is_some() => {
                execution.events.set_stop(stop);
                Ok(self.continue_run())
            }
            _ => Err(InvokeError::NotStopped),
        }
    }

    fn continue_run(&mut self) -> RunOutcome {
        let Some(execution) = self.execution.as_mut() else {
            return RunOutcome::Trapped(Trap::Host("no execution".into()));
        };
        let exit = execution.run();
        self.events_fired = execution.events.next;
        match exit {
            Exit::Finished(values) => {
                self.execution = None;
                RunOutcome::Finished(values)
            }
            Exit::Trapped(trap) => {
                self.execution = None;
                RunOutcome::Trapped(trap)
            }
            Exit::OutOfFuel => {
                self.execution = None;
                RunOutcome::OutOfFuel
            }
            Exit::Stopped(stopped) => {
                let (func, pc) = crate::checkpoint::stop_location(execution).unwrap_or((0, 0));
                RunOutcome::Stopped(StopInfo {
                    kind: stopped.kind,
                    event: stopped.event,
                    func,
                    pc,
                })
            }
        }
    }

    /// Whether an invocation is stopped.
    pub fn is_stopped(&self) -> bool {
        self.execution.is_some()
    }

    /// Drops a stopped invocation.
    pub fn abandon(&mut self) {
        self.execution = None;
    }

    /// Sets the fuel limit for the following runs (`None`: unlimited). Fuel is absolute: a
    /// limit `F` allows events `0..F` of an invocation.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.config.fuel = fuel;
        if let Some(execution) = self.execution.as_mut() {
            execution.events.set_fuel(fuel);
        }
    }

    /// Main-kind events fired by the current or last invocation so far.
    pub fn events_fired(&self) -> u64 {
        self.events_fired
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Replaces the configuration (frame limit and fuel) for the following runs, as
    /// `baton_stack::Instance::set_config` does.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
        self.set_fuel(config.fuel);
        if let Some(execution) = self.execution.as_mut() {
            execution.max_frames = config.max_frames;
        }
    }

    /// The instance's module.
    pub fn module(&self) -> Module {
        Module {
            code: self.inner.module.clone(),
        }
    }
}

/// Calls a host function or another instance's function to completion.
pub(crate) fn call_foreign(func: &FuncRef, args: &[Val], max_frames: usize) -> RunOutcome {
    match func {
        FuncRef::Host(host) => match host.call(args) {
            Ok(values) => RunOutcome::Finished(values),
            Err(trap) => RunOutcome::Trapped(trap),
        },
        FuncRef::Wasm(wasm) => {
            let other = match InstanceInner::resolve(&wasm.instance) {
                Ok(other) => other,
                Err(trap) => return RunOutcome::Trapped(trap),
            };
            match Execution::start(
                other,
                wasm.index,
                args.to_vec(),
                Events::disabled(),
                max_frames,
            ) {
                Ok(mut execution) => match execution.run() {
                    Exit::Finished(values) => RunOutcome::Finished(values),
                    Exit::Trapped(trap) => RunOutcome::Trapped(trap),
                    _ => RunOutcome::Trapped(Trap::Host("nested run stopped".into())),
                },
                Err(trap) => RunOutcome::Trapped(trap),
            }
        }
    }
}
