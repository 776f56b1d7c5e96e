//! The check itself: property 1 on the uninterrupted runs, then, at each sample, properties 2-5
//! on images taken in one stepped run per checkpointing engine (see the module docs of
//! [`super`] for the cost).
//!
//! Invariants: a finding is recorded once per signature (with a count) and the sweep goes on,
//! so one bug does not hide another; an engine that lacks an operation is skipped and noted.

#![allow(clippy::result_large_err)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use baton_checkpoint::encode;
use baton_engine::StopRequest;
use indicatif::{ProgressBar, ProgressStyle};

use super::samples::{points, Sampling};
use super::summary::{CheckSummary, Findings};
use crate::fuzz::case::Case;
use crate::fuzz::engines::{resolve_all, EngineSpec};
use crate::fuzz::exec::{Failure, FailureKind, Limits, Step, Stepper};
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::host;
use crate::fuzz::oracles::checkpoint::{self, Taken};
use crate::fuzz::oracles::semantics::{self, Reference};
use crate::fuzz::oracles::{restore, Context, Stats, Verdict};

/// Wall-clock limit of one engine operation in a check (real programs run long).
pub const WALL: Duration = Duration::from_secs(600);

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The case (module, invocation, WASI inputs, engines, fuel).
    pub case: Case,
    /// Where to stop.
    pub sampling: Sampling,
    /// Also run chains of three engines.
    pub chains: bool,
    /// The one chain to run at every sample (`--migrate`); `None`: chains rotate over every
    /// route of three checkpointing engines.
    pub route: Option<Vec<String>>,
    /// Chooses the chain engines.
    pub seed: u64,
    /// Where findings and `summary.json` go.
    pub out: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
}

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// An engine name is unknown.
    #[error("engines: {0}")]
    Engines(String),
    /// The module's imports cannot be served.
    #[error("module imports: {0}")]
    Imports(String),
    /// No engine could run the module.
    #[error("cannot check: {0}")]
    Skipped(String),
    /// Writing findings or the summary failed.
    #[error("writing to {path}: {source}")]
    Write {
        /// The output directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The limits of a check's engine operations.
pub fn limits(case: &Case) -> Limits {
    Limits {
        fuel: case.fuel.unwrap_or(Limits::default().fuel),
        wall: WALL,
        ..Limits::default()
    }
}

/// Runs the whole check; findings are written under `options.out` as they are found.
pub fn check(options: &CheckOptions) -> Result<CheckSummary, CheckError> {
    let started = Instant::now();
    let engines = resolve_all(&options.case.engines).map_err(CheckError::Engines)?;
    let imports = host::func_imports(&options.case.module).map_err(CheckError::Imports)?;
    let base = Context {
        case: &options.case,
        engines: &engines,
        imports: imports.clone(),
        limits: limits(&options.case),
    };
    let mut findings = Findings::new(&options.out);
    let mut summary = CheckSummary::new(&options.case);
    let reference = match semantics::check(&base) {
        Ok(reference) => reference,
        Err(Verdict::Finding(finding)) => {
            findings.record(&options.case, &finding)?;
            return Ok(summary.finish(findings, started.elapsed(), &options.out));
        }
        Err(Verdict::Skipped(reason)) => return Err(CheckError::Skipped(reason)),
        Err(Verdict::Pass) => return Err(CheckError::Skipped("no reference run".into())),
    };
    summary.observe(&reference);
    let events = reference.events.first().copied().flatten().unwrap_or(0);
    let stops = points(options.sampling, events);
    let bar = progress_bar(options.progress, stops.len() as u64);
    let checkpointers: Vec<&EngineSpec> = engines.iter().filter(|e| e.checkpoints).collect();
    let mut steppers = Vec::new();
    for spec in &checkpointers {
        match Stepper::start(spec, &options.case, &imports, &base.limits, 0) {
            Ok(Some(stepper)) => steppers.push((spec.name.clone(), stepper)),
            Ok(None) => {}
            Err(failure) => note_failure(&mut findings, &mut summary, &options.case, failure)?,
        }
    }
    let chains = match &options.route {
        Some(route) => vec![route.clone()],
        None => chain_routes(&checkpointers, options.seed),
    };
    for (index, &k) in stops.iter().enumerate() {
        let mut case = options.case.clone();
        case.schedule.k = k;
        let next = stops.get(index + 1).copied();
        if let (true, Some(next), Some(route)) = (
            options.chains,
            next,
            chains.get(index % chains.len().max(1)),
        ) {
            case.schedule.chain = route.clone();
            case.schedule.chain_stops = vec![k, next];
        }
        let ctx = Context {
            case: &case,
            engines: &engines,
            imports: imports.clone(),
            limits: base.limits,
        };
        let stop = StopRequest::new(case.schedule.kind_set(), k);
        let mut taken = Vec::new();
        let mut not_reached = Vec::new();
        for (name, stepper) in &mut steppers {
            match stepper.advance(stop) {
                Ok(Step::Suspended { image, .. }) => {
                    summary.image(encode(&image).len());
                    taken.push(Taken {
                        engine: name.clone(),
                        image: *image,
                        prefix: stepper.prefix().to_vec(),
                    });
                }
                Ok(Step::Finished) => not_reached.push(name.clone()),
                Err(failure) => note_failure(&mut findings, &mut summary, &case, failure)?,
            }
        }
        if let Err(finding) = sample(&ctx, &reference, &taken, &not_reached, &mut summary) {
            findings.record(&case, &finding)?;
        }
        summary.samples += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(summary.finish(findings, started.elapsed(), &options.out))
}

/// Properties 2-5 at one sample.
fn sample(
    ctx: &Context<'_>,
    reference: &Reference,
    taken: &[Taken],
    not_reached: &[String],
    summary: &mut CheckSummary,
) -> Result<(), Finding> {
    // Across engines, images compare up to NaN payloads (engines may compute different NaN
    // bits for intermediate values); restore fidelity and same-engine checks are exact.
    checkpoint::compare_taken(ctx, taken, not_reached, false)?;
    let mut stats = Stats::default();
    checkpoint::codec(ctx, taken, &mut stats)?;
    let started = Instant::now();
    let result = restore::pairs(ctx, reference, taken, &mut stats);
    summary.migrations(stats.conversions, started.elapsed());
    result?;
    let result = restore::chain(ctx, reference, &mut stats);
    summary.chains += stats.chains;
    summary.unsupported.extend(stats.unsupported);
    result
}

/// An engine failure while stepping: skipped when unsupported, a finding otherwise.
fn note_failure(
    findings: &mut Findings,
    summary: &mut CheckSummary,
    case: &Case,
    failure: Failure,
) -> Result<(), CheckError> {
    if failure.kind == FailureKind::Unsupported {
        summary
            .unsupported
            .push(format!("{}: {}", failure.engine, failure.message));
        return Ok(());
    }
    let finding = Finding::from_failure(Class::Checkpoint, &failure, "stepped run to the sample");
    findings.record(case, &finding)
}

/// Chains of three checkpointing engines (no engine twice in a row), shuffled by `seed`.
fn chain_routes(engines: &[&EngineSpec], seed: u64) -> Vec<Vec<String>> {
    let names: Vec<&String> = engines.iter().map(|e| &e.name).collect();
    let mut routes = Vec::new();
    for a in &names {
        for b in &names {
            for c in &names {
                if a != b && b != c {
                    routes.push(vec![(*a).clone(), (*b).clone(), (*c).clone()]);
                }
            }
        }
    }
    if !routes.is_empty() {
        let shift = (seed % routes.len() as u64) as usize;
        routes.rotate_left(shift);
    }
    routes
}

fn progress_bar(show: bool, len: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} samples, ETA {eta} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
