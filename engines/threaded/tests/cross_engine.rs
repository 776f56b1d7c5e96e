//! Cross-engine checkpoints against `baton-stack`: at every event of every program the image
//! `threaded` takes is byte-identical to the one `stack` takes, and each engine's image restored
//! on the other (and on itself) finishes with the uninterrupted result (the checks are
//! `baton_runtime::cross_check`'s, shared with every engine).

use baton_runtime::Val;

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
];

baton_runtime::cross_engine_tests!(baton_threaded::Instance, baton_stack::Instance, PROGRAMS, 3);
