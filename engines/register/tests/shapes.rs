//! The compiled code really has the WAMR fast-interpreter shapes (elided `local.get`, constant
//! pool, preserved aliased locals, fusion), and checkpoint/restore works at safe points inside
//! those shapes: images taken at every event restore into a fresh instance that finishes with
//! the uninterrupted run's result.

use baton_checkpoint::image::{value::Kind, Image};
use baton_register::code::Instr;
use baton_register::compiler::{Loc, PointKind};
use baton_register::{Instance, Module};
use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};

fn module(wat: &str) -> Module {
    Module::new(&wat::parse_str(wat).expect("test WAT parses")).expect("module compiles")
}

fn instance(module: &Module) -> Instance {
    Instance::instantiate(module, &Imports::new(), Config::default()).expect("instantiates")
}

/// Runs `name(args)` uninterrupted, then once per event stopping there, imaging, restoring into
/// a fresh instance and resuming; every restored run must end like the uninterrupted one.
/// Returns the number of events and the images taken.
fn check_everywhere(module: &Module, name: &str, args: &[Val]) -> (u64, Vec<Image>) {
    let mut live = instance(module);
    let expected = live.invoke(name, args, None).expect("invokes");
    let events = live.events_fired();
    assert!(events > 0, "the function fires events");
    let mut images = Vec::new();
    for k in 0..events {
        let mut source = instance(module);
        let stop = StopRequest {
            kinds: KindSet::MAIN,
            at: k,
        };
        let outcome = source.invoke(name, args, Some(stop)).expect("invokes");
        let RunOutcome::Stopped(info) = outcome else {
            panic!("event {k} of {events} did not stop: {outcome:?}");
        };
        assert_eq!(info.event, k);
        let image = source.image().expect("image at a safe point");
        let mut copy = Instance::restore(module, &image, &Imports::new(), Config::default())
            .unwrap_or_else(|e| panic!("restore at event {k}: {e}"));
        assert_eq!(
            copy.image().expect("re-image"),
            image,
            "restore then image is identity"
        );
        let resumed = copy.resume(None).expect("resumes");
        assert_eq!(resumed, expected, "restored at event {k}");
        let original = source.resume(None).expect("original resumes");
        assert_eq!(original, expected, "original resumed from event {k}");
        images.push(image);
    }
    (events, images)
}

const SUM: &str = r#"
(module
  (func $id (param i32) (result i32) local.get 0)
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (call $id (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $acc)))
"#;

#[test]
fn local_get_is_elided_and_constants_are_pooled_or_fused() {
    let module = module(SUM);
    let sum = module.compiled(1).expect("compiled");
    let listing = sum.listing();
    // `local.get` emits nothing: no instruction copies a parameter into a temporary before the
    // add; the add reads the local's cell (cell 1 = $acc) directly.
    assert!(
        sum.code.iter().any(|i| matches!(i, Instr::I32Add(_, 1, _))),
        "add reads $acc's cell directly:\n{listing}"
    );
    // `i32.sub (local.get $n) (i32.const 1)` fuses the constant as an immediate and writes $n
    // directly (local.set retargeting): no copy into cell 0.
    assert!(
        sum.code.contains(&Instr::I32SubImm(0, 0, 1)),
        "fused, retargeted sub:\n{listing}"
    );
    // compare-and-branch fusion back to the loop header.
    assert!(
        sum.code
            .iter()
            .any(|i| matches!(i, Instr::BrIfI32GtS(0, _, _))),
        "compare fused:\n{listing}"
    );
    let mut live = instance(&module);
    assert_eq!(
        live.invoke("sum", &[Val::I32(10)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(55)])
    );
}

#[test]
fn constant_pool_is_addressed_like_frame_cells() {
    let module = module(
        r#"(module (func (export "f") (param i32) (result i32)
             (i32.mul (i32.const 7) (local.get 0))))"#,
    );
    let f = module.compiled(0).expect("compiled");
    assert_eq!(f.consts, vec![7], "the constant is in the pool");
    let pool_cell = f.local_cells;
    assert!(
        f.code
            .iter()
            .any(|i| matches!(i, Instr::I32Mul(_, a, 0) if *a == pool_cell)),
        "the multiply reads the pool cell:\n{}",
        f.listing()
    );
    let mut live = instance(&module);
    assert_eq!(
        live.invoke("f", &[Val::I32(6)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(42)])
    );
}

const PRESERVE: &str = r#"
(module
  (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
  (func (export "f") (param $x i32) (result i32)
    (local.get $x)
    (local.set $x (i32.const 5))
    (call $g (local.get $x))
    i32.sub))
"#;

#[test]
fn aliased_local_is_preserved_before_overwrite() {
    let module = module(PRESERVE);
    let f = module.compiled(1).expect("compiled");
    let listing = f.listing();
    // The old $x is on the operand stack when $x is overwritten: it is copied to a preserved
    // cell first, and the call's operand map lists it there.
    let call = f
        .points
        .iter()
        .find(|p| p.kind == PointKind::Call)
        .expect("call point");
    assert!(
        matches!(call.operands[0].loc, Loc::Preserved(_)),
        "{:?}\n{listing}",
        call.operands
    );
    assert!(
        matches!(call.operands[1].loc, Loc::Local(0)),
        "the argument aliases $x: {:?}",
        call.operands
    );
    let mut live = instance(&module);
    assert_eq!(
        live.invoke("f", &[Val::I32(3)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(3 - 105)])
    );
}

#[test]
fn checkpoint_everywhere_in_a_loop_with_calls_and_fusion() {
    let module = module(SUM);
    let (events, images) = check_everywhere(&module, "sum", &[Val::I32(4)]);
    // entry, then per iteration: loop, call, entry (callee), return.
    assert_eq!(events, 1 + 4 * 4);
    let kinds: Vec<i32> = images
        .iter()
        .map(|i| i.execution.as_ref().unwrap().safe_point.unwrap().kind)
        .collect();
    for kind in [
        EventKind::Entry,
        EventKind::Loop,
        EventKind::Call,
        EventKind::Return,
    ] {
        assert!(
            kinds.contains(&(kind.to_image() as i32)),
            "{kind:?} covered"
        );
    }
}

#[test]
fn checkpoint_at_call_with_preserved_and_aliased_operands() {
    let module = module(PRESERVE);
    let (_, images) = check_everywhere(&module, "f", &[Val::I32(9)]);
    // At the call event the image's operands are the preserved old $x (9) and the argument
    // aliasing $x (5).
    let at_call = images
        .iter()
        .find(|i| {
            i.execution.as_ref().unwrap().safe_point.unwrap().kind
                == EventKind::Call.to_image() as i32
        })
        .expect("a call image");
    let frame = &at_call.execution.as_ref().unwrap().frames[0];
    let values: Vec<_> = frame.operands.iter().map(|v| v.kind.clone()).collect();
    assert_eq!(values, vec![Some(Kind::I32(9)), Some(Kind::I32(5))]);
}

#[test]
fn restore_rejects_an_operand_contradicting_its_alias() {
    let module = module(PRESERVE);
    let mut source = instance(&module);
    let stop = StopRequest {
        kinds: KindSet::of(&[EventKind::Call]),
        at: 0,
    };
    let outcome = source.invoke("f", &[Val::I32(9)], Some(stop)).unwrap();
    assert!(matches!(outcome, RunOutcome::Stopped(_)));
    let mut image = source.image().unwrap();
    let frame = &mut image.execution.as_mut().unwrap().frames[0];
    // Operand 1 aliases local 0 in the register map: a different value is a wrong image.
    frame.operands[1].kind = Some(Kind::I32(6));
    let error = Instance::restore(&module, &image, &Imports::new(), Config::default())
        .err()
        .expect("restore must fail");
    let message = error.to_string();
    assert!(
        message.contains("function 1") && message.contains("operand 1"),
        "{message}"
    );
    // Changing the preserved operand is fine: it is a real cell.
    let mut image = source.image().unwrap();
    image.execution.as_mut().unwrap().frames[0].operands[0].kind = Some(Kind::I32(1));
    let mut copy = Instance::restore(&module, &image, &Imports::new(), Config::default()).unwrap();
    assert_eq!(
        copy.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(1 - 105)])
    );
}

#[test]
fn blocks_with_results_and_br_table_survive_checkpoints() {
    let module = module(
        r#"(module
          (func $f (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
          (func (export "g") (param $n i32) (result i64) (local $i i32) (local $acc i64)
            (loop $l
              local.get $acc
              block $b (result i32)
                block $a (result i32)
                  (call $f (local.get $i))
                  (i32.and (local.get $i) (i32.const 1))
                  br_table $a $b
                end
                i32.const 1000
                i32.add
              end
              i64.extend_i32_u
              i64.add
              local.set $acc
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            local.get $acc))"#,
    );
    let mut live = instance(&module);
    // i even: 3i + 1000; i odd: 3i. For n = 5: (0+1000) + 3 + (6+1000) + 9 + (12+1000)
    assert_eq!(
        live.invoke("g", &[Val::I32(5)], None).unwrap(),
        RunOutcome::Finished(vec![Val::I64(3030)])
    );
    check_everywhere(&module, "g", &[Val::I32(5)]);
}

#[test]
#[ignore = "prints a listing for inspection"]
fn print_listing() {
    let module = module(SUM);
    println!("{}", module.compiled(1).unwrap().listing());
}

#[test]
fn instructions_stay_small() {
    assert!(
        std::mem::size_of::<Instr>() <= 12,
        "{}",
        std::mem::size_of::<Instr>()
    );
}
