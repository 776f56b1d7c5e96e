//! `any` stops around control transfers that leave dead code behind (`br` out of a block, a
//! branch out of the function body, `return` in the middle of a function): execution never
//! reaches dead code, so no `any` stop may be reported there. For every `any` stop of each
//! program: the stop's pc is a reachable boundary per the shared module analysis, the image
//! validates against that analysis, and a fresh instance restored from it resumes to the
//! uninterrupted result.

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::validate;
use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::{Instance, Module};

const PROGRAM: &str = r#"
(module
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))

  ;; `br` out of a block, followed by dead code in the block.
  (func (export "br_block") (param i32) (result i32)
    (local i32)
    (block $b
      (local.set 1 (i32.add (local.get 0) (i32.const 1)))
      (br $b)
      (local.set 1 (i32.const 99))
      (unreachable))
    (i32.mul (local.get 1) (i32.const 3)))

  ;; `br` out of a block with a value, dead code after it, the block's value used after.
  (func (export "br_block_value") (param i32) (result i32)
    (i32.add
      (block (result i32)
        (br 0 (i32.add (local.get 0) (i32.const 4)))
        (drop (i32.const 5))
        (i32.const 6))
      (i32.const 1)))

  ;; `return` in the middle of a function (twice: under an `if`, and at the top level),
  ;; followed by dead code.
  (func (export "return_middle") (param i32) (result i32)
    (local.get 0)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 42))))
    (i32.const 2)
    (i32.mul)
    (return (call $triple))
    (drop (i32.const 1))
    (i32.const 7))

  ;; Branches to the function body's label leave the final `end` dead.
  (func (export "br_body") (param i32) (result i32)
    (i32.const 3) (i64.const 1) (br 0 (i32.add (local.get 0) (i32.const 9))))
  (func (export "br_if_body") (param i32) (result i32)
    (i32.const 3)
    (drop (br_if 0 (i32.const 8) (local.get 0)))
    (drop)
    (br 0 (i32.const 11)))
  (func (export "br_table_body") (param i32) (result i32)
    (block (result i32)
      (br_table 0 1 (i32.const 50) (local.get 0)))
    (i32.const 1)
    (i32.add)
    (br 0))
  (func (export "br_body_from_loop") (param i32) (result i32)
    (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (drop (br_if 1 (i32.mul (local.get 1) (i32.const 10)) (i32.ge_u (local.get 1) (local.get 0))))
      (br $l))
    (unreachable))
)
"#;

/// Stops at every `any` event of `export(arg)` in turn; checks each stop as the module docs say.
/// Returns the number of stops.
fn check_any_stops(module: &Module, analysis: &ModuleAnalysis, export: &str, arg: i32) -> u64 {
    let fresh = || Instance::instantiate(module, &Imports::new(), Config::default()).unwrap();
    let args = [Val::I32(arg)];
    let expected = fresh()
        .invoke(export, &args, None)
        .expect("uninterrupted run");
    assert!(
        matches!(expected, RunOutcome::Finished(_)),
        "{export}({arg}) finishes: {expected:?}"
    );
    let next = Some(StopRequest {
        kinds: KindSet::of(&[EventKind::Any]),
        at: 0,
    });
    let mut original = fresh();
    let mut outcome = original.invoke(export, &args, next).expect("invoke");
    let mut stops = 0;
    while let RunOutcome::Stopped(info) = outcome {
        let at = format!("{export}({arg}) stop {stops} ({info:?})");
        assert_eq!(info.kind, EventKind::Any, "{at}");
        let location = info
            .location
            .unwrap_or_else(|| panic!("{at}: stop not located"));
        let point = analysis
            .function(location.func)
            .and_then(|function| function.at(location.pc))
            .unwrap_or_else(|| panic!("{at}: pc is not an instruction boundary"));
        assert!(point.reachable, "{at}: stopped in dead code");
        let image = original
            .image()
            .unwrap_or_else(|e| panic!("{at}: image: {e}"));
        validate(&image, analysis).unwrap_or_else(|e| panic!("{at}: image invalid: {e}"));
        let mut restored = Instance::restore(module, &image, &Imports::new(), Config::default())
            .unwrap_or_else(|e| panic!("{at}: restore: {e}"));
        let finished = restored.resume(None).expect("resume restored");
        assert_eq!(finished, expected, "{at}: restored run");
        outcome = original.resume(next).expect("resume original");
        stops += 1;
    }
    assert_eq!(outcome, expected, "{export}({arg}): the chained run");
    stops
}

#[test]
fn any_stops_never_land_in_dead_code() {
    let wasm = wat::parse_str(PROGRAM).expect("test WAT parses");
    let module = Module::new(&wasm).expect("module validates");
    let analysis = ModuleAnalysis::new(&wasm).expect("analysis");
    let cases: &[(&str, &[i32])] = &[
        ("br_block", &[4]),
        ("br_block_value", &[4]),
        ("return_middle", &[0, 5]),
        ("br_body", &[2]),
        ("br_if_body", &[0, 1]),
        ("br_table_body", &[0, 1, 7]),
        ("br_body_from_loop", &[3]),
    ];
    for (export, args) in cases {
        for &arg in *args {
            let stops = check_any_stops(&module, &analysis, export, arg);
            assert!(stops >= 3, "{export}({arg}): only {stops} stops");
        }
    }
}
