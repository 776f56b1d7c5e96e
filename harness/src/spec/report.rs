//! Per-directive verdicts and per-file / suite totals, with the failures kept for `-v`.

use std::fmt;

use super::checkpoint::CheckpointStats;

/// The verdict of one directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// As expected only through one of the engine's declared trap aliases (counted as passed and
    /// reported separately).
    PassAliased,
    /// Not as expected: why.
    Fail(String),
    /// Deliberately not run: why (always counted and printed).
    Skip(String),
}

/// Where a directive is: 1-based line and column, and its keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line of the directive.
    pub line: usize,
    /// 1-based column of the directive.
    pub col: usize,
    /// The directive's keyword.
    pub directive: &'static str,
}

/// One failed (or skipped) directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line of the directive.
    pub line: usize,
    /// 1-based column of the directive.
    pub col: usize,
    /// The directive's keyword.
    pub directive: &'static str,
    /// Expected versus got (or why it was skipped).
    pub message: String,
}

impl Failure {
    fn at(location: Location, message: String) -> Self {
        Self {
            line: location.line,
            col: location.col,
            directive: location.directive,
            message,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} {}: {}",
            self.line, self.col, self.directive, self.message
        )
    }
}

/// The totals of one `.wast` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// Directives that behaved as expected.
    pub passed: usize,
    /// Directives that did not.
    pub failed: usize,
    /// Directives deliberately not run.
    pub skipped: usize,
    /// Passes that needed a trap alias.
    pub aliased: usize,
    /// Every failure, in file order.
    pub failures: Vec<Failure>,
    /// Every skip, in file order.
    pub skips: Vec<Failure>,
    /// Checkpoint-everywhere counters (zero outside that mode).
    pub checkpoint: CheckpointStats,
}

impl FileReport {
    /// An empty report for `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    /// Records one directive's verdict.
    pub fn record(&mut self, at: Location, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::PassAliased => {
                self.passed += 1;
                self.aliased += 1;
            }
            Verdict::Fail(message) => {
                self.failed += 1;
                self.failures.push(Failure::at(at, message));
            }
            Verdict::Skip(message) => {
                self.skipped += 1;
                self.skips.push(Failure::at(at, message));
            }
        }
    }

    /// Records that the file itself did not parse: one failure.
    pub fn record_parse_failure(&mut self, message: String) {
        let whole_file = Location {
            line: 0,
            col: 0,
            directive: "parse",
        };
        self.record(whole_file, Verdict::Fail(message));
    }
}

/// The totals of a suite run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// One report per file, in file-name order.
    pub files: Vec<FileReport>,
}

impl SuiteReport {
    /// Total passed directives.
    pub fn passed(&self) -> usize {
        self.files.iter().map(|f| f.passed).sum()
    }

    /// Total failed directives.
    pub fn failed(&self) -> usize {
        self.files.iter().map(|f| f.failed).sum()
    }

    /// Total skipped directives.
    pub fn skipped(&self) -> usize {
        self.files.iter().map(|f| f.skipped).sum()
    }

    /// Total passes through trap aliases.
    pub fn aliased(&self) -> usize {
        self.files.iter().map(|f| f.aliased).sum()
    }

    /// Checkpoint counters summed over files.
    pub fn checkpoint(&self) -> CheckpointStats {
        let mut total = CheckpointStats::default();
        for file in &self.files {
            total.add(&file.checkpoint);
        }
        total
    }

    /// The closing line: `N passed, N failed` plus `, N skipped` when anything was skipped.
    pub fn summary_line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            line.push_str(&format!(", {} skipped", self.skipped()));
        }
        line
    }
}
