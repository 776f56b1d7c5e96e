//! The `stack` engine (crate `baton-stack`, after WasmEdge's interpreter): its driving API
//! (`docs/driving.md`) plugged into the shared `baton-runtime` session ([`super::runtime`]).

use baton_checkpoint::image::Image;
use baton_runtime::{
    Config, Extern, ImageError, Imports, InstantiationError, InvokeError, ModuleError, ModuleInfo,
    RestoreError, RunOutcome, StopAt, Val,
};
use baton_stack::{Instance, Module};

use super::runtime::{self, Backend};
use crate::engine::{Engine, EngineConfig};

/// The registry name.
pub const NAME: &str = "stack";

/// The `stack` backend.
pub struct Stack;

/// Creates a `stack` session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    runtime::create::<Stack>(config)
}

impl Backend for Stack {
    const NAME: &'static str = NAME;
    type Module = Module;
    type Instance = Instance;

    fn compile(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::new(bytes)
    }

    fn info(module: &Module) -> &ModuleInfo {
        module.info()
    }

    fn instantiate(
        module: &Module,
        imports: &Imports,
        config: Config,
    ) -> Result<Instance, InstantiationError> {
        Instance::instantiate(module, imports, config)
    }

    fn restore(
        module: &Module,
        image: &Image,
        imports: &Imports,
        config: Config,
    ) -> Result<Instance, RestoreError> {
        Instance::restore(module, image, imports, config)
    }

    fn exports(instance: &Instance) -> Vec<(String, Extern)> {
        instance.exports()
    }

    fn configure(instance: &mut Instance, config: Config) {
        instance.set_config(config);
    }

    fn invoke(
        instance: &mut Instance,
        name: &str,
        args: &[Val],
        stop: Option<StopAt>,
    ) -> Result<RunOutcome, InvokeError> {
        instance.invoke(name, args, stop)
    }

    fn resume(instance: &mut Instance, stop: Option<StopAt>) -> Result<RunOutcome, InvokeError> {
        instance.resume(stop)
    }

    fn image(instance: &Instance) -> Result<Image, ImageError> {
        instance.image()
    }

    fn events_fired(instance: &Instance) -> u64 {
        instance.events_fired()
    }
}
