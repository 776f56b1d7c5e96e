//! Traps: the closed set of ways a WebAssembly execution can abort. It is the adapter API's one
//! [`Trap`] type (crate `baton-engine`), re-exported so engines name it from their runtime.

pub use baton_engine::Trap;
