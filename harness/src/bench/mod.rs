//! `baton bench`: hand-written workloads (`corpus/bench/*.wat`) timed on several engines in one
//! process, always including wasmi as the anchor.
//!
//! Honesty rules: every engine gets the same module bytes and the same input (the workload's
//! exported `size` global, read on wasmi, unless overridden), one untimed warm-up run, then N
//! rounds in which every engine runs `run(size)` once (interleaved, so load changes hit all
//! engines alike), best time kept; every run's result must equal wasmi's, otherwise the report
//! lists the mismatch and the command fails.

pub mod cli;

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::adapters::{self, EngineEntry};
use baton_engine::{find_export, Engine, EngineConfig, EngineError, InstanceId, RunOptions};
use baton_engine::{format_values, Value};
use baton_engine::{ExternKind, RunOutcome};

/// Errors of a benchmark run.
#[derive(Debug, Error)]
pub enum BenchError {
    /// The workload directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A workload is not valid text format.
    #[error("{workload}: {message}")]
    Wat {
        /// The workload.
        workload: String,
        /// The parser's message.
        message: String,
    },
    /// An engine failed to load or run a workload.
    #[error("{workload} on {engine}: {source}")]
    Engine {
        /// The workload.
        workload: String,
        /// The engine.
        engine: &'static str,
        /// The cause.
        source: EngineError,
    },
    /// A workload lacks `run` or its `size` global, or `run` did not return.
    #[error("{workload} on {engine}: {message}")]
    Workload {
        /// The workload.
        workload: String,
        /// The engine.
        engine: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No engine of that name.
    #[error("unknown engine {name:?} (known: {known})")]
    UnknownEngine {
        /// The name given.
        name: String,
        /// The registered names.
        known: String,
    },
    /// No workload matched.
    #[error("no workloads in {0}")]
    Empty(PathBuf),
}

/// One workload: a name and its module.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The file stem.
    pub name: String,
    /// The binary module.
    pub wasm: Vec<u8>,
}

/// The default workload directory (`corpus/bench` of this workspace).
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/bench")
}

/// Loads every `*.wat` in `dir` whose name contains `filter`, sorted by name.
pub fn load_workloads(dir: &Path, filter: Option<&str>) -> Result<Vec<Workload>, BenchError> {
    let io = |source| BenchError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut workloads = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("wat") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if filter.is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let wasm = wat::parse_file(&path).map_err(|error| BenchError::Wat {
            workload: name.clone(),
            message: error.to_string(),
        })?;
        workloads.push(Workload { name, wasm });
    }
    workloads.sort_by(|a, b| a.name.cmp(&b.name));
    if workloads.is_empty() {
        return Err(BenchError::Empty(dir.to_path_buf()));
    }
    Ok(workloads)
}

/// One engine's timing of one workload.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The engine.
    pub engine: &'static str,
    /// The best wall time of the timed runs.
    pub best: Duration,
    /// The result of `run(size)`.
    pub result: Vec<Value>,
}

/// All engines' timings of one workload.
#[derive(Clone, Debug)]
pub struct WorkloadReport {
    /// The workload.
    pub name: String,
    /// The input.
    pub size: i32,
    /// One per engine, wasmi first.
    pub measurements: Vec<Measurement>,
}

/// A whole benchmark run.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// Timed runs per engine and workload.
    pub iterations: u32,
    /// One per workload.
    pub workloads: Vec<WorkloadReport>,
    /// Results that differ from wasmi's.
    pub mismatches: Vec<String>,
}

/// wasmi first, then the requested engines (deduplicated, in order).
pub fn engine_list(requested: &[&'static EngineEntry]) -> Vec<&'static EngineEntry> {
    let mut list: Vec<&'static EngineEntry> = Vec::new();
    if let Some(wasmi) = adapters::find(adapters::wasmi::NAME) {
        list.push(wasmi);
    }
    for entry in requested {
        // An instrumented engine is measured against its engine running the original module.
        let inner = entry
            .name
            .strip_prefix(adapters::instrumented::PREFIX)
            .and_then(adapters::find);
        for entry in inner.into_iter().chain([*entry]) {
            if !list.iter().any(|known| known.name == entry.name) {
                list.push(entry);
            }
        }
    }
    list
}

/// For `instrumented:<engine>`: its time over `<engine>`'s on the original module (the
/// instrumentation's overhead), when both were measured.
pub fn overhead(workload: &WorkloadReport, engine: &str) -> Option<f64> {
    let inner = engine.strip_prefix(adapters::instrumented::PREFIX)?;
    let (own, original) = (workload.best_secs(engine)?, workload.best_secs(inner)?);
    (original > 0.0).then(|| own / original)
}

impl WorkloadReport {
    /// The best time of `engine` in seconds, when it was measured.
    pub fn best_secs(&self, engine: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.engine == engine)
            .map(|m| m.best.as_secs_f64())
    }
}

/// Runs every workload on every engine (see the module docs). `size` overrides every
/// workload's own `size` global (for quick checks).
pub fn run(
    workloads: &[Workload],
    engines: &[&'static EngineEntry],
    iterations: u32,
    size: Option<i32>,
    config: &EngineConfig,
) -> Result<BenchReport, BenchError> {
    let engines = engine_list(engines);
    let mut report = BenchReport {
        iterations: iterations.max(1),
        workloads: Vec::new(),
        mismatches: Vec::new(),
    };
    for workload in workloads {
        let mut sessions = engines
            .iter()
            .map(|entry| Loaded::new(entry, config, workload))
            .collect::<Result<Vec<_>, _>>()?;
        let input = match (size, sessions.first()) {
            (Some(size), _) => size,
            (None, Some(anchor)) => anchor.size()?,
            (None, None) => return Err(BenchError::Empty(PathBuf::new())),
        };
        let measurements = time_interleaved(&mut sessions, input, report.iterations)?;
        if let Some((anchor, others)) = measurements.split_first() {
            for measurement in others {
                let same = anchor.result.len() == measurement.result.len()
                    && anchor
                        .result
                        .iter()
                        .zip(&measurement.result)
                        .all(|(a, b)| a.same_across_engines(b));
                if !same {
                    report.mismatches.push(format!(
                        "{}: {} returned {}, wasmi {}",
                        workload.name,
                        measurement.engine,
                        format_values(&measurement.result),
                        format_values(&anchor.result)
                    ));
                }
            }
        }
        report.workloads.push(WorkloadReport {
            name: workload.name.clone(),
            size: input,
            measurements,
        });
    }
    Ok(report)
}

/// One warm-up run per engine, then `iterations` rounds in which every engine runs once (so
/// load changes on the machine hit all engines alike); keeps each engine's best time. Every
/// run's result must equal the same engine's warm-up result.
fn time_interleaved(
    sessions: &mut [Loaded<'_>],
    size: i32,
    iterations: u32,
) -> Result<Vec<Measurement>, BenchError> {
    let mut measurements = Vec::with_capacity(sessions.len());
    for session in sessions.iter_mut() {
        let (_, result) = session.run_once(size)?;
        measurements.push(Measurement {
            engine: session.name,
            best: Duration::MAX,
            result,
        });
    }
    for _ in 0..iterations {
        for (session, measurement) in sessions.iter_mut().zip(measurements.iter_mut()) {
            let (elapsed, values) = session.run_once(size)?;
            if values != measurement.result {
                return Err(session.problem(format!(
                    "result changed between runs: {} then {}",
                    format_values(&measurement.result),
                    format_values(&values)
                )));
            }
            measurement.best = measurement.best.min(elapsed);
        }
    }
    Ok(measurements)
}

/// One workload instantiated on one engine.
struct Loaded<'w> {
    engine: Box<dyn Engine>,
    name: &'static str,
    workload: &'w Workload,
    instance: InstanceId,
}

impl<'w> Loaded<'w> {
    fn new(
        entry: &'static EngineEntry,
        config: &EngineConfig,
        workload: &'w Workload,
    ) -> Result<Self, BenchError> {
        let mut engine = (entry.create)(config);
        let error = |source| BenchError::Engine {
            workload: workload.name.clone(),
            engine: entry.name,
            source,
        };
        let module = engine.compile(&workload.wasm).map_err(error)?;
        let instance = engine.instantiate(module, &[]).map_err(error)?;
        Ok(Self {
            engine,
            name: entry.name,
            workload,
            instance,
        })
    }

    fn problem(&self, message: String) -> BenchError {
        BenchError::Workload {
            workload: self.workload.name.clone(),
            engine: self.name,
            message,
        }
    }

    /// The exported `size` global.
    fn size(&self) -> Result<i32, BenchError> {
        let handle = find_export(self.engine.as_ref(), self.instance, "size")
            .ok()
            .flatten()
            .filter(|handle| handle.kind == ExternKind::Global)
            .ok_or_else(|| self.problem("no exported global `size`".into()))?;
        match self.engine.global_value(handle) {
            Ok(Value::I32(size)) => Ok(size),
            Ok(other) => Err(self.problem(format!("`size` is {other}, not an i32"))),
            Err(error) => Err(self.problem(error.to_string())),
        }
    }

    fn run_once(&mut self, size: i32) -> Result<(Duration, Vec<Value>), BenchError> {
        let start = Instant::now();
        let report = self.engine.invoke(
            self.instance,
            "run",
            &[Value::I32(size)],
            RunOptions::default(),
        );
        let elapsed = start.elapsed();
        match report.map(|report| report.outcome) {
            Ok(RunOutcome::Returned(values)) => Ok((elapsed, values)),
            Ok(RunOutcome::Trapped(trap)) => Err(self.problem(format!("trapped: {trap}"))),
            Ok(other) => Err(self.problem(format!("did not return: {other:?}"))),
            Err(error) => Err(self.problem(error.to_string())),
        }
    }
}

/// The report as a table: ms, speed vs wasmi (wasmi time / engine time) and vs stack.
pub fn render(report: &BenchReport) -> String {
    let mut out = format!(
        "best of {} interleaved rounds after one warm-up run per engine; speed = other engine's time / this engine's time (higher is faster); overhead = an instrumented engine's time / its engine's time on the original module (lower is better)\n",
        report.iterations
    );
    let _ = writeln!(
        out,
        "{:<10} {:>9} {:<10} {:>10} {:>10} {:>10} {:>9}  result",
        "workload", "size", "engine", "ms", "vs wasmi", "vs stack", "overhead"
    );
    for workload in &report.workloads {
        let wasmi = workload.best_secs(adapters::wasmi::NAME);
        let stack = workload.best_secs(adapters::stack::NAME);
        for m in &workload.measurements {
            let own = m.best.as_secs_f64();
            let ratio = |anchor: Option<f64>| match anchor {
                Some(anchor) if own > 0.0 => format!("{:.2}x", anchor / own),
                _ => "-".to_string(),
            };
            let overhead = overhead(workload, m.engine)
                .map_or_else(|| "-".to_string(), |ratio| format!("{ratio:.2}x"));
            let _ = writeln!(
                out,
                "{:<10} {:>9} {:<10} {:>10.1} {:>10} {:>10} {:>9}  {}",
                workload.name,
                workload.size,
                m.engine,
                own * 1000.0,
                ratio(wasmi),
                ratio(stack),
                overhead,
                format_values(&m.result)
            );
        }
    }
    if report.mismatches.is_empty() {
        out.push_str("all engines returned the same results\n");
    } else {
        for mismatch in &report.mismatches {
            let _ = writeln!(out, "MISMATCH {mismatch}");
        }
    }
    out
}
