//! The `stack` engine (crate `baton-stack`, after WasmEdge's interpreter), driven through the
//! shared `baton-runtime` session ([`baton_runtime::Session`]).

use baton_engine::{Engine, EngineConfig};
use baton_runtime::Driving;

/// The registry name.
pub const NAME: &str = baton_stack::Instance::NAME;

/// Creates a `stack` session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    baton_runtime::Session::<baton_stack::Instance>::boxed(config)
}
