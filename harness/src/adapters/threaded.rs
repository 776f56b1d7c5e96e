//! The `threaded` engine (crate `baton-threaded`, after Wasm3: threaded code, calls and loops
//! on the native stack, checkpoint by unwinding), driven through the shared `baton-runtime`
//! session ([`baton_runtime::Session`]).

use baton_engine::{Engine, EngineConfig};
use baton_runtime::Driving;

/// The registry name.
pub const NAME: &str = baton_threaded::Instance::NAME;

/// Creates a `threaded` session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    baton_runtime::Session::<baton_threaded::Instance>::boxed(config)
}
