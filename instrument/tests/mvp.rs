//! The MVP rewrite (`Options::mvp`): its output validates without reference types or bulk
//! memory, adds no table and no reference-typed import, and modules it cannot handle are
//! refused with `InstrumentError::Feature` naming the feature and where.

use baton_instrument::{
    instrument, instrument_with, InstrumentError, Options, SegmentOffset, TableSegment,
};
use wasmparser::{Payload, TypeRef, Validator, WasmFeatures};

const SAMPLE: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (type $u (func (param i32) (result i32)))
  (import "env" "g" (global $base i32))
  (table 4 funcref)
  (elem (i32.const 0) $fact $id)
  (elem (global.get $base) $other)
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (data (i32.const 8) "hi")
  (func $id (type $t) (local.get 0))
  (func $other (type $u) (i32.add (local.get 0) (i32.const 1)))
  (func $fact (export "fact") (type $t)
    (i32.const 100)
    (block (result i32)
      (loop (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 1))
          (else
            (i32.mul (local.get 0)
              (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0)))))))
    (i32.add))
  (func $multi (export "multi") (result i32 i64)
    (i32.const 1)
    (block (param i32) (result i32 i64) (call $id) (i64.const 2)))
)"#;

fn mvp() -> Options {
    Options {
        mvp: true,
        ..Options::default()
    }
}

/// What Wasm3 declares: WebAssembly 1.0 plus these.
fn wasm3_features() -> WasmFeatures {
    WasmFeatures::WASM1
        | WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
}

#[test]
fn the_mvp_rewrite_validates_without_reference_types_or_bulk_memory() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    let full = instrument(&wasm).expect("full rewrite");
    assert!(
        Validator::new_with_features(wasm3_features())
            .validate_all(&full.wasm)
            .is_err(),
        "the full rewrite needs reference types (the check below must be able to fail)"
    );
    let out = instrument_with(&wasm, &mvp()).expect("mvp rewrite");
    Validator::new_with_features(wasm3_features())
        .validate_all(&out.wasm)
        .unwrap_or_else(|e| panic!("{e}: {}", wasmprinter::print_bytes(&out.wasm).unwrap()));
    let mut tables = 0;
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&out.wasm) {
        match payload.expect("parses") {
            Payload::TableSection(r) => tables += r.count(),
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.expect("import");
                    if let TypeRef::Func(_) = import.ty {
                        imports.push(format!("{}.{}", import.module, import.name));
                    }
                }
            }
            Payload::ExportSection(r) => {
                for export in r {
                    let export = export.expect("export");
                    exports.push((export.name.to_string(), export.index));
                }
            }
            _ => {}
        }
    }
    assert_eq!(tables, 1, "only the module's own table");
    let expected: Vec<String> = baton_instrument::layout::MVP_IMPORT_NAMES
        .iter()
        .map(|n| format!("baton.{n}"))
        .collect();
    assert_eq!(imports, expected);
    assert!(
        !exports.iter().any(|(e, _)| e.contains("table")),
        "{exports:?}"
    );
    assert!(out.meta.mvp);
    assert_eq!(
        out.meta.table_segments,
        vec![
            TableSegment {
                table: 0,
                offset: SegmentOffset::Const(0),
                funcs: vec![2, 0],
            },
            TableSegment {
                table: 0,
                offset: SegmentOffset::Global(0),
                funcs: vec![1],
            },
        ]
    );
    // The direct dispatch of type $t calls every function of that type, $other included
    // (structurally equal type $u), $fact through its rewind copy (it has sites besides its
    // entry), and no call_indirect goes through an added table.
    let text = wasmprinter::print_bytes(&out.wasm).expect("prints");
    assert!(!text.contains("memory.fill"));
    // (Once in the function and once in its rewind copy.)
    assert_eq!(text.matches("call_indirect").count(), 2, "{text}");
    assert_eq!(out.meta.rewind_copies, vec![2, 3]);
    let fact_copy = exports
        .iter()
        .find(|(name, _)| *name == baton_instrument::names::rewind(2))
        .map(|(_, index)| *index)
        .expect("the rewind copy of $fact is exported");
    let dispatch = text
        .lines()
        .skip_while(|line| !line.contains("br_table"))
        .take_while(|line| !line.contains("unreachable"))
        .collect::<Vec<_>>()
        .join("\n");
    for callee in [
        baton_instrument::layout::MVP_IMPORTS,
        1 + baton_instrument::layout::MVP_IMPORTS,
        fact_copy,
    ] {
        let call = format!("call {callee}\n");
        assert!(
            format!("{dispatch}\n").contains(&call),
            "dispatch lacks `{call}`: {dispatch}"
        );
    }
}

fn refused(text: &str) -> (String, Option<u32>) {
    let wasm = wat::parse_str(text).expect("wat");
    instrument(&wasm).expect("the full rewrite handles it");
    match instrument_with(&wasm, &mvp()) {
        Err(InstrumentError::Feature { feature, func, .. }) => (feature, func),
        other => panic!("expected a Feature error, got {other:?}"),
    }
}

#[test]
fn modules_beyond_mvp_are_refused_naming_the_feature_and_place() {
    let (feature, func) = refused(
        r#"(module (table 1 funcref)
             (func (result i32) i32.const 0)
             (func (export "f") (result i32) i32.const 0 table.get 0 ref.is_null))"#,
    );
    assert!(feature.contains("table.get"), "{feature}");
    assert_eq!(func, Some(1));
    let (feature, func) = refused("(module (table 1 funcref) (table 1 funcref))");
    assert!(feature.contains("multiple tables"), "{feature}");
    assert_eq!(func, None);
    let (feature, _) = refused("(module (global externref (ref.null extern)))");
    assert!(feature.contains("reference types"), "{feature}");
    let (feature, _) = refused(r#"(module (import "m" "t" (table 1 funcref)))"#);
    assert!(feature.contains("imported table"), "{feature}");
    let (feature, _) = refused("(module (table 1 funcref) (func) (elem func 0))");
    assert!(feature.contains("passive element segment"), "{feature}");
    let (feature, func) = refused("(module (table 1 funcref) (func (result i32) table.size 0))");
    assert!(feature.contains("table.size"), "{feature}");
    assert_eq!(func, Some(0));
    let (feature, _) = refused("(module (func (local funcref)))");
    assert!(feature.contains("reference-typed local"), "{feature}");
    let message = InstrumentError::Feature {
        feature: "x".into(),
        func: Some(3),
        offset: 0x10,
    }
    .to_string();
    assert_eq!(
        message,
        "the MVP rewrite cannot handle x (function 3, offset 0x10)"
    );
}
