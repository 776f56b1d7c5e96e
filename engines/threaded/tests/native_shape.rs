//! The native shape is real: stops unwind native frames (function activations, loop ops, call
//! ops) and continuing rewinds exactly as many; the top operand lives in `r0`/`fp0` at a safe
//! point and the image still has it; recursion to `max_frames` neither overflows the native
//! stack nor loses a frame on checkpoint.

use baton_checkpoint::image::value::Kind;
use baton_runtime::{
    Config, Driving, EventKind, Imports, KindSet, RunOutcome, StopRequest, Trap, Val,
};
use baton_threaded::compiler::{Loc, PointKind};
use baton_threaded::executor::Native;
use baton_threaded::{Instance, Module};

fn module(wat: &str) -> Module {
    Module::new(&wat::parse_str(wat).expect("parses")).expect("compiles")
}

fn stop(kinds: &[EventKind], event: u64) -> Option<StopRequest> {
    Some(StopRequest {
        kinds: KindSet::of(kinds),
        at: event,
    })
}

/// Recursion to depth 3, each level inside three nested loops.
const NESTED: &str = r#"(module
  (func $rec (export "rec") (param $n i32) (result i32) (local $i i32)
    (loop $a
      (loop $b
        (loop $c
          (if (i32.gt_u (local.get $n) (i32.const 0))
            (then (local.set $i (call $rec (i32.sub (local.get $n) (i32.const 1))))))
          (br_if $c (i32.eq (local.get $i) (i32.const 1000))))))
    (i32.add (local.get $i) (i32.const 1))))"#;

/// The kinds of a record's native frames: Function, Loop, Call, Resume.
fn shape_of(record: &[Native]) -> String {
    record
        .iter()
        .map(|r| match r {
            Native::Function { .. } => 'F',
            Native::Loop { .. } => 'L',
            Native::Call { .. } => 'C',
            Native::Resume { .. } => 'R',
        })
        .collect()
}

#[test]
fn a_stop_three_loops_deep_in_recursion_unwinds_and_rewinds_every_native_frame() {
    let module = module(NESTED);
    let imports = Imports::new();
    let mut reference = Instance::instantiate(&module, &imports, Config::default()).unwrap();
    assert_eq!(
        reference.invoke("rec", &[Val::I32(2)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(3)])
    );
    // Per level: entry, loop a, loop b, loop c, then (if n > 0) call. The third level's
    // loop-c event is entry(0) a b c call(4) entry(5) a b c call(9) entry(10) a b c(13).
    let mut instance = Instance::instantiate(&module, &imports, Config::default()).unwrap();
    let outcome = instance
        .invoke("rec", &[Val::I32(2)], stop(&[EventKind::Loop], 13))
        .unwrap();
    let RunOutcome::Stopped(info) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((info.kind, info.event), (EventKind::Loop, 13));
    let record = instance.unwind_record().expect("stopped").to_vec();
    // Two outer levels: activation, 3 loop ops, call op; innermost: activation, 3 loop ops.
    assert_eq!(shape_of(&record), "FLLLCFLLLCFLLL");
    assert_eq!(instance.native_counts().unwound, 14);
    let image = instance.image().unwrap();
    assert_eq!(image.execution.as_ref().unwrap().frames.len(), 3);

    assert_eq!(
        instance.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(3)])
    );
    assert_eq!(
        instance.native_counts().rewound,
        14,
        "continue rewinds all 14"
    );
    let mut restored = Instance::restore(&module, &image, &imports, Config::default()).unwrap();
    // The same native frames (dead slots and registers may differ: they are not state).
    assert_eq!(
        shape_of(restored.unwind_record().unwrap()),
        shape_of(&record)
    );
    assert_eq!(restored.image().unwrap(), image);
    assert_eq!(
        restored.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(3)])
    );
    assert_eq!(
        restored.native_counts().rewound,
        14,
        "restore rewinds all 14"
    );
}

#[test]
fn the_top_operand_lives_in_r0_and_fp0_at_a_call_and_the_image_has_it() {
    let module = module(
        r#"(module
          (func $g (param i32) (result i32) (local.get 0))
          (func $h (param f64) (result f64) (local.get 0))
          (func (export "f") (param i32 f64) (result f64)
            (f64.mul (local.get 1) (f64.const 3))
            (i32.mul (local.get 0) (i32.const 7))
            (call $g (i32.const 1))
            i32.add
            f64.convert_i32_s
            (call $h (f64.const 2))
            f64.add
            f64.add))"#,
    );
    let f = module.info().exported_func("f").unwrap();
    let points = module.compiled(f).unwrap().points.all();
    let calls: Vec<_> = points
        .iter()
        .filter(|p| p.kind == PointKind::Call)
        .collect();
    assert_eq!(calls.len(), 2);
    // At `call $g`: operand 0 (the f64 product) in fp0, operand 1 (the i32 product) in r0.
    assert_eq!(calls[0].operands[0].loc, Loc::Fp0);
    assert_eq!(calls[0].operands[1].loc, Loc::R0);
    let imports = Imports::new();
    let mut instance = Instance::instantiate(&module, &imports, Config::default()).unwrap();
    let args = [Val::I32(6), Val::F64(2.5f64.to_bits())];
    let outcome = instance
        .invoke("f", &args, stop(&[EventKind::Call], 0))
        .unwrap();
    assert!(matches!(outcome, RunOutcome::Stopped(_)), "{outcome:?}");
    let Some(Native::Call { r0, fp0, .. }) = instance.unwind_record().unwrap().last().cloned()
    else {
        panic!("innermost record is not a call")
    };
    assert_eq!(r0, 42);
    assert_eq!(f64::from_bits(fp0), 7.5);
    let image = instance.image().unwrap();
    let frame = &image.execution.as_ref().unwrap().frames[0];
    assert_eq!(frame.operands[0].kind, Some(Kind::F64(7.5f64.to_bits())));
    assert_eq!(frame.operands[1].kind, Some(Kind::I32(42)));
    // Restored, the registers are refilled and the result is the same.
    let mut restored = Instance::restore(&module, &image, &imports, Config::default()).unwrap();
    let expected = RunOutcome::Finished(vec![Val::F64((7.5f64 + 43.0 + 2.0).to_bits())]);
    assert_eq!(restored.resume(None).unwrap(), expected);
    assert_eq!(instance.resume(None).unwrap(), expected);
}

const DEEP: &str = r#"(module
  (func $rec (export "rec") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else
        (loop $l (br_if $l (i32.eqz (local.get $n))))
        (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))"#;

#[test]
fn recursion_to_max_frames_neither_overflows_nor_loses_a_frame() {
    const MAX: usize = 100_000;
    let module = module(DEEP);
    let imports = Imports::new();
    let config = Config {
        max_frames: MAX,
        fuel: None,
    };
    let deepest = (MAX - 1) as i32;
    let mut instance = Instance::instantiate(&module, &imports, config).unwrap();
    assert_eq!(
        instance.invoke("rec", &[Val::I32(deepest)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(deepest)])
    );
    assert_eq!(
        instance
            .invoke("rec", &[Val::I32(deepest + 1)], None)
            .unwrap(),
        RunOutcome::Trapped(Trap::CallStackExhausted)
    );
    // Entry, loop, call per level: the deepest frame's entry is event 3 * (MAX - 1).
    let event = 3 * (MAX as u64 - 1);
    let outcome = instance
        .invoke(
            "rec",
            &[Val::I32(deepest)],
            stop(&[EventKind::Entry], event),
        )
        .unwrap();
    assert!(matches!(outcome, RunOutcome::Stopped(_)), "{outcome:?}");
    let image = instance.image().unwrap();
    let frames = &image.execution.as_ref().unwrap().frames;
    assert_eq!(frames.len(), MAX);
    // Each outer level: activation and call op (its loop has ended); innermost: activation
    // and the resume position.
    assert_eq!(instance.native_counts().unwound, 2 * MAX as u64);
    let mut restored = Instance::restore(&module, &image, &imports, config).unwrap();
    assert_eq!(
        restored.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(deepest)])
    );
    assert_eq!(
        instance.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(deepest)])
    );
}
