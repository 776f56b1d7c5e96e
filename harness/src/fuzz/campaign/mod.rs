//! A campaign: many cases checked in parallel (rayon), with a progress bar, findings
//! deduplicated and written as they appear, a journal of completed cases, and a closing
//! `summary.json`; campaigns can be sharded (`--shard I/N`), resumed (`--resume`), interrupted
//! (SIGINT) and merged (`baton merge`).
//!
//! Files in the output folder: `campaign.json` ([`output::Manifest`]), `journal.jsonl`
//! ([`journal`]), `summary.json` ([`Summary`]) and one `<class>-<hash>/` per distinct finding.
//!
//! Invariants:
//! - the output folder is created and proven writable before the first case; a write error
//!   stops the campaign and is returned as a [`CampaignError`] naming the path;
//! - global case index `i` of a campaign seeded `s` is fully determined by `(s, i)` and the seed
//!   corpus ([`space`]), so any case regenerates without the others, a budget of `N` cases runs
//!   exactly indices `0..N`, and shards of one seed are disjoint;
//! - a case is journaled only after its finding directory is complete on disk, and counted in
//!   the summary only once journaled; a resumed campaign runs exactly the indices its journal
//!   lacks;
//! - a finding with an already-seen signature only increments that finding's count;
//! - a panicking engine never takes the campaign down, and a hung one is reported (and
//!   journaled) once as a `timeout` finding by the watchdog (which, past the budget, ends the
//!   process rather than wait for it).

mod guard;
pub mod journal;
pub mod merge;
pub mod output;
mod run;
pub mod space;
mod summary;
mod watchdog;

pub use guard::{check_generated_guarded, check_guarded};
pub use output::CampaignError;
pub use summary::{read_summary, write_summary, Summary};

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::case::Case;
use super::engines::EngineSpec;
use super::exec::Limits;
use super::finding::Finding;
use space::Shard;

/// When a campaign stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// After this much campaign time (summed over resumed runs).
    Time(Duration),
    /// After case indices `0..n` (of this shard) are done.
    Cases(u64),
}

/// A campaign's settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// When to stop.
    pub budget: Budget,
    /// Worker threads.
    pub jobs: usize,
    /// The campaign seed.
    pub seed: u64,
    /// Engines to run.
    pub engines: Vec<EngineSpec>,
    /// Where findings, the journal and `summary.json` go; `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Per-operation bounds.
    pub limits: Limits,
    /// Show a progress bar (on a terminal) and announce findings on stdout as they are written.
    pub progress: bool,
    /// Concrete cases (the seed corpus), interleaved with the generated ones within the budget
    /// (see [`space::slot`]).
    pub seeds: Vec<Case>,
    /// When the budget is over and every case still running is stuck past the hang limit
    /// (twice the per-operation wall-clock limit), write the summary and exit the process with
    /// status 1 instead of waiting forever (the CLI sets this; tests do not).
    pub exit_on_hang: bool,
    /// The part of the case space this campaign runs.
    pub shard: Shard,
    /// Continue the campaign journaled in `out` (same seed, engines, shard and seed corpus)
    /// instead of starting afresh.
    pub resume: bool,
    /// Set (by a SIGINT handler) to stop taking new cases; the summary is still written.
    pub stop: Option<Arc<AtomicBool>>,
}

impl Options {
    /// Settings with the defaults of a library caller: one job, no output, no seed corpus, no
    /// progress, the whole space, not resuming.
    pub fn new(budget: Budget, seed: u64, engines: Vec<EngineSpec>) -> Options {
        Options {
            budget,
            jobs: 1,
            seed,
            engines,
            out: None,
            limits: Limits::default(),
            progress: false,
            seeds: Vec::new(),
            exit_on_hang: false,
            shard: Shard::WHOLE,
            resume: false,
            stop: None,
        }
    }
}

/// One distinct finding and how often it was seen.
#[derive(Clone, Debug)]
pub struct Unique {
    /// The first case that showed it.
    pub case: Case,
    /// The finding (without evidence when it was rebuilt from a journal on resume).
    pub finding: Finding,
    /// Cases that showed it.
    pub count: u64,
    /// Where it was written.
    pub dir: Option<PathBuf>,
    /// The global index of the first case that showed it.
    pub first_index: u64,
}

/// A campaign's results.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The numbers.
    pub summary: Summary,
    /// Distinct findings, by the first case index that showed them.
    pub findings: Vec<Unique>,
}

/// Runs a campaign (or resumes the one in `options.out`).
pub fn run(options: &Options) -> Result<Outcome, CampaignError> {
    run::Run::start(options)?.go()
}
