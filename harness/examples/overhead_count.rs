//! Runs bench workloads once on wasmi, original or instrumented, for host instruction counts
//! (issue 11: the overhead of `baton instrument`'s rewritten module).
//!
//! `cargo run --release -p baton --example overhead_count PATH SIZE original|instrumented`
//! compiles each workload (PATH a `.wat`/`.wasm` file, or a directory whose `.wat` files are
//! taken in name order), instantiates it and calls `run(SIZE)` once with no stop requested:
//! on the harness's `wasmi` engine (`original`) or on `instrumented:wasmi` (`instrumented`:
//! the module rewritten by `baton_instrument`'s library API inside the adapter). It prints
//! each workload's result. Run it under
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null` for both modes and take the
//! ratio of the instruction counts, after subtracting a run with SIZE 0 (compile and
//! instantiate cost).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baton::adapters;
use baton_engine::{Engine, EngineConfig, RunOptions, RunOutcome, Value};

/// The workload files named by `path`.
fn workloads(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wat"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs `run(size)` of the workload in `file` on `engine_name`; its result.
fn run(file: &Path, size: i32, engine_name: &str) -> Result<Vec<Value>, String> {
    let wasm = wat::parse_file(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let entry = adapters::find(engine_name).ok_or_else(|| format!("no engine {engine_name}"))?;
    let mut engine: Box<dyn Engine> = (entry.create)(&EngineConfig::default());
    let module = engine.compile(&wasm).map_err(|e| format!("compile: {e}"))?;
    let instance = engine
        .instantiate(module, &[])
        .map_err(|e| format!("instantiate: {e}"))?;
    let report = engine
        .invoke(instance, "run", &[Value::I32(size)], RunOptions::default())
        .map_err(|e| format!("invoke: {e}"))?;
    match report.outcome {
        RunOutcome::Returned(values) => Ok(values),
        other => Err(format!("run({size}) did not return: {other:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(size), Some(mode)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: overhead_count PATH SIZE original|instrumented");
        return ExitCode::from(2);
    };
    let Ok(size) = size.parse::<i32>() else {
        eprintln!("SIZE must be an i32, not {size:?}");
        return ExitCode::from(2);
    };
    let engine_name = match mode.as_str() {
        "original" => "wasmi",
        "instrumented" => "instrumented:wasmi",
        other => {
            eprintln!("mode must be original or instrumented, not {other:?}");
            return ExitCode::from(2);
        }
    };
    let files = match workloads(Path::new(path)) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for file in files {
        match run(&file, size, engine_name) {
            Ok(values) => {
                let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                println!("{} {size} {mode}: {}", file.display(), shown.join(" "));
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
