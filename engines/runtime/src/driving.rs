//! The driving API every `baton-runtime` engine implements (`docs/driving.md`), as one trait.
//!
//! An engine supplies only what is its own: how it wraps linked store objects, starts and
//! continues a call, and maps its *execution* state to and from the image
//! ([`Driving::execution_image`], [`Driving::rebuild_execution`]). Everything the engines share
//! is provided here once: instantiation (link → initialise → start → pin on failure), argument
//! checks, export lookup, the image's store half, and the restore preamble (validate the image
//! against the module's analysis → link → map instantiation errors → store half from the image →
//! the engine rebuilds the execution). [`crate::session::Session`] turns any `Driving` engine
//! into a `baton_engine::Engine` adapter session.
//!
//! Invariants the provided methods keep: at most one call is in progress per instance and only
//! while stopped (`invoke` on a stopped instance is `InvokeError::Busy`, `resume` on an idle one
//! `InvokeError::NotStopped`); an image is validated before any store object is written; a
//! restored instance's `events_fired` is the image's event counter.

use std::any::Any;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{Execution, Image};

use crate::config::Config;
use crate::error::{ImageError, InstantiationError, InvokeError, ModuleError, RestoreError};
use crate::externs::{Extern, Imports};
use crate::module::ModuleInfo;
use crate::objects::InstanceObjects;
use crate::stop::{RunOutcome, StopRequest};
use crate::trap::Trap;
use crate::value::Val;

/// A compiled module of a `baton-runtime` engine: cheap to clone (shared).
pub trait CompiledModule: Clone + 'static {
    /// Decodes, validates (WebAssembly 2.0 without SIMD) and translates `bytes`.
    fn compile(bytes: &[u8]) -> Result<Self, ModuleError>;

    /// The module's static description (imports, exports, types, segments).
    fn module_info(&self) -> &Rc<ModuleInfo>;

    /// The shared checkpoint analysis of the module (computed once, on first use).
    fn checkpoint_analysis(&self) -> Result<Rc<ModuleAnalysis>, ImageError>;

    /// Whether images can be restored into instances of this module (an engine may compile a
    /// module without safe points); the error says why not.
    fn check_restorable(&self) -> Result<(), ImageError> {
        Ok(())
    }
}

/// One engine's instance: the driving API of `docs/driving.md`.
pub trait Driving: Sized + 'static {
    /// The engine's registry name (`stack`, `register`, ...).
    const NAME: &'static str;
    /// The safe-point kinds the engine fires and restores: the main kinds, plus `any` for an
    /// engine with instruction-boundary stops (reported by `Engine::safe_point_kinds`).
    const EVENT_KINDS: baton_checkpoint::KindSet = baton_checkpoint::KindSet::MAIN;
    /// The engine's compiled module.
    type Module: CompiledModule;

    /// Wraps freshly linked, uninitialised store objects into an idle instance.
    fn from_objects(module: &Self::Module, objects: InstanceObjects, config: Config) -> Self;

    /// The instance's store objects.
    fn objects(&self) -> &InstanceObjects;

    /// The instance's identity handle: what its function references point to.
    fn handle(&self) -> Rc<dyn Any>;

    /// Keeps the instance's shared state alive for good: a failed instantiation whose function
    /// references may have escaped into imported objects (see `docs/driving.md`, Lifetimes).
    fn pin(&self);

    /// Runs the start function `func` to completion (no stop request). By default a call
    /// like any other ([`Driving::start_call`]) whose leftovers are dropped; running out of
    /// fuel is a trap.
    fn run_start(&mut self, func: u32) -> Result<(), Trap> {
        let outcome = self.start_call(func, &[], None);
        self.abandon();
        match outcome {
            RunOutcome::Trapped(trap) => Err(trap),
            RunOutcome::OutOfFuel => Err(Trap::Host("start function ran out of fuel".into())),
            RunOutcome::Finished(_) | RunOutcome::Stopped(_) => Ok(()),
        }
    }

    /// Starts a call of `func` with `args`, already checked against its signature, on an idle
    /// instance.
    fn start_call(&mut self, func: u32, args: &[Val], stop: Option<StopRequest>) -> RunOutcome;

    /// Continues the stopped call; `None` when no call is stopped.
    fn continue_call(&mut self, stop: Option<StopRequest>) -> Option<RunOutcome>;

    /// Whether a call is stopped (and can be imaged or resumed).
    fn is_stopped(&self) -> bool;

    /// Drops a stopped call; the instance becomes idle (store changes stay).
    fn abandon(&mut self);

    /// Main-kind events (entry, loop, call, return) fired so far by the current (stopped) or
    /// last invocation; for a restored instance, counted from the image's event.
    fn events_fired(&self) -> u64;

    /// The configuration.
    fn config(&self) -> Config;

    /// Replaces the configuration (frame limit and fuel), applying from the next run.
    fn set_config(&mut self, config: Config);

    /// The execution half of the image: `None` when idle, the stopped call's state otherwise.
    fn execution_image(&self, analysis: &ModuleAnalysis) -> Result<Option<Execution>, ImageError>;

    /// Rebuilds a stopped call from an image's execution; the store half is already restored
    /// and the image validated against `analysis`. Afterwards [`Driving::resume`] continues
    /// exactly where the image was taken.
    fn rebuild_execution(
        &mut self,
        execution: &Execution,
        analysis: &ModuleAnalysis,
    ) -> Result<(), ImageError>;

    /// Links `module` against `imports`, initialises globals and segments and runs the start
    /// function. A trap is [`InstantiationError::Trap`]; the failed instance is pinned when its
    /// references may have escaped.
    fn instantiate(
        module: &Self::Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Self, InstantiationError> {
        let info = module.module_info();
        let objects = InstanceObjects::link(info.clone(), imports)?;
        let mut instance = Self::from_objects(module, objects, config);
        let initialized =
            instance
                .objects()
                .initialize(&instance.handle())
                .and_then(|()| match info.start {
                    Some(start) => instance.run_start(start),
                    None => Ok(()),
                });
        match initialized {
            Ok(()) => Ok(instance),
            Err(trap) => {
                if instance.objects().references_may_escape() {
                    instance.pin();
                }
                Err(InstantiationError::Trap(trap))
            }
        }
    }

    /// A fresh instance of `module` whose whole state is the image's: validates the image
    /// against the module's analysis, links `imports`, overwrites the store (imported memories,
    /// tables and mutable globals included) and rebuilds the stopped call, if any.
    fn restore(
        module: &Self::Module,
        image: &Image,
        imports: &Imports,
        config: Config,
    ) -> Result<Self, RestoreError> {
        module.check_restorable()?;
        let analysis = module.checkpoint_analysis()?;
        baton_checkpoint::validate::validate(image, &analysis)
            .map_err(|error| ImageError::Validation(error.to_string()))?;
        let objects =
            InstanceObjects::link(module.module_info().clone(), imports).map_err(|error| {
                match error {
                    InstantiationError::Module(error) => RestoreError::Module(error),
                    InstantiationError::Link(error) => RestoreError::Link(error),
                    InstantiationError::Allocation { what } => RestoreError::Allocation { what },
                    InstantiationError::Trap(trap) => RestoreError::Image(ImageError::Mismatch {
                        place: "instantiation".into(),
                        reason: trap.to_string(),
                    }),
                }
            })?;
        let mut instance = Self::from_objects(module, objects, config);
        instance
            .objects()
            .store_from_image(image, &instance.handle())?;
        if let Some(execution) = &image.execution {
            instance.rebuild_execution(execution, &analysis)?;
        }
        Ok(instance)
    }

    /// The instance's image: idle (`execution` absent) or stopped (`execution` present).
    /// [`ImageError::ForeignFunction`] when a table, global or operand holds a function
    /// reference outside this instance's function index space.
    fn image(&self) -> Result<Image, ImageError> {
        let analysis = self.module().checkpoint_analysis()?;
        let mut image = Image {
            module_sha256: analysis.module_sha256().to_vec(),
            ..Image::default()
        };
        self.objects().store_to_image(&mut image, &self.handle())?;
        image.execution = self.execution_image(&analysis)?;
        Ok(image)
    }

    /// The instance's module.
    fn module(&self) -> &Self::Module;

    /// Every export, in declaration order.
    fn exports(&self) -> Vec<(String, Extern)> {
        let this = self.handle();
        self.module()
            .module_info()
            .exports
            .iter()
            .filter_map(|(name, kind)| {
                Some((name.clone(), self.objects().export_extern(*kind, &this)?))
            })
            .collect()
    }

    /// The export named `name`.
    fn export(&self, name: &str) -> Option<Extern> {
        let kind = self.module().module_info().export(name)?;
        self.objects().export_extern(kind, &self.handle())
    }

    /// Calls the exported function `name` with `args`, running until an outcome; `stop`
    /// requests a stop at an event.
    fn invoke(
        &mut self,
        name: &str,
        args: &[Val],
        stop: Option<StopRequest>,
    ) -> Result<RunOutcome, InvokeError> {
        let func = self.module().module_info().exported_func(name)?;
        self.checked_call(func, name, args, stop)
    }

    /// Calls function `func` (index space, imports included) with `args`.
    fn invoke_index(
        &mut self,
        func: u32,
        args: &[Val],
        stop: Option<StopRequest>,
    ) -> Result<RunOutcome, InvokeError> {
        self.checked_call(func, &format!("#{func}"), args, stop)
    }

    /// Checks that the instance is idle and `args` fit `func`, then starts the call.
    #[doc(hidden)]
    fn checked_call(
        &mut self,
        func: u32,
        label: &str,
        args: &[Val],
        stop: Option<StopRequest>,
    ) -> Result<RunOutcome, InvokeError> {
        if self.is_stopped() {
            return Err(InvokeError::Busy);
        }
        self.module()
            .module_info()
            .check_call_args(func, label, args)?;
        Ok(self.start_call(func, args, stop))
    }

    /// Continues a stopped call (`InvokeError::NotStopped` otherwise).
    fn resume(&mut self, stop: Option<StopRequest>) -> Result<RunOutcome, InvokeError> {
        self.continue_call(stop).ok_or(InvokeError::NotStopped)
    }
}
