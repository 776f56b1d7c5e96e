//! A campaign's closing numbers (`summary.json`) and the one-line summary.
//!
//! Invariants: `summary.json` is written atomically (temporary file, then rename); its case
//! counters are a fold ([`Summary::apply`]) of the journal's entries, so a resumed or merged
//! campaign's summary equals the one an uninterrupted campaign would write; `cases` equals
//! `passed + skipped + generation_failures + findings`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::journal::{Entry, Verdict};
use super::output::{write_atomic, CampaignError};

use crate::fuzz::oracles::shape::Distribution;

/// The closing numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Campaign seed.
    pub seed: u64,
    /// The shard (`I/N`; `0/1` for a whole campaign or a merge of every shard).
    #[serde(default)]
    pub shard: String,
    /// Whether the budget was used up (false when interrupted or stopped by a write error).
    #[serde(default)]
    pub complete: bool,
    /// Engines run.
    pub engines: Vec<String>,
    /// Worker threads.
    pub jobs: usize,
    /// Cases run (every case index of the budget, generation failures included).
    pub cases: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Cases whose every property held.
    pub passed: u64,
    /// Cases that could not be checked (reason counts).
    pub skipped: BTreeMap<String, u64>,
    /// Seeds wasm-smith could not turn into a valid module.
    pub generation_failures: u64,
    /// Cases whose schedule's event was reached (images taken).
    pub reached: u64,
    /// Images taken.
    pub checkpoints: u64,
    /// Restores run to the end and verified.
    pub conversions: u64,
    /// Two-hop chains (A -> B -> C) run to the end and verified.
    pub chains: u64,
    /// Verified conversions per second per worker.
    pub conversions_per_second_per_core: f64,
    /// Cases per second.
    pub cases_per_second: f64,
    /// Findings (cases) per class.
    pub findings: BTreeMap<String, u64>,
    /// Distinct findings: (directory name `<class>-<hash>`, count), by first case index.
    pub unique_findings: Vec<(String, u64)>,
    /// Engines skipped for lacking an operation.
    pub unsupported: BTreeSet<String>,
    /// What the cases reached: the generator's distribution (issue 14's figures).
    pub distribution: Distribution,
}

impl Summary {
    /// Counts one completed case.
    pub fn apply(&mut self, entry: &Entry) {
        self.cases += 1;
        self.checkpoints += entry.checkpoints;
        self.conversions += entry.conversions;
        self.chains += entry.chains;
        self.reached += u64::from(entry.reached);
        self.unsupported.extend(entry.unsupported.iter().cloned());
        if let Some(shape) = &entry.shape {
            self.distribution.add(shape);
        }
        match &entry.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Skipped { reason } => *self.skipped.entry(reason.clone()).or_default() += 1,
            Verdict::GenerationFailure => self.generation_failures += 1,
            Verdict::Finding { head, .. } => {
                *self
                    .findings
                    .entry(head.class.name().to_string())
                    .or_default() += 1;
            }
        }
    }

    /// The summary of `entries` (counters and distinct findings, ordered by the first case
    /// index that showed them); run settings and rates are left for the caller.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Summary {
        let mut summary = Summary::default();
        let mut first: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for entry in entries {
            summary.apply(entry);
            if let Verdict::Finding { dir, .. } = &entry.verdict {
                let slot = first.entry(dir.clone()).or_insert((entry.index, 0));
                slot.0 = slot.0.min(entry.index);
                slot.1 += 1;
            }
        }
        let mut unique: Vec<(u64, String, u64)> = first
            .into_iter()
            .map(|(dir, (index, count))| (index, dir, count))
            .collect();
        unique.sort();
        summary.unique_findings = unique.into_iter().map(|(_, dir, n)| (dir, n)).collect();
        summary
    }

    /// Total finding cases.
    pub fn finding_count(&self) -> u64 {
        self.findings.values().sum()
    }

    /// The one-line closing summary.
    pub fn line(&self) -> String {
        let classes: Vec<String> = self
            .findings
            .iter()
            .map(|(class, n)| format!("{class} {n}"))
            .collect();
        format!(
            "{} cases in {:.1}s ({:.0}/s, {} jobs): {} passed, {} skipped, {} checkpoints, {} conversions ({:.0}/s/core, {} chains), {} findings ({} distinct){}",
            self.cases,
            self.seconds,
            self.cases_per_second,
            self.jobs,
            self.passed,
            self.skipped.values().sum::<u64>(),
            self.checkpoints,
            self.conversions,
            self.conversions_per_second_per_core,
            self.chains,
            self.finding_count(),
            self.unique_findings.len(),
            if classes.is_empty() { String::new() } else { format!(": {}", classes.join(", ")) }
        )
    }
}

/// Writes `<out>/summary.json` atomically.
pub fn write_summary(out: &Path, summary: &Summary) -> Result<(), CampaignError> {
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(summary)
        .map_err(|e| CampaignError::io("encoding", &path, e.into()))?;
    write_atomic(&path, text.as_bytes())
}

/// Reads `<dir>/summary.json`.
pub fn read_summary(dir: &Path) -> Result<Summary, CampaignError> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|source| CampaignError::io("reading", &path, source))?;
    serde_json::from_str(&text)
        .map_err(|e| CampaignError::mismatch(&path, format!("not a campaign summary: {e}")))
}
