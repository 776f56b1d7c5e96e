//! End-to-end execution tests on small WAT programs (results checked against values computed
//! independently in Rust).

use baton_runtime::Driving;
use baton_runtime::{Config, Imports, RunOutcome, Trap, Val};
use baton_stack::{Instance, Module};

fn instance(wat: &str) -> Instance {
    let bytes = wat::parse_str(wat).expect("test WAT parses");
    let module = Module::new(&bytes).expect("module validates");
    Instance::instantiate(&module, &Imports::new(), Config::default()).expect("instantiates")
}

fn call(instance: &mut Instance, name: &str, args: &[Val]) -> RunOutcome {
    instance.invoke(name, args, None).expect("invoke starts")
}

const PROGRAMS: &str = r#"
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $fac $fib)
  (type $unary (func (param i64) (result i64)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $fib (export "fib") (param i64) (result i64)
    (local i64 i64 i64)
    (local.set 1 (i64.const 0))
    (local.set 2 (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get 0)))
        (local.set 3 (i64.add (local.get 1) (local.get 2)))
        (local.set 1 (local.get 2))
        (local.set 2 (local.get 3))
        (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
        (br $next)))
    (local.get 1))
  (func (export "indirect") (param i32 i64) (result i64)
    (call_indirect (type $unary) (local.get 1) (local.get 0)))
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "multi") (param i32 i32) (result i32 i32)
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32 i32)
      (drop) (drop) (local.get 1) (local.get 0) (br 0)))
  (func (export "mem") (param i32) (result i32)
    (i32.store (i32.const 8) (local.get 0))
    (i32.load8_u (i32.const 9)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "deep") (param i32) (result i32) (call 7 (i32.add (local.get 0) (i32.const 1))))
)
"#;

#[test]
fn recursion_loops_and_tables() {
    let mut inst = instance(PROGRAMS);
    let fac = |n: i64| (1..=n).product::<i64>();
    assert_eq!(
        call(&mut inst, "fac", &[Val::I64(10)]),
        RunOutcome::Finished(vec![Val::I64(fac(10))])
    );
    let fib = |n: u32| {
        let (mut a, mut b) = (0i64, 1i64);
        for _ in 0..n {
            (a, b) = (b, a + b);
        }
        a
    };
    assert_eq!(
        call(&mut inst, "fib", &[Val::I64(50)]),
        RunOutcome::Finished(vec![Val::I64(fib(50))])
    );
    assert_eq!(
        call(&mut inst, "indirect", &[Val::I32(1), Val::I64(20)]),
        RunOutcome::Finished(vec![Val::I64(fib(20))])
    );
    assert_eq!(
        call(&mut inst, "indirect", &[Val::I32(2), Val::I64(20)]),
        RunOutcome::Trapped(Trap::UndefinedElement)
    );
    for (selector, expected) in [(0, 10), (1, 20), (2, 30), (7, 30)] {
        assert_eq!(
            call(&mut inst, "switch", &[Val::I32(selector)]),
            RunOutcome::Finished(vec![Val::I32(expected)])
        );
    }
    assert_eq!(
        call(&mut inst, "multi", &[Val::I32(1), Val::I32(2)]),
        RunOutcome::Finished(vec![Val::I32(2), Val::I32(1)])
    );
    assert_eq!(
        call(&mut inst, "mem", &[Val::I32(0x1234_5678)]),
        RunOutcome::Finished(vec![Val::I32(0x56)])
    );
    assert_eq!(
        call(&mut inst, "div", &[Val::I32(i32::MIN), Val::I32(-1)]),
        RunOutcome::Trapped(Trap::IntegerOverflow)
    );
    assert_eq!(
        call(&mut inst, "deep", &[Val::I32(0)]),
        RunOutcome::Trapped(Trap::CallStackExhausted)
    );
}

#[test]
fn fuel_is_a_limit_on_event_numbers() {
    let bytes = wat::parse_str(PROGRAMS).expect("WAT");
    let module = Module::new(&bytes).expect("module");
    let mut unlimited =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("inst");
    let full = call(&mut unlimited, "fac", &[Val::I64(5)]);
    let events = unlimited.events_fired();
    // fac(5): 6 entries + 5 calls + 5 returns.
    assert_eq!(events, 16);
    let with_fuel = |fuel| {
        let config = Config {
            fuel: Some(fuel),
            ..Config::default()
        };
        let mut inst = Instance::instantiate(&module, &Imports::new(), config).expect("inst");
        let outcome = call(&mut inst, "fac", &[Val::I64(5)]);
        (outcome, inst.events_fired())
    };
    assert_eq!(with_fuel(events), (full, events));
    assert_eq!(with_fuel(events - 1), (RunOutcome::OutOfFuel, events - 1));
    assert_eq!(with_fuel(0), (RunOutcome::OutOfFuel, 0));
}

#[test]
fn bad_invocations_are_typed_errors() {
    use baton_runtime::{InvokeError, ValType};
    let mut inst = instance(PROGRAMS);
    assert_eq!(
        inst.invoke("nope", &[], None),
        Err(InvokeError::MissingExport("nope".to_string()))
    );
    assert!(matches!(
        inst.invoke("fac", &[], None),
        Err(InvokeError::ArgumentCount {
            expected: 1,
            actual: 0,
            ..
        })
    ));
    assert!(matches!(
        inst.invoke("fac", &[Val::I32(1)], None),
        Err(InvokeError::ArgumentType {
            index: 0,
            expected: ValType::I64,
            actual: ValType::I32,
            ..
        })
    ));
    assert_eq!(inst.resume(None), Err(InvokeError::NotStopped));
    assert!(Module::new(b"\0asm\x01\0\0\0\x01").is_err());
    assert!(Module::new(
        &wat::parse_str("(module (func (result i32) (i64.const 0)))").expect("WAT")
    )
    .is_err());
}

/// Requesting `any` events that never stop forces the original-instruction path; without it the
/// executor uses superinstructions. Both must compute the same results.
#[test]
fn superinstructions_match_original_instructions() {
    const FUSABLE: &str = r#"
    (module
      (func (export "ints") (param i32 i64) (result i64)
        (local $i i32) (local $acc i64)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
          (local.set $acc (i64.add (i64.xor (local.get $acc) (i64.shr_u (local.get $acc) (i64.const 7)))
                                   (i64.extend_i32_u (i32.mul (local.get $i) (local.get $i)))))
          (local.set $acc (i64.rotl (local.get $acc) (i64.const -3)))
          (local.set $acc (i64.sub (local.get $acc) (local.get 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (local.get $i))))
          (br_if $l (i32.eqz (local.get $i)))
          (local.set $acc (i64.sub (local.get $acc)
            (i64.trunc_f64_s (f64.convert_i32_u (local.get $i)))))
          (br_if $l (i32.lt_s (local.get $i) (i32.const -5)))
          (br $l)))
        (local.get $acc))
      (func (export "floats") (param f64) (result f64)
        (local $x f64) (local $n i32)
        (block $done (loop $l
          (br_if $done (f64.gt (local.get $x) (f64.const 1000)))
          (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.5)) (local.get 0)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $l)))
        (f64.min (local.get $x) (f64.convert_i32_s (local.get $n))))
      (memory 1)
      (func (export "mem") (param i32) (result i32)
        (local $addr i32) (local $sum i32) (local $w i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $addr) (local.get 0)))
          (i32.store (local.get $addr) (i32.sub (i32.const 1000) (local.get $addr)))
          (local.set $w (i32.load (local.get $addr)))
          (i32.store offset=8 (local.get $addr) (local.get $w))
          (local.set $sum (i32.add (local.get $sum) (local.get $w)))
          (local.set $sum (i32.add (local.get $sum)
            (i32.wrap_i64 (i64.load16_s offset=1 (local.get $addr)))))
          (local.set $sum (i32.sub (local.get $sum) (i32.load8_s offset=3 (local.get $addr))))
          (local.set $sum (i32.xor (i32.rotl (local.get $sum) (i32.const 3)) (local.get $w)))
          (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
          (br $l)))
        (i32.add (local.get $sum) (i32.load (local.get 0))))
    )"#;
    let mut inst = instance(FUSABLE);
    let never = Some(baton_runtime::StopRequest {
        kinds: baton_runtime::KindSet::ALL,
        at: u64::MAX,
    });
    let cases: [(&str, Vec<Val>); 6] = [
        ("mem", vec![Val::I32(4000)]),
        ("mem", vec![Val::I32(65536)]),
        ("ints", vec![Val::I32(1000), Val::I64(-77)]),
        ("ints", vec![Val::I32(0), Val::I64(5)]),
        ("floats", vec![Val::F64(0.25f64.to_bits())]),
        ("floats", vec![Val::F64(3.0f64.to_bits())]),
    ];
    for (name, args) in cases {
        let fused = inst.invoke(name, &args, None).expect("invoke");
        let original = inst.invoke(name, &args, never).expect("invoke");
        let expected_trap = name == "mem" && args == [Val::I32(65536)];
        if expected_trap {
            assert_eq!(fused, RunOutcome::Trapped(Trap::MemoryOutOfBounds));
        } else {
            assert!(
                matches!(fused, RunOutcome::Finished(_)),
                "{name}: {fused:?}"
            );
        }
        assert_eq!(fused, original, "{name}({args:?})");
    }
}
