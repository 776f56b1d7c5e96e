//! Unwind and rewind time for a 1000-frame stack: a recursive function 1000 calls deep is
//! stopped at its innermost `entry` event, imaged, restored into a fresh instance and resumed
//! to its end, on `instrumented:wasmi` and on the `stack` engine (same module, same event).
//!
//! `cargo run --release -p baton --example deep_stack [DEPTH] [ROUNDS]` prints, per engine, the
//! best of ROUNDS (default 20) for: the run to the stop (for `instrumented:` this includes the
//! unwind of every frame into the host), the same run without a stop (to its end), take-image,
//! restore, and resume to the end (for `instrumented:` the rewind of every frame).

use std::time::{Duration, Instant};

use baton::adapters;
use baton_engine::{
    Engine, EngineConfig, EventKind, KindSet, RunOptions, RunOutcome, StopRequest, Value,
};

const MODULE: &str = r#"(module
  (memory 1)
  (func $down (export "down") (param $n i32) (result i32)
    (local $acc i64)
    (local.set $acc (i64.extend_i32_u (local.get $n)))
    (if (result i32) (local.get $n)
      (then (i32.add (i32.wrap_i64 (local.get $acc))
                     (call $down (i32.sub (local.get $n) (i32.const 1)))))
      (else (i32.const 0)))))"#;

fn best(rounds: u32, mut f: impl FnMut() -> Duration) -> Duration {
    (0..rounds).map(|_| f()).min().unwrap_or_default()
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let depth: i32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let wasm = wat::parse_str(MODULE).expect("module");
    println!("{depth} frames of $down below the entry, best of {rounds}; times in microseconds");
    println!(
        "{:<20} {:>12} {:>12} {:>10} {:>10} {:>12}",
        "engine", "run to stop", "run to end", "image", "restore", "resume"
    );
    for name in ["instrumented:wasmi", "stack"] {
        let entry = adapters::find(name).expect("engine");
        let mut engine: Box<dyn Engine> = (entry.create)(&EngineConfig::default());
        let module = engine.compile(&wasm).expect("compile");
        let args = [Value::I32(depth)];
        // The innermost entry event: entry of frame k is preceded by 2k events (entry, call).
        let stop = RunOptions {
            stop: Some(StopRequest::new(KindSet::MAIN, 2 * depth as u64)),
            fuel: None,
        };
        let expected = {
            let i = engine.instantiate(module, &[]).expect("instance");
            engine
                .invoke(i, "down", &args, RunOptions::default())
                .expect("runs")
                .outcome
        };
        let to_end = best(rounds, || {
            let i = engine.instantiate(module, &[]).expect("instance");
            timed(|| engine.invoke(i, "down", &args, RunOptions::default())).0
        });
        let mut image_time = Duration::MAX;
        let mut restore_time = Duration::MAX;
        let mut resume_time = Duration::MAX;
        let to_stop = best(rounds, || {
            let i = engine.instantiate(module, &[]).expect("instance");
            let (t, report) = timed(|| engine.invoke(i, "down", &args, stop).expect("runs"));
            assert!(matches!(
                report.outcome,
                RunOutcome::Suspended {
                    kind: EventKind::Entry,
                    event,
                    ..
                } if event == 2 * depth as u64
            ));
            let (ti, image) = timed(|| engine.take_image(i).expect("image"));
            let frames = image.execution.as_ref().map_or(0, |e| e.frames.len());
            assert_eq!(frames, depth as usize + 1);
            let (tr, restored) = timed(|| engine.restore(module, &[], &image).expect("restore"));
            let (tu, finished) = timed(|| {
                engine
                    .resume(restored, RunOptions::default())
                    .expect("resume")
            });
            assert_eq!(finished.outcome, expected);
            image_time = image_time.min(ti);
            restore_time = restore_time.min(tr);
            resume_time = resume_time.min(tu);
            t
        });
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{:<20} {:>12.0} {:>12.0} {:>10.0} {:>10.0} {:>12.0}",
            name,
            us(to_stop),
            us(to_end),
            us(image_time),
            us(restore_time),
            us(resume_time)
        );
    }
}
