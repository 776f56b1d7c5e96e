//! A campaign: many generated cases checked in parallel (rayon), with a progress bar, findings
//! deduplicated and written as they appear, and a closing `summary.json`.
//!
//! Invariants: case `i` of a campaign seeded `s` is generated from `case_seed(s, i)` alone, so
//! any case regenerates without the others; a finding with an already-seen signature only
//! increments that finding's count; a panicking engine never takes the campaign down.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::case::Case;
use super::engines::EngineSpec;
use super::exec::Limits;
use super::finding::{Class, Finding};
use super::generator::{generate, materialize, Generated};
use super::oracles::{check, check_generated, CaseResult, Stats, Verdict};
use super::report;
use super::rng::case_seed;

/// When a campaign stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// After this much wall-clock time.
    Time(Duration),
    /// After this many cases.
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
    /// Where findings and `summary.json` go; `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Per-operation bounds.
    pub limits: Limits,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    /// Concrete cases (the seed corpus) checked before the generated ones, on top of the budget.
    pub seeds: Vec<Case>,
}

/// One distinct finding and how often it was seen.
#[derive(Clone, Debug)]
pub struct Unique {
    /// The first case that showed it.
    pub case: Case,
    /// The finding.
    pub finding: Finding,
    /// Cases that showed it.
    pub count: u64,
    /// Where it was written.
    pub dir: Option<PathBuf>,
}

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

/// A campaign's results.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The numbers.
    pub summary: Summary,
    /// Distinct findings, in order of discovery.
    pub findings: Vec<Unique>,
}

#[derive(Default)]
struct State {
    summary: Summary,
    findings: Vec<Unique>,
    by_signature: HashMap<String, usize>,
}

fn progress_message(summary: &Summary, elapsed: f64) -> String {
    let classes: Vec<String> = Class::ALL
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c.name(),
                summary.findings.get(c.name()).copied().unwrap_or(0)
            )
        })
        .collect();
    format!(
        "{} cases ({:.0}/s), {} images converted, findings: {}",
        summary.cases,
        summary.cases as f64 / elapsed.max(1e-9),
        summary.conversions,
        classes.join(" ")
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn panic_result(payload: Box<dyn std::any::Any + Send>) -> CaseResult {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic payload".into());
    let finding = Finding {
        class: Class::Panic,
        engines: vec!["harness".into()],
        summary: "panic outside any engine operation".into(),
        first_difference: message,
        place: "harness".into(),
        evidence: Vec::new(),
        images: Vec::new(),
    };
    CaseResult {
        verdict: Verdict::Finding(Box::new(finding)),
        stats: Stats::default(),
    }
}

/// [`check`] with panics outside engine operations (the harness's own libraries: analysis,
/// codec, text views) turned into a `panic` finding on the engine `harness`.
pub fn check_guarded(case: &Case, engines: &[EngineSpec], limits: &Limits) -> (Case, CaseResult) {
    let result = catch_unwind(AssertUnwindSafe(|| check(case, engines, limits)))
        .unwrap_or_else(panic_result);
    (case.clone(), result)
}

/// [`check_generated`] with the same panic guard as [`check_guarded`].
pub fn check_generated_guarded(
    generated: &Generated,
    engines: &[EngineSpec],
    limits: &Limits,
) -> (Case, CaseResult) {
    catch_unwind(AssertUnwindSafe(|| {
        check_generated(generated, engines, limits)
    }))
    .unwrap_or_else(|payload| (materialize(generated, &[]), panic_result(payload)))
}

/// Runs a campaign.
pub fn run(options: &Options) -> Outcome {
    let started = Instant::now();
    let names: Vec<String> = options.engines.iter().map(|e| e.name.clone()).collect();
    let checkpointers: Vec<String> = options
        .engines
        .iter()
        .filter(|e| e.checkpoints)
        .map(|e| e.name.clone())
        .collect();
    let state = Mutex::new(State::default());
    let next = AtomicU64::new(0);
    let bar = if options.progress {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let jobs = options.jobs.max(1);
    let work = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let done = match options.budget {
            Budget::Cases(n) => index >= n + options.seeds.len() as u64,
            Budget::Time(limit) => started.elapsed() >= limit,
        };
        if done {
            break;
        }
        let (case, result) = if let Some(seed_case) = options.seeds.get(index as usize) {
            check_guarded(seed_case, &options.engines, &options.limits)
        } else {
            let generated_index = index - options.seeds.len() as u64;
            let seed = case_seed(options.seed, generated_index);
            let generated = catch_unwind(AssertUnwindSafe(|| {
                let origin = Some((options.seed, generated_index));
                generate(seed, origin, &names, &checkpointers)
            }));
            let Ok(Ok(generated)) = generated else {
                lock(&state).summary.generation_failures += 1;
                continue;
            };
            check_generated_guarded(&generated, &options.engines, &options.limits)
        };
        let mut guard = lock(&state);
        let s = &mut *guard;
        s.summary.cases += 1;
        s.summary.checkpoints += result.stats.checkpoints;
        s.summary.conversions += result.stats.conversions;
        s.summary.chains += result.stats.chains;
        s.summary.reached += u64::from(result.stats.reached);
        s.summary
            .unsupported
            .extend(result.stats.unsupported.iter().cloned());
        match result.verdict {
            Verdict::Pass => s.summary.passed += 1,
            Verdict::Skipped(reason) => {
                let key: String = reason.chars().take(60).collect();
                *s.summary.skipped.entry(key).or_default() += 1;
            }
            Verdict::Finding(finding) => {
                *s.summary
                    .findings
                    .entry(finding.class.name().to_string())
                    .or_default() += 1;
                let signature = finding.signature();
                match s.by_signature.get(&signature) {
                    Some(&i) => s.findings[i].count += 1,
                    None => {
                        let dir = options
                            .out
                            .as_deref()
                            .and_then(|out| report::write(out, &case, &finding, 1).ok());
                        s.by_signature.insert(signature, s.findings.len());
                        s.findings.push(Unique {
                            case,
                            finding: *finding,
                            count: 1,
                            dir,
                        });
                    }
                }
            }
        }
        bar.set_message(progress_message(
            &s.summary,
            started.elapsed().as_secs_f64(),
        ));
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|_| work());
            }
        }),
        Err(_) => work(),
    }
    bar.finish_and_clear();
    let mut state = match state.into_inner() {
        Ok(state) => state,
        Err(poisoned) => poisoned.into_inner(),
    };
    let seconds = started.elapsed().as_secs_f64();
    let summary = &mut state.summary;
    summary.seed = options.seed;
    summary.engines = names;
    summary.jobs = jobs;
    summary.seconds = seconds;
    summary.cases_per_second = summary.cases as f64 / seconds.max(1e-9);
    summary.conversions_per_second_per_core =
        summary.conversions as f64 / seconds.max(1e-9) / jobs as f64;
    for unique in &mut state.findings {
        if let (Some(out), true) = (options.out.as_deref(), unique.count > 1) {
            unique.dir = report::write(out, &unique.case, &unique.finding, unique.count).ok();
        }
        let name = unique
            .dir
            .as_ref()
            .map_or_else(|| unique.finding.signature(), |d| d.display().to_string());
        summary.unique_findings.push((name, unique.count));
    }
    if let Some(out) = options.out.as_deref() {
        let _ = write_summary(out, summary);
    }
    Outcome {
        summary: state.summary,
        findings: state.findings,
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
