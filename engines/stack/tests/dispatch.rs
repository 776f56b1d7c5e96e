//! The dispatch loop's invariants: `translate::verify` (on which the unchecked instruction
//! fetch rests) rejects code whose control flow could leave the instruction vector and accepts
//! translated code; and the hand-over from the slow loop variant (after a stop) to the fast one
//! continues exactly where the stop left off.

use baton_runtime::Driving;
use std::rc::Rc;

use baton_runtime::{Config, EventKind, FuncType, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::translate::binop::BinOp;
use baton_stack::translate::instr::{Instr, Jump};
use baton_stack::translate::verify::verify;
use baton_stack::translate::FuncCode;
use baton_stack::{Instance, Module};

fn code(instrs: Vec<Instr>, fused: Vec<Instr>, jumps: Vec<Jump>) -> FuncCode {
    FuncCode {
        func: 0,
        ty: Rc::new(FuncType {
            params: Box::new([]),
            results: Box::new([]),
        }),
        locals: Vec::new(),
        offsets: (0..instrs.len() as u32).collect(),
        instrs,
        fused,
        jumps,
        max_height: 2,
    }
}

fn plain(instrs: Vec<Instr>, jumps: Vec<Jump>) -> FuncCode {
    code(instrs.clone(), instrs, jumps)
}

fn jump_to(target: u32) -> Jump {
    Jump {
        target,
        ..Jump::default()
    }
}

#[test]
fn verify_accepts_code_that_stays_inside() {
    let ok = plain(
        vec![
            Instr::Block,
            Instr::I32Const(1),
            Instr::If { else_target: 4 },
            Instr::Else { end_target: 5 },
            Instr::Br(0),
            Instr::End,
            Instr::Return,
        ],
        vec![jump_to(6)],
    );
    assert_eq!(verify(&ok, 0), Ok(()));
}

#[test]
fn verify_rejects_code_that_can_leave_the_vector() {
    let cases = [
        ("empty", plain(vec![], vec![])),
        ("falls off the end", plain(vec![Instr::Nop], vec![])),
        (
            "ends with a branch",
            plain(vec![Instr::Return, Instr::Br(0)], vec![jump_to(0)]),
        ),
        (
            "jump past the end",
            plain(vec![Instr::Br(0), Instr::Return], vec![jump_to(2)]),
        ),
        (
            "jump index",
            plain(vec![Instr::Br(1), Instr::Return], vec![jump_to(1)]),
        ),
        (
            "if target",
            plain(vec![Instr::If { else_target: 9 }, Instr::Return], vec![]),
        ),
        (
            "else target",
            plain(vec![Instr::Else { end_target: 2 }, Instr::Return], vec![]),
        ),
        (
            "empty jump table",
            plain(
                vec![Instr::BrTable { start: 0, len: 0 }, Instr::Return],
                vec![],
            ),
        ),
        (
            "jump table range",
            plain(
                vec![Instr::BrTable { start: 0, len: 2 }, Instr::Return],
                vec![jump_to(1)],
            ),
        ),
        (
            "fused run reaching the end",
            code(
                vec![Instr::LocalGet(1), Instr::LocalGet(2), Instr::Return],
                vec![
                    Instr::BinLocalLocal {
                        op: BinOp::I32Add,
                        a: 1,
                        b: 1,
                    },
                    Instr::LocalGet(2),
                    Instr::Return,
                ],
                vec![],
            ),
        ),
        (
            "fused length",
            code(
                vec![Instr::Return],
                vec![Instr::Return, Instr::Return],
                vec![],
            ),
        ),
    ];
    for (what, code) in cases {
        assert!(verify(&code, 0).is_err(), "{what}");
    }
}

const PROGRAM: &str = r#"
(module
  (func $step (param $acc i64) (param $i i32) (result i64)
    (i64.add (i64.xor (local.get $acc) (i64.shr_u (local.get $acc) (i64.const 7)))
             (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 31)))))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $step (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
"#;

fn expected(n: u32) -> i64 {
    let mut acc: u64 = 0;
    for i in 0..n {
        acc = (acc ^ (acc >> 7)).wrapping_add(u64::from(i.wrapping_mul(31)));
    }
    acc as i64
}

/// Stops once at event `k` of one of `kinds`, then resumes with no stop request (the slow
/// variant finishes the boundary, then the fast variant runs to the end).
fn stop_once_then_run(kinds: KindSet, k: u64, n: u32) -> (Option<EventKind>, RunOutcome) {
    let module = Module::new(&wat::parse_str(PROGRAM).expect("WAT")).expect("module");
    let mut inst =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("inst");
    let stop = Some(StopRequest { kinds, at: k });
    let outcome = inst
        .invoke("run", &[Val::I32(n as i32)], stop)
        .expect("invoke");
    match outcome {
        RunOutcome::Stopped(info) => (Some(info.kind), inst.resume(None).expect("resume")),
        other => (None, other),
    }
}

#[test]
fn resuming_hands_over_to_the_fast_loop_exactly() {
    let n = 50;
    let done = RunOutcome::Finished(vec![Val::I64(expected(n))]);
    for kinds in [
        KindSet::ALL,
        KindSet::of(&[EventKind::Any]),
        KindSet::of(&[EventKind::Call]),
        KindSet::of(&[EventKind::Return]),
        KindSet::of(&[EventKind::Loop]),
    ] {
        let mut stopped = 0;
        for k in 0..12 {
            let (kind, outcome) = stop_once_then_run(kinds, k, n);
            assert_eq!(outcome, done, "stop at {k} of {kinds:?}");
            stopped += usize::from(kind.is_some());
        }
        assert_eq!(
            stopped, 12,
            "every request below the event count stops: {kinds:?}"
        );
    }
}
