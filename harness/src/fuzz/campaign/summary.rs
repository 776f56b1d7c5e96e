//! A campaign's closing numbers (`summary.json`) and the one-line summary.
//!
//! Invariant: `summary.json` is written atomically (temporary file, then rename).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::fuzz::oracles::shape::Distribution;

/// The closing numbers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Campaign seed.
    pub seed: u64,
    /// Engines run.
    pub engines: Vec<String>,
    /// Worker threads.
    pub jobs: usize,
    /// Cases checked.
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
    /// Distinct findings: (directory or signature, count).
    pub unique_findings: Vec<(String, u64)>,
    /// Engines skipped for lacking an operation.
    pub unsupported: BTreeSet<String>,
    /// What the cases reached: the generator's distribution (issue 14's figures).
    pub distribution: Distribution,
}

impl Summary {
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

/// Writes `summary.json` atomically.
pub fn write_summary(out: &Path, summary: &Summary) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let temp = out.join(format!(".summary-{}.json", std::process::id()));
    let text = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    std::fs::write(&temp, text)?;
    std::fs::rename(temp, out.join("summary.json"))
}
