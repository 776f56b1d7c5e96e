//! The module analysis against pcs, types and labels computed by hand for the sample module.

mod common;

use baton_checkpoint::analysis::{InstrKind, ModuleAnalysis, ValType};
use baton_checkpoint::LabelKind;
use common::*;

#[test]
fn module_facts() {
    let analysis = sample_analysis();
    assert_eq!(analysis.imported_func_count(), 1);
    assert_eq!(analysis.func_count(), 4);
    assert_eq!(analysis.func_type_index(MAIN), Some(0));
    assert_eq!(analysis.func_type_index(DEAD), Some(1));
    assert_eq!(analysis.func_type_index(4), None);
    let unary = analysis.func_type(0).expect("type 0");
    assert_eq!(unary.params(), &[ValType::I32]);
    assert_eq!(unary.results(), &[ValType::I32]);
    assert_eq!(analysis.func_type_of(HOST), Some(unary));
    assert!(
        analysis.function(HOST).is_none(),
        "imports have no analysis"
    );
    assert!(analysis.function(4).is_none());
    assert_eq!(analysis.memories().len(), 1);
    assert_eq!(analysis.memories()[0].initial, 1);
    assert_eq!(analysis.memories()[0].maximum, Some(2));
    assert_eq!(analysis.tables().len(), 1);
    assert_eq!(analysis.tables()[0].maximum, Some(4));
    let globals: Vec<ValType> = analysis.globals().iter().map(|g| g.content_type).collect();
    assert_eq!(
        globals,
        vec![ValType::I64, ValType::EXTERNREF, ValType::F32, ValType::F64]
    );
    assert_eq!(analysis.data_count(), 2);
    assert_eq!(analysis.element_count(), 2);
    assert_eq!(analysis.module_sha256(), {
        use sha2::Digest;
        let digest: [u8; 32] = sha2::Sha256::digest(sample_wasm()).into();
        digest
    });
}

#[test]
fn boundaries_are_exactly_the_instruction_starts() {
    let analysis = sample_analysis();
    let main = analysis.function(MAIN).expect("main");
    let pcs: Vec<u32> = main.points().map(|point| point.pc).collect();
    assert_eq!(
        pcs,
        vec![3, 6, 8, 10, 12, 14, 16, 18, 21, 22, 24, 25, 27, 29, 32, 33, 34, 35, 36]
    );
    assert_eq!(main.first_pc(), main_pc::I64_CONST);
    assert!(
        main.at(main_pc::END).is_some(),
        "the final end is a boundary"
    );
    for inside in [0, 1, 2, 4, 5, 7, 19, 20, 30, 31, 37, 1000] {
        assert!(main.at(inside).is_none(), "pc {inside} is not a boundary");
    }
    assert_eq!(main.locals(), &[ValType::I32, ValType::I64]);
    assert_eq!(main.params(), &[ValType::I32]);
    assert_eq!(main.results(), &[ValType::I32]);
    // The pc origin is the local-declaration count: the body's bytes from body_start are
    // `01 01 7e 42 e4 00`.
    let wasm = sample_wasm();
    let start = main.body_start();
    assert_eq!(
        &wasm[start..start + 6],
        &[0x01, 0x01, 0x7e, 0x42, 0xe4, 0x00]
    );
}

#[test]
fn operand_types_and_labels_at_the_call() {
    let analysis = sample_analysis();
    let main = analysis.function(MAIN).expect("main");
    let call = main.at(main_pc::CALL).expect("call is a boundary");
    assert!(call.reachable);
    assert_eq!(call.instr, InstrKind::Call { func: DOUBLE });
    assert_eq!(call.operand_types, vec![ValType::I64, ValType::I32]);
    assert_eq!(call.labels, main_loop_labels());

    let indirect = main.at(main_pc::CALL_INDIRECT).expect("call_indirect");
    assert_eq!(
        indirect.instr,
        InstrKind::CallIndirect {
            type_index: 0,
            table: 0
        }
    );
    assert_eq!(
        indirect.operand_types,
        vec![ValType::I64, ValType::I32, ValType::I32]
    );
    assert_eq!(
        indirect.labels,
        vec![
            label(LabelKind::Block, 0, 0, 1),
            label(LabelKind::Block, main_pc::BLOCK, 1, 1)
        ]
    );
    let after_loop = main.at(main_pc::LOOP_END + 1).expect("after loop end");
    assert_eq!(after_loop.labels.len(), 2, "the loop's end pops its label");

    let last = main.at(main_pc::END).expect("end");
    assert_eq!(last.operand_types, vec![ValType::I32]);
    assert_eq!(last.labels, vec![label(LabelKind::Block, 0, 0, 1)]);
    assert_eq!(
        main.at(main_pc::I32_CONST_1000)
            .map(|p| p.operand_types.clone()),
        Some(vec![ValType::I64, ValType::I32])
    );
    assert_eq!(
        main.previous(main_pc::AFTER_CALL).map(|p| p.pc),
        Some(main_pc::CALL)
    );
    assert_eq!(
        main.next(main_pc::LOOP).map(|p| p.pc),
        Some(main_pc::LOOP_BODY)
    );
}

#[test]
fn dead_code_is_marked_unreachable() {
    let analysis = sample_analysis();
    let dead = analysis.function(DEAD).expect("dead");
    assert!(dead.at(1).expect("i32.const 1").reachable);
    assert!(dead.at(3).expect("return").reachable);
    assert!(!dead.at(DEAD_UNREACHABLE_PC).expect("dead const").reachable);
}

#[test]
fn if_else_and_block_params() {
    let wat = r#"
      (module
        (type $pair (func (param i32 i64) (result i64)))
        (func (param i32) (result i64)
          i32.const 1
          i64.const 2
          local.get 0
          if (type $pair)
            drop
            drop
            i64.const 3
          else
            drop
            i64.extend_i32_u
          end
          loop (param i64) (result i64)
            nop
          end))
    "#;
    let analysis = ModuleAnalysis::new(&wat::parse_str(wat).expect("wat")).expect("valid");
    let func = analysis.function(0).expect("func 0");
    // Body: 00 | 41 01 | 42 02 | 20 00 | 04 00 | 1a | 1a | 42 03 | 05 | 1a | ad | 0b | 03 02 | 01 | 0b | 0b
    let if_pc = 7;
    let then = func.at(9).expect("first drop");
    assert_eq!(
        then.labels,
        vec![
            label(LabelKind::Block, 0, 0, 1),
            label(LabelKind::If, if_pc, 0, 1)
        ]
    );
    assert_eq!(then.operand_types, vec![ValType::I32, ValType::I64]);
    let else_body = func.at(14).expect("drop in else");
    assert_eq!(
        else_body.labels,
        vec![
            label(LabelKind::Block, 0, 0, 1),
            label(LabelKind::Else, if_pc, 0, 1)
        ]
    );
    let in_loop = func.at(19).expect("nop");
    assert_eq!(
        in_loop.labels,
        vec![
            label(LabelKind::Block, 0, 0, 1),
            label(LabelKind::Loop, 17, 0, 1)
        ]
    );
    assert_eq!(in_loop.operand_types, vec![ValType::I64]);
}

#[test]
fn invalid_and_unsupported_modules_are_errors() {
    assert!(ModuleAnalysis::new(b"not wasm").is_err());
    assert!(ModuleAnalysis::new(&[]).is_err());
    let ill_typed = wat::parse_str("(module (func (result i32) i64.const 1))").expect("wat");
    assert!(ModuleAnalysis::new(&ill_typed).is_err());
    let simd = wat::parse_str("(module (func (result v128) v128.const i64x2 0 0))").expect("wat");
    assert!(
        ModuleAnalysis::new(&simd).is_err(),
        "SIMD is outside the supported features"
    );
    let wasm = sample_wasm();
    // Prefixes that end on a section boundary are valid modules; the others must be errors,
    // and none may panic.
    let mut errors = 0;
    for len in 0..wasm.len() {
        errors += usize::from(ModuleAnalysis::new(&wasm[..len]).is_err());
    }
    assert!(errors > wasm.len() / 2);
    assert!(ModuleAnalysis::new(&wasm[..wasm.len() - 1]).is_err());
}

#[test]
fn stacks_that_shrink_and_regrow_with_other_types() {
    // Each point's stack shares a prefix with the previous one and then differs: the compact
    // storage must still give every point exactly its own types.
    let wat = r#"
      (module
        (func
          i64.const 1
          i32.const 2
          drop
          f32.const 3
          f64.const 4
          drop
          drop
          drop
          block
            ref.null extern
            drop
            loop
              ref.null func
              drop
            end
          end))
    "#;
    let analysis = ModuleAnalysis::new(&wat::parse_str(wat).expect("wat")).expect("valid");
    let func = analysis.function(0).expect("func 0");
    let (i32_, i64_, f32_, f64_) = (ValType::I32, ValType::I64, ValType::F32, ValType::F64);
    let stacks: Vec<Vec<ValType>> = func.points().map(|p| p.operand_types.clone()).collect();
    assert_eq!(
        stacks,
        vec![
            vec![],
            vec![i64_],
            vec![i64_, i32_],
            vec![i64_],
            vec![i64_, f32_],
            vec![i64_, f32_, f64_],
            vec![i64_, f32_],
            vec![i64_],
            vec![],
            vec![],
            vec![ValType::EXTERNREF],
            vec![],
            vec![],
            vec![ValType::FUNCREF],
            vec![],
            vec![],
            vec![],
        ]
    );
    let depths: Vec<usize> = func.points().map(|p| p.labels.len()).collect();
    assert_eq!(
        depths,
        vec![1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 2, 1]
    );
    // Querying out of order, and twice, gives the same answers.
    let last = func
        .at(func.points().last().map(|p| p.pc).expect("end"))
        .expect("end");
    assert_eq!(last.labels.len(), 1);
    assert_eq!(
        func.at(func.first_pc()).map(|p| p.operand_types.len()),
        Some(0)
    );
}
