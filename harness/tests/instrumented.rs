//! `instrumented:wasmi` against the `stack` engine on small modules built to stress the
//! rewrite: a loop nested in blocks inside a recursive call with operands left under every
//! block level, `call_indirect` (the table changes while a call through it is in progress),
//! multi-value blocks with parameters, an `if` arm per frame, globals, memory and a dropped
//! segment. At every event both engines' images must be the same bytes (so a broken operand
//! save order, label, pc or event count fails), and each image restored on the other engine
//! must finish with the uninterrupted result.

use baton::adapters;
use baton_checkpoint::encode;
use baton_checkpoint::image::Image;
use baton_engine::{
    Engine, EngineConfig, EngineError, EventKind, InstanceId, KindSet, RunOptions, RunOutcome,
    StopRequest, Value,
};

const RECURSIVE: &str = r#"
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (data $d "abc")
  (func $rec (export "rec") (param $n i32) (result i32)
    (local $acc i64)
    (i32.const 1000)
    (i32.const 30)
    (block (result i32)
      (i32.const 7)
      (block (param i32) (result i32)
        (i32.const 3)
        (loop (param i32) (result i32)
          (global.set $g (i32.add (global.get $g) (i32.const 1)))
          (local.set $acc (i64.add (local.get $acc) (i64.const 5)))
          (if (param i32) (result i32) (i32.gt_s (local.get $n) (i32.const 0))
            (then
              (i32.add
                (call $rec (i32.sub (local.get $n) (i32.const 1)))))
            (else (i32.const 11) (i32.add)))
          (br_if 0 (i32.lt_s (global.get $g) (i32.const 2))))
        (i32.add)))
    (i32.sub)
    (i32.sub)
    (data.drop $d)
    (i32.store (i32.const 16) (local.get $n))
    (i32.add (i32.wrap_i64 (local.get $acc)) (i32.load (i32.const 16)))
    (i32.add)))
"#;

const INDIRECT: &str = r#"
(module
  (type $t (func (param i32) (result i32 i32)))
  (table $tab 2 funcref)
  (elem (i32.const 0) $double $swap)
  (func $double (type $t) (local.get 0) (i32.mul (local.get 0) (i32.const 2)))
  (func $swap (type $t)
    (table.set $tab (i32.const 1) (ref.null func))
    (i32.const 9) (local.get 0))
  (func (export "run") (param i32) (result i32)
    (local.get 0)
    (block (param i32) (result i32 i32)
      (call_indirect (type $t) (i32.const 1)))
    (i32.sub)
    (call_indirect (type $t) (i32.const 0))
    (i32.add)))
"#;

/// Effects (a local, a global) before the first call of a level: rewinding must land before
/// them, not re-run them (the first call's check cannot hold that level's dispatch).
const EFFECTS_BEFORE_CALL: &str = r#"
(module
  (global $g (mut i32) (i32.const 0))
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "run") (param $n i32) (result i32)
    (local $x i32)
    (block (result i32)
      (local.set $x (i32.add (local.get $x) (i32.const 5)))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (call $id (local.get $x)))
    (if (result i32) (local.get $n)
      (then (local.set $x (i32.add (local.get $x) (i32.const 100))) (call $id (local.get $x)))
      (else (i32.const 3)))
    (i32.add)
    (global.get $g)
    (i32.add)))
"#;

struct Pair {
    engine: Box<dyn Engine>,
    module: baton_engine::ModuleId,
}

fn session(name: &str, wat_text: &str) -> Pair {
    let entry = adapters::find(name).expect("engine registered");
    let mut engine = (entry.create)(&EngineConfig::default());
    let module = engine
        .compile(&wat::parse_str(wat_text).expect("wat"))
        .expect("compile");
    Pair { engine, module }
}

fn fresh(pair: &mut Pair) -> InstanceId {
    pair.engine
        .instantiate(pair.module, &[])
        .expect("instantiate")
}

fn stop_at(k: u64) -> RunOptions {
    stop_at_kinds(KindSet::MAIN, k)
}

/// Stop at the first event of `kinds` numbered `k` or later.
fn stop_at_kinds(kinds: KindSet, k: u64) -> RunOptions {
    RunOptions {
        stop: Some(StopRequest::new(kinds, k)),
        fuel: None,
    }
}

/// A fresh instance of `pair` stopped at event `k` of `export(args)`, and its image.
fn stopped_image(pair: &mut Pair, export: &str, args: &[Value], k: u64) -> (InstanceId, Image) {
    let i = fresh(pair);
    let outcome = pair
        .engine
        .invoke(i, export, args, stop_at(k))
        .expect("runs")
        .outcome;
    assert!(
        matches!(outcome, RunOutcome::Suspended { .. }),
        "{outcome:?}"
    );
    (i, pair.engine.take_image(i).expect("image"))
}

/// Walks every event of `export(args)` on both engines, comparing images and cross-restoring:
/// `(events, images compared, stops not imageable)`.
fn check(wat_text: &str, export: &str, args: &[Value]) -> (u64, u64, u64) {
    check_on("instrumented:wasmi", wat_text, export, args)
}

/// [`check`] with instrumented engine `engine`.
fn check_on(engine: &str, wat_text: &str, export: &str, args: &[Value]) -> (u64, u64, u64) {
    check_with(session(engine, wat_text), wat_text, export, args)
}

/// [`check`] with the instrumented engine of `inst` (`wat_text` compiled in it).
fn check_with(inst: Pair, wat_text: &str, export: &str, args: &[Value]) -> (u64, u64, u64) {
    check_kinds(inst, wat_text, export, args, KindSet::MAIN)
}

/// [`check_with`] stopping at the first event of `kinds` from each event on (the host lets
/// the events of other kinds go on).
fn check_kinds(
    mut inst: Pair,
    wat_text: &str,
    export: &str,
    args: &[Value],
    kinds: KindSet,
) -> (u64, u64, u64) {
    let (mut imaged, mut not_imageable) = (0, 0);
    let mut stack = session("stack", wat_text);
    let i = fresh(&mut inst);
    let expected = inst
        .engine
        .invoke(i, export, args, RunOptions::default())
        .expect("runs")
        .outcome;
    let s = fresh(&mut stack);
    assert_eq!(
        stack
            .engine
            .invoke(s, export, args, RunOptions::default())
            .unwrap()
            .outcome,
        expected
    );
    let mut k = 0;
    loop {
        let (s, i) = (fresh(&mut stack), fresh(&mut inst));
        let a = stack
            .engine
            .invoke(s, export, args, stop_at_kinds(kinds, k))
            .unwrap()
            .outcome;
        let b = inst
            .engine
            .invoke(i, export, args, stop_at_kinds(kinds, k))
            .unwrap()
            .outcome;
        assert_eq!(a, b, "outcome at stop {k}");
        if !matches!(a, RunOutcome::Suspended { .. }) {
            assert_eq!(a, expected);
            return (k, imaged, not_imageable);
        }
        let image_s = stack.engine.take_image(s).unwrap();
        // Cross restores: each engine finishes from the other's image.
        let r = inst
            .engine
            .restore(inst.module, &[], &image_s)
            .expect("restore on instrumented");
        assert_eq!(
            inst.engine
                .resume(r, RunOptions::default())
                .unwrap()
                .outcome,
            expected,
            "instrumented from stack image {k}"
        );
        match inst.engine.take_image(i) {
            Ok(image_i) => {
                assert!(
                    encode(&image_s) == encode(&image_i),
                    "images differ at event {k}:\nstack: {:?}\ninstrumented: {:?}",
                    image_s.execution,
                    image_i.execution
                );
                let r = stack
                    .engine
                    .restore(stack.module, &[], &image_i)
                    .expect("restore on stack");
                assert_eq!(
                    stack
                        .engine
                        .resume(r, RunOptions::default())
                        .unwrap()
                        .outcome,
                    expected,
                    "stack from instrumented image {k}"
                );
                imaged += 1;
            }
            // A function the wrapped engine cannot identify (none here).
            Err(EngineError::NotImageable(_)) => not_imageable += 1,
            Err(other) => panic!("take image at {k}: {other}"),
        }
        // The stopped instance itself continues too.
        assert_eq!(
            inst.engine
                .resume(i, RunOptions::default())
                .unwrap()
                .outcome,
            expected
        );
        k += 1;
    }
}

/// Floats through `call_indirect` (the MVP rewrite's direct dispatch re-enters the callee),
/// a table filled from an offset, and a call through a slot no segment fills.
const MVP_FLOATS: &str = r#"
(module
  (type $ff (func (param f32) (result f32)))
  (type $dd (func (param f64 i32) (result f64)))
  (table 8 funcref)
  (elem (i32.const 2) $fac-f32 $fac-f64 $half)
  (memory 1)
  (func $half (type $dd) (f64.mul (local.get 0) (f64.const 0.5)))
  (func $fac-f32 (type $ff)
    (if (result f32) (f32.eq (local.get 0) (f32.const 0.0))
      (then (f32.const 1.0))
      (else
        (f32.mul (local.get 0)
          (call_indirect (type $ff) (f32.sub (local.get 0) (f32.const 1.0)) (i32.const 2))))))
  (func $fac-f64 (type $dd)
    (if (result f64) (f64.eq (local.get 0) (f64.const 0.0))
      (then (f64.const 1.0))
      (else
        (f64.mul (local.get 0)
          (call_indirect (type $dd) (f64.sub (local.get 0) (f64.const 1.0)) (local.get 1)
            (local.get 1))))))
  (func (export "run") (param $n i32) (result f64)
    (f64.store (i32.const 8)
      (call_indirect (type $dd) (f64.const 1.0) (i32.const 0) (i32.const 4)))
    (f64.add
      (f64.promote_f32 (call $fac-f32 (f32.convert_i32_s (local.get $n))))
      (call $fac-f64 (f64.convert_i32_s (local.get $n)) (i32.const 3)))
    (f64.load (i32.const 8))
    (f64.add)))
"#;

/// [`MVP_FLOATS`] in integers.
const MVP_INTS: &str = r#"
(module
  (type $ff (func (param i32) (result i32)))
  (table 8 funcref)
  (elem (i32.const 2) $fac $fib)
  (memory 1)
  (func $fac (type $ff)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else
        (i32.mul (local.get 0)
          (call_indirect (type $ff) (i32.sub (local.get 0) (i32.const 1)) (i32.const 2))))))
  (func $fib (type $ff)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else
        (i32.add
          (call_indirect (type $ff) (i32.sub (local.get 0) (i32.const 1)) (i32.const 3))
          (call_indirect (type $ff) (i32.sub (local.get 0) (i32.const 2)) (i32.const 3))))))
  (func (export "run") (param $n i32) (result i32)
    (i32.store (i32.const 8) (i32.const 5))
    (i32.add
      (call_indirect (type $ff) (local.get $n) (i32.const 2))
      (call $fib (local.get $n)))
    (i32.load (i32.const 8))
    (i32.add)))
"#;

#[test]
fn mvp_rewrite_on_wasm3_matches_stack_at_every_event() {
    let (events, imaged, _) =
        check_on("instrumented:proc:wasm3", MVP_INTS, "run", &[Value::I32(4)]);
    assert!(events >= 20, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// Wasm3 0.5.0 miscompiles a `br` carrying several values, one a float, out of nested
/// blocks, as a rewind's pad branching to its landing with a site's operands would (the
/// float factorials' call sites hold two floats; `$half`'s result lands over an `i32`
/// address): the MVP rewrite lands such operands through locals, so every stop of
/// [`MVP_FLOATS`] resumes with the right values on Wasm3.
#[test]
fn mvp_rewrite_on_wasm3_lands_several_floats() {
    let (events, imaged, _) = check_on(
        "instrumented:proc:wasm3",
        MVP_FLOATS,
        "run",
        &[Value::I32(3)],
    );
    assert!(events >= 16, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// A dispatch loop in the shape of the `indirect` bench workload: each `call_indirect`'s
/// operands (`i64`, `i32`, and a table index just computed) sit under its check. Wasm3 0.5.0
/// loses a just-computed top value through an `if` taking several parameters, so the MVP
/// rewrite stashes such a check's operands in locals; with the `if` over them, the first
/// call already traps on Wasm3 ("undefined element").
const MVP_COMPUTED_OPERANDS: &str = r#"
(module
  (type $op (func (param i64 i32) (result i64)))
  (table 4 funcref)
  (elem (i32.const 0) $add $xor $rot $mul)
  (func $add (type $op) (i64.add (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func $xor (type $op) (i64.xor (local.get 0) (i64.const 0x5bd1e995)))
  (func $rot (type $op) (i64.rotl (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func $mul (type $op) (i64.mul (local.get 0) (i64.const 0x100000001b3)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $state i64)
    (local.set $state (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $state
          (call_indirect (type $op)
            (local.get $state)
            (local.get $i)
            (i32.and (i32.wrap_i64 (local.get $state)) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $state)))
"#;

#[test]
fn mvp_rewrite_on_wasm3_keeps_a_just_computed_operand_under_a_check() {
    let (events, imaged, _) = check_on(
        "instrumented:proc:wasm3",
        MVP_COMPUTED_OPERANDS,
        "run",
        &[Value::I32(6)],
    );
    assert!(events >= 20, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// A function exported three times: Wasm3 keeps only the first three export names of a
/// function, so resuming must enter it by an original name, not the added `__baton_f0`.
#[test]
fn wasm3_resumes_a_function_exported_three_times() {
    let text = r#"(module (func (export "a") (export "b") (export "c") (param i32) (result i32)
        (i32.add (local.get 0) (i32.const 1))))"#;
    let mut pair = session("instrumented:proc:wasm3", text);
    let (i, image) = stopped_image(&mut pair, "b", &[Value::I32(41)], 0);
    let resumed = pair
        .engine
        .resume(i, RunOptions::default())
        .expect("resumes")
        .outcome;
    assert_eq!(resumed, RunOutcome::Returned(vec![Value::I32(42)]));
    let r = pair
        .engine
        .restore(pair.module, &[], &image)
        .expect("restores");
    let resumed = pair
        .engine
        .resume(r, RunOptions::default())
        .expect("resumes the restored run")
        .outcome;
    assert_eq!(resumed, RunOutcome::Returned(vec![Value::I32(42)]));
}

/// Sixteen mixed results (`func.wast`'s `large-sig`) and an explicit `return`: the MVP
/// rewrite returns them directly (Wasm3 0.5.0 garbles a multi-value block mixing ints and
/// floats), on the plain run and after a checkpoint at every event.
#[test]
fn wasm3_returns_many_mixed_results() {
    let text = r#"(module
      (func $sig (export "large-sig")
        (param i32 i64 f32 f32 i32 f64 f32 i32 i32 i32 f32 f64 f64 f64 i32 i32 f32)
        (result f64 f32 i32 i32 i32 i64 f32 i32 i32 f32 f64 f64 i32 f32 i32 f64)
        (local.get 5) (local.get 2) (local.get 0) (local.get 8) (local.get 7) (local.get 1)
        (local.get 3) (local.get 9) (local.get 4) (local.get 6) (local.get 13) (local.get 11)
        (local.get 15) (local.get 16) (local.get 14) (local.get 12))
      (func (export "early") (param i32) (result f64 f32 i64 f64)
        (if (local.get 0)
          (then (f64.const 1.5) (f32.const 2.5) (i64.const 3) (f64.const 4.5) (br 1)))
        (f64.const 5.5) (f32.const 6.5) (i64.const 7) (f64.const 8.5)
        (return)))"#;
    let args = [
        Value::I32(0),
        Value::I64(1),
        Value::F32(2.0f32.to_bits()),
        Value::F32(3.0f32.to_bits()),
        Value::I32(4),
        Value::F64(5.0f64.to_bits()),
        Value::F32(6.0f32.to_bits()),
        Value::I32(7),
        Value::I32(8),
        Value::I32(9),
        Value::F32(10.0f32.to_bits()),
        Value::F64(11.0f64.to_bits()),
        Value::F64(12.0f64.to_bits()),
        Value::F64(13.0f64.to_bits()),
        Value::I32(14),
        Value::I32(15),
        Value::F32(16.0f32.to_bits()),
    ];
    let (events, imaged, _) = check_on("instrumented:proc:wasm3", text, "large-sig", &args);
    assert_eq!((events, imaged), (1, 1), "one entry event, imaged");
    for flag in [0, 1] {
        let (events, _, _) = check_on(
            "instrumented:proc:wasm3",
            text,
            "early",
            &[Value::I32(flag)],
        );
        assert_eq!(events, 1);
    }
}

/// wasmi running the MVP rewrite (with a frame limit of `max_frames`).
fn mvp_on_wasmi(max_frames: Option<u32>) -> Box<dyn Engine> {
    let wasmi = adapters::find("wasmi").expect("wasmi");
    Box::new(baton::instrument::Session::with_rewrite(
        "instrumented(mvp):wasmi",
        (wasmi.create)(&EngineConfig::default()),
        baton_instrument::Options {
            mvp: true,
            max_frames,
        },
    ))
}

/// The MVP rewrite on an in-process engine (wasmi), which has reference types but must not
/// need them.
#[test]
fn mvp_rewrite_on_wasmi_matches_stack_at_every_event() {
    let mut engine = mvp_on_wasmi(None);
    let module = engine
        .compile(&wat::parse_str(MVP_FLOATS).expect("wat"))
        .expect("compile");
    let (events, imaged, _) =
        check_with(Pair { engine, module }, MVP_FLOATS, "run", &[Value::I32(4)]);
    assert!(events >= 20, "{events} events");
    assert_eq!(
        imaged, events,
        "MVP tables come from the segments: every stop imaged"
    );
}

/// An MVP rewrite cannot write tables: restoring an image whose table is not what the element
/// segments build is refused with a typed error naming the table; the true table is accepted.
#[test]
fn mvp_restore_refuses_a_table_the_segments_do_not_build() {
    let wasm = wat::parse_str(MVP_FLOATS).expect("wat");
    let mut stack = session("stack", MVP_FLOATS);
    let s = fresh(&mut stack);
    let outcome = stack
        .engine
        .invoke(s, "run", &[Value::I32(3)], stop_at(4))
        .expect("runs")
        .outcome;
    assert!(
        matches!(outcome, RunOutcome::Suspended { .. }),
        "{outcome:?}"
    );
    let image = stack.engine.take_image(s).expect("image");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let mut mvp = baton::instrument::Session::with_rewrite(
        "instrumented(mvp):wasmi",
        (wasmi.create)(&EngineConfig::default()),
        baton_instrument::Options {
            mvp: true,
            ..baton_instrument::Options::default()
        },
    );
    let module = mvp.compile(&wasm).expect("compile");
    let restored = mvp
        .restore(module, &[], &image)
        .expect("the true table restores");
    let mut bad = image.clone();
    bad.tables[0].elements[5] = image.tables[0].elements[2].clone();
    match mvp.restore(module, &[], &bad) {
        Err(EngineError::Restore(message)) => assert!(message.contains("table 0"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let finished = mvp
        .resume(restored, RunOptions::default())
        .expect("resumes")
        .outcome;
    let s = fresh(&mut stack);
    let expected = stack
        .engine
        .invoke(s, "run", &[Value::I32(3)], RunOptions::default())
        .expect("runs")
        .outcome;
    assert_eq!(finished, expected);
}

#[test]
fn recursive_loop_in_blocks_matches_stack_at_every_event() {
    let (events, imaged, _) = check(RECURSIVE, "rec", &[Value::I32(3)]);
    assert!(events >= 12, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

#[test]
fn call_indirect_with_multi_value_matches_stack_at_every_event() {
    // The table holds functions, identified through wasmi's imports and exports (every function
    // of the rewritten module is exported): both sides' images are checked, and each is
    // restored and finished on the other (on the instrumented engine through its private
    // function table, since `$swap` empties the slot it was called through).
    let (events, imaged, not_imageable) = check(INDIRECT, "run", &[Value::I32(5)]);
    assert!(events >= 7, "{events} events");
    assert_eq!(not_imageable, 0);
    assert_eq!(imaged, events, "every stop imaged");
}

#[test]
fn effects_before_a_levels_first_call_run_once_when_rewinding() {
    let (events, imaged, _) = check(EFFECTS_BEFORE_CALL, "run", &[Value::I32(1)]);
    assert!(events >= 6, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

#[test]
fn fuel_ends_runs_like_the_contract() {
    let mut inst = session("instrumented:wasmi", RECURSIVE);
    let i = fresh(&mut inst);
    let report = inst
        .engine
        .invoke(i, "rec", &[Value::I32(2)], RunOptions::default())
        .unwrap();
    let events = report.events.expect("counts events");
    for (fuel, out_of_fuel) in [(events, false), (events - 1, true)] {
        let i = fresh(&mut inst);
        let options = RunOptions {
            stop: None,
            fuel: Some(fuel),
        };
        let outcome = inst
            .engine
            .invoke(i, "rec", &[Value::I32(2)], options)
            .unwrap()
            .outcome;
        assert_eq!(outcome == RunOutcome::OutOfFuel, out_of_fuel, "fuel {fuel}");
    }
}

#[test]
fn call_stack_exhaustion_comes_after_the_same_events() {
    let runaway = r#"(module (func $r (export "r") (param i32) (call $r (local.get 0))))"#;
    let mut counts = Vec::new();
    for name in ["stack", "instrumented:wasmi"] {
        let mut pair = session(name, runaway);
        let i = fresh(&mut pair);
        let report = pair
            .engine
            .invoke(i, "r", &[Value::I32(1)], RunOptions::default())
            .unwrap();
        assert_eq!(
            report.outcome,
            RunOutcome::Trapped(baton_engine::Trap::CallStackExhausted)
        );
        counts.push(report.events);
    }
    assert_eq!(counts[0], counts[1]);
}

#[test]
fn bench_measures_an_instrumented_engine_against_its_engine() {
    let corpus =
        baton::bench::load_workloads(&baton::bench::default_dir(), Some("fib")).expect("fib");
    let entry = adapters::find("instrumented:stack").expect("resolves");
    let report =
        baton::bench::run(&corpus, &[entry], 1, Some(9), &EngineConfig::default()).expect("runs");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    let workload = &report.workloads[0];
    let engines: Vec<&str> = workload.measurements.iter().map(|m| m.engine).collect();
    assert_eq!(engines, ["wasmi", "stack", "instrumented:stack"]);
    let ratio = baton::bench::overhead(workload, "instrumented:stack").expect("both measured");
    assert!(ratio > 0.0);
    assert_eq!(baton::bench::overhead(workload, "stack"), None);
    assert!(baton::bench::render(&report).contains("overhead"));
}

/// The rewrite's own frame limit (for engines that do not enforce `max_frames`): the run with
/// exactly the limit of frames returns, one more frame traps with "call stack exhausted"
/// after the same events as the `stack` engine with that limit.
#[test]
fn the_rewrite_frame_limit_traps_at_the_limit_and_not_below() {
    const LIMIT: u32 = 40;
    // The last frame is a leaf (it calls nothing: it only compares the depth).
    let down = r#"(module
        (func $leaf (result i32) (i32.const 0))
        (func $d (export "d") (param i32) (result i32)
          (if (result i32) (local.get 0)
            (then (i32.add (i32.const 1) (call $d (i32.sub (local.get 0) (i32.const 1)))))
            (else (call $leaf)))))"#;
    let wasm = wat::parse_str(down).expect("wat");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let mut limited = baton::instrument::Session::with_rewrite(
        "instrumented(limit):wasmi",
        (wasmi.create)(&EngineConfig::default()),
        baton_instrument::Options {
            max_frames: Some(LIMIT),
            ..baton_instrument::Options::default()
        },
    );
    let config = EngineConfig { max_frames: LIMIT };
    let mut stack = (adapters::find("stack").expect("stack").create)(&config);
    let run = |engine: &mut dyn Engine, n: i32| {
        let module = engine.compile(&wasm).expect("compile");
        let instance = engine.instantiate(module, &[]).expect("instantiate");
        let report = engine
            .invoke(instance, "d", &[Value::I32(n)], RunOptions::default())
            .expect("runs");
        (report.outcome, report.events)
    };
    // d(n) needs n + 2 frames.
    let below = run(&mut limited, LIMIT as i32 - 2);
    assert_eq!(
        below.0,
        RunOutcome::Returned(vec![Value::I32(LIMIT as i32 - 2)])
    );
    assert_eq!(below, run(stack.as_mut(), LIMIT as i32 - 2));
    let over = run(&mut limited, LIMIT as i32 - 1);
    assert_eq!(
        over.0,
        RunOutcome::Trapped(baton_engine::Trap::CallStackExhausted)
    );
    assert_eq!(over, run(stack.as_mut(), LIMIT as i32 - 1));
    // The depth starts again from zero on the next run of the same session.
    assert_eq!(run(&mut limited, LIMIT as i32 - 2), below);
}

/// A leaf without locals (no local copy of its entry depth: its exit takes one off the depth
/// global) called many more times than the frame limit, one frame deep each time: the depth
/// must come back down after every call, so the run returns like on `stack`; then a stop at
/// every event of the leaf's first call images and restores like `stack`.
#[test]
fn a_lean_leaf_restores_the_frame_depth_at_every_exit() {
    const LIMIT: u32 = 8;
    let wat_text = r#"(module
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
      (func (export "run") (param $n i32) (result i32) (local $acc i32)
        (block $done (loop $again
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $acc (call $leaf (local.get $acc)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again)))
        (local.get $acc)))"#;
    let wasm = wat::parse_str(wat_text).expect("wat");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let limited = baton::instrument::Session::with_rewrite(
        "instrumented(limit):wasmi",
        (wasmi.create)(&EngineConfig::default()),
        baton_instrument::Options {
            max_frames: Some(LIMIT),
            ..baton_instrument::Options::default()
        },
    );
    let mut engine: Box<dyn Engine> = Box::new(limited);
    let module = engine.compile(&wasm).expect("compile");
    let mut pair = Pair { engine, module };
    let calls = 5 * LIMIT as i32;
    let mut stack =
        (adapters::find("stack").expect("stack").create)(&EngineConfig { max_frames: LIMIT });
    let stack_module = stack.compile(&wasm).expect("compile");
    let s = stack.instantiate(stack_module, &[]).expect("instantiate");
    let on_stack = stack
        .invoke(s, "run", &[Value::I32(calls)], RunOptions::default())
        .expect("runs");
    assert_eq!(
        on_stack.outcome,
        RunOutcome::Returned(vec![Value::I32(3 * calls)])
    );
    let i = fresh(&mut pair);
    let report = pair
        .engine
        .invoke(i, "run", &[Value::I32(calls)], RunOptions::default())
        .expect("runs");
    assert_eq!(
        (report.outcome, report.events),
        (on_stack.outcome, on_stack.events)
    );
    let (events, imaged, _) = check_with(pair, wat_text, "run", &[Value::I32(2)]);
    assert!(events >= 8, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// Like every engine, `instrumented:*` refuses to restore an image holding more frames than
/// its `max_frames`, and accepts exactly that many (the hostile-image property).
#[test]
fn restore_refuses_more_frames_than_max_frames() {
    let mut stack = session("stack", RECURSIVE);
    let image = (0..)
        .find_map(|k| {
            let (_, image) = stopped_image(&mut stack, "rec", &[Value::I32(3)], k);
            image
                .execution
                .as_ref()
                .is_some_and(|e| e.frames.len() >= 3)
                .then_some(image)
        })
        .expect("a stop three frames deep");
    let frames = image.execution.as_ref().map_or(0, |e| e.frames.len()) as u32;
    let wasm = wat::parse_str(RECURSIVE).expect("wat");
    let entry = adapters::find("instrumented:wasmi").expect("registered");
    for (max_frames, accepted) in [(frames - 1, false), (frames, true)] {
        let mut engine = (entry.create)(&EngineConfig { max_frames });
        let module = engine.compile(&wasm).expect("compile");
        let restored = engine.restore(module, &[], &image);
        assert_eq!(
            restored.is_ok(),
            accepted,
            "{frames} frames, max_frames {max_frames}: {restored:?}"
        );
    }
}

/// With the rewrite's frame limit on, the session tells an exhaustion of the wrapped engine's
/// own stack (here wasmi's lower frame limit stands for V8's native stack) from its own frame
/// limit, per instance and per run (`Engine::exhausted_native_stack`).
#[test]
fn the_wrapped_engines_own_exhaustion_is_told_apart_from_the_frame_limit() {
    let down = r#"(module (func $d (export "d") (param i32)
        (if (local.get 0) (then (call $d (i32.sub (local.get 0) (i32.const 1)))))))"#;
    let wasm = wat::parse_str(down).expect("wat");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let session = |rewrite: u32, own: u32| {
        baton::instrument::Session::with_rewrite(
            "instrumented(limits):wasmi",
            (wasmi.create)(&EngineConfig { max_frames: own }),
            baton_instrument::Options {
                max_frames: Some(rewrite),
                ..baton_instrument::Options::default()
            },
        )
    };
    let run = |engine: &mut dyn Engine, instance: InstanceId, depth: i32| {
        let report = engine
            .invoke(instance, "d", &[Value::I32(depth)], RunOptions::default())
            .expect("runs");
        (report.outcome, engine.exhausted_native_stack(instance))
    };
    let exhausted = RunOutcome::Trapped(baton_engine::Trap::CallStackExhausted);
    for (rewrite, own, native) in [(40, 20, true), (20, 40, false)] {
        let mut engine = session(rewrite, own);
        let module = engine.compile(&wasm).expect("compile");
        let deep = engine.instantiate(module, &[]).expect("instantiate");
        let other = engine.instantiate(module, &[]).expect("instantiate");
        assert_eq!(run(&mut engine, deep, 100), (exhausted.clone(), native));
        assert!(!engine.exhausted_native_stack(other), "per instance");
        assert_eq!(
            run(&mut engine, deep, 5),
            (RunOutcome::Returned(Vec::new()), false),
            "per run"
        );
    }
}

/// Functions only called directly (`$fib`, `$mix`, `$leaf`) follow the counter-passing
/// convention: the callee checks its caller's call event with its own entry. `$fib`'s calls
/// open its `else` level after pure code, `$mix` takes and returns floats with operands under
/// its calls, and `run` calls `$leaf` inside a block over an operand.
const COUNTER_PASSING: &str = r#"
(module
  (global $g (mut i32) (i32.const 0))
  (func $fib (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else
        (i64.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $mix (param $a i32) (param $x f64) (param $b i64) (result f64 i32)
    (local $t i64) (local $y f32)
    (local.set $t (i64.add (local.get $b) (call $fib (local.get $a))))
    (local.set $y (f32.demote_f64 (local.get $x)))
    (loop $l
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (br_if $l (i32.lt_u (global.get $g) (i32.const 3))))
    (f64.add (local.get $x) (f64.convert_i64_s (local.get $t)))
    (i32.add (i32.const 100) (call $leaf (local.get $a))))
  (func $leaf (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "run") (param $n i32) (result f64 i32)
    (local $r i32)
    (local.set $r (i32.add (i32.const 5) (block (result i32) (call $leaf (local.get $n)))))
    (call $mix (local.get $n) (f64.const 1.5) (i64.extend_i32_u (local.get $r)))))
"#;

#[test]
fn counter_passing_calls_match_stack_at_every_event() {
    let (events, imaged, not_imageable) = check(COUNTER_PASSING, "run", &[Value::I32(4)]);
    assert!(events >= 40, "{events} events");
    assert_eq!(not_imageable, 0);
    assert_eq!(imaged, events, "every stop imaged");
}

/// Restored from the stack engine's image at event `k`, the instrumented engine's next stop is
/// event `k + 1`, the same state as the stack engine's (a rewind landing on a call whose
/// callee counts the call event again must start it with one more event left).
#[test]
fn counter_passing_runs_restored_at_every_event_stop_at_the_next() {
    restored_runs_stop_at_the_next(COUNTER_PASSING, &[Value::I32(3)]);
}

/// Restores the stack engine's image at each event `k` of `run(args)` on `instrumented:wasmi`
/// and checks its next stop is event `k + 1` with the stack engine's image there.
fn restored_runs_stop_at_the_next(wat_text: &str, args: &[Value]) {
    let mut stack = session("stack", wat_text);
    let mut inst = session("instrumented:wasmi", wat_text);
    let s = fresh(&mut stack);
    let events = stack
        .engine
        .invoke(s, "run", args, RunOptions::default())
        .unwrap()
        .events
        .expect("stack counts events");
    for k in 0..events - 1 {
        let (_, at_k) = stopped_image(&mut stack, "run", args, k);
        let (_, at_next) = stopped_image(&mut stack, "run", args, k + 1);
        let r = inst
            .engine
            .restore(inst.module, &[], &at_k)
            .expect("restore");
        let outcome = inst.engine.resume(r, stop_at(k + 1)).unwrap().outcome;
        assert!(
            matches!(outcome, RunOutcome::Suspended { event, .. } if event == k + 1),
            "restored at {k}: {outcome:?}"
        );
        let image = inst.engine.take_image(r).expect("image");
        assert!(
            encode(&image) == encode(&at_next),
            "restored at {k}, stopped at {}:\nstack: {:?}\ninstrumented: {:?}",
            k + 1,
            at_next.execution,
            image.execution
        );
    }
}

/// A counter-passing recursion that exhausts the stack: the call that exhausts it counted its
/// call event although the callee never ran, so the event count, fuel ending on that event
/// and a stop there behave as on `stack` (the stop cannot be imaged: a typed refusal).
#[test]
fn counter_passing_exhaustion_counts_the_last_call_event() {
    let runaway = r#"(module
        (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
        (func (export "go") (result i32) (call $r (i32.const 0))))"#;
    let exhausted = RunOutcome::Trapped(baton_engine::Trap::CallStackExhausted);
    let mut stack = session("stack", runaway);
    let mut inst = session("instrumented:wasmi", runaway);
    let run = |pair: &mut Pair, options: RunOptions| {
        let i = fresh(pair);
        pair.engine.invoke(i, "go", &[], options)
    };
    let live = run(&mut stack, RunOptions::default()).unwrap();
    assert_eq!(live.outcome, exhausted);
    let counted = run(&mut inst, RunOptions::default()).unwrap();
    assert_eq!((counted.outcome, counted.events), (exhausted, live.events));
    let events = live.events.expect("stack counts events");
    let short = RunOptions {
        stop: None,
        fuel: Some(events - 1),
    };
    assert_eq!(
        run(&mut stack, short).unwrap().outcome,
        RunOutcome::OutOfFuel
    );
    assert_eq!(
        run(&mut inst, short).unwrap().outcome,
        RunOutcome::OutOfFuel
    );
    let last = stop_at(events - 1);
    assert!(matches!(
        run(&mut stack, last).unwrap().outcome,
        RunOutcome::Suspended { .. }
    ));
    assert!(matches!(
        run(&mut inst, last),
        Err(EngineError::NotImageable(_))
    ));
}

/// The MVP rewrite passes the counter too (multi-value function results, mixed ints and
/// floats, on Wasm3): every stop of [`COUNTER_PASSING`] on real Wasm3 matches `stack`.
#[test]
fn counter_passing_on_wasm3_matches_stack_at_every_event() {
    let (events, imaged, _) = check_on(
        "instrumented:proc:wasm3",
        COUNTER_PASSING,
        "run",
        &[Value::I32(3)],
    );
    assert!(events >= 20, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// Calls between counter-passing functions (`$cp`, `$cp2`: only called directly) and others
/// (`$in_table`, reached directly and through `call_indirect`, and the export): with a frame
/// limit a counter-passing function gets its depth as a parameter and sets the depth global
/// only around calls of the others.
const DEPTH_PASSING: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $in_table)
  (func $in_table (type $t)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1) (call $cp (i32.sub (local.get 0) (i32.const 1)))))
      (else (i32.const 0))))
  (func $cp (param i32) (result i32)
    (if (result i32) (i32.and (local.get 0) (i32.const 1))
      (then (i32.add (i32.const 10) (call_indirect (type $t) (local.get 0) (i32.const 0))))
      (else (i32.add (i32.const 100) (call $cp2 (local.get 0))))))
  (func $cp2 (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $in_table (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0))))
  (func (export "run") (param $n i32) (param $reps i32) (result i32) (local $acc i32)
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $reps)))
      (local.set $acc (i32.add (local.get $acc) (call $cp (local.get $n))))
      (local.set $reps (i32.sub (local.get $reps) (i32.const 1)))
      (br $again)))
    (local.get $acc)))
"#;

/// Every chain depth around a frame limit, each run several times over: the rewrite traps
/// exactly where `stack` does, after the same events (a depth global left one too high by a
/// counter-passing function would trap early on a later repetition, one not counted would
/// trap late), and every stop of a chain under the limit images and resumes like `stack`.
#[test]
fn depth_passing_keeps_the_frame_limit_exact() {
    const LIMIT: u32 = 12;
    let wasm = wat::parse_str(DEPTH_PASSING).expect("wat");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let limited = || {
        baton::instrument::Session::with_rewrite(
            "instrumented(limit):wasmi",
            (wasmi.create)(&EngineConfig::default()),
            baton_instrument::Options {
                max_frames: Some(LIMIT),
                ..baton_instrument::Options::default()
            },
        )
    };
    let mut instrumented = limited();
    let mut stack =
        (adapters::find("stack").expect("stack").create)(&EngineConfig { max_frames: LIMIT });
    let run = |engine: &mut dyn Engine, n: i32| {
        let module = engine.compile(&wasm).expect("compile");
        let instance = engine.instantiate(module, &[]).expect("instantiate");
        let report = engine
            .invoke(
                instance,
                "run",
                &[Value::I32(n), Value::I32(5)],
                RunOptions::default(),
            )
            .expect("runs");
        (report.outcome, report.events)
    };
    let mut outcomes = Vec::new();
    for n in 0..LIMIT as i32 + 2 {
        let expected = run(stack.as_mut(), n);
        assert_eq!(run(&mut instrumented, n), expected, "chain {n}");
        outcomes.push(matches!(expected.0, RunOutcome::Returned(_)));
    }
    assert!(outcomes.first() == Some(&true) && outcomes.last() == Some(&false));
    let mut engine: Box<dyn Engine> = Box::new(limited());
    let module = engine.compile(&wasm).expect("compile");
    let pair = Pair { engine, module };
    let args = [Value::I32(6), Value::I32(2)];
    let (events, imaged, _) = check_with(pair, DEPTH_PASSING, "run", &args);
    assert!(events >= 30, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// [`DEPTH_PASSING`] in the MVP rewrite on real Wasm3 (its frame limit is on): every stop
/// matches `stack`.
#[test]
fn depth_passing_on_wasm3_matches_stack_at_every_event() {
    let args = [Value::I32(6), Value::I32(2)];
    let (events, imaged, _) = check_on("instrumented:proc:wasm3", DEPTH_PASSING, "run", &args);
    assert!(events >= 30, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// Call-free loops (their checks' cold paths are after them, see `hoists` in the rewrite):
/// one in a function called from a loop, one with a result over an operand outside it, and
/// one nested in another call-free loop (only the inner one is call-free at its level).
const CALL_FREE_LOOPS: &str = r#"
(module
  (memory 1)
  (func $sum (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
      (local.set $acc (i32.add (local.get $acc) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func (export "run") (param $n i32) (result i32) (local $r i32) (local $k i32) (local $j i32)
    (loop $outer
      (local.set $r (i32.add (local.get $r) (call $sum (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $k) (local.get $n))))
    (loop $rows
      (local.set $j (local.get $k))
      (loop $cols
        (local.set $r (i32.add (local.get $r) (local.get $j)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $cols (local.get $j)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $rows (i32.gt_s (local.get $k) (i32.const 1))))
    (i32.add (local.get $r)
      (loop $l (result i32)
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $l (i32.gt_s (local.get $k) (i32.const -3)))
        (i32.const 7))))
)
"#;

/// Every stop in [`CALL_FREE_LOOPS`] images and resumes like `stack`, also when only `call`
/// or only `return` events may stop the run: the host then answers "go on" at the loop
/// headers before the stop, and the code goes back into each loop with its counter at 0.
#[test]
fn call_free_loops_stop_go_on_and_resume_like_stack() {
    let args = [Value::I32(6)];
    let (events, imaged, _) = check(CALL_FREE_LOOPS, "run", &args);
    assert!(events >= 60, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
    for kind in [EventKind::Call, EventKind::Return] {
        let pair = session("instrumented:wasmi", CALL_FREE_LOOPS);
        let only = KindSet::of(&[kind]);
        let (stops, imaged, _) = check_kinds(pair, CALL_FREE_LOOPS, "run", &args, only);
        assert!(stops >= 20, "{stops} stops at {kind:?}");
        assert_eq!(imaged, stops, "every stop imaged");
    }
    // A rewind into a call-free loop goes back in through its check: with the image's counter.
    restored_runs_stop_at_the_next(CALL_FREE_LOOPS, &args);
}

/// A `call_indirect` whose callees pass the counter (MVP) traps on an empty or missing table
/// entry before any callee runs (`run(1)`: uninitialized element, `run(7)`: undefined element).
const TRAPPING_INDIRECT: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inc)
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func (export "run") (param $i i32) (result i32)
    (call_indirect (type $t) (call_indirect (type $t) (i32.const 5) (i32.const 0)) (local.get $i))))
"#;

/// The callee counts the call event of a counter-passing `call_indirect`; when that call traps
/// no callee runs, yet for every fuel the run ends like on `stack` (the caller stored the count
/// before the call), and a stop at that call event is refused as not imageable, not missed.
#[test]
fn a_trapping_counter_passing_call_indirect_ends_runs_like_stack() {
    let mut mvp = mvp_on_wasmi(Some(64));
    let wasm = wat::parse_str(TRAPPING_INDIRECT).expect("wat");
    let module = mvp.compile(&wasm).expect("compile");
    let mut stack = session("stack", TRAPPING_INDIRECT);
    for arg in [1, 7] {
        let args = [Value::I32(arg)];
        let i = fresh(&mut stack);
        let full = stack
            .engine
            .invoke(i, "run", &args, RunOptions::default())
            .expect("runs");
        assert!(matches!(full.outcome, RunOutcome::Trapped(_)), "{full:?}");
        let events = full.events.expect("counts");
        for fuel in 0..=events {
            let options = RunOptions {
                stop: None,
                fuel: Some(fuel),
            };
            let i = fresh(&mut stack);
            let expected = stack.engine.invoke(i, "run", &args, options).expect("runs");
            let j = mvp.instantiate(module, &[]).expect("instantiate");
            let got = mvp.invoke(j, "run", &args, options).expect("runs");
            // (wasmi names an index past the table's end "table out of bounds".)
            let ends = |outcome: &RunOutcome| match outcome {
                RunOutcome::Trapped(_) => "trapped",
                RunOutcome::OutOfFuel => "out of fuel",
                _ => "other",
            };
            assert_eq!(
                (ends(&got.outcome), got.events),
                (ends(&expected.outcome), expected.events),
                "run({arg}) with fuel {fuel}"
            );
        }
        // The last event is the trapping call's.
        let j = mvp.instantiate(module, &[]).expect("instantiate");
        match mvp.invoke(j, "run", &args, stop_at(events - 1)) {
            Err(EngineError::NotImageable(message)) => {
                assert!(
                    message.contains(&format!("event {}", events - 1)),
                    "{message}"
                )
            }
            other => panic!("run({arg}) stopped at the trapping call: {other:?}"),
        }
    }
}

/// Return events a call's callee counts (the rewrite leaves a return check out when only pure
/// code comes before the next counter-passing call): `$deep`'s recursion is followed by a call
/// of a leaf (its own rewind copy, whose entry also dispatches rewinds), `$two`'s by a
/// `call_indirect` (counter-passing in the MVP rewrite). Stops at the unchecked return, at
/// the next call and inside the previous call's callees all unwind from the right site.
const ABSORBED_RETURNS: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $sq $inc)
  (func $sq (type $t) (i32.mul (local.get 0) (local.get 0)))
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func $leaf (param i32) (result i32) (i32.xor (local.get 0) (i32.const 5)))
  (func $deep (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 7))
      (else
        (i32.add
          (call $deep (i32.sub (local.get $n) (i32.const 1)))
          (call $leaf (local.get $n))))))
  (func $two (param $n i32) (result i32 i32)
    (call $deep (local.get $n))
    (call_indirect (type $t) (local.get $n) (i32.and (local.get $n) (i32.const 1))))
  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $two (local.get $n)))))
"#;

#[test]
fn absorbed_return_events_match_stack_at_every_event() {
    for kinds in [
        KindSet::MAIN,
        KindSet::of(&[EventKind::Return]),
        KindSet::of(&[EventKind::Call]),
    ] {
        let (events, imaged, _) = check_kinds(
            session("instrumented:wasmi", ABSORBED_RETURNS),
            ABSORBED_RETURNS,
            "run",
            &[Value::I32(3)],
            kinds,
        );
        assert!(events >= 20, "{events} events");
        assert_eq!(imaged, events, "every stop imaged");
    }
    let mut engine = mvp_on_wasmi(Some(64));
    let module = engine
        .compile(&wat::parse_str(ABSORBED_RETURNS).expect("wat"))
        .expect("compile");
    let pair = Pair { engine, module };
    let (events, imaged, _) = check_with(pair, ABSORBED_RETURNS, "run", &[Value::I32(3)]);
    assert_eq!(imaged, events, "MVP: every stop imaged");
    restored_runs_stop_at_the_next(ABSORBED_RETURNS, &[Value::I32(3)]);
}

#[test]
fn absorbed_return_events_on_wasm3_match_stack_at_every_event() {
    let (events, imaged, _) = check_on(
        "instrumented:proc:wasm3",
        ABSORBED_RETURNS,
        "run",
        &[Value::I32(3)],
    );
    assert!(events >= 20, "{events} events");
    assert_eq!(imaged, events, "every stop imaged");
}

/// A run of many more events than the counter is armed for under a frame limit (the host
/// re-arms it every `2 * (limit - depth)` events, some of them at entries whose cold path
/// compares the depth bits with the limit): it must end like `stack`, neither trapping early
/// nor counting differently, with or without the MVP rewrite.
#[test]
fn long_runs_under_a_frame_limit_re_arm_and_finish_like_stack() {
    const LIMIT: u32 = 40;
    let fib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/bench/fib.wat"
    ))
    .expect("fib.wat");
    let wasm = wat::parse_str(&fib).expect("wat");
    let wasmi = adapters::find("wasmi").expect("wasmi");
    let mut stack =
        (adapters::find("stack").expect("stack").create)(&EngineConfig { max_frames: LIMIT });
    let run = |engine: &mut dyn Engine| {
        let module = engine.compile(&wasm).expect("compile");
        let instance = engine.instantiate(module, &[]).expect("instantiate");
        let report = engine
            .invoke(instance, "run", &[Value::I32(15)], RunOptions::default())
            .expect("runs");
        (report.outcome, report.events)
    };
    let expected = run(stack.as_mut());
    assert!(expected
        .1
        .is_some_and(|events| events > 10 * u64::from(LIMIT)));
    for mvp in [false, true] {
        let mut limited = baton::instrument::Session::with_rewrite(
            "instrumented(limit):wasmi",
            (wasmi.create)(&EngineConfig::default()),
            baton_instrument::Options {
                max_frames: Some(LIMIT),
                mvp,
            },
        );
        assert_eq!(run(&mut limited), expected, "mvp {mvp}");
    }
}
