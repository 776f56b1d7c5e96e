//! [`Instance`]: the engine's half of the driving API ([`baton_runtime::Driving`], see
//! `docs/driving.md`): wrapping linked store objects, starting and continuing calls; the
//! execution half of images is in [`crate::checkpoint`].
//!
//! Invariants: at most one invocation is in progress per instance, and only while stopped
//! (`suspended` is `Some` exactly then); its whole native state is the unwind record. A
//! finished, trapped or out-of-fuel run leaves the instance idle.
//!
//! Lifetimes: every `WasmFunc` of this instance points at `InstanceInner::handle`, an
//! [`InstanceLink`] holding only a `Weak` to the [`InstanceInner`], so function references
//! never keep an instance alive (see `docs/driving.md`).

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::Execution as ImageExecution;
use baton_runtime::{
    Config, Driving, EventKind, FuncRef, ImageError, InstanceLink, InstanceObjects, RunOutcome,
    StopInfo, StopRequest, Trap, Val,
};

use crate::executor::{self, Events, Exit, Native, NativeCounts, Start};
use crate::module::{Module, ModuleCode};
use crate::refs::RefPool;

/// The shared part of an instance: its code, store objects and reference pool.
pub struct InstanceInner {
    /// The module's compiled code.
    pub module: Rc<ModuleCode>,
    /// Memories, tables, globals, imports and segment flags.
    pub objects: InstanceObjects,
    /// References named by slots.
    pub refs: RefCell<RefPool>,
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

    /// This instance's handle, as held by its `WasmFunc`s.
    pub fn this(&self) -> Rc<dyn Any> {
        self.handle.clone()
    }

    /// The address of this instance's handle (equal to `Rc::as_ptr` of its `WasmFunc`s').
    pub(crate) fn handle_addr(&self) -> *const () {
        Rc::as_ptr(&self.handle).cast::<()>()
    }
}

/// A stopped invocation: the unwind record and what the image needs besides it.
#[derive(Clone, Debug)]
pub(crate) struct Suspended {
    /// Native frames, outermost first.
    pub records: Vec<Native>,
    /// The stop's kind.
    pub kind: EventKind,
    /// The stop's event number.
    pub event: u64,
    /// The invoked function.
    pub entry_func: u32,
    /// Its arguments.
    pub entry_args: Vec<Val>,
    /// The event counter.
    pub events: Events,
}

/// An instance of a [`Module`].
pub struct Instance {
    pub(crate) module: Module,
    pub(crate) inner: Rc<InstanceInner>,
    pub(crate) config: Config,
    pub(crate) suspended: Option<Suspended>,
    pub(crate) events_fired: u64,
    pub(crate) counts: NativeCounts,
}

impl Instance {
    fn call(&mut self, func: u32, args: Vec<Val>, stop: Option<StopRequest>) -> RunOutcome {
        self.events_fired = 0;
        let module = self.inner.module.clone();
        // An invoked import runs as one opaque step: no frames of this instance, no events.
        if let Some(target) = self.inner.objects.import_target(func) {
            let max_frames = self.config.max_frames;
            return match target.and_then(|target| call_foreign(target, &args, max_frames, 0)) {
                Ok(values) => RunOutcome::Finished(values),
                Err(trap) => RunOutcome::Trapped(trap),
            };
        }
        let events = if module.polling {
            Events::new(0, self.config.fuel, stop)
        } else {
            Events::disabled()
        };
        let start = Start::Fresh {
            func,
            args: args.clone(),
        };
        self.run(start, events, func, args)
    }

    fn run(
        &mut self,
        start: Start,
        mut events: Events,
        entry_func: u32,
        entry_args: Vec<Val>,
    ) -> RunOutcome {
        let exit = executor::run(
            &self.inner,
            start,
            &mut events,
            self.config.max_frames,
            0,
            &mut self.counts,
        );
        self.events_fired = events.next();
        match exit {
            Exit::Finished(values) => RunOutcome::Finished(values),
            Exit::Trapped(trap) => RunOutcome::Trapped(trap),
            Exit::OutOfFuel => RunOutcome::OutOfFuel,
            Exit::Stopped {
                kind,
                event,
                records,
            } => {
                let suspended = Suspended {
                    records,
                    kind,
                    event,
                    entry_func,
                    entry_args,
                    events,
                };
                let location = crate::checkpoint::stop_location(&self.inner.module, &suspended);
                self.suspended = Some(suspended);
                RunOutcome::Stopped(StopInfo {
                    kind,
                    event,
                    location,
                })
            }
        }
    }

    /// Native frames recorded by the last unwind and re-entered by the last rewind (for tests
    /// of the native shape).
    pub fn native_counts(&self) -> NativeCounts {
        self.counts
    }

    /// The unwind record of the stopped invocation (outermost first), for inspection.
    pub fn unwind_record(&self) -> Option<&[Native]> {
        self.suspended.as_ref().map(|s| s.records.as_slice())
    }
}

impl Driving for Instance {
    const NAME: &'static str = "threaded";
    type Module = Module;

    fn from_objects(module: &Module, objects: InstanceObjects, config: Config) -> Instance {
        Instance {
            module: module.clone(),
            inner: InstanceInner::new(module.code.clone(), objects),
            config,
            suspended: None,
            events_fired: 0,
            counts: NativeCounts::default(),
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
        let suspended = self.suspended.take()?;
        let mut events = suspended.events;
        events.set_stop(stop);
        events.set_fuel(self.config.fuel);
        Some(self.run(
            Start::Rewind(suspended.records),
            events,
            suspended.entry_func,
            suspended.entry_args,
        ))
    }

    fn is_stopped(&self) -> bool {
        self.suspended.is_some()
    }

    fn abandon(&mut self) {
        self.suspended = None;
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

    fn execution_image(
        &self,
        analysis: &ModuleAnalysis,
    ) -> Result<Option<ImageExecution>, ImageError> {
        self.suspended
            .as_ref()
            .map(|suspended| crate::checkpoint::execution_image(&self.inner, suspended, analysis))
            .transpose()
    }

    fn rebuild_execution(
        &mut self,
        execution: &ImageExecution,
        _analysis: &ModuleAnalysis,
    ) -> Result<(), ImageError> {
        let rebuilt = crate::checkpoint::rebuild(&self.inner, execution, self.config)?;
        self.events_fired = rebuilt.events.next();
        self.suspended = Some(rebuilt);
        Ok(())
    }
}

/// Calls a host function or another instance's function to completion; `depth` Wasm frames
/// are already live.
pub(crate) fn call_foreign(
    func: &FuncRef,
    args: &[Val],
    max_frames: usize,
    depth: usize,
) -> Result<Vec<Val>, Trap> {
    func.call_with(args, |wasm| {
        let other = InstanceLink::<InstanceInner>::resolve(&wasm.instance)?;
        if let Some(target) = other.objects.import_target(wasm.index) {
            return call_foreign(target?, args, max_frames, depth);
        }
        let mut events = Events::disabled();
        let mut counts = NativeCounts::default();
        let start = Start::Fresh {
            func: wasm.index,
            args: args.to_vec(),
        };
        match executor::run(&other, start, &mut events, max_frames, depth, &mut counts) {
            Exit::Finished(values) => Ok(values),
            Exit::Trapped(trap) => Err(trap),
            _ => Err(Trap::Host("nested run stopped".into())),
        }
    })
}
