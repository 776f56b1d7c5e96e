//! The rewritten module of every sample validates, and its sites cover the events.

use baton_instrument::{instrument, SiteKind};

const SAMPLE: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $fact $id)
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (data "hi")
  (func $id (type $t) (local.get 0))
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

#[test]
fn sample_validates() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    let out = instrument(&wasm).expect("instrument");
    wasmparser::Validator::new()
        .validate_all(&out.wasm)
        .unwrap_or_else(|e| panic!("{e}: {}", wasmprinter::print_bytes(&out.wasm).unwrap()));
    let kinds: Vec<SiteKind> = out.meta.sites.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&SiteKind::Loop));
    assert_eq!(kinds.iter().filter(|k| **k == SiteKind::Entry).count(), 3);
}
