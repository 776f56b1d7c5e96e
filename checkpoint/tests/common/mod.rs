//! Shared fixtures for the integration tests: a small module with hand-computed pcs, images of it
//! suspended at known points, and proptest strategies for arbitrary (structurally valid) images.
#![allow(dead_code)]

use std::collections::BTreeMap;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::{
    Chunk, Entry, Execution, Frame, HostSection, Image, Label, LabelKind, Memory, SafePoint,
    SafePointKind, Table, Value, CHUNK_SIZE,
};
use proptest::prelude::*;

/// The sample module. Function indices: 0 = import `host`, 1 = `double`, 2 = `main`, 3 = `dead`.
/// The pcs below were computed by hand from the encoding (see the comments in `MAIN_PCS`).
pub const SAMPLE_WAT: &str = r#"
(module
  (type $unary (func (param i32) (result i32)))
  (import "env" "host" (func $host (type $unary)))
  (table $t 2 4 funcref)
  (memory 1 2)
  (global $counter (mut i64) (i64.const 7))
  (global $handle (mut externref) (ref.null extern))
  (global $ratio (mut f32) (f32.const 1.5))
  (global $nan f64 (f64.const nan:0x4000000000001))
  (elem (i32.const 0) func $double $main)
  (elem declare func $host)
  (data (i32.const 16) "baton")
  (data "passive")
  (func $double (type $unary)
    local.get 0
    i32.const 2
    i32.mul)
  (func $main (export "main") (type $unary) (local $acc i64)
    i64.const 100
    block (result i32)
      loop
        local.get 0
        call $double
        local.set 0
        local.get 0
        i32.const 1000
        i32.lt_u
        br_if 0
      end
      local.get 0
      i32.const 0
      call_indirect (type $unary)
    end
    i64.extend_i32_u
    i64.add
    i32.wrap_i64)
  (func $dead (result i32)
    i32.const 1
    return
    i32.const 2)
)
"#;

pub const HOST: u32 = 0;
pub const DOUBLE: u32 = 1;
pub const MAIN: u32 = 2;
pub const DEAD: u32 = 3;

/// pcs in `main` (body: `01 01 7e` local declarations, then the code).
pub mod main_pc {
    /// `i64.const 100` (`42 e4 00`).
    pub const I64_CONST: u32 = 3;
    /// `block (result i32)` (`02 7f`).
    pub const BLOCK: u32 = 6;
    /// `loop` (`03 40`).
    pub const LOOP: u32 = 8;
    /// `local.get 0`, the loop body's first instruction.
    pub const LOOP_BODY: u32 = 10;
    /// `call $double` (`10 01`).
    pub const CALL: u32 = 12;
    /// `local.set 0`, right after the call.
    pub const AFTER_CALL: u32 = 14;
    /// `i32.const 1000` (`41 e8 07`).
    pub const I32_CONST_1000: u32 = 18;
    /// `end` of the loop.
    pub const LOOP_END: u32 = 24;
    /// `call_indirect (type 0) 0` (`11 00 00`).
    pub const CALL_INDIRECT: u32 = 29;
    /// The final `end`.
    pub const END: u32 = 36;
}

/// pcs in `double` (body: `00` local declarations).
pub mod double_pc {
    /// `local.get 0`.
    pub const FIRST: u32 = 1;
    /// `i32.mul`.
    pub const MUL: u32 = 5;
}

/// pc of `i32.const 2` in `dead`, after `return` (body: `00 41 01 0f 41 02 0b`).
pub const DEAD_UNREACHABLE_PC: u32 = 4;

pub fn sample_wasm() -> Vec<u8> {
    wat::parse_str(SAMPLE_WAT).expect("sample module parses")
}

pub fn sample_analysis() -> ModuleAnalysis {
    ModuleAnalysis::new(&sample_wasm()).expect("sample module is valid")
}

pub fn label(kind: LabelKind, start: u32, height: u32, arity: u32) -> Label {
    Label {
        kind: kind as i32,
        start,
        height,
        arity,
    }
}

/// `main`'s labels inside its loop: body, block, loop.
pub fn main_loop_labels() -> Vec<Label> {
    vec![
        label(LabelKind::Block, 0, 0, 1),
        label(LabelKind::Block, main_pc::BLOCK, 1, 1),
        label(LabelKind::Loop, main_pc::LOOP, 1, 0),
    ]
}

/// The idle state of a fresh sample instance, with 'baton' at address 16.
pub fn idle_image(analysis: &ModuleAnalysis) -> Image {
    let mut memory = vec![0u8; 65536];
    memory[16..21].copy_from_slice(b"baton");
    Image {
        module_sha256: analysis.module_sha256().to_vec(),
        memories: vec![Memory::from_bytes(&memory, Some(2))],
        globals: vec![
            Value::i64(7),
            Value::externref(None),
            Value::f32(1.5),
            Value::f64_bits(0x7ff4_0000_0000_0001),
        ],
        tables: vec![Table {
            elements: vec![Value::funcref(Some(DOUBLE)), Value::funcref(Some(MAIN))],
            max: Some(4),
        }],
        dropped_data: vec![true, false],
        dropped_elements: vec![true, true],
        host_sections: vec![],
        execution: None,
    }
}

/// `main(5)` stopped at event 2, the call event of `call $double` (events: entry 0, loop 1).
pub fn call_image(analysis: &ModuleAnalysis) -> Image {
    let mut image = idle_image(analysis);
    image.execution = Some(Execution {
        entry: Some(Entry {
            func: MAIN,
            args: vec![Value::i32(5)],
        }),
        safe_point: Some(SafePoint {
            kind: SafePointKind::Call as i32,
            event: 2,
        }),
        frames: vec![Frame {
            func: MAIN,
            pc: main_pc::CALL,
            locals: vec![Value::i32(5), Value::i64(0)],
            operands: vec![Value::i64(100), Value::i32(5)],
            labels: main_loop_labels(),
        }],
    });
    image
}

/// `main(5)` one step later: `double(5)` entered (event 3), `main` waiting on the call.
pub fn nested_image(analysis: &ModuleAnalysis) -> Image {
    let mut image = call_image(analysis);
    let execution = image
        .execution
        .as_mut()
        .expect("call image has an execution");
    execution.safe_point = Some(SafePoint {
        kind: SafePointKind::Entry as i32,
        event: 3,
    });
    execution.frames[0].operands = vec![Value::i64(100)];
    execution.frames.push(Frame {
        func: DOUBLE,
        pc: double_pc::FIRST,
        locals: vec![Value::i32(5)],
        operands: vec![],
        labels: vec![label(LabelKind::Block, 0, 0, 1)],
    });
    image
}

/// The image pinned by `tests/golden/v1.img`: the nested image with a host handle in the
/// externref global, a changed f32 global and a host section.
pub fn golden_image(analysis: &ModuleAnalysis) -> Image {
    let mut image = nested_image(analysis);
    image.globals[1] = Value::externref(Some(3));
    image.globals[2] = Value::f32_bits(0xffc0_0001);
    image.host_sections.push(HostSection {
        name: "harness.trace".into(),
        data: b"call 0".to_vec(),
    });
    image
}

// ---------------------------------------------------------------------------------------------
// proptest strategies: arbitrary images that satisfy the structural rules (not a module's types).

pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u32>().prop_map(Value::i32),
        any::<u64>().prop_map(Value::i64),
        any::<u32>().prop_map(Value::f32_bits),
        any::<u64>().prop_map(Value::f64_bits),
        proptest::option::of(any::<u32>()).prop_map(Value::funcref),
        proptest::option::of(any::<u64>()).prop_map(Value::externref),
        any::<[u8; 16]>().prop_map(Value::v128),
    ]
}

pub fn reference() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::option::of(any::<u32>()).prop_map(Value::funcref),
        proptest::option::of(any::<u64>()).prop_map(Value::externref),
    ]
}

/// A non-zero chunk: a sparse pattern of (offset, byte) writes with at least one non-zero byte.
fn chunk_data() -> impl Strategy<Value = Vec<u8>> {
    (
        0..CHUNK_SIZE,
        1u8..=255,
        proptest::collection::vec((0..CHUNK_SIZE, any::<u8>()), 0..16),
    )
        .prop_map(|(offset, byte, writes)| {
            let mut data = vec![0u8; CHUNK_SIZE];
            for (at, value) in writes {
                data[at] = value;
            }
            data[offset] = byte;
            data
        })
}

pub fn memory() -> impl Strategy<Value = Memory> {
    (0u64..4, proptest::option::of(0u64..=65_536)).prop_flat_map(|(pages, max_pages)| {
        let indices = proptest::collection::btree_set(0..pages.max(1) * 16, 0..4);
        (indices, proptest::collection::vec(chunk_data(), 4)).prop_map(move |(indices, data)| {
            let chunks = if pages == 0 {
                vec![]
            } else {
                indices
                    .into_iter()
                    .zip(data)
                    .map(|(index, data)| Chunk { index, data })
                    .collect()
            };
            Memory {
                pages,
                max_pages,
                chunks,
            }
        })
    })
}

pub fn table() -> impl Strategy<Value = Table> {
    (
        proptest::collection::vec(reference(), 0..6),
        proptest::option::of(0u64..=10_000_000),
    )
        .prop_map(|(elements, max)| Table { elements, max })
}

pub fn arbitrary_label() -> impl Strategy<Value = Label> {
    (1i32..=4, any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(kind, start, height, arity)| {
        Label {
            kind,
            start,
            height,
            arity,
        }
    })
}

pub fn frame() -> impl Strategy<Value = Frame> {
    (
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(value(), 0..5),
        proptest::collection::vec(value(), 0..5),
        proptest::collection::vec(arbitrary_label(), 0..4),
    )
        .prop_map(|(func, pc, locals, operands, labels)| Frame {
            func,
            pc,
            locals,
            operands,
            labels,
        })
}

pub fn execution() -> impl Strategy<Value = Execution> {
    (
        any::<u32>(),
        proptest::collection::vec(value(), 0..4),
        1i32..=5,
        any::<u64>(),
        proptest::collection::vec(frame(), 1..4),
    )
        .prop_map(|(func, args, kind, event, frames)| Execution {
            entry: Some(Entry { func, args }),
            safe_point: Some(SafePoint { kind, event }),
            frames,
        })
}

pub fn image() -> impl Strategy<Value = Image> {
    (
        any::<[u8; 32]>(),
        proptest::collection::vec(memory(), 0..3),
        proptest::collection::vec(value(), 0..5),
        proptest::collection::vec(table(), 0..3),
        proptest::collection::vec(any::<bool>(), 0..10),
        proptest::collection::vec(any::<bool>(), 0..10),
        proptest::collection::btree_map(
            "[a-z./]{0,12}",
            proptest::collection::vec(any::<u8>(), 0..40),
            0..3,
        ),
        proptest::option::of(execution()),
    )
        .prop_map(
            |(hash, memories, globals, tables, dropped_data, dropped_elements, host, execution)| {
                Image {
                    module_sha256: hash.to_vec(),
                    memories,
                    globals,
                    tables,
                    dropped_data,
                    dropped_elements,
                    host_sections: host_sections(host),
                    execution,
                }
            },
        )
}

fn host_sections(sections: BTreeMap<String, Vec<u8>>) -> Vec<HostSection> {
    sections
        .into_iter()
        .map(|(name, data)| HostSection { name, data })
        .collect()
}
