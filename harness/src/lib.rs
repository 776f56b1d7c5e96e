//! baton's differential harness: engines behind the adapter API of crate `baton-engine`, their
//! registry ([`adapters`]), the WebAssembly spec-suite runner with its checkpoint-everywhere mode
//! ([`spec`]), the benchmark runner ([`mod@bench`]), the differential checkpoint/restore fuzz
//! campaign ([`fuzz`]) and the image tools ([`image`]).

pub mod adapters;
pub mod bench;
pub mod check;
pub mod fuzz;
pub mod image;
pub mod imports;
pub mod spec;
pub mod wasi;
