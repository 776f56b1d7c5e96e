//! The rewritten module of every sample validates, and its sites cover the events.

use baton_instrument::{instrument, instrument_with, Options, SiteKind};

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

/// With a frame limit the counter carries the frame depth in its low bits
/// (`layout::DEPTH_BITS`): no global is added, the entry checks' cold paths compare the depth
/// bits with the compiled-in limit, and a limit that does not fit those bits is refused.
#[test]
fn the_frame_limit_lives_in_the_counter_and_still_validates() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    let plain = instrument(&wasm).expect("instrument");
    let limited = instrument_with(
        &wasm,
        &Options {
            max_frames: Some(64),
            ..Options::default()
        },
    )
    .expect("instrument");
    wasmparser::Validator::new()
        .validate_all(&limited.wasm)
        .unwrap_or_else(|e| panic!("{e}"));
    let globals = |bytes: &[u8]| {
        wasmparser::Parser::new(0)
            .parse_all(bytes)
            .find_map(|p| match p {
                Ok(wasmparser::Payload::GlobalSection(r)) => Some(r.count()),
                _ => None,
            })
            .unwrap_or(0)
    };
    assert_eq!(globals(&limited.wasm), globals(&plain.wasm));
    let text = wasmprinter::print_bytes(&limited.wasm).expect("prints");
    let mask = (1i64 << baton_instrument::layout::DEPTH_BITS) - 1;
    assert!(
        text.contains(&format!("i64.const {mask}")),
        "the depth bits are masked"
    );
    assert!(text.contains("i64.const 64"), "the limit is compiled in");
    assert!(text.contains(r#"(import "baton" "stack_exhausted""#));
    let too_deep = instrument_with(
        &wasm,
        &Options {
            max_frames: Some(1 << baton_instrument::layout::DEPTH_BITS),
            ..Options::default()
        },
    );
    assert!(
        matches!(&too_deep, Err(e) if e.to_string().contains("max_frames")),
        "{too_deep:?}"
    );
}

/// A function without locals of its own whose one event is its entry (a leaf) gets no added
/// locals: its check works on the events-left global directly (engines such as wasmi set up
/// a frame without locals faster). A function with calls still gets its local copy.
#[test]
fn a_leaf_without_locals_gets_no_added_locals() {
    let wasm = wat::parse_str(
        r#"(module
          (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "run") (param i32) (result i32) (call $leaf (local.get 0))))"#,
    )
    .expect("wat");
    for options in [
        Options::default(),
        Options {
            max_frames: Some(8),
            mvp: true,
        },
    ] {
        let out = instrument_with(&wasm, &options).expect("instrument");
        wasmparser::Validator::new()
            .validate_all(&out.wasm)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut declared = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&out.wasm) {
            if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                let mut count = 0;
                for local in body.get_locals_reader().expect("locals") {
                    count += local.expect("local").0;
                }
                declared.push(count);
            }
        }
        // The rewrite's own helpers follow the two original functions.
        assert_eq!(declared[0], 0, "the leaf, {options:?}");
        assert!(declared[1] > 0, "the caller, {options:?}");
    }
}

/// Every event check, frame-limit test and level-start dispatch test is hinted "not taken"
/// (the `metadata.code.branch_hint` section): each hint's offset must land on an `if` of its
/// function, and every site with a check of its own (entry, loop, return, and calls whose
/// callee does not check them) must have one.
#[test]
fn rarely_taken_checks_carry_branch_hints_on_their_ifs() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    for options in [
        Options::default(),
        Options {
            max_frames: Some(8),
            mvp: false,
        },
    ] {
        let out = instrument_with(&wasm, &options).expect("instrument");
        let mut bodies = Vec::new();
        let mut imported = 0;
        let mut hints = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&out.wasm) {
            match payload.expect("parses") {
                wasmparser::Payload::ImportSection(reader) => imported = reader.count(),
                wasmparser::Payload::CodeSectionEntry(body) => bodies.push(body.range()),
                wasmparser::Payload::CustomSection(reader) => {
                    if let wasmparser::KnownCustom::BranchHints(reader) = reader.as_known() {
                        for function in reader {
                            let function = function.expect("hinted function");
                            for hint in function.hints {
                                hints.push((function.func, hint.expect("hint")));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for (func, hint) in &hints {
            let range = &bodies[(*func - imported) as usize];
            let at = range.start as usize + hint.func_offset as usize;
            assert_eq!(
                out.wasm[at], 0x04,
                "hint in function {func} is not on an `if`"
            );
            assert!(!hint.taken);
        }
        let checked = out
            .meta
            .sites
            .iter()
            .filter(|site| match site.kind {
                SiteKind::Entry | SiteKind::Loop | SiteKind::Return => true,
                SiteKind::Call => !site.merged,
                SiteKind::Block => false,
            })
            .count();
        assert!(
            hints.len() >= checked,
            "{} hints for {checked} checks, {options:?}",
            hints.len()
        );
    }
}
