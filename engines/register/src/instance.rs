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

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::Execution as ImageExecution;
use baton_runtime::{
    Config, Driving, FuncRef, ImageError, InstanceLink, InstanceObjects, RunOutcome, StopInfo,
    StopRequest, Trap, Val,
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
    pub(crate) module: Module,
    pub(crate) inner: Rc<InstanceInner>,
    pub(crate) config: Config,
    pub(crate) execution: Option<Execution>,
    /// Events fired by the current (or last) invocation so far.
    pub(crate) events_fired: u64,
}

impl Instance {
    /// Runs function `func` from the start.
    fn call(&mut self, func: u32, args: Vec<Val>, stop: Option<StopRequest>) -> RunOutcome {
        let module = self.inner.module.clone();
        // An invoked import runs as one opaque step: no frames of this instance, no events.
        self.events_fired = 0;
        if let Some(target) = self.inner.objects.import_target(func) {
            let max_frames = self.config.max_frames;
            return match target.and_then(|target| call_foreign(target, &args, max_frames)) {
                Ok(values) => RunOutcome::Finished(values),
                Err(trap) => RunOutcome::Trapped(trap),
            };
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

    fn continue_run(&mut self) -> RunOutcome {
        let Some(execution) = self.execution.as_mut() else {
            return RunOutcome::Trapped(Trap::Host("no execution".into()));
        };
        let exit = execution.run();
        self.events_fired = execution.events.next();
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
            Exit::Stopped(stopped) => RunOutcome::Stopped(StopInfo {
                kind: stopped.kind,
                event: stopped.event,
                location: crate::checkpoint::stop_location(execution),
            }),
        }
    }

    /// Sets the fuel limit for the following runs (`None`: unlimited). Fuel is absolute: a
    /// limit `F` allows events `0..F` of an invocation.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.config.fuel = fuel;
        if let Some(execution) = self.execution.as_mut() {
            execution.events.set_fuel(fuel);
        }
    }
}

impl Driving for Instance {
    const NAME: &'static str = "register";
    type Module = Module;

    fn from_objects(module: &Module, objects: InstanceObjects, config: Config) -> Instance {
        Instance {
            module: module.clone(),
            inner: InstanceInner::new(module.code.clone(), objects),
            config,
            execution: None,
            events_fired: 0,
        }
    }

    fn objects(&self) -> &InstanceObjects {
        &self.inner.objects
    }

    fn handle(&self) -> Rc<dyn Any> {
        self.inner.this()
    }

    fn pin(&self) {
        InstanceLink::pin(&self.inner.handle, self.inner.clone());
    }

    fn module(&self) -> &Module {
        &self.module
    }

    fn start_call(&mut self, func: u32, args: &[Val], stop: Option<StopRequest>) -> RunOutcome {
        self.call(func, args.to_vec(), stop)
    }

    fn continue_call(&mut self, stop: Option<StopRequest>) -> Option<RunOutcome> {
        match self.execution.as_mut() {
            Some(execution) if execution.stopped.is_some() => {
                execution.events.set_stop(stop);
                Some(self.continue_run())
            }
            _ => None,
        }
    }

    fn is_stopped(&self) -> bool {
        self.execution.is_some()
    }

    fn abandon(&mut self) {
        self.execution = None;
    }

    fn events_fired(&self) -> u64 {
        self.events_fired
    }

    fn config(&self) -> Config {
        self.config
    }

    fn set_config(&mut self, config: Config) {
        self.config = config;
        self.set_fuel(config.fuel);
        if let Some(execution) = self.execution.as_mut() {
            execution.max_frames = config.max_frames;
        }
    }

    fn execution_image(
        &self,
        analysis: &ModuleAnalysis,
    ) -> Result<Option<ImageExecution>, ImageError> {
        self.execution
            .as_ref()
            .map(|execution| crate::checkpoint::execution_image(&self.inner, execution, analysis))
            .transpose()
    }

    fn rebuild_execution(
        &mut self,
        execution: &ImageExecution,
        _analysis: &ModuleAnalysis,
    ) -> Result<(), ImageError> {
        let rebuilt = crate::checkpoint::rebuild(&self.inner, execution, self.config)?;
        self.events_fired = rebuilt.events.next();
        self.execution = Some(rebuilt);
        Ok(())
    }
}

/// Calls a host function or another instance's function to completion.
pub(crate) fn call_foreign(
    func: &FuncRef,
    args: &[Val],
    max_frames: usize,
) -> Result<Vec<Val>, Trap> {
    func.call_with(args, |wasm| {
        let other = InstanceInner::resolve(&wasm.instance)?;
        let mut execution = Execution::start(
            other,
            wasm.index,
            args.to_vec(),
            Events::disabled(),
            max_frames,
        )?;
        match execution.run() {
            Exit::Finished(values) => Ok(values),
            Exit::Trapped(trap) => Err(trap),
            _ => Err(Trap::Host("nested run stopped".into())),
        }
    })
}
