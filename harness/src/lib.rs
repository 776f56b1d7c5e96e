//! baton's differential harness: engines behind one trait ([`engine`]), their adapters
//! ([`adapters`]), the WebAssembly spec-suite runner with its checkpoint-everywhere mode
//! ([`spec`]), the benchmark runner ([`mod@bench`]) and the differential checkpoint/restore
//! fuzz campaign ([`fuzz`]), and the reference out-of-process adapter ([`serve`]).

pub mod adapters;
pub mod bench;
pub mod fuzz;
pub mod imports;
pub mod serve;
pub mod spec;
