//! baton's `stack` interpreter, after WasmEdge's: it executes the original Wasm instructions in
//! order over one value stack of untyped 128-bit slots, with locals under each frame's base, no
//! runtime label stack (branches carry jump descriptors computed at load time), and a frame
//! stack instead of Rust recursion for Wasm-to-Wasm calls.
//!
//! Storage: each slot is 128 bits, kept as two parallel 64-bit halves (numbers use the low half;
//! see `exec::value_stack`). Speed: besides the instruction vector, the translator builds a
//! parallel vector of superinstructions (a local or constant operand fused with a binary operator,
//! optionally with the following `local.set` or `br_if`); the executor dispatches it whenever no
//! instruction boundary inside a run needs attention and the original vector otherwise, so pcs,
//! events and images only ever see original instructions. The hottest fused shapes also come
//! with their operator in the opcode (`translate::special`), so they dispatch once, not twice.
//! The dispatch loop itself (two const-generic variants, an instruction pointer with an
//! unchecked fetch proved safe at load time by `translate::verify`) is described in
//! `exec::run`.
//!
//! Modules: [`translate`] (validation + translation, load time), `exec` (the interpreter),
//! [`instance`] (the driving API), [`checkpoint`] (the only place that maps native state to and
//! from the image: pc ↔ offset, slots ↔ typed values, frames).

pub mod checkpoint;
mod exec;
pub mod instance;
pub mod module;
pub mod translate;

pub use instance::Instance;
pub use module::Module;
