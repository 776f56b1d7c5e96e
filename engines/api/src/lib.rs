//! The adapter API of baton: what a WebAssembly engine implements so that baton can drive it,
//! checkpoint it, restore it and certify it, in one engine-neutral vocabulary.
//!
//! A Rust runtime author depends on this crate (and [`baton_checkpoint`] for the image) and
//! implements [`Engine`] for a session of their engine; nothing here depends on baton's harness.
//! The same vocabulary is used everywhere in baton and converted to an engine's native types only
//! at the edge, inside each engine's adapter:
//! - values and types: [`Value`], [`ValType`], [`FuncType`], [`GlobalType`], [`TableType`],
//!   [`MemoryType`];
//! - the closed trap set: [`Trap`];
//! - safe points: [`EventKind`], [`KindSet`] (shared with the image crate), [`StopRequest`];
//! - runs: [`RunOptions`], [`RunOutcome`], [`RunReport`]; errors: [`EngineError`];
//! - host functions that reach the caller's memory: [`MemoryHostFunc`], [`CallerMemory`];
//! - [`Wrapper`]: an engine around another that forwards everything and hooks results;
//! - [`Identities`]: function identities from an instance's imports and exports, for adapters
//!   whose engine cannot tell a function's index.

pub mod engine;
pub mod error;
pub mod identity;
pub mod memory;
pub mod run;
pub mod trap;
pub mod value;
pub mod wrapper;

pub use baton_checkpoint::{EventKind, KindSet};
pub use engine::{
    find_export, Engine, ExternHandle, ExternKind, FuncIdentity, HostFunc, InstanceId, ModuleId,
};
pub use error::{AdapterFault, EngineError};
pub use identity::{FuncSpace, Identities};
pub use memory::{
    CallerMemory, MemoryAccessError, MemoryHostFunc, SliceMemory, CALLER_MEMORY_EXPORT,
};
pub use run::{EngineConfig, RunOptions, RunOutcome, RunReport, StopLocation, StopRequest};
pub use trap::Trap;
pub use value::{format_values, FuncType, GlobalType, MemoryType, TableType, ValType, Value};
pub use wrapper::Wrapper;
