//! What a check found and measured: distinct findings (written as they come, deduplicated by
//! signature), the numbers for the summary line, and `summary.json` (written atomically).
//!
//! Invariant: [`CheckSummary::failed`] is true exactly when a finding of a failing class was
//! recorded (every class but `oracle`, as for `baton fuzz`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sweep::CheckError;
use crate::fuzz::case::Case;
use crate::fuzz::finding::Finding;
use crate::fuzz::oracles::semantics::Reference;
use crate::fuzz::report;

/// Distinct findings of one check, by signature.
pub struct Findings {
    out: PathBuf,
    seen: BTreeMap<String, FindingEntry>,
}

/// One distinct finding in the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingEntry {
    /// Its class.
    pub class: String,
    /// One line.
    pub summary: String,
    /// Its directory (with `case.json`).
    pub dir: PathBuf,
    /// How many samples showed it.
    pub count: u64,
    /// Whether it fails the check.
    pub fails: bool,
}

impl Findings {
    /// No findings yet; they go under `out`.
    pub fn new(out: &Path) -> Self {
        Self {
            out: out.to_path_buf(),
            seen: BTreeMap::new(),
        }
    }

    /// Records a finding seen on `case`, writing it the first time its signature shows up.
    pub fn record(&mut self, case: &Case, finding: &Finding) -> Result<(), CheckError> {
        if let Some(entry) = self.seen.get_mut(&finding.signature()) {
            entry.count += 1;
            return Ok(());
        }
        let dir =
            report::write(&self.out, case, finding, 1).map_err(|source| CheckError::Write {
                path: self.out.clone(),
                source,
            })?;
        self.seen.insert(
            finding.signature(),
            FindingEntry {
                class: finding.class.name().to_string(),
                summary: finding.summary.clone(),
                dir,
                count: 1,
                fails: finding.class.fails(false),
            },
        );
        Ok(())
    }
}

/// The result of a check, as `summary.json` holds it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    /// The invoked export.
    pub export: String,
    /// Engines checked.
    pub engines: Vec<String>,
    /// Main-kind events of the uninterrupted run.
    pub events: u64,
    /// The program's stdout (WASI programs), lossily decoded.
    pub stdout: Option<String>,
    /// The program's exit code (WASI programs calling `proc_exit`).
    pub exit_code: Option<u32>,
    /// Unsupported WASI calls the program made, with counts.
    pub unsupported_wasi: BTreeMap<String, u64>,
    /// Samples checked.
    pub samples: u64,
    /// Images taken.
    pub images: u64,
    /// Smallest encoded image, bytes.
    pub image_bytes_min: u64,
    /// Largest encoded image, bytes.
    pub image_bytes_max: u64,
    /// Mean encoded image, bytes.
    pub image_bytes_mean: u64,
    /// Restores run to the end and compared.
    pub migrations: u64,
    /// Mean wall time of one migration (restore and run to the end), milliseconds.
    pub ms_per_migration: f64,
    /// Chains run and compared.
    pub chains: u64,
    /// Engines skipped for lacking an operation.
    pub unsupported: Vec<String>,
    /// Distinct findings.
    pub findings: Vec<FindingEntry>,
    /// Wall time of the whole check, seconds.
    pub seconds: f64,
    #[serde(skip)]
    image_bytes_total: u64,
    #[serde(skip)]
    migration_time: Duration,
}

impl CheckSummary {
    /// An empty summary for `case`.
    pub fn new(case: &Case) -> Self {
        Self {
            export: case
                .invocations
                .first()
                .map(|i| i.export.clone())
                .unwrap_or_default(),
            engines: case.engines.clone(),
            ..Self::default()
        }
    }

    /// Takes the uninterrupted run's facts.
    pub fn observe(&mut self, reference: &Reference) {
        self.events = reference.events.first().copied().flatten().unwrap_or(0);
        if let Some(wasi) = &reference.observation.wasi {
            self.stdout = Some(String::from_utf8_lossy(&wasi.stdout.0).into_owned());
            self.exit_code = wasi.exit_code;
            self.unsupported_wasi = wasi.unsupported.clone();
        }
    }

    /// Counts one image of `bytes` encoded bytes.
    pub fn image(&mut self, bytes: usize) {
        let bytes = bytes as u64;
        self.image_bytes_min = if self.images == 0 {
            bytes
        } else {
            self.image_bytes_min.min(bytes)
        };
        self.image_bytes_max = self.image_bytes_max.max(bytes);
        self.images += 1;
        self.image_bytes_total += bytes;
    }

    /// Counts `count` migrations that took `time` together.
    pub fn migrations(&mut self, count: u64, time: Duration) {
        self.migrations += count;
        self.migration_time += time;
    }

    /// Completes the summary and writes `summary.json` under `out` (best effort: a failure to
    /// write it is reported on stderr, the summary is still returned).
    pub fn finish(mut self, findings: Findings, elapsed: Duration, out: &Path) -> Self {
        self.findings = findings.seen.into_values().collect();
        self.seconds = elapsed.as_secs_f64();
        self.image_bytes_mean = self.image_bytes_total.checked_div(self.images).unwrap_or(0);
        if self.migrations > 0 {
            self.ms_per_migration =
                self.migration_time.as_secs_f64() * 1000.0 / self.migrations as f64;
        }
        if let Err(error) = write_summary(out, &self) {
            eprintln!(
                "warning: writing {}: {error}",
                out.join("summary.json").display()
            );
        }
        self
    }

    /// Whether a failing finding was recorded.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.fails)
    }

    /// The one-line summary.
    pub fn line(&self) -> String {
        format!(
            "{}: {} events, {} samples, {} images ({}..{} bytes, mean {}), {} migrations ({:.2} ms each), {} chains, {} findings in {:.1}s",
            if self.failed() { "FAIL" } else { "ok" },
            self.events,
            self.samples,
            self.images,
            self.image_bytes_min,
            self.image_bytes_max,
            self.image_bytes_mean,
            self.migrations,
            self.ms_per_migration,
            self.chains,
            self.findings.len(),
            self.seconds
        )
    }
}

/// Writes `out/summary.json` atomically.
fn write_summary(out: &Path, summary: &CheckSummary) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    let temp = out.join(format!(".summary.json.{}", std::process::id()));
    std::fs::write(&temp, json)?;
    std::fs::rename(&temp, out.join("summary.json"))
}
