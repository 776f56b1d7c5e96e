//! The certificate: what was certified, by which battery, each check's counts and failures,
//! and the verdict; written as `certificate.json` and a readable `certificate.md`.
//!
//! Invariants: the verdict passes exactly when every required check passed (a required check
//! that was skipped fails); everything but `date` is a function of the engine, the references
//! and the battery, so two runs differ only in the date; both files are written atomically
//! (temporary file, then rename).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::battery::{Battery, BATTERY_VERSION};
use super::subject::{Capability, Identity};

/// The certificate file format's version.
pub const CERTIFICATE_FORMAT: u32 = 2;

/// At most this many failures are listed per check (all are counted).
pub const LISTED_FAILURES: usize = 20;

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything it checked held.
    Pass,
    /// Something failed (see the failures).
    Fail,
    /// Not run (see `skipped_because`).
    Skipped,
}

impl Status {
    /// Upper-case label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIPPED",
        }
    }
}

/// One named count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// What is counted.
    pub name: String,
    /// How many.
    pub value: u64,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable identifier (`spec-suite`, `spec-checkpoint`, `campaign`, `hostile-images`,
    /// `capabilities`).
    pub id: String,
    /// What it checks, in one line.
    pub title: String,
    /// Whether the verdict needs it to pass.
    pub required: bool,
    /// How it ended.
    pub status: Status,
    /// Why it was not run.
    pub skipped_because: Option<String>,
    /// Its counts, in a fixed order.
    pub counts: Vec<Count>,
    /// Total failures (at most [`LISTED_FAILURES`] are listed).
    pub failure_count: u64,
    /// The first failures.
    pub failures: Vec<String>,
    /// How to reproduce the first failure: a command, or a finding directory relative to the
    /// output directory.
    pub reproduce: Vec<String>,
}

impl CheckResult {
    /// A check that ran; its status follows from its failures.
    pub fn new(id: &str, title: &str, required: bool) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            required,
            status: Status::Pass,
            skipped_because: None,
            counts: Vec::new(),
            failure_count: 0,
            failures: Vec::new(),
            reproduce: Vec::new(),
        }
    }

    /// A check that was not run.
    pub fn skipped(id: &str, title: &str, required: bool, because: String) -> Self {
        Self {
            status: Status::Skipped,
            skipped_because: Some(because),
            ..Self::new(id, title, required)
        }
    }

    /// Adds a count.
    pub fn count(&mut self, name: &str, value: u64) {
        self.counts.push(Count {
            name: name.into(),
            value,
        });
    }

    /// Records a failure (listed while fewer than [`LISTED_FAILURES`] are).
    pub fn fail(&mut self, message: String) {
        self.status = Status::Fail;
        self.failure_count += 1;
        if self.failures.len() < LISTED_FAILURES {
            self.failures.push(message);
        }
    }

    /// Adds a way to reproduce (kept unique, first ones first).
    pub fn reproduce_with(&mut self, how: String) {
        if !self.reproduce.contains(&how) && self.reproduce.len() < LISTED_FAILURES {
            self.reproduce.push(how);
        }
    }

    /// Whether the check makes the verdict fail: a required check that failed or was skipped.
    pub fn fails_verdict(&self) -> bool {
        self.required && self.status != Status::Pass
    }
}

/// The battery as the certificate records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatteryRecord {
    /// `full` or `quick`.
    pub name: String,
    /// [`BATTERY_VERSION`].
    pub version: u32,
    /// The campaign seed.
    pub campaign_seed: u64,
    /// Generated campaign cases.
    pub campaign_cases: u64,
    /// The hostile-image seed.
    pub hostile_seed: u64,
    /// Checkpoint-everywhere stops per invocation.
    pub checkpoint_cap: u64,
    /// Spec files (`all` or the list).
    pub spec_files: String,
}

impl BatteryRecord {
    /// The record of `battery`.
    pub fn of(battery: &Battery) -> Self {
        Self {
            name: battery.name.into(),
            version: BATTERY_VERSION,
            campaign_seed: battery.campaign_seed,
            campaign_cases: battery.campaign_cases,
            hostile_seed: battery.hostile_seed,
            checkpoint_cap: battery.checkpoint_cap,
            spec_files: battery
                .spec_files
                .map_or_else(|| "all".into(), |files| files.join(", ")),
        }
    }
}

/// The verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every required check passed.
    Certified,
    /// At least one required check failed or was skipped.
    Failed,
}

/// What a certificate covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Running modules and checkpointing: every check of the battery.
    Checkpoint,
    /// Running modules only: the engine declares no `checkpoint` capability, so the checks
    /// needing it were skipped (not failures).
    Run,
}

/// A certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// [`CERTIFICATE_FORMAT`].
    pub format: u32,
    /// The engine: name, version, declared capabilities.
    pub engine: Identity,
    /// The reference engines it was compared with.
    pub references: Vec<String>,
    /// The baton that ran the battery.
    pub baton_version: String,
    /// The battery.
    pub battery: BatteryRecord,
    /// When (UTC, `YYYY-MM-DD`); the only field that differs between runs.
    pub date: String,
    /// Every check, in battery order.
    pub checks: Vec<CheckResult>,
    /// What the verdict covers.
    pub scope: Scope,
    /// The verdict.
    pub verdict: Verdict,
    /// The required checks that did not pass.
    pub failing_checks: Vec<String>,
}

impl Certificate {
    /// A certificate over `checks`, with the verdict they give.
    pub fn new(
        engine: Identity,
        references: Vec<String>,
        battery: &Battery,
        checks: Vec<CheckResult>,
    ) -> Self {
        let failing_checks: Vec<String> = checks
            .iter()
            .filter(|check| check.fails_verdict())
            .map(|check| check.id.clone())
            .collect();
        let scope = if engine.capabilities.has(Capability::Checkpoint) {
            Scope::Checkpoint
        } else {
            Scope::Run
        };
        Self {
            format: CERTIFICATE_FORMAT,
            scope,
            engine,
            references,
            baton_version: env!("CARGO_PKG_VERSION").into(),
            battery: BatteryRecord::of(battery),
            date: utc_date(std::time::SystemTime::now()),
            verdict: if failing_checks.is_empty() {
                Verdict::Certified
            } else {
                Verdict::Failed
            },
            checks,
            failing_checks,
        }
    }

    /// Whether every required check passed.
    pub fn certified(&self) -> bool {
        self.verdict == Verdict::Certified
    }

    /// The check with id `id`.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// One line: the verdict and, on failure, each failing check with its first failure and
    /// how to reproduce it.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} {}: {}",
            self.engine.name,
            self.engine.version,
            match (self.verdict, self.scope) {
                (Verdict::Certified, Scope::Checkpoint) => "CERTIFIED".to_string(),
                (Verdict::Certified, Scope::Run) => "CERTIFIED (run only)".to_string(),
                (Verdict::Failed, _) => {
                    format!("FAILED ({})", self.failing_checks.join(", "))
                }
            }
        );
        for check in self.checks.iter().filter(|check| check.fails_verdict()) {
            let first = check
                .failures
                .first()
                .or(check.skipped_because.as_ref())
                .map_or("", String::as_str);
            let _ = write!(out, "\n  {} {}: {first}", check.id, check.status.label());
            if let Some(how) = check.reproduce.first() {
                let _ = write!(out, "\n    reproduce: {how}");
            }
        }
        out
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }

    /// The readable text.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let engine = &self.engine;
        let _ = writeln!(
            out,
            "# baton certificate: {} {}\n",
            engine.name, engine.version
        );
        let skipped: Vec<String> = self
            .checks
            .iter()
            .filter(|check| check.status == Status::Skipped && !check.required)
            .map(|check| format!("`{}`", check.id))
            .collect();
        let verdict = match (self.verdict, self.scope) {
            (Verdict::Certified, Scope::Checkpoint) => {
                "**CERTIFIED**: every required check passed.".to_string()
            }
            (Verdict::Certified, Scope::Run) => format!(
                "**CERTIFIED (run only)**: every required check passed. The engine cannot \
                 checkpoint (it declares no `checkpoint` capability), so these checks were \
                 skipped and certify nothing about it: {}.",
                skipped.join(", ")
            ),
            (Verdict::Failed, _) => format!(
                "**FAILED**: required checks not passed: {}.",
                self.failing_checks.join(", ")
            ),
        };
        let _ = writeln!(out, "{verdict}\n");
        let _ = writeln!(out, "| | |\n| --- | --- |");
        let caps = &engine.capabilities;
        let declared: Vec<&str> = caps.declared.iter().map(|c| c.name()).collect();
        for (key, value) in [
            (
                "engine",
                format!("{} {} ({})", engine.name, engine.version, engine.source),
            ),
            ("capabilities", declared.join(", ")),
            ("safe-point kinds", caps.safe_point_kinds.join(", ")),
            ("features", caps.features.clone()),
            ("references", self.references.join(", ")),
            ("baton", self.baton_version.clone()),
            (
                "battery",
                format!("{} v{}", self.battery.name, self.battery.version),
            ),
            (
                "campaign",
                format!(
                    "seed {}, {} generated cases",
                    self.battery.campaign_seed, self.battery.campaign_cases
                ),
            ),
            (
                "hostile images",
                format!("seed {}", self.battery.hostile_seed),
            ),
            (
                "spec",
                format!(
                    "files: {}; checkpoint cap {}",
                    self.battery.spec_files, self.battery.checkpoint_cap
                ),
            ),
            ("date", self.date.clone()),
        ] {
            let _ = writeln!(out, "| {key} | {value} |");
        }
        for check in &self.checks {
            let required = if check.required {
                "required"
            } else {
                "optional"
            };
            let _ = writeln!(
                out,
                "\n## {} `{}` ({required}): {}\n",
                check.status.label(),
                check.id,
                check.title
            );
            if let Some(because) = &check.skipped_because {
                let _ = writeln!(out, "Skipped: {because}\n");
            }
            if !check.counts.is_empty() {
                let _ = writeln!(out, "| count | value |\n| --- | ---: |");
                for count in &check.counts {
                    let _ = writeln!(out, "| {} | {} |", count.name, count.value);
                }
            }
            if check.failure_count > 0 {
                let _ = writeln!(
                    out,
                    "\n{} failures (first {} listed):\n",
                    check.failure_count,
                    check.failures.len()
                );
                for failure in &check.failures {
                    let _ = writeln!(out, "- {}", failure.replace('\n', " "));
                }
            }
            if !check.reproduce.is_empty() {
                let _ = writeln!(out, "\nReproduce:\n");
                for how in &check.reproduce {
                    let _ = writeln!(out, "- `{how}`");
                }
            }
        }
        out
    }

    /// Writes `certificate.json` and `certificate.md` into `dir` (created), atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("certificate.json");
        let markdown = dir.join("certificate.md");
        write_atomic(&json, &self.to_json())?;
        write_atomic(&markdown, &self.to_markdown())?;
        Ok((json, markdown))
    }
}

/// Writes `text` to a temporary file next to `path`, then renames it over `path`.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().map_or_else(
        || "certificate".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = path.with_file_name(format!(".tmp-{name}-{}", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)
}

/// `time` as a UTC calendar date, `YYYY-MM-DD` (proleptic Gregorian).
pub fn utc_date(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01");
        // 2024-02-29 12:00:00 UTC.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_208_000);
        assert_eq!(utc_date(leap), "2024-02-29");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_735_689_600);
        assert_eq!(utc_date(new_year), "2025-01-01");
    }

    #[test]
    fn a_skipped_required_check_fails_the_verdict() {
        let mut optional = CheckResult::new("a", "optional", false);
        optional.fail("broken".into());
        let skipped = CheckResult::skipped("b", "required", true, "not declared".into());
        assert!(!optional.fails_verdict());
        assert!(skipped.fails_verdict());
        let passing = CheckResult::new("c", "required", true);
        assert!(!passing.fails_verdict());
    }
}
