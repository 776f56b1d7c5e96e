//! Cross-engine checkpoints against `baton-stack`: at every event of every program the image
//! `threaded` takes is byte-identical to the one `stack` takes, and each engine's image restored
//! on the other (and on itself) finishes with the uninterrupted result (the checks are
//! `baton_runtime::cross_check`'s, shared with every engine).

use baton_runtime::{Config, Driving, Imports, RunOutcome, Val};

const PROGRAMS: &[(&str, &str, &[Val])] = &[
    (
        "i64.extend_i32_u as a retype of r0, a temporary and a local alias, across calls and loops",
        r#"(module
          (func $g (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
          (func (export "f") (param $x i32) (result i64) (local $y i32) (local $acc i64)
            (local.set $y (i32.mul (local.get $x) (i32.const 3)))
            (loop $l
              (local.set $acc
                (i64.add (local.get $acc)
                  (call $g (i64.extend_i32_u (local.get $y))
                           (i64.extend_i32_u (i32.add (local.get $x) (local.get $y))))))
              (i64.extend_i32_u (local.get $y))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (local.set $acc (i64.xor (local.get $acc)))
              (br_if $l (i32.lt_u (local.get $y) (i32.add (i32.mul (local.get $x) (i32.const 3))
                                                         (i32.const 3)))))
            (local.get $acc)))"#,
        &[Val::I32(-5)],
    ),
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
    (
        "events counted in advance: leaf loops (local budget), leaf callees direct and indirect",
        r#"(module
          (type $t (func (param i32) (result i32)))
          (table 2 funcref)
          (elem (i32.const 0) $inc $sq)
          (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
          (func $sum (param $n i32) (result i32) (local $acc i32)
            (block $done
              (loop $l
                (br_if $done (i32.eqz (local.get $n)))
                (local.set $acc (i32.add (local.get $acc) (local.get $n)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $l)))
            (local.get $acc))
          (func (export "f") (param $n i32) (result i32) (local $i i32) (local $acc i32)
            (loop $l
              (local.set $acc
                (i32.add (local.get $acc)
                  (call_indirect (type $t) (local.get $i) (i32.and (local.get $i) (i32.const 1)))))
              (local.set $acc (i32.add (local.get $acc) (call $inc (local.get $acc))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (i32.add (local.get $acc) (call $sum (local.get $n)))))"#,
        &[Val::I32(4)],
    ),
    (
        "a leaf loop restarting itself and, from inside, its outer loop (br_if, br_table)",
        r#"(module
          (func (export "f") (param $n i32) (result i32)
            (local $i i32) (local $j i32) (local $acc i32)
            (loop $outer
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $j (i32.const 0))
              (block $exit
                (loop $inner
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (local.set $acc
                    (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $j))))
                  (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
                  (br_if $outer (i32.eq (local.get $j) (i32.const 3)))
                  (br_table $inner $outer (i32.ge_u (local.get $j) (local.get $i))))))
            (local.get $acc)))"#,
        &[Val::I32(6)],
    ),
];

baton_runtime::cross_engine_tests!(
    baton_threaded::Instance,
    baton_stack::Instance,
    PROGRAMS,
    3,
    6,
    7
);

/// A leaf callee (its return counted in advance) that traps, and fuel limits around the trap:
/// the same outcome and event count as `stack` for every limit.
#[test]
fn a_trapping_leaf_callee_counts_events_like_stack() {
    let wat = r#"(module
      (func $div (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
      (func (export "f") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (call $div (local.get $n))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l))
        (local.get $acc)))"#;
    let bytes = wat::parse_str(wat).expect("parses");
    let threaded_module = baton_threaded::Module::new(&bytes).expect("compiles");
    let stack_module = baton_stack::Module::new(&bytes).expect("compiles");
    let imports = Imports::new();
    let run = |fuel: Option<u64>| {
        let config = Config {
            fuel,
            ..Config::default()
        };
        let mut threaded =
            baton_threaded::Instance::instantiate(&threaded_module, &imports, config).unwrap();
        let mut stack =
            baton_stack::Instance::instantiate(&stack_module, &imports, config).unwrap();
        let outcome = threaded.invoke("f", &[Val::I32(3)], None).unwrap();
        assert_eq!(
            stack.invoke("f", &[Val::I32(3)], None).unwrap(),
            outcome,
            "fuel {fuel:?}"
        );
        assert_eq!(
            threaded.events_fired(),
            stack.events_fired(),
            "fuel {fuel:?}"
        );
        (outcome, threaded.events_fired())
    };
    let (outcome, events) = run(None);
    assert!(matches!(outcome, RunOutcome::Trapped(_)), "{outcome:?}");
    // entry, then loop, call, entry, return for n = 3, 2, 1, then loop, call, entry (n = 0).
    assert_eq!(events, 1 + 3 * 4 + 3);
    for fuel in 0..=events + 1 {
        let (outcome, _) = run(Some(fuel));
        assert_eq!(
            matches!(outcome, RunOutcome::Trapped(_)),
            fuel >= events,
            "fuel {fuel}: {outcome:?}"
        );
    }
}
