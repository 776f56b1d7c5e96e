//! baton's differential harness: engines behind one trait ([`engine`]), their adapters
//! ([`adapters`]), the WebAssembly spec-suite runner with its checkpoint-everywhere mode
//! ([`spec`]), the benchmark runner ([`mod@bench`]), the differential checkpoint/restore
//! fuzz campaign ([`fuzz`]) and the certification battery ([`certify`]).

pub mod adapters;
pub mod bench;
pub mod certify;
pub mod fuzz;
pub mod imports;
pub mod spec;
