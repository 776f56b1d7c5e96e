//! `validate` on hand-built images of the sample module: correct images pass, and each failure
//! class yields its typed error naming the frame, slot, function and pc.

mod common;

use baton_checkpoint::structure::{Slot, StructureError};
use baton_checkpoint::{
    validate, Execution, Frame, Image, LabelKind, SafePoint, SafePointKind, ValidationError, Value,
};
use common::*;

fn execution(image: &mut Image) -> &mut Execution {
    image.execution.as_mut().expect("image has an execution")
}

fn frame(image: &mut Image, index: usize) -> &mut Frame {
    &mut execution(image).frames[index]
}

fn set_safe_point(image: &mut Image, kind: SafePointKind, event: u64) {
    execution(image).safe_point = Some(SafePoint {
        kind: kind as i32,
        event,
    });
}

/// Validates and returns the error, failing the test if the image passes.
fn rejected(image: &Image) -> ValidationError {
    let analysis = sample_analysis();
    match validate(image, &analysis) {
        Ok(()) => panic!(
            "image unexpectedly valid:\n{}",
            baton_checkpoint::to_text(image)
        ),
        Err(error) => error,
    }
}

#[test]
fn correct_images_pass() {
    let analysis = sample_analysis();
    validate(&idle_image(&analysis), &analysis).expect("idle image");
    validate(&call_image(&analysis), &analysis).expect("call image");
    validate(&nested_image(&analysis), &analysis).expect("nested image");

    // Stopped after `double` returned into main: return event at the instruction after the call.
    let mut returned = call_image(&analysis);
    set_safe_point(&mut returned, SafePointKind::Return, 5);
    frame(&mut returned, 0).pc = main_pc::AFTER_CALL;
    frame(&mut returned, 0).operands = vec![Value::i64(100), Value::i32(10)];
    validate(&returned, &analysis).expect("return image");

    // At the loop header.
    let mut looped = call_image(&analysis);
    set_safe_point(&mut looped, SafePointKind::Loop, 1);
    frame(&mut looped, 0).pc = main_pc::LOOP_BODY;
    frame(&mut looped, 0).operands = vec![Value::i64(100)];
    validate(&looped, &analysis).expect("loop image");

    // Inside the callee of the call_indirect, at an arbitrary instruction.
    let mut indirect = call_image(&analysis);
    set_safe_point(&mut indirect, SafePointKind::Any, 9);
    frame(&mut indirect, 0).pc = main_pc::CALL_INDIRECT;
    frame(&mut indirect, 0).operands = vec![Value::i64(100)];
    frame(&mut indirect, 0).labels.pop();
    execution(&mut indirect).frames.push(Frame {
        func: DOUBLE,
        pc: double_pc::MUL,
        locals: vec![Value::i32(1280)],
        operands: vec![Value::i32(1280), Value::i32(2)],
        labels: vec![label(LabelKind::Block, 0, 0, 1)],
    });
    validate(&indirect, &analysis).expect("call_indirect image");
}

#[test]
fn malformed_image_is_a_structure_error() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    frame(&mut image, 0).operands[1] = Value { kind: None };
    assert_eq!(
        rejected(&image),
        ValidationError::Structure(StructureError::MalformedValue {
            slot: Slot::Operand {
                frame: 0,
                func: MAIN,
                pc: main_pc::CALL,
                index: 1
            }
        })
    );
}

#[test]
fn module_hash_mismatch() {
    let analysis = sample_analysis();
    let mut image = idle_image(&analysis);
    image.module_sha256[0] ^= 1;
    assert!(matches!(
        rejected(&image),
        ValidationError::ModuleHash { .. }
    ));
}

#[test]
fn count_mismatches() {
    let analysis = sample_analysis();
    type Mutation = fn(&mut Image);
    let cases: [(&str, Mutation); 5] = [
        ("memories", |image| image.memories.clear()),
        ("tables", |image| image.tables.push(image.tables[0].clone())),
        ("globals", |image| {
            image.globals.pop();
        }),
        ("data segments", |image| image.dropped_data.push(false)),
        ("element segments", |image| {
            image.dropped_elements.pop();
        }),
    ];
    for (what, mutate) in cases {
        let mut image = idle_image(&analysis);
        mutate(&mut image);
        match rejected(&image) {
            ValidationError::CountMismatch { what: found, .. } => assert_eq!(found, what),
            other => panic!("{what}: unexpected {other}"),
        }
    }
}

#[test]
fn memory_limits() {
    let analysis = sample_analysis();
    let mut image = idle_image(&analysis);
    image.memories[0].pages = 0;
    image.memories[0].chunks.clear();
    assert_eq!(
        rejected(&image),
        ValidationError::BelowMinimum {
            what: "memory",
            index: 0,
            size: 0,
            min: 1
        }
    );
    let mut image = idle_image(&analysis);
    image.memories[0].pages = 3;
    assert_eq!(
        rejected(&image),
        ValidationError::AboveMaximum {
            what: "memory",
            index: 0,
            size: 3,
            max: 2
        }
    );
    let mut image = idle_image(&analysis);
    image.memories[0].max_pages = None;
    assert_eq!(
        rejected(&image),
        ValidationError::MaximumMismatch {
            what: "memory",
            index: 0,
            image: None,
            module: Some(2)
        }
    );
}

#[test]
fn table_limits_and_element_types() {
    let analysis = sample_analysis();
    let mut image = idle_image(&analysis);
    image.tables[0].elements.truncate(1);
    assert!(matches!(
        rejected(&image),
        ValidationError::BelowMinimum {
            what: "table",
            size: 1,
            min: 2,
            ..
        }
    ));
    let mut image = idle_image(&analysis);
    image.tables[0].elements.resize(5, Value::funcref(None));
    assert!(matches!(
        rejected(&image),
        ValidationError::AboveMaximum {
            what: "table",
            size: 5,
            max: 4,
            ..
        }
    ));
    let mut image = idle_image(&analysis);
    image.tables[0].max = Some(3);
    assert!(matches!(
        rejected(&image),
        ValidationError::MaximumMismatch { what: "table", .. }
    ));
    let mut image = idle_image(&analysis);
    image.tables[0].elements[1] = Value::externref(Some(1));
    let error = rejected(&image);
    assert_eq!(
        error,
        ValidationError::ValueType {
            slot: Slot::TableElement {
                table: 0,
                element: 1
            },
            expected: "funcref".into(),
            found: "externref".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "table 0 element[1]: expected funcref, found externref"
    );
    let mut image = idle_image(&analysis);
    image.tables[0].elements[0] = Value::funcref(Some(4));
    assert!(matches!(
        rejected(&image),
        ValidationError::FuncRefOutOfRange {
            index: 4,
            func_count: 4,
            ..
        }
    ));
}

#[test]
fn global_of_wrong_type() {
    let analysis = sample_analysis();
    let mut image = idle_image(&analysis);
    image.globals[0] = Value::i32(7);
    assert_eq!(
        rejected(&image),
        ValidationError::ValueType {
            slot: Slot::Global(0),
            expected: "i64".into(),
            found: "i32".into()
        }
    );
}

#[test]
fn entry_errors() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    execution(&mut image).entry.as_mut().expect("entry").func = 9;
    assert!(matches!(
        rejected(&image),
        ValidationError::EntryFuncOutOfRange { func: 9, .. }
    ));
    let mut image = call_image(&analysis);
    execution(&mut image)
        .entry
        .as_mut()
        .expect("entry")
        .args
        .clear();
    assert!(matches!(
        rejected(&image),
        ValidationError::EntryArgCount {
            expected: 1,
            found: 0,
            ..
        }
    ));
    let mut image = call_image(&analysis);
    execution(&mut image).entry.as_mut().expect("entry").args[0] = Value::f32(1.0);
    assert!(matches!(
        rejected(&image),
        ValidationError::ValueType {
            slot: Slot::EntryArg(0),
            ..
        }
    ));
    let mut image = nested_image(&analysis);
    execution(&mut image).entry.as_mut().expect("entry").func = DOUBLE;
    assert_eq!(
        rejected(&image),
        ValidationError::EntryFrameMismatch {
            entry_func: DOUBLE,
            frame_func: MAIN
        }
    );
}

#[test]
fn frame_of_an_imported_function() {
    let analysis = sample_analysis();
    let mut image = nested_image(&analysis);
    frame(&mut image, 1).func = HOST;
    assert_eq!(
        rejected(&image),
        ValidationError::FrameFunc {
            frame: 1,
            func: HOST
        }
    );
}

#[test]
fn pc_inside_an_immediate() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    frame(&mut image, 0).pc = main_pc::I64_CONST + 1;
    let error = rejected(&image);
    assert_eq!(
        error,
        ValidationError::NotABoundary {
            frame: 0,
            func: MAIN,
            pc: 4
        }
    );
    assert_eq!(
        error.to_string(),
        "frame 0 (func 2): pc 0x4 is not an instruction boundary"
    );
}

#[test]
fn pc_in_dead_code() {
    let analysis = sample_analysis();
    let mut image = idle_image(&analysis);
    image.execution = Some(Execution {
        entry: Some(baton_checkpoint::Entry {
            func: DEAD,
            args: vec![],
        }),
        safe_point: Some(SafePoint {
            kind: SafePointKind::Any as i32,
            event: 1,
        }),
        frames: vec![Frame {
            func: DEAD,
            pc: DEAD_UNREACHABLE_PC,
            locals: vec![],
            operands: vec![],
            labels: vec![label(LabelKind::Block, 0, 0, 1)],
        }],
    });
    assert_eq!(
        rejected(&image),
        ValidationError::UnreachablePc {
            frame: 0,
            func: DEAD,
            pc: DEAD_UNREACHABLE_PC
        }
    );
}

#[test]
fn wrong_counts_in_a_frame() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    frame(&mut image, 0).locals.pop();
    assert!(matches!(
        rejected(&image),
        ValidationError::FrameCount {
            what: "locals",
            frame: 0,
            expected: 2,
            found: 1,
            ..
        }
    ));
    let mut image = call_image(&analysis);
    frame(&mut image, 0).operands.push(Value::i32(0));
    assert!(matches!(
        rejected(&image),
        ValidationError::FrameCount {
            what: "operands",
            expected: 2,
            found: 3,
            ..
        }
    ));
    let mut image = call_image(&analysis);
    frame(&mut image, 0).labels.pop();
    assert!(matches!(
        rejected(&image),
        ValidationError::FrameCount {
            what: "labels",
            expected: 3,
            found: 2,
            ..
        }
    ));
}

#[test]
fn wrong_typed_local_and_operand() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    frame(&mut image, 0).locals[1] = Value::f64(0.0);
    let error = rejected(&image);
    assert_eq!(
        error.to_string(),
        "frame 0 (func 2, pc 0xc) local[1]: expected i64, found f64"
    );

    let mut image = nested_image(&analysis);
    frame(&mut image, 0).operands[0] = Value::i32(100);
    let error = rejected(&image);
    assert_eq!(
        error,
        ValidationError::ValueType {
            slot: Slot::Operand {
                frame: 0,
                func: MAIN,
                pc: main_pc::CALL,
                index: 0
            },
            expected: "i64".into(),
            found: "i32".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "frame 0 (func 2, pc 0xc) operand[0]: expected i64, found i32"
    );
}

#[test]
fn outer_frame_keeps_the_callee_arguments() {
    // The outer frame must not include the call's argument: with it, the count is off by one.
    let analysis = sample_analysis();
    let mut image = nested_image(&analysis);
    frame(&mut image, 0).operands.push(Value::i32(5));
    assert!(matches!(
        rejected(&image),
        ValidationError::FrameCount {
            what: "operands",
            frame: 0,
            expected: 1,
            found: 2,
            ..
        }
    ));
}

#[test]
fn label_mismatch() {
    let analysis = sample_analysis();
    let mut image = call_image(&analysis);
    frame(&mut image, 0).labels[2].height = 2;
    let error = rejected(&image);
    assert!(matches!(
        error,
        ValidationError::LabelMismatch {
            frame: 0,
            label: 2,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "frame 0 (func 2, pc 0xc) label[2]: expected loop start 0x8 height 1 arity 0, \
         found loop start 0x8 height 2 arity 0"
    );
}

#[test]
fn outer_frame_not_at_a_call() {
    let analysis = sample_analysis();
    let mut image = nested_image(&analysis);
    frame(&mut image, 0).pc = main_pc::LOOP_BODY;
    assert_eq!(
        rejected(&image),
        ValidationError::NotAtCall {
            frame: 0,
            func: MAIN,
            pc: main_pc::LOOP_BODY
        }
    );
}

#[test]
fn wrong_callee() {
    let analysis = sample_analysis();
    let mut image = nested_image(&analysis);
    frame(&mut image, 1).func = MAIN;
    let error = rejected(&image);
    assert!(matches!(
        error,
        ValidationError::CalleeMismatch {
            frame: 0,
            func: MAIN,
            pc: main_pc::CALL,
            next_func: MAIN,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "frame 0 (func 2, pc 0xc): the call there calls func 1, but frame 1 runs func 2"
    );

    // call_indirect: the callee's type must equal the expected type.
    let mut image = nested_image(&analysis);
    frame(&mut image, 0).pc = main_pc::CALL_INDIRECT;
    frame(&mut image, 0).labels.pop();
    *frame(&mut image, 1) = Frame {
        func: DEAD,
        pc: 1,
        locals: vec![],
        operands: vec![],
        labels: vec![label(LabelKind::Block, 0, 0, 1)],
    };
    assert!(matches!(
        rejected(&image),
        ValidationError::CalleeMismatch {
            frame: 0,
            pc: main_pc::CALL_INDIRECT,
            next_func: DEAD,
            ..
        }
    ));
}

#[test]
fn safe_point_kind_inconsistent_with_pc() {
    let analysis = sample_analysis();
    let cases: [(SafePointKind, u64, u32); 5] = [
        (SafePointKind::Call, 2, main_pc::LOOP_BODY),
        (SafePointKind::Loop, 2, main_pc::CALL),
        (SafePointKind::Return, 2, main_pc::CALL),
        (SafePointKind::Entry, 0, main_pc::LOOP_BODY),
        (SafePointKind::Entry, 7, main_pc::I64_CONST),
    ];
    for (kind, event, pc) in cases {
        let mut image = call_image(&analysis);
        set_safe_point(&mut image, kind, event);
        let point = analysis
            .function(MAIN)
            .and_then(|f| f.at(pc))
            .expect("boundary");
        let fr = frame(&mut image, 0);
        fr.pc = pc;
        fr.operands = point
            .operand_types
            .iter()
            .map(|&ty| Value::default_of(ty))
            .collect();
        fr.labels = point.labels.clone();
        match rejected(&image) {
            ValidationError::SafePointMismatch {
                kind: found,
                frame: 0,
                func: MAIN,
                pc: at,
                ..
            } => {
                assert_eq!((found, at), (kind, pc));
            }
            other => panic!("{kind:?} at {pc:#x}: unexpected {other}"),
        }
    }
    // The same pcs with a fitting kind pass.
    let mut image = call_image(&analysis);
    set_safe_point(&mut image, SafePointKind::Entry, 0);
    let fr = frame(&mut image, 0);
    fr.pc = main_pc::I64_CONST;
    fr.operands.clear();
    fr.labels.truncate(1);
    validate(&image, &analysis).expect("entry at the first instruction, event 0");
}

mod arbitrary_images {
    use super::common;
    use baton_checkpoint::{validate, Image};
    use proptest::prelude::*;

    /// Arbitrary images aimed at the sample module: its hash, small function indices and pcs,
    /// so validation gets past the first checks. Validation must return, never panic.
    fn aimed_image() -> impl Strategy<Value = (Image, Vec<(u32, u32)>)> {
        (
            common::image(),
            proptest::collection::vec((0u32..5, 0u32..40), 0..4),
        )
    }

    proptest! {
        #[test]
        fn validate_never_panics((mut image, places) in aimed_image()) {
            let analysis = common::sample_analysis();
            let _ = validate(&image, &analysis);
            image.module_sha256 = analysis.module_sha256().to_vec();
            let _ = validate(&image, &analysis);
            if let Some(execution) = image.execution.as_mut() {
                for (frame, (func, pc)) in execution.frames.iter_mut().zip(places) {
                    frame.func = func;
                    frame.pc = pc;
                }
                if let (Some(entry), Some(first)) = (execution.entry.as_mut(), execution.frames.first()) {
                    entry.func = first.func;
                }
            }
            let _ = validate(&image, &analysis);
            // Grafting the sample's valid state keeps the execution as the only variable part.
            let mut grafted = common::idle_image(&analysis);
            grafted.execution = image.execution.clone();
            let _ = validate(&grafted, &analysis);
        }
    }
}
