//! Traps: the closed set of ways a WebAssembly execution can abort.
//!
//! Each variant's `Display` is exactly the spec test suite's message, so a harness can compare
//! `assert_trap` messages directly (the spec suite matches by prefix).

use thiserror::Error;

/// Why execution trapped.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Trap {
    /// `unreachable` executed.
    #[error("unreachable")]
    Unreachable,
    /// Integer division or remainder by zero.
    #[error("integer divide by zero")]
    IntegerDivideByZero,
    /// Signed division overflow (`MIN / -1`).
    #[error("integer overflow")]
    IntegerOverflow,
    /// Float-to-int truncation of NaN or an out-of-range value.
    #[error("invalid conversion to integer")]
    InvalidConversionToInteger,
    /// A memory access or bulk memory operation outside the memory.
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    /// A table access or bulk table operation outside the table.
    #[error("out of bounds table access")]
    TableOutOfBounds,
    /// `call_indirect` with an index outside the table.
    #[error("undefined element")]
    UndefinedElement,
    /// `call_indirect` through a null entry.
    #[error("uninitialized element")]
    UninitializedElement,
    /// `call_indirect` whose callee's type differs from the expected one.
    #[error("indirect call type mismatch")]
    IndirectCallTypeMismatch,
    /// More than `Config::max_frames` Wasm frames.
    #[error("call stack exhausted")]
    CallStackExhausted,
    /// A host function reported an error.
    #[error("host trap: {0}")]
    Host(String),
}
