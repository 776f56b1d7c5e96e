//! The independent-oracle adapters (`adapters/wasm3`, `adapters/v8`) driven through the adapter
//! protocol by the Rust client, on a few modules; and each adapter's own trap-mapping tests
//! (Python unittest, node:test). An adapter whose tool is missing is skipped with one line.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use baton_engine::{
    Engine, EngineConfig, EngineError, ExternKind, FuncType, RunOptions, RunOutcome, Trap, ValType,
    Value,
};
use baton_protocol::client::{AdapterCommand, ProcessEngine};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The adapter's start command, or `None` (after one line on stderr) when its tool is missing.
fn adapter(name: &str) -> Option<AdapterCommand> {
    let dir = root().join("adapters").join(name);
    let ready = match name {
        "wasm3" => dir.join(".venv/bin/python").exists() && dir.join("gen/adapter_pb2.py").exists(),
        _ => {
            dir.join("node_modules/protobufjs").exists()
                && Command::new("node").arg("--version").output().is_ok()
        }
    };
    if !ready {
        eprintln!("skipped: the {name} adapter is not set up (run scripts/setup.sh)");
        return None;
    }
    AdapterCommand::from_words(vec![dir.join("run").to_string_lossy().into_owned()])
}

fn session(name: &str) -> Option<ProcessEngine> {
    let command = adapter(name)?;
    Some(ProcessEngine::new(name, &command, &EngineConfig::default()))
}

fn run(engine: &mut ProcessEngine, wat: &str, export: &str, args: &[Value]) -> RunOutcome {
    let wasm = wat::parse_str(wat).expect("test module");
    let module = engine.compile(&wasm).expect("compile");
    let instance = engine.instantiate(module, &[]).expect("instantiate");
    engine
        .invoke(instance, export, args, RunOptions::default())
        .expect("invoke")
        .outcome
}

const NUMBERS: &str = r#"(module
  (func (export "add32") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "neg64") (param i64) (result i64) i64.const 0 local.get 0 i64.sub)
  (func (export "half32") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
  (func (export "sqrt64") (param f64) (result f64) local.get 0 f64.sqrt)
  (func (export "pair") (param i32) (result i32 i64) local.get 0 i64.const -1))"#;

fn numbers(name: &str) {
    let Some(mut engine) = session(name) else {
        return;
    };
    let info = engine.info().expect("handshake");
    assert_eq!(info.engine_name, name);
    assert!(
        !info.checkpoints(),
        "{name} must declare no checkpoint capability"
    );
    let cases: [(&str, Vec<Value>, Vec<Value>); 5] = [
        (
            "add32",
            vec![Value::I32(-7), Value::I32(3)],
            vec![Value::I32(-4)],
        ),
        (
            "neg64",
            vec![Value::I64(i64::MIN + 1)],
            vec![Value::I64(i64::MAX)],
        ),
        (
            "half32",
            vec![Value::F32(3.0f32.to_bits())],
            vec![Value::F32(1.5f32.to_bits())],
        ),
        (
            "sqrt64",
            vec![Value::F64(2.25f64.to_bits())],
            vec![Value::F64(1.5f64.to_bits())],
        ),
        (
            "pair",
            vec![Value::I32(u32::MAX as i32)],
            vec![Value::I32(-1), Value::I64(-1)],
        ),
    ];
    for (export, args, expected) in cases {
        let outcome = run(&mut engine, NUMBERS, export, &args);
        assert_eq!(outcome, RunOutcome::Returned(expected), "{name} {export}");
    }
}

const TRAPS: &str = r#"(module
  (memory 1)
  (func (export "unreachable") unreachable)
  (func (export "div") (result i32) i32.const 1 i32.const 0 i32.div_u)
  (func (export "overflow") (result i32) i32.const 0x80000000 i32.const -1 i32.div_s)
  (func (export "convert") (result i32) f64.const nan i32.trunc_f64_u)
  (func (export "load") (result i32) i32.const 65535 i32.load)
  (func $f (export "deep") (result i32) call $f))"#;

fn traps(name: &str) {
    let Some(mut engine) = session(name) else {
        return;
    };
    let expected = [
        ("unreachable", Trap::Unreachable),
        ("div", Trap::IntegerDivideByZero),
        ("overflow", Trap::IntegerOverflow),
        ("convert", Trap::InvalidConversionToInteger),
        ("load", Trap::MemoryOutOfBounds),
        ("deep", Trap::CallStackExhausted),
    ];
    for (export, trap) in expected {
        let outcome = run(&mut engine, TRAPS, export, &[]);
        assert_eq!(outcome, RunOutcome::Trapped(trap), "{name} {export}");
    }
}

const HOST: &str = r#"(module
  (import "env" "twice" (func $twice (param i64 f64) (result i64)))
  (memory (export "mem") 1)
  (global $g (export "count") (mut i32) (i32.const 0))
  (func (export "go") (param i64) (result i64)
    global.get $g i32.const 1 i32.add global.set $g
    i32.const 8 i32.const 0x2a i32.store8
    local.get 0 f64.const 0.25 call $twice))"#;

fn host_calls_and_exports(name: &str) {
    let Some(mut engine) = session(name) else {
        return;
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let ty = FuncType {
        params: vec![ValType::I64, ValType::F64],
        results: vec![ValType::I64],
    };
    let twice = engine
        .host_func(
            &ty,
            Arc::new(move |args: &[Value]| {
                log.lock().unwrap().push(args.to_vec());
                match args[0] {
                    Value::I64(13) => Err("thirteen is unlucky".to_string()),
                    Value::I64(x) => Ok(vec![Value::I64(x.wrapping_mul(2))]),
                    _ => Err("bad argument".to_string()),
                }
            }),
        )
        .expect("host_func");
    let module = engine
        .compile(&wat::parse_str(HOST).unwrap())
        .expect("compile");
    let instance = engine.instantiate(module, &[twice]).expect("instantiate");
    let go = |engine: &mut ProcessEngine, x: i64| {
        engine
            .invoke(instance, "go", &[Value::I64(x)], RunOptions::default())
            .expect("invoke")
            .outcome
    };
    assert_eq!(
        go(&mut engine, 1 << 40),
        RunOutcome::Returned(vec![Value::I64(1 << 41)])
    );
    assert_eq!(
        go(&mut engine, 13),
        RunOutcome::Trapped(Trap::Host("thirteen is unlucky".into()))
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            vec![Value::I64(1 << 40), Value::F64(0.25f64.to_bits())],
            vec![Value::I64(13), Value::F64(0.25f64.to_bits())]
        ]
    );
    let exports = engine.exports(instance).expect("exports");
    let handle = |kind: ExternKind, export: &str| {
        exports
            .iter()
            .find(|(n, h)| n == export && h.kind == kind)
            .map(|(_, h)| *h)
            .unwrap_or_else(|| panic!("{name}: no export {export}"))
    };
    let memory = engine
        .memory_data(handle(ExternKind::Memory, "mem"))
        .expect("memory");
    assert_eq!((memory.len(), memory[8]), (65536, 0x2a));
    let count = engine
        .global_value(handle(ExternKind::Global, "count"))
        .expect("global");
    assert_eq!(count, Value::I32(2));
    assert!(matches!(
        engine.take_image(instance),
        Err(EngineError::Unsupported { .. })
    ));
    assert!(matches!(
        engine.compile(b"\0asm\x01\0\0\0\x01"),
        Err(EngineError::Rejected(_))
    ));
}

/// Runs the adapter's own tests in its language; `false` when the tool is missing.
fn own_tests(name: &str) {
    if adapter(name).is_none() {
        return;
    }
    let dir = root().join("adapters").join(name);
    let output = match name {
        "wasm3" => Command::new(dir.join(".venv/bin/python"))
            .args(["-m", "unittest", "discover", "-s", "tests"])
            .current_dir(&dir)
            .output(),
        _ => Command::new("node")
            .args(["--test", "test/"])
            .current_dir(&dir)
            .output(),
    }
    .expect("start the adapter's tests");
    assert!(
        output.status.success(),
        "{name} adapter tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| !line.contains("!run"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn wasm3_numbers_round_trip_through_the_protocol() {
    numbers("wasm3");
}

#[test]
fn v8_numbers_round_trip_through_the_protocol() {
    numbers("v8");
}

#[test]
fn wasm3_traps_map_to_the_closed_set() {
    traps("wasm3");
}

#[test]
fn v8_traps_map_to_the_closed_set() {
    traps("v8");
}

#[test]
fn wasm3_host_calls_exports_and_refusals() {
    host_calls_and_exports("wasm3");
}

#[test]
fn v8_host_calls_exports_and_refusals() {
    host_calls_and_exports("v8");
}

#[test]
fn wasm3_adapter_unittests_pass() {
    own_tests("wasm3");
}

#[test]
fn v8_adapter_node_tests_pass() {
    own_tests("v8");
}
