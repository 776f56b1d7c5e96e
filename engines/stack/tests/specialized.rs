//! Specialized superinstructions (`translate::special`): the fuse pass picks them for the listed
//! shapes and operators, `generic` undoes `specialize`, and running them (fast path) gives the
//! same results as the original instructions (`any` requested) and as Rust.

use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::translate::binop::{BinOp, UnOp};
use baton_stack::translate::fuse::{fuse, span};
use baton_stack::translate::instr::Instr;
use baton_stack::translate::special::{generic, specialize};
use baton_stack::{Instance, Module};

/// A comparison: its text-format name, its operator, and its meaning in Rust.
type Comparison = (&'static str, BinOp, fn(i32, i32) -> bool);

const I32_COMPARISONS: [Comparison; 10] = [
    ("eq", BinOp::I32Eq, |a, b| a == b),
    ("ne", BinOp::I32Ne, |a, b| a != b),
    ("lt_s", BinOp::I32LtS, |a, b| a < b),
    ("lt_u", BinOp::I32LtU, |a, b| (a as u32) < (b as u32)),
    ("gt_s", BinOp::I32GtS, |a, b| a > b),
    ("gt_u", BinOp::I32GtU, |a, b| (a as u32) > (b as u32)),
    ("le_s", BinOp::I32LeS, |a, b| a <= b),
    ("le_u", BinOp::I32LeU, |a, b| (a as u32) <= (b as u32)),
    ("ge_s", BinOp::I32GeS, |a, b| a >= b),
    ("ge_u", BinOp::I32GeU, |a, b| (a as u32) >= (b as u32)),
];

const VALUES: [i32; 7] = [0, 1, -1, 7, -7, i32::MAX, i32::MIN];

#[test]
fn fuse_specializes_the_listed_shapes_and_generic_undoes_it() {
    for (name, op, _) in I32_COMPARISONS {
        let cmp = generic(specialize(Instr::BrIfLocalLocal {
            op,
            a: 3,
            b: 4,
            jump: 0,
        }));
        assert_eq!(
            cmp,
            Instr::BrIfLocalLocal {
                op,
                a: 3,
                b: 4,
                jump: 0
            },
            "{name}"
        );
        let original = [
            Instr::LocalGet(2),
            Instr::LocalGet(2),
            instr_of(op),
            Instr::BrIf(0),
            Instr::Return,
        ];
        let fused = fuse(&original);
        assert_ne!(fused[0], generic(fused[0]), "{name} is specialized");
        assert_eq!(
            generic(fused[0]),
            Instr::BrIfLocalLocal {
                op,
                a: 2,
                b: 1,
                jump: 0
            },
            "{name}"
        );
        assert_eq!(span(&fused[0]), 4, "{name}");
        let with_const = fuse(&[
            Instr::LocalGet(2),
            Instr::I32Const(-5),
            instr_of(op),
            Instr::BrIf(0),
            Instr::Return,
        ]);
        assert_ne!(with_const[0], generic(with_const[0]), "{name} const");
    }
    for op in [BinOp::I32Add, BinOp::I32Sub, BinOp::I64Add, BinOp::I64Sub] {
        let set = Instr::BinLocalConstSet {
            op,
            a: 1,
            c: -3,
            d: 2,
        };
        assert_ne!(specialize(set), set, "{op:?}");
        assert_eq!(generic(specialize(set)), set, "{op:?}");
        assert_eq!(span(&specialize(set)), 4, "{op:?}");
    }
    for un in [UnOp::I64ExtendI32U, UnOp::I64ExtendI32S] {
        let un_instr = if un == UnOp::I64ExtendI32U {
            Instr::I64ExtendI32U
        } else {
            Instr::I64ExtendI32S
        };
        let local = fuse(&[
            Instr::LocalGet(3),
            un_instr,
            Instr::I64Add,
            Instr::LocalSet(4),
            Instr::Return,
        ]);
        assert_ne!(local[0], generic(local[0]), "{un:?} from a local");
        assert_eq!(
            generic(local[0]),
            Instr::UnLocalBinSet {
                un,
                op: BinOp::I64Add,
                b: 3,
                d: 4
            }
        );
        let stacked = fuse(&[un_instr, Instr::I64Add, Instr::LocalSet(4), Instr::Return]);
        assert_ne!(stacked[0], generic(stacked[0]), "{un:?} from the stack");
        assert_eq!(
            generic(stacked[0]),
            Instr::UnBinSet {
                un,
                op: BinOp::I64Add,
                d: 5
            }
        );
        assert_eq!(span(&stacked[0]), 3);
        assert_eq!(span(&local[0]), 4);
    }
    // Operators outside the list stay generic.
    let other = Instr::BrIfLocalLocal {
        op: BinOp::I64LtS,
        a: 1,
        b: 2,
        jump: 0,
    };
    assert_eq!(specialize(other), other);
    let mul = Instr::BinLocalConstSet {
        op: BinOp::I32Mul,
        a: 1,
        c: 3,
        d: 2,
    };
    assert_eq!(specialize(mul), mul);
}

fn instr_of(op: BinOp) -> Instr {
    match op {
        BinOp::I32Eq => Instr::I32Eq,
        BinOp::I32Ne => Instr::I32Ne,
        BinOp::I32LtS => Instr::I32LtS,
        BinOp::I32LtU => Instr::I32LtU,
        BinOp::I32GtS => Instr::I32GtS,
        BinOp::I32GtU => Instr::I32GtU,
        BinOp::I32LeS => Instr::I32LeS,
        BinOp::I32LeU => Instr::I32LeU,
        BinOp::I32GeS => Instr::I32GeS,
        BinOp::I32GeU => Instr::I32GeU,
        other => panic!("not a comparison in this test: {other:?}"),
    }
}

/// One function per comparison and shape: `(br_if $yes (cmp (local.get 0) (local.get 1)))`
/// returns 1 when the branch is taken, and the constant form compares with `C`.
const C: i32 = -7;

fn program() -> String {
    let mut funcs = String::new();
    for (name, _, _) in I32_COMPARISONS {
        funcs.push_str(&format!(
            r#"
  (func (export "ll_{name}") (param i32 i32) (result i32)
    (block $yes
      (br_if $yes (i32.{name} (local.get 0) (local.get 1)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "lc_{name}") (param i32 i32) (result i32)
    (block $yes
      (br_if $yes (i32.{name} (local.get 0) (i32.const {C})))
      (return (i32.const 0)))
    (i32.const 1))"#
        ));
    }
    for (ty, op) in [
        ("i32", "add"),
        ("i32", "sub"),
        ("i64", "add"),
        ("i64", "sub"),
    ] {
        funcs.push_str(&format!(
            r#"
  (func (export "set_{ty}_{op}") (param {ty}) (result {ty}) (local {ty})
    (local.set 1 ({ty}.{op} (local.get 0) ({ty}.const {C})))
    (local.get 1))"#
        ));
    }
    for ext in ["u", "s"] {
        // From a local (get + unary + add + set) and from the stack top (unary + add + set).
        funcs.push_str(&format!(
            r#"
  (func (export "acc_local_{ext}") (param i64 i32) (result i64) (local i64)
    (local.set 2 (i64.add (local.get 0) (i64.extend_i32_{ext} (local.get 1))))
    (local.get 2))
  (func (export "acc_stack_{ext}") (param i64 i32) (result i64) (local i64)
    (local.set 2 (i64.add (local.get 0) (i64.extend_i32_{ext} (i32.add (local.get 1) (i32.const 0)))))
    (local.get 2))"#
        ));
    }
    format!("(module{funcs})")
}

fn run_both(module: &Module, name: &str, args: &[Val]) -> [RunOutcome; 2] {
    let slow = StopRequest {
        kinds: KindSet::of(&[EventKind::Any]),
        at: u64::MAX,
    };
    [None, Some(slow)].map(|stop| {
        let mut instance =
            Instance::instantiate(module, &Imports::new(), Config::default()).expect("inst");
        instance.invoke(name, args, stop).expect("invoke starts")
    })
}

#[test]
fn specialized_code_agrees_with_original_instructions_and_rust() {
    let module = Module::new(&wat::parse_str(program()).expect("WAT")).expect("module");
    for (name, _, cmp) in I32_COMPARISONS {
        for a in VALUES {
            for b in VALUES {
                let expected = RunOutcome::Finished(vec![Val::I32(i32::from(cmp(a, b)))]);
                let outcome = run_both(&module, &format!("ll_{name}"), &[Val::I32(a), Val::I32(b)]);
                assert_eq!(outcome, [expected.clone(), expected], "ll {name} {a} {b}");
            }
            let expected = RunOutcome::Finished(vec![Val::I32(i32::from(cmp(a, C)))]);
            let outcome = run_both(&module, &format!("lc_{name}"), &[Val::I32(a), Val::I32(0)]);
            assert_eq!(outcome, [expected.clone(), expected], "lc {name} {a}");
        }
    }
    for a in VALUES {
        let wide = i64::from(a) * 3_000_000_000;
        let cases = [
            ("set_i32_add", Val::I32(a), Val::I32(a.wrapping_add(C))),
            ("set_i32_sub", Val::I32(a), Val::I32(a.wrapping_sub(C))),
            (
                "set_i64_add",
                Val::I64(wide),
                Val::I64(wide.wrapping_add(i64::from(C))),
            ),
            (
                "set_i64_sub",
                Val::I64(wide),
                Val::I64(wide.wrapping_sub(i64::from(C))),
            ),
        ];
        for (ext, extend) in [("u", i64::from(a as u32)), ("s", i64::from(a))] {
            let acc = i64::MAX - 3;
            let expected = RunOutcome::Finished(vec![Val::I64(acc.wrapping_add(extend))]);
            for from in ["local", "stack"] {
                let name = format!("acc_{from}_{ext}");
                let outcome = run_both(&module, &name, &[Val::I64(acc), Val::I32(a)]);
                assert_eq!(outcome, [expected.clone(), expected.clone()], "{name} {a}");
            }
        }
        for (name, arg, result) in cases {
            let expected = RunOutcome::Finished(vec![result]);
            let outcome = run_both(&module, name, std::slice::from_ref(&arg));
            assert_eq!(outcome, [expected.clone(), expected], "{name} {arg:?}");
        }
    }
}
