//! A campaign: many generated cases checked in parallel (rayon), with a progress bar, findings
//! deduplicated and written as they appear, and a closing `summary.json`.
//!
//! Invariants: case `i` of a campaign seeded `s` is generated from `case_seed(s, i)` alone, so
//! any case regenerates without the others; a finding with an already-seen signature only
//! increments that finding's count; a panicking engine never takes the campaign down, and a hung
//! one is reported as a `timeout` finding by the watchdog (which, past the budget, ends the
//! process rather than wait for it).

mod summary;
mod watchdog;

pub use summary::{write_summary, Summary};

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

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
    /// When the budget is over and every case still running is stuck past the hang limit
    /// (twice the per-operation wall-clock limit), write the summary and exit the process with
    /// status 1 instead of waiting forever (the CLI sets this; tests do not).
    pub exit_on_hang: bool,
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
    /// Cases being checked: campaign index -> start.
    running: HashMap<u64, Instant>,
    /// Running cases already reported as hung.
    hung: BTreeSet<u64>,
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

/// Fills the closing numbers, rewrites findings seen more than once with their count, and
/// writes `summary.json`.
fn finalize(state: &mut State, options: &Options, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let jobs = options.jobs.max(1);
    let summary = &mut state.summary;
    summary.seed = options.seed;
    summary.engines = options.engines.iter().map(|e| e.name.clone()).collect();
    summary.jobs = jobs;
    summary.seconds = seconds;
    summary.cases_per_second = summary.cases as f64 / seconds.max(1e-9);
    summary.conversions_per_second_per_core =
        summary.conversions as f64 / seconds.max(1e-9) / jobs as f64;
    summary.unique_findings.clear();
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
}

/// Records a finding for `case` (deduplicated by signature, written on first sight).
fn record(state: &mut State, options: &Options, case: Case, finding: Finding) {
    *state
        .summary
        .findings
        .entry(finding.class.name().to_string())
        .or_default() += 1;
    let signature = finding.signature();
    match state.by_signature.get(&signature) {
        Some(&i) => state.findings[i].count += 1,
        None => {
            let dir = options
                .out
                .as_deref()
                .and_then(|out| report::write(out, &case, &finding, 1).ok());
            state.by_signature.insert(signature, state.findings.len());
            state.findings.push(Unique {
                case,
                finding,
                count: 1,
                dir,
            });
        }
    }
}

/// The case with campaign index `index` as far as it can be rebuilt without running it (the
/// schedule of a generated case is not materialized).
fn case_at(
    options: &Options,
    index: u64,
    names: &[String],
    checkpointers: &[String],
) -> Option<Case> {
    match options.seeds.get(index as usize) {
        Some(case) => Some(case.clone()),
        None => {
            let generated_index = index - options.seeds.len() as u64;
            let origin = Some((options.seed, generated_index));
            generate(
                case_seed(options.seed, generated_index),
                origin,
                names,
                checkpointers,
            )
            .ok()
            .map(|g| materialize(&g, &[]))
        }
    }
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
        lock(&state).running.insert(index, Instant::now());
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
                let mut guard = lock(&state);
                guard.summary.generation_failures += 1;
                guard.running.remove(&index);
                continue;
            };
            check_generated_guarded(&generated, &options.engines, &options.limits)
        };
        let mut guard = lock(&state);
        let s = &mut *guard;
        s.running.remove(&index);
        s.hung.remove(&index);
        s.summary.cases += 1;
        s.summary.checkpoints += result.stats.checkpoints;
        s.summary.conversions += result.stats.conversions;
        s.summary.chains += result.stats.chains;
        s.summary.reached += u64::from(result.stats.reached);
        if index >= options.seeds.len() as u64 {
            // The distribution is the generator's: seed-corpus cases are left out.
            s.summary.distribution.add(&result.stats.shape);
        }
        s.summary
            .unsupported
            .extend(result.stats.unsupported.iter().cloned());
        match result.verdict {
            Verdict::Pass => s.summary.passed += 1,
            Verdict::Skipped(reason) => {
                let key: String = reason.chars().take(60).collect();
                *s.summary.skipped.entry(key).or_default() += 1;
            }
            Verdict::Finding(finding) => record(s, options, case, *finding),
        }
        bar.set_message(progress_message(
            &s.summary,
            started.elapsed().as_secs_f64(),
        ));
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|threads| {
        threads.spawn(|| {
            let watch = watchdog::Watch {
                state: &state,
                options,
                started,
                done: &done,
                next: &next,
                names: &names,
                checkpointers: &checkpointers,
            };
            watch.run();
        });
        match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            Ok(pool) => pool.scope(|scope| {
                for _ in 0..jobs {
                    scope.spawn(|_| work());
                }
            }),
            Err(_) => work(),
        }
        done.store(true, Ordering::Relaxed);
    });
    bar.finish_and_clear();
    let mut state = match state.into_inner() {
        Ok(state) => state,
        Err(poisoned) => poisoned.into_inner(),
    };
    finalize(&mut state, options, started);
    Outcome {
        summary: state.summary,
        findings: state.findings,
    }
}
