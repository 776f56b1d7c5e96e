//! baton's `stack` interpreter, after WasmEdge's: it executes the original Wasm instructions in
//! order over one value stack of untyped 128-bit slots, with locals under each frame's base, no
//! runtime label stack (branches carry jump descriptors computed at load time), and a frame
//! stack instead of Rust recursion for Wasm-to-Wasm calls.
//!
//! Modules: [`translate`] (validation + translation, load time), [`exec`] (the interpreter),
//! [`instance`] (the driving API), [`checkpoint`] (the only place that maps native state to and
//! from the image: pc ↔ offset, slots ↔ typed values, frames).

pub mod checkpoint;
mod exec;
pub mod instance;
pub mod module;
pub mod translate;

pub use instance::Instance;
pub use module::Module;
