//! The module analysis and `validate` over every module of the WebAssembly 2.0 spec test suite
//! that the supported features accept: at every instruction boundary the analysis must agree with
//! the raw bytes (opcodes at call points and label starts, the final `end`), its label stacks
//! must be well-nested, and an image built from the analysis at any reachable point — one frame,
//! or a caller on a call plus its callee at entry — must validate.

use baton_checkpoint::analysis::{FunctionAnalysis, InstrKind, ModuleAnalysis, PointInfo};
use baton_checkpoint::spec_suite;
use baton_checkpoint::{
    validate, Entry, Execution, Frame, Image, Label, LabelKind, Memory, SafePoint, SafePointKind,
    Table, Value,
};

/// Tables larger than this are skipped (the images would be large for no extra coverage).
const MAX_TABLE: u64 = 100_000;

/// An instance state at the module's declared minimum sizes, idle.
fn base_image(analysis: &ModuleAnalysis) -> Option<Image> {
    let tables = analysis
        .tables()
        .iter()
        .map(|table| {
            (table.initial <= MAX_TABLE).then(|| Table {
                elements: vec![
                    Value::default_of(wasmparser::ValType::Ref(table.element_type));
                    table.initial as usize
                ],
                max: table.maximum,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Image {
        module_sha256: analysis.module_sha256().to_vec(),
        memories: analysis
            .memories()
            .iter()
            .map(|memory| Memory {
                pages: memory.initial,
                max_pages: memory.maximum,
                chunks: vec![],
            })
            .collect(),
        globals: analysis
            .globals()
            .iter()
            .map(|global| Value::default_of(global.content_type))
            .collect(),
        tables,
        dropped_data: vec![false; analysis.data_count() as usize],
        dropped_elements: vec![false; analysis.element_count() as usize],
        host_sections: vec![],
        execution: None,
    })
}

fn frame_at(function: &FunctionAnalysis, point: &PointInfo, operand_count: usize) -> Frame {
    Frame {
        func: function.func_index(),
        pc: point.pc,
        locals: function
            .locals()
            .iter()
            .map(|&ty| Value::default_of(ty))
            .collect(),
        operands: point.operand_types[..operand_count]
            .iter()
            .map(|&ty| Value::default_of(ty))
            .collect(),
        labels: point.labels.clone(),
    }
}

fn execution(function: &FunctionAnalysis, kind: SafePointKind, frames: Vec<Frame>) -> Execution {
    Execution {
        entry: Some(Entry {
            func: function.func_index(),
            args: function
                .params()
                .iter()
                .map(|&ty| Value::default_of(ty))
                .collect(),
        }),
        safe_point: Some(SafePoint {
            kind: kind as i32,
            event: 1,
        }),
        frames,
    }
}

/// Checks the analysis of one function against the raw bytes; returns the number of points.
fn check_points(name: &str, wasm: &[u8], function: &FunctionAnalysis) -> usize {
    let opcode = |pc: u32| wasm[function.body_start() + pc as usize];
    let points: Vec<&PointInfo> = function.points().collect();
    assert!(!points.is_empty(), "{name}: no points");
    assert_eq!(function.first_pc(), points[0].pc);
    assert_eq!(
        opcode(points[points.len() - 1].pc),
        0x0b,
        "{name}: last point is not end"
    );
    let mut previous: Option<&PointInfo> = None;
    for &point in &points {
        let context = format!("{name} func {} pc {:#x}", function.func_index(), point.pc);
        if let Some(previous) = previous {
            assert!(previous.pc < point.pc, "{context}: points not ascending");
            // After an unconditional transfer the code is dead until the enclosing end/else.
            if matches!(opcode(previous.pc), 0x00 | 0x0c | 0x0e | 0x0f)
                && !matches!(opcode(point.pc), 0x0b | 0x05)
            {
                assert!(!point.reachable, "{context}: dead code marked reachable");
            }
        }
        assert_eq!(function.at(point.pc), Some(point));
        match point.instr {
            InstrKind::Call { .. } => assert_eq!(opcode(point.pc), 0x10, "{context}"),
            InstrKind::CallIndirect { .. } => assert_eq!(opcode(point.pc), 0x11, "{context}"),
            InstrKind::Other => assert!(!matches!(opcode(point.pc), 0x10 | 0x11), "{context}"),
        }
        if point.reachable {
            let body = Label {
                kind: LabelKind::Block as i32,
                start: 0,
                height: 0,
                arity: function.results().len() as u32,
            };
            assert_eq!(point.labels.first(), Some(&body), "{context}: body label");
            for pair in point.labels.windows(2) {
                let (outer, inner) = (pair[0], pair[1]);
                assert!(inner.height >= outer.height, "{context}: heights");
                assert!(
                    inner.start > outer.start || outer.start == 0,
                    "{context}: starts"
                );
                assert!(inner.start < point.pc, "{context}: label starts after pc");
                let expected = match opcode(inner.start) {
                    0x02 => vec![LabelKind::Block],
                    0x03 => vec![LabelKind::Loop],
                    0x04 => vec![LabelKind::If, LabelKind::Else],
                    other => panic!("{context}: label start at opcode {other:#x}"),
                };
                assert!(
                    expected.iter().any(|&kind| kind as i32 == inner.kind),
                    "{context}: label kind"
                );
            }
            let top = point.labels.last().map_or(0, |label| label.height);
            assert!(
                top as usize <= point.operand_types.len(),
                "{context}: height above stack"
            );
        }
        previous = Some(point);
    }
    points.len()
}

#[test]
fn spec_suite_modules_agree_with_analysis_and_validation() {
    let modules = spec_suite::modules();
    assert!(
        modules.len() > 1000,
        "only {} spec modules found",
        modules.len()
    );
    let (mut analysed, mut points, mut single, mut nested) = (0, 0, 0, 0);
    for (name, wasm) in &modules {
        let Ok(analysis) = ModuleAnalysis::new(wasm) else {
            continue;
        };
        analysed += 1;
        let Some(mut image) = base_image(&analysis) else {
            continue;
        };
        validate(&image, &analysis).unwrap_or_else(|e| panic!("{name}: idle image: {e}"));
        for func in analysis.imported_func_count()..analysis.func_count() {
            let function = analysis.function(func).expect("defined function");
            points += check_points(name, wasm, function);
            for point in function.points().filter(|point| point.reachable) {
                let frame = frame_at(function, point, point.operand_types.len());
                image.execution = Some(execution(function, SafePointKind::Any, vec![frame]));
                validate(&image, &analysis).unwrap_or_else(|e| {
                    panic!(
                        "{name}: single frame at func {func} pc {:#x}: {e}",
                        point.pc
                    )
                });
                single += 1;
                let (callee, extra) = match point.instr {
                    InstrKind::Call { func } => (analysis.function(func), 0),
                    InstrKind::CallIndirect { type_index, .. } => {
                        let wanted = analysis.func_type(type_index);
                        let callee = (analysis.imported_func_count()..analysis.func_count())
                            .find(|&candidate| analysis.func_type_of(candidate) == wanted);
                        (callee.and_then(|callee| analysis.function(callee)), 1)
                    }
                    InstrKind::Other => (None, 0),
                };
                let Some(callee) = callee else { continue };
                let keep = point.operand_types.len() - callee.params().len() - extra;
                let first = callee.at(callee.first_pc()).expect("first point");
                let frames = vec![frame_at(function, point, keep), frame_at(callee, first, 0)];
                image.execution = Some(execution(function, SafePointKind::Entry, frames));
                validate(&image, &analysis).unwrap_or_else(|e| {
                    panic!("{name}: call at func {func} pc {:#x}: {e}", point.pc)
                });
                nested += 1;
            }
        }
    }
    println!(
        "{analysed} modules, {points} points, {single} single-frame and {nested} nested images"
    );
    assert!(analysed > 1000 && points > 20_000 && nested > 500);
}
