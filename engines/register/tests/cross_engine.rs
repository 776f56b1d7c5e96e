//! Cross-engine checkpoints against `baton-stack`: at every event of every program, the image
//! `register` takes is byte-identical to the one `stack` takes, and each engine's image restored
//! on the other finishes with the uninterrupted result (the checks are
//! `baton_runtime::cross_check`'s, shared with every engine).

use baton_runtime::{Config, Driving, Imports, RunOutcome, Val};

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

baton_runtime::cross_engine_tests!(baton_register::Instance, baton_stack::Instance, PROGRAMS, 0);

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
