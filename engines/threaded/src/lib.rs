//! baton's `threaded` interpreter, after Wasm3.
//!
//! Each function is compiled once ([`compiler`]) to threaded code ([`code`]): every operation
//! is followed by its immediates in the code stream and lowered to the address of a Rust
//! handler that executes it and tail-calls the next one. Frames have compile-time slots
//! (`[params | locals | constants | temporaries]`); the top operand may live in the registers
//! `r0`/`fp0` that handlers pass along. Calls and loops recurse on the native stack, so a stop
//! unwinds native frames into a record and continuing (or restoring) rewinds them; the
//! compile-time safe-point maps that translate between that record and the engine-neutral
//! image are used only by [`checkpoint`].

pub mod checkpoint;
pub mod code;
pub mod compiler;
pub mod executor;
pub mod instance;
pub mod module;
pub mod ops;
pub mod refs;
pub mod values;

pub use executor::NativeCounts;
pub use instance::Instance;
pub use module::Module;
