//! The event sequence of the example in docs/safe-points.md, with and without `any`.

use baton_runtime::Driving;
use baton_runtime::{Config, EventKind, Imports, KindSet, RunOutcome, StopRequest, Val};
use baton_stack::{Instance, Module};

const EXAMPLE: &str = r#"
(module
  (func $f (export "f") (param i32) (result i32) (call $g (local.get 0)))
  (func $g (param i32) (result i32) (loop (nop)) (local.get 0)))
"#;

fn events(kinds: KindSet) -> Vec<(EventKind, u64, u32)> {
    let module = Module::new(&wat::parse_str(EXAMPLE).expect("WAT")).expect("module");
    let mut inst =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("inst");
    let stop = Some(StopRequest { kinds, at: 0 });
    let mut outcome = inst.invoke("f", &[Val::I32(1)], stop).expect("invoke");
    let mut seen = Vec::new();
    while let RunOutcome::Stopped(info) = outcome {
        seen.push((
            info.kind,
            info.event,
            info.location.expect("stack locates every stop").func,
        ));
        outcome = inst.resume(stop).expect("resume");
    }
    assert_eq!(outcome, RunOutcome::Finished(vec![Val::I32(1)]));
    seen
}

#[test]
fn main_events_in_order() {
    use EventKind::*;
    assert_eq!(
        events(KindSet::MAIN),
        vec![
            (Entry, 0, 0),
            (Call, 1, 0),
            (Entry, 2, 1),
            (Loop, 3, 1),
            (Return, 4, 0)
        ]
    );
}

#[test]
fn any_events_interleave_without_numbers() {
    use EventKind::*;
    assert_eq!(
        events(KindSet::ALL),
        vec![
            (Entry, 0, 0),
            (Any, 1, 0), // local.get 0
            (Any, 1, 0), // call $g
            (Call, 1, 0),
            (Entry, 2, 1),
            (Any, 3, 1), // loop
            (Loop, 3, 1),
            (Any, 4, 1), // nop
            (Any, 4, 1), // end (loop)
            (Any, 4, 1), // local.get 0
            (Any, 4, 1), // end (function)
            (Return, 4, 0),
            (Any, 5, 0), // end (function)
        ]
    );
}
