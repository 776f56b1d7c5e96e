//! The `register` engine (crate `baton-register`, after WAMR's fast interpreter): its driving API
//! (`docs/driving.md`) plugged into the shared `baton-runtime` session ([`super::runtime`]).

use baton_checkpoint::image::Image;
use baton_register::{Instance, Module};
use baton_runtime::{
    Config, Extern, ImageError, Imports, InstantiationError, InvokeError, ModuleError, ModuleInfo,
    RestoreError, RunOutcome, StopAt, Val,
};

use super::runtime::{self, Backend};
use crate::engine::{Engine, EngineConfig};

/// The registry name.
pub const NAME: &str = "register";

/// The `register` backend.
pub struct Register;

/// Creates a `register` session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    runtime::create::<Register>(config)
}

impl Backend for Register {
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
        instance.set_fuel(config.fuel);
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
