//! The threaded handlers chain without growing the stack: a long-running loop whose body uses
//! every handler family (numeric ops of each shape and type, immediates, every fused
//! compare-and-branch kind, plain and copying branches, `br_table`, selects, loads and stores of
//! every width, `memory.size`, references) runs on a thread with a small
//! stack. If any handler's call to the next one were a real call instead of a jump, the stack
//! would grow by at least one return address per executed op and the thread would overflow.
//! Calls and returns end a chain (the driver switches frames), so they run in a loop of their
//! own. The result is also checked against the `stack` engine, so the handlers compute the
//! right thing.

use baton_runtime::Driving;
use baton_runtime::{Config, Imports, RunOutcome, Val};

/// Iterations of the loop: hundreds of ops each, so tens of millions of ops in total.
const ITERATIONS: i32 = 100_000;

/// Stack size of the test thread: far less than one return address per executed op.
const STACK: usize = 256 * 1024;

const WAT: &str = r#"
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $id32 $id64)
  (type $t32 (func (param i32) (result i32)))
  (func $id32 (param i32) (result i32) (local.get 0))
  (func $id64 (param i64) (result i64) (local.get 0))
  (func $pair (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $a i32) (local $b i64) (local $f f32) (local $d f64)
    (local $acc i64) (local $r funcref)
    (local.set $f (f32.const 1.5))
    (local.set $d (f64.const 2.25))
    (loop $top
      ;; i32 binary, immediate and unary shapes
      (local.set $a (i32.add (local.get $i) (i32.const 7)))
      (local.set $a (i32.mul (local.get $a) (local.get $a)))
      (local.set $a (i32.xor (local.get $a) (i32.shr_u (local.get $a) (local.get $i))))
      (local.set $a (i32.rotl (local.get $a) (i32.const 3)))
      (local.set $a (i32.add (local.get $a) (i32.clz (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.div_u (local.get $a) (i32.const 3))))
      (local.set $a (i32.add (local.get $a) (i32.rem_s (local.get $a) (i32.const 5))))
      ;; i64 binary, immediate, unary and conversions
      (local.set $b (i64.extend_i32_u (local.get $a)))
      (local.set $b (i64.add (local.get $b) (i64.shl (local.get $b) (i64.const 17))))
      (local.set $b (i64.xor (local.get $b) (i64.rotr (local.get $b) (i64.extend_i32_s (local.get $i)))))
      (local.set $b (i64.add (local.get $b) (i64.popcnt (local.get $b))))
      (local.set $b (i64.add (local.get $b) (i64.div_s (local.get $b) (i64.const 7))))
      ;; floats: binary, unary, conversions, truncation
      (local.set $f (f32.add (local.get $f) (f32.convert_i32_u (i32.and (local.get $a) (i32.const 255)))))
      (local.set $f (f32.mul (f32.sqrt (local.get $f)) (f32.const 1.25)))
      (local.set $d (f64.add (local.get $d) (f64.promote_f32 (local.get $f))))
      (local.set $d (f64.min (f64.div (local.get $d) (f64.const 1.5)) (f64.const 1e6)))
      (local.set $a (i32.add (local.get $a) (i32.trunc_sat_f64_s (local.get $d))))
      (local.set $b (i64.add (local.get $b) (i64.trunc_f32_u (local.get $f))))
      (local.set $b (i64.add (local.get $b) (i64.reinterpret_f64 (f64.floor (local.get $d)))))
      ;; every fused compare-and-branch kind (br_if and if forms) and eqz branches
      (block $skip1 (br_if $skip1 (i32.lt_u (local.get $a) (local.get $i)))
        (local.set $acc (i64.add (local.get $acc) (i64.const 1))))
      (block $skip2 (br_if $skip2 (i64.gt_s (local.get $b) (i64.const 1000)))
        (local.set $acc (i64.add (local.get $acc) (i64.const 2))))
      (block $skip3 (br_if $skip3 (f64.ge (local.get $d) (f64.const 3)))
        (local.set $acc (i64.add (local.get $acc) (i64.const 3))))
      (block $skip4 (br_if $skip4 (f32.ne (local.get $f) (local.get $f)))
        (local.set $acc (i64.add (local.get $acc) (i64.const 4))))
      (block $skip5 (br_if $skip5 (i32.eqz (i32.and (local.get $i) (i32.const 3))))
        (local.set $acc (i64.add (local.get $acc) (i64.const 5))))
      (block $skip6 (br_if $skip6 (i64.eqz (local.get $b)))
        (local.set $acc (i64.add (local.get $acc) (i64.const 6))))
      (if (i32.gt_s (local.get $a) (i32.const 0))
        (then (local.set $acc (i64.add (local.get $acc) (i64.const 7))))
        (else (local.set $acc (i64.sub (local.get $acc) (i64.const 7)))))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $acc (i64.add (local.get $acc) (i64.const 8)))))
      ;; branches carrying values (copy lists) and br_table
      (local.set $acc (i64.add (local.get $acc)
        (block $v (result i64)
          (br_if $v (local.get $b) (i32.and (local.get $i) (i32.const 2)))
          (drop)
          (i64.const 9))))
      (block $c2 (block $c1 (block $c0
        (br_table $c0 $c1 $c2 (i32.rem_u (local.get $i) (i32.const 3))))
        (local.set $acc (i64.add (local.get $acc) (i64.const 10))))
        (local.set $acc (i64.add (local.get $acc) (i64.const 11))))
      ;; selects of one and two cells
      (local.set $a (select (local.get $a) (local.get $i) (i32.and (local.get $i) (i32.const 4))))
      (local.set $b (select (local.get $b) (i64.const 12) (i32.and (local.get $i) (i32.const 8))))
      ;; loads and stores of every width
      (i32.store (i32.const 0) (local.get $a))
      (i64.store offset=8 (i32.const 0) (local.get $b))
      (i32.store8 (i32.const 16) (local.get $a))
      (i32.store16 (i32.const 18) (local.get $a))
      (f32.store (i32.const 20) (local.get $f))
      (f64.store (i32.const 24) (local.get $d))
      (local.set $acc (i64.add (local.get $acc) (i64.load offset=8 (i32.const 0))))
      (local.set $acc (i64.add (local.get $acc) (i64.load8_s (i32.const 16))))
      (local.set $acc (i64.add (local.get $acc) (i64.load16_u (i32.const 18))))
      (local.set $acc (i64.add (local.get $acc) (i64.load32_s (i32.const 0))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_u (i32.const 1)))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load16_s (i32.const 2)))))
      (local.set $acc (i64.add (local.get $acc) (i64.reinterpret_f64 (f64.load (i32.const 24)))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
      ;; references
      (local.set $r (ref.func $id32))
      (if (ref.is_null (local.get $r)) (then (unreachable)))
      (if (i32.eqz (ref.is_null (ref.null func))) (then (unreachable)))
      (local.set $acc (i64.xor (local.get $acc) (local.get $b)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    ;; calls end a chain (the driver switches frames), so they get their own loop
    (local.set $i (i32.const 0))
    (loop $calls
      (local.set $a (call $id32 (local.get $a)))
      (local.set $a (call_indirect (type $t32) (local.get $a) (i32.const 0)))
      (local.set $acc (i64.add (local.get $acc) (call $id64 (local.get $b))))
      (call $pair (local.get $a) (local.get $b))
      (local.set $a)
      (local.set $b)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (i32.const 100))))
    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $a)))))
"#;

/// The run's `i64` result, or a description of how it ended otherwise.
fn result(outcome: RunOutcome) -> Result<i64, String> {
    match outcome {
        RunOutcome::Finished(values) => match values.as_slice() {
            [Val::I64(value)] => Ok(*value),
            other => Err(format!("unexpected results {other:?}")),
        },
        other => Err(format!("did not finish: {other:?}")),
    }
}

fn run_register(bytes: &[u8]) -> RunOutcome {
    let module = baton_register::Module::new(bytes).expect("compiles");
    let mut instance =
        baton_register::Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
    instance
        .invoke("run", &[Val::I32(ITERATIONS)], None)
        .expect("runs")
}

fn run_stack(bytes: &[u8]) -> RunOutcome {
    let module = baton_stack::Module::new(bytes).expect("compiles");
    let mut instance =
        baton_stack::Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
    instance
        .invoke("run", &[Val::I32(ITERATIONS)], None)
        .expect("runs")
}

#[test]
fn long_loop_over_every_handler_family_runs_in_a_small_stack() {
    let bytes = wat::parse_str(WAT).expect("test WAT parses");
    let register_bytes = bytes.clone();
    let register = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || result(run_register(&register_bytes)))
        .expect("spawns")
        .join()
        .expect("the register engine ran to the end in a small stack");
    let expected = result(run_stack(&bytes));
    assert!(register.is_ok(), "register: {register:?}");
    assert_eq!(register, expected, "register and stack agree");
}
