//! Numeric semantics shared by every engine: the operations whose WebAssembly meaning differs
//! from Rust's operators (NaN-propagating min/max, round-to-nearest-even, checked division,
//! trapping and saturating truncation).
//!
//! Every function is total: the trapping ones return [`crate::Trap`] instead of panicking.

pub mod convert;
pub mod float;
pub mod int;
