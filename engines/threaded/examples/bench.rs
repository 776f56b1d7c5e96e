//! Times `run(size)` of each corpus/bench workload on the threaded engine, with safe-point
//! polling compiled in (checkpointable) and without it, to measure the cost of checkpoint
//! support. Usage: `cargo run --release -p baton-threaded --example bench [DIR] [ITERATIONS]
//! [both|poll|nopoll]` (a single mode is for instruction-counting one configuration, e.g. under
//! `valgrind --tool=cachegrind`, when wall-clock time is too noisy).

use baton_runtime::Driving;
use std::time::{Duration, Instant};

use baton_runtime::{Config, Extern, Imports, RunOutcome, Val};
use baton_threaded::{Instance, Module};

fn time(bytes: &[u8], polling: bool, iterations: usize) -> (Duration, RunOutcome) {
    let module = Module::with_polling(bytes, polling).expect("workload compiles");
    let mut instance =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("instantiates");
    let size = match instance.export("size") {
        Some(Extern::Global(global)) => global.borrow().get().clone(),
        _ => Val::I32(1),
    };
    let mut best = Duration::MAX;
    let mut outcome = instance
        .invoke("run", std::slice::from_ref(&size), None)
        .expect("warm-up");
    for _ in 0..iterations {
        let start = Instant::now();
        outcome = instance
            .invoke("run", std::slice::from_ref(&size), None)
            .expect("runs");
        best = best.min(start.elapsed());
    }
    (best, outcome)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "corpus/bench".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let mode = args.next().unwrap_or_else(|| "both".into());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("bench directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    paths.sort();
    println!(
        "{:<12} {:>10} {:>10} {:>8}",
        "workload", "poll ms", "no-poll ms", "cost"
    );
    for path in paths {
        let bytes = wat::parse_file(&path).expect("workload parses");
        if mode != "both" {
            let (elapsed, _) = time(&bytes, mode == "poll", iterations);
            println!(
                "{:?} {mode} {:.1} ms",
                path.file_stem().unwrap_or_default(),
                elapsed.as_secs_f64() * 1e3
            );
            continue;
        }
        // Interleaved rounds, best of each, so drifting machine load hits both modes alike.
        let (mut with, mut without) = (Duration::MAX, Duration::MAX);
        for _ in 0..iterations {
            let (polled, a) = time(&bytes, true, 1);
            let (unpolled, b) = time(&bytes, false, 1);
            assert_eq!(a, b, "same result with and without polling");
            with = with.min(polled);
            without = without.min(unpolled);
        }
        let cost = with.as_secs_f64() / without.as_secs_f64() - 1.0;
        println!(
            "{:<12} {:>10.1} {:>10.1} {:>7.1}%",
            path.file_stem().unwrap_or_default().to_string_lossy(),
            with.as_secs_f64() * 1e3,
            without.as_secs_f64() * 1e3,
            cost * 100.0
        );
    }
}
