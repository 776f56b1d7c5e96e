//! Deterministic replay of one case file (or finding directory): the same case gives the same
//! verdict every time.
//!
//! Invariant: a bad case file is a typed error, never a panic.

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

/// Replays the case at `path`.
pub fn reproduce(path: &Path, limits: &Limits) -> Result<Replay, ReplayError> {
    let case = Case::load(path)?;
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
