//! [`Instance`]: the driving API (same shape as `baton-stack`, see `docs/driving.md`):
//! instantiate, invoke with an optional stop request, resume, abandon, image and restore.
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

use baton_runtime::{
    Config, EventKind, Extern, FuncRef, Imports, InstanceLink, InstanceObjects, InstantiationError,
    InvokeError, RunOutcome, StopAt, StopInfo, Trap, Val,
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
    pub(crate) inner: Rc<InstanceInner>,
    pub(crate) config: Config,
    pub(crate) suspended: Option<Suspended>,
    pub(crate) events_fired: u64,
    pub(crate) counts: NativeCounts,
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
        let mut instance =
            Instance::from_inner(InstanceInner::new(module.code.clone(), objects), config);
        match instance.initialize() {
            Ok(()) => Ok(instance),
            Err(trap) => {
                if instance.inner.objects.references_may_escape() {
                    InstanceLink::pin(&instance.inner.handle, instance.inner.clone());
                }
                Err(InstantiationError::Trap(trap))
            }
        }
    }

    pub(crate) fn from_inner(inner: Rc<InstanceInner>, config: Config) -> Instance {
        Instance {
            inner,
            config,
            suspended: None,
            events_fired: 0,
            counts: NativeCounts::default(),
        }
    }

    fn initialize(&mut self) -> Result<(), Trap> {
        self.inner.objects.initialize(&self.inner.this())?;
        if let Some(start) = self.inner.module.info.start {
            match self.call(start, Vec::new(), None) {
                RunOutcome::Trapped(trap) => return Err(trap),
                RunOutcome::OutOfFuel => {
                    return Err(Trap::Host("start function ran out of fuel".into()))
                }
                _ => self.suspended = None,
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
        self.checked_invoke(func, name, args, stop)
    }

    /// Invokes function `func` (index space).
    pub fn invoke_index(
        &mut self,
        func: u32,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        self.checked_invoke(func, &format!("{func}"), args, stop)
    }

    fn checked_invoke(
        &mut self,
        func: u32,
        label: &str,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        if self.suspended.is_some() {
            return Err(InvokeError::Busy);
        }
        self.inner.module.info.check_call_args(func, label, args)?;
        Ok(self.call(func, args.to_vec(), stop))
    }

    fn call(&mut self, func: u32, args: Vec<Val>, stop: Option<StopAt>) -> RunOutcome {
        self.events_fired = 0;
        let module = self.inner.module.clone();
        if func < module.info.num_imported_funcs {
            let this = self.inner.this();
            let Some(target) = self.inner.objects.func_ref(func, &this) else {
                return RunOutcome::Trapped(Trap::Host(format!("import {func} missing")));
            };
            return match call_foreign(&target, &args, self.config.max_frames, 0) {
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
        self.events_fired = events.next;
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
                let (func, pc) = crate::checkpoint::stop_location(&self.inner.module, &suspended)
                    .unwrap_or((0, 0));
                self.suspended = Some(suspended);
                RunOutcome::Stopped(StopInfo {
                    kind,
                    event,
                    func,
                    pc,
                })
            }
        }
    }

    /// Continues a stopped invocation (rewinding its native frames).
    pub fn resume(&mut self, stop: Option<StopAt>) -> Result<RunOutcome, InvokeError> {
        let Some(suspended) = self.suspended.take() else {
            return Err(InvokeError::NotStopped);
        };
        let mut events = suspended.events;
        events.set_stop(stop);
        events.set_fuel(if self.inner.module.polling {
            self.config.fuel
        } else {
            None
        });
        Ok(self.run(
            Start::Rewind(suspended.records),
            events,
            suspended.entry_func,
            suspended.entry_args,
        ))
    }

    /// Whether an invocation is stopped.
    pub fn is_stopped(&self) -> bool {
        self.suspended.is_some()
    }

    /// Drops a stopped invocation.
    pub fn abandon(&mut self) {
        self.suspended = None;
    }

    /// Main-kind events fired by the current or last invocation so far.
    pub fn events_fired(&self) -> u64 {
        self.events_fired
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Replaces the configuration (frame limit and fuel) for the following runs.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// Sets the fuel limit for the following runs (`None`: unlimited).
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.config.fuel = fuel;
    }

    /// The instance's module.
    pub fn module(&self) -> Module {
        Module {
            code: self.inner.module.clone(),
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

/// Calls a host function or another instance's function to completion; `depth` Wasm frames
/// are already live.
pub(crate) fn call_foreign(
    func: &FuncRef,
    args: &[Val],
    max_frames: usize,
    depth: usize,
) -> Result<Vec<Val>, Trap> {
    match func {
        FuncRef::Host(host) => host.call(args),
        FuncRef::Wasm(wasm) => {
            let other = InstanceLink::<InstanceInner>::resolve(&wasm.instance)?;
            if wasm.index < other.module.info.num_imported_funcs {
                let this = other.this();
                let target = other
                    .objects
                    .func_ref(wasm.index, &this)
                    .ok_or_else(|| Trap::Host("import missing".into()))?;
                return call_foreign(&target, args, max_frames, depth);
            }
            let mut events = Events::disabled();
            let mut counts = NativeCounts::default();
            match executor::run(
                &other,
                Start::Fresh {
                    func: wasm.index,
                    args: args.to_vec(),
                },
                &mut events,
                max_frames,
                depth,
                &mut counts,
            ) {
                Exit::Finished(values) => Ok(values),
                Exit::Trapped(trap) => Err(trap),
                _ => Err(Trap::Host("nested run stopped".into())),
            }
        }
    }
}
