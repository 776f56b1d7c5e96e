//! The `register` engine (crate `baton-register`, after WAMR's fast interpreter), driven through
//! the shared `baton-runtime` session ([`baton_runtime::Session`]).

use baton_engine::{Engine, EngineConfig};
use baton_runtime::Driving;

/// The registry name.
pub const NAME: &str = baton_register::Instance::NAME;

/// Creates a `register` session.
pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
    baton_runtime::Session::<baton_register::Instance>::boxed(config)
}
