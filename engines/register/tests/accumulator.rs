//! The threaded form's accumulator and fused branches compute what the register code means.
//!
//! Each function below puts a branch target right after an op that produces the very cell the
//! target's op reads, while the branch that reaches the target arrives with a different value
//! in the accumulator; and `br`s into conditional branches (fused in the threaded form) whose
//! operands were just produced. An op that read the accumulator at a branch target, or a fused
//! branch that read the wrong operand, would change the results. Every function runs with and
//! without safe-point polling (the two compile loops differently) and must match the `stack`
//! engine.

use baton_runtime::Driving;
use baton_runtime::{Config, Imports, RunOutcome, Val};

const WAT: &str = r#"
(module
  ;; The loop head reads $i, which the op before the loop produced; the back edge arrives
  ;; with $j's value in the accumulator.
  (func (export "head") (param $n i32) (result i32)
    (local $i i32) (local $j i32)
    (local.set $i (i32.add (local.get $n) (i32.const 3)))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (local.set $j (i32.mul (local.get $i) (i32.const 7)))
      (br_if $l (i32.gt_s (local.get $i) (i32.const 0))))
    (i32.add (local.get $i) (local.get $j)))
  ;; A block end (forward branch target) reading the cell produced just before it.
  (func (export "join") (param $n i32) (result i64)
    (local $a i64) (local $b i64)
    (local.set $a (i64.extend_i32_s (local.get $n)))
    (block $b
      (br_if $b (i32.and (local.get $n) (i32.const 1)))
      (local.set $b (i64.mul (local.get $a) (i64.const 3)))
      (local.set $a (i64.add (local.get $a) (i64.const 100))))
    (i64.add (i64.mul (local.get $a) (i64.const 2)) (local.get $b)))
  ;; `br` to a loop whose body starts with a compare of the value just produced (fused in
  ;; both modes), on i32, i64 and f64.
  (func (export "while") (param $n i32) (result f64)
    (local $i i32) (local $k i64) (local $x f64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.add (local.get $x) (f64.convert_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (block $done
      (loop $top
        (br_if $done (i64.gt_s (local.get $k) (i64.const 40)))
        (local.set $k (i64.add (local.get $k) (i64.const 3)))
        (br $top)))
    (block $done
      (loop $top
        (br_if $done (f64.gt (local.get $x) (f64.const 1e6)))
        (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.5)) (f64.const 1)))
        (br $top)))
    (f64.add (local.get $x) (f64.convert_i64_s (local.get $k))))
  ;; Producer, then a select and a store reading it, then loads feeding arithmetic.
  (memory 1)
  (func (export "memory") (param $n i32) (result i32)
    (local $p i32) (local $v i32)
    (loop $l
      (local.set $p (i32.mul (i32.and (local.get $n) (i32.const 63)) (i32.const 4)))
      (i32.store (local.get $p) (i32.add (local.get $n) (i32.load (local.get $p))))
      (local.set $v (i32.add (local.get $v) (i32.load8_u offset=1 (local.get $p))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $v)))
"#;

fn run_register(bytes: &[u8], polling: bool, name: &str, arg: i32) -> RunOutcome {
    let module = baton_register::Module::with_polling(bytes, polling).expect("compiles");
    let mut instance =
        baton_register::Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
    instance.invoke(name, &[Val::I32(arg)], None).expect("runs")
}

fn run_stack(bytes: &[u8], name: &str, arg: i32) -> RunOutcome {
    let module = baton_stack::Module::new(bytes).expect("compiles");
    let mut instance =
        baton_stack::Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
    instance.invoke(name, &[Val::I32(arg)], None).expect("runs")
}

#[test]
fn accumulator_and_fused_branches_match_the_stack_engine() {
    let bytes = wat::parse_str(WAT).expect("test WAT parses");
    for name in ["head", "join", "while", "memory"] {
        for arg in [0, 1, 2, 5, 17, 300] {
            let expected = run_stack(&bytes, name, arg);
            assert!(
                matches!(expected, RunOutcome::Finished(_)),
                "{name}({arg}) finishes: {expected:?}"
            );
            for polling in [true, false] {
                let got = run_register(&bytes, polling, name, arg);
                assert_eq!(got, expected, "{name}({arg}), polling {polling}");
            }
        }
    }
}
