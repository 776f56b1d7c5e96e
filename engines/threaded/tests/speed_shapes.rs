//! The speed-related code shapes are real and keep the semantics: an integer comparison feeding
//! a `br_if` becomes one fused compare-and-branch op (in both the plain and the
//! branch-around form, in every operand shape, and fused with the `Break` of a `br_if` out of
//! a loop) that branches the right way; and code compiled
//! without safe points does no event work at all (not even loop and call ops counting), so
//! the polling-cost comparison measures all of it.

use baton_runtime::{Config, Driving, Imports, RunOutcome, Val};
use baton_threaded::code::{Instr, Word};
use baton_threaded::{Instance, Module};

/// `count(n, lim)`: loop with a fused back edge (`br_if` to the loop, a branch around a
/// `Continue`) and a fused exit (`br_if` out of a block, plain) in shapes `SS`, `RS`, `SR`, for
/// i32 and i64; calls `step` so a call op runs too. Returns how many iterations counted.
const COUNT: &str = r#"(module
  (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "count") (param $n i32) (param $lim i64) (result i32)
    (local $i i32) (local $k i64) (local $hits i32)
    (block $out
      (loop $top
        ;; plain exit, SS shape, i32
        (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $i (call $step (local.get $i)))
        (local.set $k (i64.add (local.get $k) (i64.const 3)))
        ;; SR shape (second operand computed into r0), i64: skip the hit unless k > lim
        (block $skip
          (br_if $skip (i64.le_u (local.get $lim) (i64.add (local.get $k) (i64.const 0))))
          (local.set $hits (i32.add (local.get $hits) (i32.const 1))))
        ;; RS shape (first operand in r0), i32: the back edge
        (br_if $top (i32.lt_u (i32.add (local.get $i) (i32.const 0)) (local.get $n)))))
    (i32.add (i32.mul (local.get $hits) (i32.const 1000)) (local.get $i))))"#;

fn count(module: &Module, n: i32, lim: i64) -> (i32, u64) {
    let mut instance =
        Instance::instantiate(module, &Imports::new(), Config::default()).expect("instantiates");
    let outcome = instance
        .invoke("count", &[Val::I32(n), Val::I64(lim)], None)
        .expect("runs");
    let RunOutcome::Finished(values) = outcome else {
        panic!("did not finish: {outcome:?}");
    };
    let [Val::I32(v)] = values.as_slice() else {
        panic!("wrong results {values:?}");
    };
    (*v, instance.events_fired())
}

/// The same computation in Rust.
fn expected(n: i32, lim: i64) -> i32 {
    let (mut i, mut k, mut hits) = (0i32, 0i64, 0i32);
    loop {
        if i >= n {
            break;
        }
        i += 1;
        k += 3;
        if (lim as u64) > (k as u64) {
            hits += 1;
        }
        if (i as u32) >= (n as u32) {
            break;
        }
    }
    hits * 1000 + i
}

fn bytes() -> Vec<u8> {
    wat::parse_str(COUNT).expect("parses")
}

#[test]
fn integer_compares_feeding_br_if_are_fused_in_every_shape() {
    let module = Module::new(&bytes()).expect("compiles");
    let code = &module.compiled(1).expect("count is defined").code;
    let fused: Vec<Instr> = code
        .iter()
        .filter_map(|w| match w {
            Word::Op(i @ (Instr::BrCmp(..) | Instr::BrCmpBreak(..))) => Some(*i),
            _ => None,
        })
        .collect();
    assert_eq!(
        fused.len(),
        3,
        "three fused compare-and-branch ops: {fused:?}"
    );
    // The exit out of the loop leaves its native frame: compare and break in one op, no
    // `Break` left behind.
    assert!(
        matches!(fused.first(), Some(Instr::BrCmpBreak(_, _))),
        "the loop exit is a fused compare-and-break: {fused:?}"
    );
    assert!(
        !code.iter().any(|w| matches!(w, Word::Op(Instr::Break))),
        "a separate Break is left: {code:?}"
    );
    let unfused = code.iter().any(|w| match w {
        Word::Op(Instr::BrIf(_) | Instr::BrUnless(_)) => true,
        Word::Op(Instr::Bin(op, _, _)) => op.fusable_compare(),
        _ => false,
    });
    assert!(
        !unfused,
        "a compare or a separate conditional branch is left: {code:?}"
    );
    for (n, lim) in [
        (0, 0),
        (1, 0),
        (1, 100),
        (7, 10),
        (20, 30),
        (-1, 5),
        (50, -1),
    ] {
        assert_eq!(
            count(&module, n, lim).0,
            expected(n, lim),
            "count({n}, {lim})"
        );
    }
}

#[test]
fn without_safe_points_loops_and_calls_do_no_event_work() {
    let polled = Module::new(&bytes()).expect("compiles");
    let unpolled = Module::with_polling(&bytes(), false).expect("compiles");
    let (with, fired) = count(&polled, 40, 60);
    let (without, unfired) = count(&unpolled, 40, 60);
    assert_eq!(with, without);
    assert!(
        fired > 80,
        "polling build fires loop and call events: {fired}"
    );
    assert_eq!(unfired, 0, "no-polling build counted {unfired} events");
}

/// A million restarts of a loop whose body runs an inner loop op, a call and an indirect call,
/// then straight-line code: restarting in place must not leave native frames of those ops
/// behind (each continues by a tail call), or this overflows the native stack.
const MANY: &str = r#"(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $inc)
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func (export "many") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (loop $once (br_if $once (i32.const 0)))
      (local.set $acc (call $inc (local.get $acc)))
      (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))"#;

#[test]
fn restarting_a_loop_a_million_times_does_not_grow_the_native_stack() {
    let bytes = wat::parse_str(MANY).expect("parses");
    for polling in [true, false] {
        let module = Module::with_polling(&bytes, polling).expect("compiles");
        let mut instance = Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
        let outcome = instance
            .invoke("many", &[Val::I32(1_000_000)], None)
            .expect("runs");
        assert_eq!(
            outcome,
            RunOutcome::Finished(vec![Val::I32(2_000_000)]),
            "polling {polling}"
        );
    }
}

#[test]
fn exactly_the_integer_comparisons_are_fusable() {
    use baton_runtime::ValType;
    use baton_threaded::ops::BIN_OPS;
    for op in BIN_OPS {
        let name = format!("{op:?}");
        let is_int_compare = op.result() == ValType::I32
            && !op.float_in()
            && ["Eq", "Ne", "Lt", "Gt", "Le", "Ge"].iter().any(|c| {
                name.strip_prefix("I32")
                    .or(name.strip_prefix("I64"))
                    .is_some_and(|r| r.starts_with(c))
            });
        assert_eq!(op.fusable_compare(), is_int_compare, "{name}");
    }
}

/// `i64.extend_i32_u` emits nothing (an i32 is zero-extended in every slot and in `r0`, so it
/// is the same bits): neither of a local alias nor of a computed value. The results are checked
/// against Rust, negative inputs included (a sign extension would show).
#[test]
fn unsigned_extension_is_a_retype() {
    let wat = r#"(module
      (func (export "f") (param $x i32) (result i64)
        (i64.add (i64.extend_i32_u (local.get $x))
                 (i64.extend_i32_u (i32.mul (local.get $x) (i32.const 3))))))"#;
    let module = Module::new(&wat::parse_str(wat).expect("parses")).expect("compiles");
    let code = &module.compiled(0).expect("f is defined").code;
    assert!(
        !code.iter().any(|w| matches!(w, Word::Op(Instr::Un(..)))),
        "an extension op is left: {code:?}"
    );
    for x in [0i32, 1, 7, -1, -5, i32::MIN, i32::MAX] {
        let mut instance = Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
        let outcome = instance.invoke("f", &[Val::I32(x)], None).expect("runs");
        let expected = i64::from(x as u32) + i64::from(x.wrapping_mul(3) as u32);
        assert_eq!(
            outcome,
            RunOutcome::Finished(vec![Val::I64(expected)]),
            "f({x})"
        );
    }
}

/// A loop body ending in `local.set (i32.add …)` + `br $loop` becomes one
/// [`Instr::BinContinue`]; when an `if` ends right before the `br` (a jump lands on the
/// restart), the two stay apart. Results checked against Rust.
#[test]
fn counter_step_and_loop_restart_fuse_unless_a_jump_lands_between() {
    let wat = r#"(module
      (func (export "f") (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $acc (i32.add (local.get $acc) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
        (local.get $acc))
      (func (export "g") (param $n i32) (result i32) (local $i i32) (local $odd i32)
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.and (local.get $i) (i32.const 1))
              (then (local.set $odd (i32.sub (local.get $odd) (i32.const 1)))))
            (br $l)))
        (local.get $odd)))"#;
    let module = Module::new(&wat::parse_str(wat).expect("parses")).expect("compiles");
    let fused = |func: u32| {
        let code = &module.compiled(func).expect("defined").code;
        code.iter()
            .filter(|w| matches!(w, Word::Op(Instr::BinContinue(..))))
            .count()
    };
    assert_eq!(fused(0), 1, "f's counter step and restart are one op");
    assert_eq!(fused(1), 0, "g's `if` ends at the restart: nothing fused");
    for n in [0i32, 1, 2, 7, 100] {
        let mut instance = Instance::instantiate(&module, &Imports::new(), Config::default())
            .expect("instantiates");
        let sum: i32 = (0..n).sum();
        let odd = -((1..=n).filter(|i| i % 2 == 1).count() as i32);
        let f = instance.invoke("f", &[Val::I32(n)], None).expect("runs");
        assert_eq!(f, RunOutcome::Finished(vec![Val::I32(sum)]), "f({n})");
        let g = instance.invoke("g", &[Val::I32(n)], None).expect("runs");
        assert_eq!(g, RunOutcome::Finished(vec![Val::I32(odd)]), "g({n})");
    }
}
