//! The polling-cost benchmark every in-house engine's `<engine>-bench` example runs: times
//! `run(size)` of each workload (`corpus/bench/*.wat`) with safe-point polling compiled in
//! (checkpointable) and without it, so the cost of checkpoint support is measured the same way
//! for every engine. Ratios against wasmi are `baton bench`'s job; this compares an engine
//! with itself.
//!
//! Command line (after the example's name): `[DIR] [ITERATIONS] [both|poll|nopoll]`. `both`
//! (the default) runs interleaved rounds, best of each, so drifting machine load hits both
//! builds alike; a single mode runs only that build (for instruction counting one
//! configuration, e.g. under `valgrind --tool=callgrind`, when wall-clock time is too noisy).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::driving::Driving;
use crate::error::ModuleError;
use crate::externs::{Extern, Imports};
use crate::stop::RunOutcome;
use crate::value::Val;
use crate::Config;

/// Compiles a module with (`true`) or without safe points.
pub type CompileFn<I> = fn(&[u8], bool) -> Result<<I as Driving>::Module, ModuleError>;

/// Which builds to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Both, interleaved.
    Both,
    /// Only the build with safe points.
    Poll,
    /// Only the build without.
    NoPoll,
}

/// The parsed command line.
#[derive(Clone, Debug)]
pub struct Args {
    /// The workload directory.
    pub dir: PathBuf,
    /// Timed rounds (best is kept).
    pub iterations: usize,
    /// Which builds.
    pub mode: Mode,
}

impl Args {
    /// Parses `[DIR] [ITERATIONS] [both|poll|nopoll]`; missing ones take their defaults
    /// (`corpus/bench`, 5, both).
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let dir = args.next().unwrap_or_else(|| "corpus/bench".into()).into();
        let iterations = match args.next() {
            Some(n) => n
                .parse()
                .map_err(|_| format!("ITERATIONS must be a number, not {n:?}"))?,
            None => 5,
        };
        let mode = match args.next().as_deref() {
            None | Some("both") => Mode::Both,
            Some("poll") => Mode::Poll,
            Some("nopoll") => Mode::NoPoll,
            Some(other) => return Err(format!("mode must be both, poll or nopoll, not {other:?}")),
        };
        Ok(Args {
            dir,
            iterations,
            mode,
        })
    }
}

/// The best time of `iterations` runs of `run(size)` (after one warm-up run) of the module
/// compiled from `bytes`, and the last outcome.
pub fn time<I: Driving>(
    compile: CompileFn<I>,
    bytes: &[u8],
    polling: bool,
    iterations: usize,
) -> Result<(Duration, RunOutcome), String> {
    let module = compile(bytes, polling).map_err(|e| format!("compiling: {e}"))?;
    let mut instance = I::instantiate(&module, &Imports::new(), Config::default())
        .map_err(|e| format!("instantiating: {e}"))?;
    let size = match instance.export("size") {
        Some(Extern::Global(global)) => global.borrow().get().clone(),
        _ => Val::I32(1),
    };
    let run = |instance: &mut I| {
        instance
            .invoke("run", std::slice::from_ref(&size), None)
            .map_err(|e| format!("invoking run: {e}"))
    };
    let mut outcome = run(&mut instance)?;
    let mut best = Duration::MAX;
    for _ in 0..iterations {
        let start = Instant::now();
        outcome = run(&mut instance)?;
        best = best.min(start.elapsed());
    }
    Ok((best, outcome))
}

/// The `*.wat` files of `dir`, sorted.
fn workloads(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Runs the benchmark on `args` and returns the report: one line per workload. `parse` turns
/// a workload file into module bytes (the examples use `wat`).
pub fn run<I: Driving>(
    compile: CompileFn<I>,
    parse: impl Fn(&Path) -> Result<Vec<u8>, String>,
    args: &Args,
) -> Result<String, String> {
    let mut report = format!(
        "{:<12} {:>10} {:>10} {:>8}\n",
        "workload", "poll ms", "no-poll ms", "cost"
    );
    for path in workloads(&args.dir)? {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bytes = parse(&path)?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        if args.mode != Mode::Both {
            let poll = args.mode == Mode::Poll;
            let (elapsed, _) = time::<I>(compile, &bytes, poll, args.iterations)?;
            let label = if poll { "poll" } else { "nopoll" };
            report += &format!("{name:<12} {label} {:.1} ms\n", ms(elapsed));
            continue;
        }
        let (mut with, mut without) = (Duration::MAX, Duration::MAX);
        for _ in 0..args.iterations {
            let (polled, a) = time::<I>(compile, &bytes, true, 1)?;
            let (unpolled, b) = time::<I>(compile, &bytes, false, 1)?;
            if a != b {
                return Err(format!(
                    "{name}: {a:?} with polling, {b:?} without: the builds disagree"
                ));
            }
            with = with.min(polled);
            without = without.min(unpolled);
        }
        let cost = with.as_secs_f64() / without.as_secs_f64() - 1.0;
        report += &format!(
            "{name:<12} {:>10.1} {:>10.1} {:>7.1}%\n",
            ms(with),
            ms(without),
            cost * 100.0
        );
    }
    Ok(report)
}

/// The whole example: parses the process arguments, runs, prints the report; exits with
/// status 2 on bad arguments and 1 on a failed run.
pub fn main<I: Driving>(compile: CompileFn<I>, parse: impl Fn(&Path) -> Result<Vec<u8>, String>) {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("usage: [DIR] [ITERATIONS] [both|poll|nopoll]: {message}");
            std::process::exit(2);
        }
    };
    match run::<I>(compile, parse, &args) {
        Ok(report) => print!("{report}"),
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_with_defaults_and_reject_nonsense() {
        let args = |v: &[&str]| Args::parse(v.iter().map(|s| s.to_string()));
        let default = args(&[]).expect("defaults");
        assert_eq!(default.dir, PathBuf::from("corpus/bench"));
        assert_eq!((default.iterations, default.mode), (5, Mode::Both));
        let given = args(&["d", "3", "nopoll"]).expect("parses");
        assert_eq!(given.dir, PathBuf::from("d"));
        assert_eq!((given.iterations, given.mode), (3, Mode::NoPoll));
        assert!(args(&["d", "x"]).is_err());
        assert!(args(&["d", "3", "sometimes"]).is_err());
    }
}
