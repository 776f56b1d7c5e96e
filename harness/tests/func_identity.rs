//! Function identities through engines that cannot tell a function's index themselves
//! (`Engine::func_identity` from imports and exports, `baton_engine::Identities`): wasmi
//! in-process and V8 through its protocol adapter (revision 1.2, `funcref_ids_are_handles`).
//! With them, `instrumented:wasmi` images holding function references equal `stack`'s at every
//! sampled event and migrate both ways.

use std::path::Path;

use baton::adapters;
use baton::check::samples::Sampling;
use baton::check::target::{build_case, Entry};
use baton::check::{check, CheckOptions};
use baton_engine::{Engine, EngineConfig, FuncIdentity, InstanceId, RunOptions, RunOutcome, Value};

/// Every function exported; slot 0 holds `g_` (index 1), slot 1 and the global hold `f` (0).
const VISIBLE: &str = r#"
(module
  (table (export "tab") 2 funcref)
  (global $g (mut funcref) (ref.func $f))
  (elem (i32.const 0) $g_ $f)
  (func $f (export "f") (result i32) i32.const 1)
  (func $g_ (export "g_") (result i32) i32.const 2)
  (func (export "slot") (param i32) (result funcref) local.get 0 table.get 0)
  (func (export "glob") (result funcref) global.get $g))
"#;

/// Function 0 is not exported: a reference to it cannot be told from another instance's.
const HIDDEN: &str = r#"
(module
  (table 1 funcref)
  (elem (i32.const 0) $hidden)
  (func $hidden)
  (func (export "slot") (result funcref) i32.const 0 table.get 0))
"#;

fn funcref(engine: &mut dyn Engine, instance: InstanceId, export: &str, args: &[Value]) -> Value {
    let report = engine
        .invoke(instance, export, args, RunOptions::default())
        .expect("invoke");
    match report.outcome {
        RunOutcome::Returned(values) if values.len() == 1 => values[0],
        other => panic!("{export}: {other:?}"),
    }
}

fn identities_hold(name: &str) {
    let entry = adapters::find(name).expect("registered engine");
    let mut engine = (entry.create)(&EngineConfig::default());
    let engine = engine.as_mut();
    let module = engine
        .compile(&wat::parse_str(VISIBLE).expect("wat"))
        .expect("compile");
    let a = engine.instantiate(module, &[]).expect("instance a");
    let b = engine.instantiate(module, &[]).expect("instance b");
    let g_in_a = funcref(engine, a, "slot", &[Value::I32(0)]);
    let f_in_a = funcref(engine, a, "slot", &[Value::I32(1)]);
    let f_global = funcref(engine, a, "glob", &[]);
    assert_eq!(
        engine.func_identity(a, &g_in_a),
        Some(FuncIdentity::Index(1)),
        "{name}"
    );
    assert_eq!(
        engine.func_identity(a, &f_in_a),
        Some(FuncIdentity::Index(0)),
        "{name}"
    );
    assert_eq!(
        engine.func_identity(a, &f_global),
        Some(FuncIdentity::Index(0)),
        "{name}"
    );
    // Instance b's function is b's, and foreign to a (every function of a is exported).
    let g_in_b = funcref(engine, b, "slot", &[Value::I32(0)]);
    assert_eq!(
        engine.func_identity(b, &g_in_b),
        Some(FuncIdentity::Index(1)),
        "{name}"
    );
    assert_eq!(
        engine.func_identity(a, &g_in_b),
        Some(FuncIdentity::Foreign),
        "{name}"
    );
    assert_eq!(
        engine.func_identity(a, &Value::FuncRef(None)),
        None,
        "{name}"
    );
    let hidden = engine
        .compile(&wat::parse_str(HIDDEN).expect("wat"))
        .expect("compile");
    let c = engine.instantiate(hidden, &[]).expect("instance c");
    let unexported = funcref(engine, c, "slot", &[]);
    assert_eq!(engine.func_identity(c, &unexported), None, "{name}");
}

#[test]
fn wasmi_tells_the_identity_of_imported_and_exported_functions_only() {
    identities_hold("wasmi");
}

#[test]
fn the_v8_adapter_tells_identities_through_handle_ids() {
    let ready = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../adapters/v8/node_modules/protobufjs")
        .exists();
    if !ready {
        eprintln!("skipped: the V8 adapter is not set up (run scripts/setup.sh)");
        return;
    }
    identities_hold("proc:v8");
}

/// `run(n)`: each iteration copies a table slot (alternating two functions) into slot 2 and a
/// global, then calls through slot 2; every image holds non-null function references.
const SWAPPING: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 3 funcref)
  (global $cur (mut funcref) (ref.null func))
  (elem (i32.const 0) $inc $dbl)
  (func $inc (type $t) local.get 0 i32.const 1 i32.add)
  (func $dbl (type $t) local.get 0 i32.const 2 i32.mul)
  (func (export "run") (param $n i32) (result i32) (local $acc i32) (local $i i32)
    (loop $l
      (table.set (i32.const 2) (table.get (i32.rem_u (local.get $i) (i32.const 2))))
      (global.set $cur (table.get (i32.const 2)))
      (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    local.get $acc))
"#;

#[test]
fn instrumented_wasmi_images_with_function_references_equal_stacks_and_migrate() {
    let wasm = wat::parse_str(SWAPPING).expect("wat");
    let engines: Vec<String> = ["wasmi", "stack", "instrumented:wasmi"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let entry = Entry::Invoke {
        export: "run".into(),
        args: vec!["20".into()],
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("func-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let options = CheckOptions {
        case: build_case(Path::new("swapping.wat"), wasm, &entry, &engines, 1_000_000)
            .expect("case"),
        sampling: Sampling::Every { cap: 1000 },
        chains: false,
        route: None,
        seed: 0,
        out,
        progress: false,
    };
    let summary = check(&options).expect("check runs");
    assert!(summary.findings.is_empty(), "{:?}", summary.findings);
    assert!(summary.unsupported.is_empty(), "{:?}", summary.unsupported);
    assert!(summary.samples > 40, "{}", summary.line());
    // Both checkpointing engines imaged every sample (not-imageable states are no images).
    assert_eq!(summary.images, 2 * summary.samples, "{}", summary.line());
    assert!(
        summary.migrations >= 4 * summary.samples,
        "{}",
        summary.line()
    );
}
