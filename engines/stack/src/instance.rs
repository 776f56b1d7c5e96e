//! Instances: the stack engine's side of the driving trait ([`Driving`]): how a call starts,
//! runs until an outcome and continues; the shared glue (instantiate, invoke, restore preamble)
//! is the trait's. Imaging and restoring the execution live in [`crate::checkpoint`].
//!
//! Invariants: an [`Instance`] holds a thread only while a call is stopped; `Core::handle` (an
//! [`InstanceLink`], a weak link to the `Core`) is the allocation every
//! [`baton_runtime::WasmFunc`] of this instance points to (its identity). Function references
//! therefore never keep a `Core` alive: the [`Instance`] value (and a running call) does, so an
//! instance whose tables hold its own functions is freed when its `Instance` is dropped.

use std::any::Any;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::Execution;
use baton_runtime::{
    Config, Driving, ImageError, InstanceLink, InstanceObjects, RunOutcome, StopRequest, Trap, Val,
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
    /// This instance's identity handle (what its function references point to).
    pub(crate) fn this(&self) -> Rc<dyn Any> {
        self.core.handle.clone()
    }

    fn drive(&mut self, mut thread: Thread, stop: Option<StopRequest>) -> RunOutcome {
        let outcome = crate::exec::run(&self.core, &mut thread, stop, &self.config);
        self.events_fired = thread.next_event;
        if let RunOutcome::Stopped(_) = outcome {
            self.thread = Some(thread);
        }
        outcome
    }
}

impl Driving for Instance {
    const NAME: &'static str = "stack";
    const EVENT_KINDS: baton_checkpoint::KindSet = baton_checkpoint::KindSet::ALL;
    type Module = Module;

    fn from_objects(module: &Module, objects: InstanceObjects, config: Config) -> Instance {
        Instance {
            core: Rc::new_cyclic(|core| Core {
                module: module.clone(),
                objects,
                handle: InstanceLink::handle(core.clone()),
            }),
            config,
            thread: None,
            events_fired: 0,
        }
    }

    fn objects(&self) -> &InstanceObjects {
        &self.core.objects
    }

    fn handle(&self) -> Rc<dyn Any> {
        self.this()
    }

    fn pin(&self) {
        InstanceLink::pin(&self.core.handle, self.core.clone());
    }

    fn module(&self) -> &Module {
        &self.core.module
    }

    fn run_start(&mut self, func: u32) -> Result<(), Trap> {
        let mut thread = Thread::new(func, Vec::new(), false, 0);
        match crate::exec::run(&self.core, &mut thread, None, &self.config) {
            RunOutcome::Trapped(trap) => Err(trap),
            RunOutcome::Finished(_) | RunOutcome::OutOfFuel | RunOutcome::Stopped(_) => Ok(()),
        }
    }

    fn start_call(&mut self, func: u32, args: &[Val], stop: Option<StopRequest>) -> RunOutcome {
        let thread = Thread::new(func, args.to_vec(), true, 0);
        self.drive(thread, stop)
    }

    fn continue_call(&mut self, stop: Option<StopRequest>) -> Option<RunOutcome> {
        let thread = self.thread.take()?;
        Some(self.drive(thread, stop))
    }

    fn is_stopped(&self) -> bool {
        self.thread.is_some()
    }

    fn abandon(&mut self) {
        self.thread = None;
    }

    fn events_fired(&self) -> u64 {
        self.events_fired
    }

    fn config(&self) -> Config {
        self.config
    }

    fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    fn execution_image(&self, analysis: &ModuleAnalysis) -> Result<Option<Execution>, ImageError> {
        self.thread
            .as_ref()
            .map(|thread| crate::checkpoint::execution_image(self, thread, analysis))
            .transpose()
    }

    fn rebuild_execution(
        &mut self,
        execution: &Execution,
        analysis: &ModuleAnalysis,
    ) -> Result<(), ImageError> {
        let thread = crate::checkpoint::thread_from_image(self, execution, analysis)?;
        self.events_fired = thread.next_event;
        self.thread = Some(thread);
        Ok(())
    }
}
