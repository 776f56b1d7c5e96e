//! `baton check MODULE.wasm`: the fuzz properties on a user's own program (an exported
//! function, or a WASI command served by [`crate::wasi`]) instead of a generated module.
//!
//! Files: [`target`] (the case a module and its invocation make), [`samples`] (which event
//! numbers to stop at), [`sweep`] (the per-sample properties), [`summary`] (findings, the
//! summary line and `summary.json`), [`cli`] (the command's arguments).
//!
//! Cost: each checkpointing engine runs the program once, stopping at every sample in turn
//! ([`crate::fuzz::exec::Stepper`]: resume from the previous stop, never from the start); every
//! image is restored on every checkpointing engine and run to the end (on average half a run);
//! a chain (with `--chains`) re-runs its first hop from the start (one run). So `N` samples
//! with `E` checkpointing engines cost about `E + N * (E * E / 2 + 1)` runs: linear in `N`.
//!
//! Invariants: the comparisons are the fuzz properties' own ([`crate::fuzz::oracles`]); every
//! finding is written with a `case.json` whose schedule stops at its sample, so
//! `baton reproduce` replays it and `baton shrink` minimises it; distinct findings are
//! deduplicated by their signature.

pub mod cli;
pub mod samples;
pub mod summary;
pub mod sweep;
pub mod target;

pub use cli::{run_command, CheckArgs};
pub use summary::CheckSummary;
pub use sweep::{check, CheckError, CheckOptions};
