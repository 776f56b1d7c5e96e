//! Deterministic replay of one case file (or finding directory), or of a crash artifact of the
//! `differential` fuzz target (raw libFuzzer bytes, rebuilt into the case they make): the same
//! input gives the same verdict every time.
//!
//! Invariant: a bad case file or bytes that make no case are a typed error, never a panic.

use std::path::Path;

use super::case::{Case, CaseError};
use super::engines::{resolve_all, EngineSpec};
use super::exec::Limits;
use super::oracles::{check, CaseResult, Verdict};
use super::report;

/// Why a case could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The case file is unreadable or invalid.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// The case names an engine this baton does not have.
    #[error("case engines: {0}")]
    Engine(String),
    /// Raw fuzzer bytes that could not be read or make no case.
    #[error("{path}: {message}")]
    Raw {
        /// The artifact.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Whether `path` is a case (a folder holding `case.json`, or JSON text) rather than raw fuzzer
/// bytes.
fn is_case_file(path: &Path, bytes: &[u8]) -> bool {
    path.is_dir() || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Loads the case at `path`: a `case.json`, a finding folder, or a crash artifact of the
/// `differential` fuzz target (rebuilt with the engine pool of `BATON_FUZZ_ENGINES`, as the
/// fuzzer did). The flag says whether it was raw bytes.
pub fn load(path: &Path) -> Result<(Case, bool), ReplayError> {
    if path.is_dir() {
        return Ok((Case::load(path)?, false));
    }
    let raw = |message: String| ReplayError::Raw {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| raw(e.to_string()))?;
    if is_case_file(path, &bytes) {
        match Case::load(path) {
            Ok(case) => return Ok((case, false)),
            // Fuzzer bytes may start with `{` too; only a file named case.json must be JSON.
            Err(CaseError::Parse { .. }) if path.file_name() != Some("case.json".as_ref()) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut u = arbitrary::Unstructured::new(&bytes);
    match super::targets::differential::check(&mut u).map_err(raw)? {
        Some((case, _)) => Ok((case, true)),
        None => Err(raw(
            "not a case file, and as differential fuzz-target bytes they make no case".into(),
        )),
    }
}

/// A replayed case.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The case.
    pub case: Case,
    /// Its verdict now.
    pub result: CaseResult,
    /// The report (for a finding) or a one-line verdict.
    pub report: String,
}

impl Replay {
    /// Whether the case still fails.
    pub fn fails(&self) -> bool {
        matches!(self.result.verdict, Verdict::Finding(_))
    }
}

/// Resolves the engines a case names.
pub fn case_engines(case: &Case) -> Result<Vec<EngineSpec>, ReplayError> {
    resolve_all(&case.engines).map_err(ReplayError::Engine)
}

/// Replays the case at `path` (anything [`load`] reads).
pub fn reproduce(path: &Path, limits: &Limits) -> Result<Replay, ReplayError> {
    let (case, _) = load(path)?;
    replay(case, limits)
}

/// Replays an in-memory case.
pub fn replay(case: Case, limits: &Limits) -> Result<Replay, ReplayError> {
    let engines = case_engines(&case)?;
    // A case from `baton check` carries its own fuel; its runs are long, so the wall-clock
    // limit grows with it.
    let limits = match case.fuel {
        Some(fuel) => Limits {
            fuel,
            wall: limits.wall.max(crate::check::sweep::WALL),
            ..*limits
        },
        None => *limits,
    };
    let result = check(&case, &engines, &limits);
    let report = match &result.verdict {
        Verdict::Finding(finding) => report::render(&case, finding, 1, None),
        Verdict::Pass => format!(
            "pass: every property holds ({} images taken, {} conversions verified, {} chains)\n",
            result.stats.checkpoints, result.stats.conversions, result.stats.chains
        ),
        Verdict::Skipped(reason) => format!("skipped: {reason}\n"),
    };
    Ok(Replay {
        case,
        result,
        report,
    })
}
