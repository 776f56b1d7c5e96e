//! Cross-engine checkpoints against `baton-stack`: at every event of every program the image
//! `threaded` takes is byte-identical to the one `stack` takes, and each engine's image restored
//! on the other (and on itself) finishes with the uninterrupted result.

use baton_checkpoint::codec::encode;
use baton_runtime::{Config, Driving, Imports, KindSet, RunOutcome, StopRequest, Val};

const PROGRAMS: &[(&str, &str, &[Val])] = &[
    (
        "calls in a loop, operands in r0 across calls",
        r#"(module
          (func $id (param i32) (result i32) local.get 0)
          (func (export "f") (param $n i32) (result i32) (local $acc i32)
            (loop $top
              (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 3))
                                       (call $id (local.get $n))))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
            (local.get $acc)))"#,
        &[Val::I32(5)],
    ),
    (
        "aliased local and constants across a call",
        r#"(module
          (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
          (func (export "f") (param $x i32) (result i32)
            (local.get $x)
            (i32.const 7)
            (local.set $x (i32.const 5))
            (call $g (local.get $x))
            i32.add
            i32.sub))"#,
        &[Val::I32(9)],
    ),
    (
        "floats in fp0, memory, globals, nested loops",
        r#"(module
          (memory 1)
          (global $g (mut i64) (i64.const 7))
          (func $mix (param i64 f64 f32) (result f64)
            (f64.add (f64.convert_i64_s (local.get 0))
                     (f64.add (local.get 1) (f64.promote_f32 (local.get 2)))))
          (func (export "f") (param $n i32) (result f64) (local $i i32) (local $j i32) (local $acc f64)
            (loop $l
              (i64.store (i32.mul (local.get $i) (i32.const 8)) (global.get $g))
              (global.set $g (i64.add (global.get $g) (i64.const 3)))
              (local.set $j (i32.const 0))
              (loop $inner
                (local.set $acc
                  (f64.add (f64.mul (local.get $acc) (f64.const 0.5))
                    (block (result f64)
                      (call $mix (i64.load (i32.mul (local.get $i) (i32.const 8)))
                                 (f64.const 0.5) (f32.const 1.25)))))
                (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                                        (i32.const 2))))
              (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                  (local.get $n))))
            (local.get $acc)))"#,
        &[Val::I32(3)],
    ),
    (
        "multi-value blocks, br_table, recursion, call_indirect",
        r#"(module
          (type $t (func (param i32) (result i32)))
          (table 2 funcref)
          (elem (i32.const 0) $fib $dbl)
          (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
          (func $fib (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
              (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 2))
                                            (i32.const 0))))))
          (func $pair (param i32) (result i32 i32) (local.get 0) (call $fib (local.get 0)))
          (func (export "f") (param $n i32) (result i32)
            (block $b (result i32)
              (block $a (result i32)
                (i32.add (call $pair (local.get $n)))
                (br_table $a $b (i32.and (local.get $n) (i32.const 1))))
              (i32.const 1000)
              i32.add)))"#,
        &[Val::I32(6)],
    ),
    (
        "branches out of nested loops to outer blocks",
        r#"(module
          (func $tick (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "f") (param $n i32) (result i32) (local $c i32)
            (block $out
              (loop $a
                (loop $b
                  (loop $c
                    (local.set $c (call $tick (local.get $c)))
                    (br_if $out (i32.gt_u (local.get $c) (local.get $n)))
                    (br_if $c (i32.and (local.get $c) (i32.const 1))))
                  (br_if $b (i32.and (local.get $c) (i32.const 2))))
                (br $a)))
            (local.get $c)))"#,
        &[Val::I32(9)],
    ),
];

fn stop_at(event: u64) -> Option<StopRequest> {
    Some(StopRequest {
        kinds: KindSet::MAIN,
        at: event,
    })
}

#[test]
fn images_are_byte_identical_and_restore_across_engines() {
    for (what, wat, args) in PROGRAMS {
        let bytes = wat::parse_str(wat).expect("parses");
        let module = baton_threaded::Module::new(&bytes).expect("threaded compiles");
        let stack_module = baton_stack::Module::new(&bytes).expect("stack compiles");
        let imports = Imports::new();
        let config = Config::default();

        let mut threaded =
            baton_threaded::Instance::instantiate(&module, &imports, config).unwrap();
        let expected = threaded.invoke("f", args, None).unwrap();
        assert!(
            matches!(expected, RunOutcome::Finished(_)),
            "{what}: {expected:?}"
        );
        let events = threaded.events_fired();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        assert_eq!(stack.invoke("f", args, None).unwrap(), expected, "{what}");
        assert_eq!(stack.events_fired(), events, "{what}: event counts");
        assert!(events >= 4, "{what}: too few events to test");

        for k in 0..events {
            let mut threaded =
                baton_threaded::Instance::instantiate(&module, &imports, config).unwrap();
            let mut stack =
                baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
            let ours = threaded.invoke("f", args, stop_at(k)).unwrap();
            assert_eq!(
                ours,
                stack.invoke("f", args, stop_at(k)).unwrap(),
                "{what}: stop {k}"
            );
            let our_image = threaded.image().unwrap();
            let stack_image = stack.image().unwrap();
            assert_eq!(our_image, stack_image, "{what}: images at event {k}");
            assert_eq!(
                encode(&our_image),
                encode(&stack_image),
                "{what}: bytes at {k}"
            );

            let mut on_stack =
                baton_stack::Instance::restore(&stack_module, &our_image, &imports, config)
                    .unwrap_or_else(|e| panic!("{what}: stack restores threaded's image {k}: {e}"));
            assert_eq!(
                on_stack.resume(None).unwrap(),
                expected,
                "{what}: threaded -> stack at {k}"
            );
            let mut on_threaded =
                baton_threaded::Instance::restore(&module, &stack_image, &imports, config)
                    .unwrap_or_else(|e| panic!("{what}: threaded restores stack's image {k}: {e}"));
            assert_eq!(
                on_threaded.image().unwrap(),
                stack_image,
                "{what}: image of the restored instance at {k}"
            );
            assert_eq!(
                on_threaded.resume(None).unwrap(),
                expected,
                "{what}: stack -> threaded at {k}"
            );
            assert_eq!(
                threaded.resume(None).unwrap(),
                expected,
                "{what}: continue at {k}"
            );
        }
    }
}

#[test]
fn walking_every_event_matches_stack() {
    for (what, wat, args) in PROGRAMS {
        let bytes = wat::parse_str(wat).expect("parses");
        let module = baton_threaded::Module::new(&bytes).unwrap();
        let stack_module = baton_stack::Module::new(&bytes).unwrap();
        let (imports, config) = (Imports::new(), Config::default());
        let mut threaded =
            baton_threaded::Instance::instantiate(&module, &imports, config).unwrap();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        let mut ours = threaded.invoke("f", args, stop_at(0)).unwrap();
        let mut theirs = stack.invoke("f", args, stop_at(0)).unwrap();
        loop {
            assert_eq!(ours, theirs, "{what}");
            if !matches!(ours, RunOutcome::Stopped(_)) {
                break;
            }
            assert_eq!(
                encode(&threaded.image().unwrap()),
                encode(&stack.image().unwrap()),
                "{what}: {ours:?}"
            );
            ours = threaded.resume(stop_at(0)).unwrap();
            theirs = stack.resume(stop_at(0)).unwrap();
        }
    }
}

#[test]
fn fuel_ends_runs_at_the_same_event_as_stack() {
    let (_, wat, args) = PROGRAMS[2];
    let bytes = wat::parse_str(wat).expect("parses");
    let module = baton_threaded::Module::new(&bytes).unwrap();
    let stack_module = baton_stack::Module::new(&bytes).unwrap();
    let imports = Imports::new();
    let mut threaded =
        baton_threaded::Instance::instantiate(&module, &imports, Config::default()).unwrap();
    let finished = threaded.invoke("f", args, None).unwrap();
    let events = threaded.events_fired();
    for fuel in 0..=events {
        let config = Config {
            fuel: Some(fuel),
            ..Config::default()
        };
        let mut threaded =
            baton_threaded::Instance::instantiate(&module, &imports, config).unwrap();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        let outcome = threaded.invoke("f", args, None).unwrap();
        let expected = if fuel < events {
            RunOutcome::OutOfFuel
        } else {
            finished.clone()
        };
        assert_eq!(outcome, expected, "fuel {fuel}");
        assert_eq!(
            stack.invoke("f", args, None).unwrap(),
            outcome,
            "fuel {fuel}"
        );
        assert_eq!(threaded.events_fired(), stack.events_fired(), "fuel {fuel}");
    }
}
