//! baton's differential harness: engines behind the adapter API of crate `baton-engine`, their
//! registry ([`adapters`]), the WebAssembly spec-suite runner with its checkpoint-everywhere mode
//! ([`spec`]), the benchmark runner ([`mod@bench`]), the differential checkpoint/restore fuzz
//! campaign ([`fuzz`]), the image tools ([`image`]), the reference out-of-process adapter
//! ([`serve`]) and the certification battery ([`certify`]).

pub mod adapters;
pub mod bench;
pub mod certify;
pub mod check;
pub mod fuzz;
pub mod image;
pub mod imports;
pub mod instrument;
pub mod serve;
pub mod spec;
pub mod wasi;
