//! baton's `register` interpreter, after the WAMR fast interpreter.
//!
//! Each function is compiled once ([`compiler`]) to register code ([`code`]) whose operands are
//! 32-bit cell offsets in the frame: `local.get` and constants emit nothing, `local.set` retargets
//! the previous instruction's destination, blocks emit nothing and branches carry copy lists.
//! The compiler also builds the tables that map register state back to the engine-neutral image
//! (code position <-> Wasm offset, operand-stack maps); [`checkpoint`] is the only module that
//! uses them to read or write images.

pub mod cells;
pub mod checkpoint;
pub mod code;
pub mod compiler;
mod executor;
pub mod instance;
pub mod module;
mod ops;
pub mod refs;
pub mod values;

pub use instance::Instance;
pub use module::Module;
