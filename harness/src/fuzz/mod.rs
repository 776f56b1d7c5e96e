//! The differential checkpoint/restore fuzzer: generate a case, run it uninterrupted on every
//! engine, checkpoint it at event `k` on every checkpointing engine, convert every image across
//! every ordered engine pair (and along a chain), and compare everything against the
//! uninterrupted outcome.
//!
//! Layout (after wasmtime's `crates/fuzzing`): [`generator`] builds cases from a seed (with
//! [`rng`]) or from fuzzer bytes ([`choices`] plumbs either in), half of them [`shaped`] to reach
//! deep checkpoint states, [`case`] is the replayable
//! case file, [`host`] is the recording host module every case imports from, [`engines`] names
//! the engines (registry and mutants), [`exec`] drives one engine through a case,
//! [`observation`] is what a run shows and how two differ, [`oracles`] are the five
//! properties, [`finding`] and [`report`] describe and write what failed, [`campaign`] runs
//! many cases in parallel (with a watchdog, a journal that makes it resumable, shards and
//! merges), [`reproduce`] and [`shrink`] replay and minimise one case, [`corpus`] turns the
//! committed seeds and regressions into cases, [`mutants`] wraps a real engine to corrupt its
//! images (the proof that the oracles catch realistic mapping bugs), [`bench`](mod@bench)
//! measures throughput and overhead, [`bench_mutants`] detection power (cases and time to each
//! mutant's first finding), [`targets`] are the cargo-fuzz targets' bodies
//! (`run(&mut Unstructured)`, as in wasm-tools) and [`cli`] the `baton fuzz | merge |
//! reproduce | shrink` commands.
//!
//! Invariants:
//! - a case is fully determined by its JSON file (module bytes, invocations, schedule, engines):
//!   replaying it gives the same verdict;
//! - every engine operation runs under `catch_unwind` and a wall-clock check (and campaigns
//!   under a watchdog), so a panicking, failing or hanging engine becomes a finding, never a
//!   dead campaign;
//! - properties are checked in order (semantics, checkpoint, codec, restore, chain) and a case
//!   reports at most one finding: the first property that fails.

pub mod bench;
pub mod bench_mutants;
pub mod campaign;
pub mod case;
pub mod choices;
pub mod cli;
pub mod corpus;
pub mod engines;
pub mod exec;
pub mod finding;
pub mod generator;
pub mod host;
pub mod mutants;
pub mod observation;
pub mod oracles;
pub mod report;
pub mod reproduce;
pub mod rng;
pub mod shaped;
pub mod shrink;
pub mod targets;
