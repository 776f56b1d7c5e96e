//! Rewind copies: a function with sites besides its entry gets a second body that a rewind
//! enters; its own body (the one everything else calls) has no rewind path at all, so it
//! never loads state from the host, while the copy does. A function whose one site is its
//! entry is its own rewind copy.

use baton_instrument::layout::{IMPORTS, IMPORT_NAMES};
use baton_instrument::{instrument, names};
use wasmparser::{Operator, Parser, Payload};

const SAMPLE: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $fact $id)
  (func $id (type $t) (local.get 0))
  (func $fact (export "fact") (type $t)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else
        (i32.mul (local.get 0)
          (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
  (func $loop (export "loop") (param i32) (result i32)
    (loop $again
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $again (local.get 0)))
    (call $id (local.get 0)))
)"#;

/// Per rewritten function index (defined functions only), the functions it calls (but the
/// `load_i64` of the counter the host queues with each answer of `event`, which follows it).
fn calls_per_function(wasm: &[u8]) -> Vec<Vec<u32>> {
    let import = |name: &str| IMPORT_NAMES.iter().position(|n| *n == name).unwrap() as u32;
    let (event, load_i64) = (import("event"), import("load_i64"));
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
            let mut calls: Vec<u32> = Vec::new();
            let mut reader = body.get_operators_reader().expect("operators");
            while !reader.eof() {
                if let Operator::Call { function_index } = reader.read().expect("operator") {
                    if !(function_index == load_i64 && calls.last() == Some(&event)) {
                        calls.push(function_index);
                    }
                }
            }
            out.push(calls);
        }
    }
    out
}

#[test]
fn a_function_with_sites_besides_its_entry_runs_without_a_rewind_path() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    let out = instrument(&wasm).expect("instrument");
    wasmparser::Validator::new()
        .validate_all(&out.wasm)
        .unwrap_or_else(|e| panic!("{e}: {}", wasmprinter::print_bytes(&out.wasm).unwrap()));
    // $fact (a call) and $loop (a loop and a call) have copies; $id (a leaf) has none.
    assert_eq!(out.meta.rewind_copies, vec![1, 2]);
    let mut copies = Vec::new();
    for payload in Parser::new(0).parse_all(&out.wasm) {
        if let Payload::ExportSection(reader) = payload.expect("parses") {
            for export in reader {
                let export = export.expect("export");
                for k in [0, 1, 2] {
                    if export.name == names::rewind(k) {
                        copies.push((k, export.index));
                    }
                }
            }
        }
    }
    assert_eq!(copies.len(), 2, "{copies:?}");
    let loads: Vec<u32> = IMPORT_NAMES
        .iter()
        .enumerate()
        .filter(|(_, name)| name.starts_with("load_"))
        .map(|(i, _)| i as u32)
        .collect();
    let calls = calls_per_function(&out.wasm);
    let body = |index: u32| &calls[(index - IMPORTS) as usize];
    let loads_state = |index: u32| body(index).iter().any(|f| loads.contains(f));
    for (k, copy) in copies {
        let own = k + IMPORTS;
        assert_ne!(own, copy);
        assert!(
            !loads_state(own),
            "function {k}'s own body has a rewind path"
        );
        assert!(
            loads_state(copy),
            "function {k}'s rewind copy cannot rewind"
        );
    }
    // The leaf rewinds in its own body.
    assert!(loads_state(IMPORTS));
}
