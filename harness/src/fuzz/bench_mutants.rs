//! `baton fuzz --bench-mutants`: detection power. For every built-in corruption mutant (wrapping
//! `stack` among the default engines), the time and the number of cases until the first
//! finding of a checkpoint class, median over several campaign seeds, with the seed corpus
//! replayed first and with random generation alone.
//!
//! Invariants: each run is one thread, checks cases in campaign order (seed corpus first when
//! on, then `case_seed(seed, i)`) and stops at the first finding that is neither `semantics`
//! nor `oracle` (uninterrupted runs are the engines' own, never the mutant's) or at the budget;
//! a run that found nothing counts as not found, never as a time.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::case::Case;
use super::cli::seed_corpus;
use super::engines::{default_names, resolve_all, EngineSpec};
use super::exec::Limits;
use super::finding::Class;
use super::generator::generate;
use super::mutants::Corruption;
use super::oracles::{check, check_generated, Verdict};
use super::rng::case_seed;

/// The engine each mutant wraps.
pub const BASE: &str = "stack";

/// One run: a mutant, a campaign seed, corpus on or off.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Campaign seed.
    pub seed: u64,
    /// Cases checked until the first finding (or the budget).
    pub cases: u64,
    /// Seconds until the first finding (or the budget).
    pub seconds: f64,
    /// The finding's class and place, when one was found.
    pub finding: Option<String>,
}

/// A mutant's runs in one mode and their medians over the runs that found it.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The corruption's name.
    pub mutant: String,
    /// Whether the seed corpus ran first.
    pub corpus: bool,
    /// Runs that found it, of all runs.
    pub found: usize,
    /// Median cases to the first finding (over every run; a miss counts as infinite).
    pub median_cases: Option<u64>,
    /// Median seconds to the first finding (same rule).
    pub median_seconds: Option<f64>,
    /// Every run.
    pub runs: Vec<Run>,
}

/// The budget of one run.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Wall-clock limit.
    pub time: Duration,
    /// Case limit (seed-corpus cases included).
    pub cases: u64,
}

fn first_finding(
    engines: &[EngineSpec],
    seeds: &[Case],
    seed: u64,
    budget: Budget,
    limits: &Limits,
) -> Run {
    let (names, checkpointers) = super::engines::names_and_checkpointers(engines);
    let started = Instant::now();
    let mut cases = 0;
    let mut index = 0;
    while started.elapsed() < budget.time && cases < budget.cases {
        let verdict = if let Some(case) = seeds.get(cases as usize) {
            check(case, engines, limits).verdict
        } else {
            let generated = generate(case_seed(seed, index), None, &names, &checkpointers);
            index += 1;
            match generated {
                Ok(generated) => check_generated(&generated, engines, limits).1.verdict,
                Err(_) => continue,
            }
        };
        cases += 1;
        if let Verdict::Finding(finding) = verdict {
            if !matches!(finding.class, Class::Semantics | Class::Oracle) {
                return Run {
                    seed,
                    cases,
                    seconds: started.elapsed().as_secs_f64(),
                    finding: Some(format!("{}: {}", finding.class.name(), finding.place)),
                };
            }
        }
    }
    Run {
        seed,
        cases,
        seconds: started.elapsed().as_secs_f64(),
        finding: None,
    }
}

/// The median of `values` where `None` (not found) sorts last; `None` when most runs missed.
fn median<T: Copy + PartialOrd>(values: &[Option<T>]) -> Option<T> {
    let mut sorted: Vec<Option<T>> = values.to_vec();
    sorted.sort_by(|a, b| match (a, b) {
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .flatten()
}

/// Runs every mutant with `seeds` campaign seeds, corpus on and off.
pub fn run(seeds: &[u64], budget: Budget, limits: &Limits) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for corruption in Corruption::ALL {
        let names: Vec<String> = default_names()
            .into_iter()
            .map(|name| {
                if name == BASE {
                    corruption.engine_name(BASE)
                } else {
                    name
                }
            })
            .collect();
        let engines = resolve_all(&names)?;
        for corpus in [true, false] {
            let seed_cases = if corpus {
                seed_corpus(&engines)
            } else {
                Vec::new()
            };
            let runs: Vec<Run> = seeds
                .iter()
                .map(|&seed| first_finding(&engines, &seed_cases, seed, budget, limits))
                .collect();
            let found: Vec<Option<(u64, f64)>> = runs
                .iter()
                .map(|r| r.finding.as_ref().map(|_| (r.cases, r.seconds)))
                .collect();
            let cases: Vec<Option<u64>> = found.iter().map(|f| f.map(|(c, _)| c)).collect();
            let seconds: Vec<Option<f64>> = found.iter().map(|f| f.map(|(_, s)| s)).collect();
            rows.push(Row {
                mutant: corruption.name().to_string(),
                corpus,
                found: found.iter().filter(|f| f.is_some()).count(),
                median_cases: median(&cases),
                median_seconds: median(&seconds),
                runs,
            });
        }
    }
    Ok(rows)
}

/// The rows as a table.
pub fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<20} {:<7} {:>6} {:>12} {:>12}  first finding (first run that found it)\n",
        "mutant", "corpus", "found", "median cases", "median s"
    );
    for row in rows {
        let cases = row
            .median_cases
            .map_or_else(|| "-".to_string(), |c| c.to_string());
        let seconds = row
            .median_seconds
            .map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
        let first = row
            .runs
            .iter()
            .find_map(|r| r.finding.clone())
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<20} {:<7} {:>3}/{:<2} {:>12} {:>12}  {first}\n",
            row.mutant,
            if row.corpus { "on" } else { "off" },
            row.found,
            row.runs.len(),
            cases,
            seconds
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_count_misses_as_infinite() {
        assert_eq!(median(&[Some(3), Some(1), Some(2)]), Some(2));
        assert_eq!(median(&[Some(3), None, Some(1)]), Some(3));
        assert_eq!(median(&[None, None, Some(1)]), None);
        assert_eq!(median::<u64>(&[]), None);
    }
}
