//! Cross-engine checkpoints against `baton-stack`: at every event of every program, the image
//! `register` takes is byte-identical to the one `stack` takes, and each engine's image restored
//! on the other finishes with the uninterrupted result.

use baton_checkpoint::codec::encode;
use baton_runtime::Driving;
use baton_runtime::{Config, Imports, KindSet, RunOutcome, StopRequest, Val};

const PROGRAMS: &[(&str, &str, &[Val])] = &[
    (
        "calls in a loop, fused compare-branch, local.set retargeting",
        r#"(module
          (func $id (param i32) (result i32) local.get 0)
          (func (export "f") (param $n i32) (result i32) (local $acc i32)
            (loop $top
              (local.set $acc (i32.add (local.get $acc) (call $id (local.get $n))))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
            (local.get $acc)))"#,
        &[Val::I32(5)],
    ),
    (
        "preserved local and aliased argument across a call",
        r#"(module
          (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
          (func (export "f") (param $x i32) (result i32)
            (local.get $x)
            (local.set $x (i32.const 5))
            (call $g (local.get $x))
            i32.sub))"#,
        &[Val::I32(9)],
    ),
    (
        "operands of every type under nested blocks, memory and globals",
        r#"(module
          (memory 1)
          (global $g (mut i64) (i64.const 7))
          (func $mix (param i64 f64 f32) (result f64)
            (f64.add (f64.convert_i64_s (local.get 0))
                     (f64.add (local.get 1) (f64.promote_f32 (local.get 2)))))
          (func (export "f") (param $n i32) (result f64) (local $i i32) (local $acc f64)
            (loop $l
              (i64.store (i32.mul (local.get $i) (i32.const 8)) (global.get $g))
              (global.set $g (i64.add (global.get $g) (i64.const 3)))
              (local.set $acc
                (f64.add (local.get $acc)
                  (block (result f64)
                    (call $mix (i64.load (i32.mul (local.get $i) (i32.const 8)))
                               (f64.const 0.5) (f32.const 1.25)))))
              (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                  (local.get $n))))
            (local.get $acc)))"#,
        &[Val::I32(4)],
    ),
    (
        "multi-value blocks, br_table and recursion",
        r#"(module
          (func $fib (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
              (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
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
        let reg_module = baton_register::Module::new(&bytes).expect("register compiles");
        let stack_module = baton_stack::Module::new(&bytes).expect("stack compiles");
        let imports = Imports::new();
        let config = Config::default();

        let mut reg = baton_register::Instance::instantiate(&reg_module, &imports, config).unwrap();
        let expected = reg.invoke("f", args, None).unwrap();
        assert!(
            matches!(expected, RunOutcome::Finished(_)),
            "{what}: {expected:?}"
        );
        let events = reg.events_fired();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        assert_eq!(stack.invoke("f", args, None).unwrap(), expected, "{what}");
        assert_eq!(stack.events_fired(), events, "{what}: event counts");

        for k in 0..events {
            let mut reg =
                baton_register::Instance::instantiate(&reg_module, &imports, config).unwrap();
            let mut stack =
                baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
            let reg_stop = reg.invoke("f", args, stop_at(k)).unwrap();
            let stack_stop = stack.invoke("f", args, stop_at(k)).unwrap();
            assert_eq!(reg_stop, stack_stop, "{what}: stop at event {k}");
            let reg_image = reg.image().unwrap();
            let stack_image = stack.image().unwrap();
            assert_eq!(reg_image, stack_image, "{what}: images at event {k}");
            assert_eq!(
                encode(&reg_image),
                encode(&stack_image),
                "{what}: bytes at {k}"
            );

            let mut on_stack =
                baton_stack::Instance::restore(&stack_module, &reg_image, &imports, config)
                    .unwrap_or_else(|e| panic!("{what}: stack restores register's image {k}: {e}"));
            assert_eq!(
                on_stack.resume(None).unwrap(),
                expected,
                "{what}: reg -> stack at {k}"
            );
            let mut on_reg =
                baton_register::Instance::restore(&reg_module, &stack_image, &imports, config)
                    .unwrap_or_else(|e| panic!("{what}: register restores stack's image {k}: {e}"));
            assert_eq!(
                on_reg.resume(None).unwrap(),
                expected,
                "{what}: stack -> reg at {k}"
            );
        }
    }
}

#[test]
fn trapping_runs_count_events_like_stack() {
    let wat = r#"(module
      (func $id (param i32) (result i32) local.get 0)
      (func (export "f") (param $n i32) (result i32)
        (loop $l
          (local.set $n (i32.sub (call $id (local.get $n)) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
        (i32.div_u (i32.const 1) (local.get $n))))"#;
    let bytes = wat::parse_str(wat).expect("parses");
    let reg_module = baton_register::Module::new(&bytes).unwrap();
    let stack_module = baton_stack::Module::new(&bytes).unwrap();
    let (imports, config) = (Imports::new(), Config::default());
    let mut reg = baton_register::Instance::instantiate(&reg_module, &imports, config).unwrap();
    let mut stack = baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
    let outcome = reg.invoke("f", &[Val::I32(3)], None).unwrap();
    assert!(matches!(outcome, RunOutcome::Trapped(_)), "{outcome:?}");
    assert_eq!(stack.invoke("f", &[Val::I32(3)], None).unwrap(), outcome);
    assert_eq!(reg.events_fired(), stack.events_fired());
    assert_eq!(
        reg.events_fired(),
        1 + 3 * 4,
        "entry, then loop, call, entry, return per pass"
    );
}

#[test]
fn fuel_ends_runs_at_the_same_event_as_stack() {
    let (_, wat, args) = PROGRAMS[0];
    let bytes = wat::parse_str(wat).expect("parses");
    let reg_module = baton_register::Module::new(&bytes).unwrap();
    let stack_module = baton_stack::Module::new(&bytes).unwrap();
    let imports = Imports::new();
    let mut reg =
        baton_register::Instance::instantiate(&reg_module, &imports, Config::default()).unwrap();
    let finished = reg.invoke("f", args, None).unwrap();
    let events = reg.events_fired();
    for fuel in 0..=events {
        let config = Config {
            fuel: Some(fuel),
            ..Config::default()
        };
        let mut reg = baton_register::Instance::instantiate(&reg_module, &imports, config).unwrap();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        let outcome = reg.invoke("f", args, None).unwrap();
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
        assert_eq!(reg.events_fired(), stack.events_fired(), "fuel {fuel}");
    }
}
