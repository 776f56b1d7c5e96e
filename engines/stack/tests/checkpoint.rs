//! Checkpoint at every event: for small programs, stop at each event k (main kinds, and every
//! instruction boundary with `any`), take the image, round-trip it through the codec, restore it
//! into a fresh instance, finish, and compare result and final store against the uninterrupted
//! run. Also `image(restore(image)) == image`, and the original instance finishes identically
//! after being imaged.

use baton_checkpoint::codec::{decode, encode, DecodeLimits};
use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::{Instance, Module};

fn module(wat: &str) -> Module {
    Module::new(&wat::parse_str(wat).expect("test WAT parses")).expect("module validates")
}

fn fresh(module: &Module) -> Instance {
    Instance::instantiate(module, &Imports::new(), Config::default()).expect("instantiates")
}

/// Checks every stop point of `export(args)` for the stop kinds `kinds`, chaining stops on one
/// original instance; returns the number of stops.
fn check_everywhere(wat: &str, export: &str, args: &[Val], kinds: KindSet) -> u64 {
    let module = module(wat);
    let mut reference = fresh(&module);
    let expected = reference.invoke(export, args, None).expect("invoke");
    let expected_final = reference.image().expect("final image");
    let next = Some(StopRequest { kinds, at: 0 });
    let mut original = fresh(&module);
    let mut outcome = original.invoke(export, args, next).expect("invoke");
    let mut stops = 0;
    let mut last_event = None;
    while let RunOutcome::Stopped(info) = outcome {
        assert!(
            kinds.contains(info.kind),
            "stopped at an unrequested kind {info:?}"
        );
        if info.kind != EventKind::Any {
            if let Some(last) = last_event {
                assert!(
                    info.event > last,
                    "event numbers increase: {info:?} after {last}"
                );
            }
            if !kinds.contains(EventKind::Any) && kinds == KindSet::MAIN {
                assert_eq!(info.event, stops, "every main event stops, in order");
            }
            last_event = Some(info.event);
        }
        let image = original.image().expect("image at a stop");
        let bytes = encode(&image);
        let decoded = decode(&bytes, &DecodeLimits::default()).expect("codec round trip");
        assert_eq!(decoded, image);
        let restore = || {
            Instance::restore(&module, &decoded, &Imports::new(), Config::default())
                .unwrap_or_else(|e| panic!("restore at stop {stops} ({info:?}): {e}"))
        };
        let mut restored = restore();
        assert_eq!(
            restored.image().expect("image of restored"),
            image,
            "image(restore(i)) == i at {info:?}"
        );
        let finished = restored.resume(None).expect("resume");
        assert_eq!(finished, expected, "restored run at {info:?}");
        assert_eq!(
            restored.image().expect("final"),
            expected_final,
            "final store at {info:?}"
        );
        let mut stepped = restore();
        let restored_next = stepped.resume(next).expect("resume restored");
        outcome = original.resume(next).expect("resume original");
        assert_eq!(restored_next, outcome, "next stop after {info:?}");
        stops += 1;
    }
    assert_eq!(outcome, expected, "the chained run ends like the reference");
    assert_eq!(original.image().expect("final"), expected_final);
    stops
}

const PROGRAMS: &str = r#"
(module
  (memory 1 2)
  (global $g (mut i32) (i32.const 7))
  (table $t 4 funcref)
  (table $ext 2 externref)
  (elem (i32.const 0) $fac $sum3 $grow)
  (type $unary (func (param i64) (result i64)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $sum3 (param i64) (result i64)
    (local $acc i64)
    (local.get 0)
    (loop $l (param i64) (result i64)
      (local.set 0)
      (local.set $acc (i64.add (local.get $acc) (local.get 0)))
      (i64.sub (local.get 0) (i64.const 1))
      (br_if $l (i64.gt_s (local.get 0) (i64.const 1))))
    (drop)
    (local.get $acc))
  (func $grow (param i64) (result i64)
    (i64.extend_i32_s (memory.grow (i32.wrap_i64 (local.get 0)))))
  (func (export "mix") (param i32) (param externref) (result i32 i64 f64)
    (local $i i32)
    (block $out
      (loop $again
        (global.set $g (i32.add (global.get $g) (local.get $i)))
        (i32.store (i32.mul (local.get $i) (i32.const 4)) (global.get $g))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_table 0 0 0 1 (local.get $i))
      )
    )
    (local.set $i (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
        (global.set $g (i32.add (global.get $g)
          (i32.wrap_i64 (call_indirect (type $unary)
            (i64.extend_i32_u (local.get $i)) (i32.rem_u (local.get $i) (i32.const 3))))))
        (i32.store offset=100 (i32.mul (local.get $i) (i32.const 4)) (global.get $g))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (table.set $ext (i32.const 1) (local.get 1))
    (table.set $t (i32.const 3) (table.get $t (i32.const 1)))
    (global.get $g)
    (i64.load (i32.const 100))
    (f64.mul (f64.convert_i32_s (memory.size)) (f64.const 1.5)))
  (func (export "multi") (param i32) (result i32)
    (i32.const 1) (i32.const 2)
    (block $b (param i32 i32) (result i32 i32)
      (call $swap)
      (br_if $b (local.get 0))
      (call $swap))
    (i32.sub))
  (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
)
"#;

#[test]
fn every_main_event_of_recursion() {
    let stops = check_everywhere(PROGRAMS, "fac", &[Val::I64(6)], KindSet::MAIN);
    // fac(6): 7 entries, 6 calls, 6 returns.
    assert_eq!(stops, 19);
}

#[test]
fn every_main_event_of_mixed_program() {
    let stops = check_everywhere(
        PROGRAMS,
        "mix",
        &[Val::I32(7), Val::ExternRef(Some(5))],
        KindSet::MAIN,
    );
    assert!(stops > 30, "only {stops} events");
}

#[test]
fn every_instruction_boundary() {
    let stops = check_everywhere(
        PROGRAMS,
        "mix",
        &[Val::I32(4), Val::ExternRef(Some(u64::MAX))],
        KindSet::ALL,
    );
    assert!(stops > 30, "only {stops} stops");
    check_everywhere(PROGRAMS, "multi", &[Val::I32(0)], KindSet::ALL);
    check_everywhere(PROGRAMS, "multi", &[Val::I32(1)], KindSet::ALL);
}

#[test]
fn single_kinds() {
    for kind in [
        EventKind::Entry,
        EventKind::Loop,
        EventKind::Call,
        EventKind::Return,
    ] {
        check_everywhere(
            PROGRAMS,
            "mix",
            &[Val::I32(5), Val::ExternRef(None)],
            KindSet::of(&[kind]),
        );
    }
}
