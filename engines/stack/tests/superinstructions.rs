//! The fused fast path against the original instructions: each program below contains the
//! instruction runs the peephole pass fuses (load + set, load + operator, two gets, local-const
//! operator followed by another operator, unary + binary + set, get + unary + binary + set).
//! Every function is run twice, uninterrupted (superinstructions) and with `any` events requested
//! (original instructions only); both must return the value computed independently in Rust.

use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::{Instance, Module};

const PROGRAM: &str = r#"
(module
  (memory 1)
  ;; Mixes i*j into an accumulator (local-const-op-op, unary-op-set, two gets).
  (func (export "mix") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $acc i64)
    (block $done_i
      (loop $outer
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $done_j
          (loop $inner
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $acc
              (i64.add
                (i64.xor (local.get $acc) (i64.shr_u (local.get $acc) (i64.const 7)))
                (i64.extend_i32_u (i32.mul (local.get $i) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $acc))
  ;; Writes bytes 0..n as x*7, then folds words with loads (load+set, load+op, get+unary+op+set).
  (func (export "fold") (param $n i32) (result i64)
    (local $addr i32) (local $word i32) (local $sum i64)
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $addr) (local.get $n)))
        (i32.store8 (local.get $addr) (i32.mul (local.get $addr) (i32.const 7)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 1)))
        (br $fill)))
    (local.set $addr (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $addr) (local.get $n)))
        (local.set $word (i32.load (local.get $addr)))
        (local.set $sum
          (i64.add (i64.rotl (local.get $sum) (i64.const 5))
                   (i64.extend_i32_u (local.get $word))))
        (i32.store (local.get $addr)
          (i32.add (local.get $word) (i32.load8_u offset=1 (local.get $addr))))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $next)))
    (local.get $sum)))
"#;

fn mix(n: u32) -> i64 {
    let mut acc: u64 = 0;
    for i in 0..n {
        for j in 0..n {
            acc = (acc ^ (acc >> 7)).wrapping_add(u64::from(i.wrapping_mul(j)));
        }
    }
    acc as i64
}

fn fold(n: u32) -> i64 {
    let mut memory = vec![0u8; 65536];
    for addr in 0..n {
        memory[addr as usize] = addr.wrapping_mul(7) as u8;
    }
    let mut sum: u64 = 0;
    let mut addr = 0usize;
    while (addr as u32) < n {
        let word = u32::from_le_bytes([
            memory[addr],
            memory[addr + 1],
            memory[addr + 2],
            memory[addr + 3],
        ]);
        sum = sum.rotate_left(5).wrapping_add(u64::from(word));
        let stored = word.wrapping_add(u32::from(memory[addr + 1]));
        memory[addr..addr + 4].copy_from_slice(&stored.to_le_bytes());
        addr += 4;
    }
    sum as i64
}

fn run_both(name: &str, n: u32) -> [RunOutcome; 2] {
    let bytes = wat::parse_str(PROGRAM).expect("test WAT parses");
    let module = Module::new(&bytes).expect("module validates");
    let slow = StopRequest {
        kinds: KindSet::of(&[EventKind::Any]),
        at: u64::MAX,
    };
    [None, Some(slow)].map(|stop| {
        let mut instance =
            Instance::instantiate(&module, &Imports::new(), Config::default()).expect("inst");
        instance
            .invoke(name, &[Val::I32(n as i32)], stop)
            .expect("invoke starts")
    })
}

#[test]
fn fused_and_original_paths_agree_with_rust() {
    for n in [0, 1, 5, 37] {
        let expected = RunOutcome::Finished(vec![Val::I64(mix(n))]);
        assert_eq!(run_both("mix", n), [expected.clone(), expected], "mix({n})");
    }
    for n in [0, 4, 64, 1000] {
        let expected = RunOutcome::Finished(vec![Val::I64(fold(n))]);
        assert_eq!(
            run_both("fold", n),
            [expected.clone(), expected],
            "fold({n})"
        );
    }
}

const MIN_MAX: &str = r#"
(module
  (func (export "f32.min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
  (func (export "f32.max") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
  (func (export "f64.min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "f64.max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1))))
"#;

/// `min`/`max` of NaNs (the two-gets pattern fuses them): the fused and the original paths give
/// the same bits, whatever payloads and operand order.
#[test]
fn min_max_nan_bits_agree_between_paths() {
    let bytes = wat::parse_str(MIN_MAX).expect("test WAT parses");
    let module = Module::new(&bytes).expect("module validates");
    let slow = StopRequest {
        kinds: KindSet::of(&[EventKind::Any]),
        at: u64::MAX,
    };
    let f32s = [
        0xffa0_0000u32,
        0xffc0_0000,
        0x7fc0_0000,
        0x7fa0_0001,
        0x3f80_0000,
    ];
    let f64s = [
        0xfff4_0000_0000_0000u64,
        0xfff8_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
        0x3ff0_0000_0000_0000,
    ];
    let mut cases = Vec::new();
    for &a in &f32s {
        for &b in &f32s {
            for name in ["f32.min", "f32.max"] {
                cases.push((name, [Val::F32(a), Val::F32(b)]));
            }
        }
    }
    for &a in &f64s {
        for &b in &f64s {
            for name in ["f64.min", "f64.max"] {
                cases.push((name, [Val::F64(a), Val::F64(b)]));
            }
        }
    }
    for (name, args) in cases {
        let [fused, original] = [None, Some(slow)].map(|stop| {
            let mut instance =
                Instance::instantiate(&module, &Imports::new(), Config::default()).expect("inst");
            instance.invoke(name, &args, stop).expect("invoke starts")
        });
        assert_eq!(fused, original, "{name}{args:?}");
        assert!(matches!(fused, RunOutcome::Finished(_)), "{name}{args:?}");
    }
}
