//! Execution: the thread state, untyped slots, event bookkeeping, store helpers and the
//! interpreter loop. Reads translated code only; never decodes Wasm.

pub mod entry;
pub mod events;
pub mod run;
pub mod slot;
pub mod slot_ops;
pub mod slot_stack;
pub mod store_ops;
pub mod thread;
pub mod value_stack;

pub use entry::run;
