//! Restore rejects images that contradict the engine's compile-time maps, with a typed error
//! naming the function, pc and operand; and never panics on them.

use baton_checkpoint::image::value::Kind;
use baton_runtime::{
    Config, Driving, EventKind, ImageError, Imports, KindSet, RestoreError, RunOutcome,
    StopRequest, Val,
};
use baton_threaded::{Instance, Module};

const WAT: &str = r#"(module
  (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
  (func (export "f") (param $x i32) (result i32)
    (local.get $x)
    (i32.const 7)
    (call $g (i32.const 1))
    i32.add
    i32.add))"#;

fn stopped_image() -> (Module, baton_checkpoint::image::Image) {
    let module = Module::new(&wat::parse_str(WAT).unwrap()).unwrap();
    let mut instance = Instance::instantiate(&module, &Imports::new(), Config::default()).unwrap();
    let stop = StopRequest {
        kinds: KindSet::of(&[EventKind::Call]),
        at: 0,
    };
    let outcome = instance.invoke("f", &[Val::I32(9)], Some(stop)).unwrap();
    assert!(matches!(outcome, RunOutcome::Stopped(_)), "{outcome:?}");
    (module, instance.image().unwrap())
}

fn restore_with(operand: usize, value: i32) -> Result<Instance, RestoreError> {
    let (module, mut image) = stopped_image();
    let frame = &mut image.execution.as_mut().unwrap().frames[0];
    frame.operands[operand].kind = Some(Kind::I32(value as u32));
    Instance::restore(&module, &image, &Imports::new(), Config::default())
}

#[test]
fn the_unmodified_image_restores() {
    let (module, image) = stopped_image();
    let mut restored =
        Instance::restore(&module, &image, &Imports::new(), Config::default()).unwrap();
    assert_eq!(
        restored.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(9 + 7 + 101)])
    );
}

#[test]
fn an_operand_contradicting_a_local_alias_is_rejected() {
    let Err(RestoreError::Image(ImageError::Mismatch { place, reason })) = restore_with(0, 10)
    else {
        panic!("accepted")
    };
    assert!(
        place.contains("function 1") && place.contains("pc") && place.contains("operand 0"),
        "{place}"
    );
    assert!(reason.contains("aliases local 0"), "{reason}");
}

#[test]
fn an_operand_contradicting_a_constant_is_rejected() {
    let Err(RestoreError::Image(ImageError::Mismatch { place, reason })) = restore_with(1, 8)
    else {
        panic!("accepted")
    };
    assert!(
        place.contains("function 1") && place.contains("operand 1"),
        "{place}"
    );
    assert!(reason.contains("constant"), "{reason}");
}

#[test]
fn a_free_operand_may_take_any_value() {
    let mut restored = restore_with(2, 41).unwrap();
    assert_eq!(
        restored.resume(None).unwrap(),
        RunOutcome::Finished(vec![Val::I32(9 + 7 + 141)])
    );
}

#[test]
fn garbage_images_are_errors_not_panics() {
    let (module, image) = stopped_image();
    let mut mutants = Vec::new();
    let mut m = image.clone();
    m.execution.as_mut().unwrap().frames[0].pc += 1;
    mutants.push(m);
    let mut m = image.clone();
    m.execution.as_mut().unwrap().frames[0].operands.pop();
    mutants.push(m);
    let mut m = image.clone();
    m.execution.as_mut().unwrap().frames[0].locals.clear();
    mutants.push(m);
    let mut m = image.clone();
    m.execution.as_mut().unwrap().frames[0].func = 0;
    mutants.push(m);
    let mut m = image.clone();
    m.execution
        .as_mut()
        .unwrap()
        .safe_point
        .as_mut()
        .unwrap()
        .kind = 2;
    mutants.push(m);
    let mut m = image;
    m.execution.as_mut().unwrap().frames.clear();
    mutants.push(m);
    for (i, mutant) in mutants.iter().enumerate() {
        assert!(
            Instance::restore(&module, mutant, &Imports::new(), Config::default()).is_err(),
            "mutant {i} accepted"
        );
    }
}
