//! The spec runner itself: it must fail wrong assertions (with their location), pass right ones,
//! and run the whole wasm-v2 suite on the engines that pass it.

use baton::adapters;
use baton::spec::declared::{Declared, LimitationKind};
use baton::spec::{run_suite, run_wast, CheckpointSettings, SpecEngine, SpecOptions};
use baton_engine::EngineConfig;
use baton_engine::KindSet;

fn options(engine: &str) -> SpecOptions {
    SpecOptions {
        engine: adapters::find(engine).expect("engine registered").into(),
        config: EngineConfig::default(),
        checkpoint: None,
        declared: Declared::everything(engine),
    }
}

const WRONG: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "loop") (loop (br 0))))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "unreachable")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
(assert_unlinkable (module (func (export "f"))) "unknown import")
(assert_return (invoke "missing"))
"#;

const RIGHT: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.const nan:0x600000)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module binary "\00asm\01\00\00") "unexpected end")
(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
"#;

#[test]
fn wrong_assertions_fail_with_their_location() {
    let report = run_wast("wrong.wast", WRONG, &options("wasmi"));
    let failed_lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    // Every assertion is wrong; only the module passes.
    assert_eq!(report.passed, 1, "failures: {:#?}", report.failures);
    assert_eq!(failed_lines, vec![7, 8, 9, 10, 11, 12, 13, 14]);
    assert!(report.failures[0].message.contains("i32:4"));
    assert!(report.failures[0].message.contains("i32:3"));
    assert!(report.failures[2]
        .message
        .contains("integer divide by zero"));
}

#[test]
fn right_assertions_pass() {
    let report = run_wast("right.wast", RIGHT, &options("wasmi"));
    assert_eq!(report.failed, 0, "failures: {:#?}", report.failures);
    assert_eq!(report.passed, 8);
}

#[test]
fn wasmi_passes_the_whole_wasm_v2_suite() {
    let report = run_suite(None, &options("wasmi"));
    let failures: Vec<String> = report
        .files
        .iter()
        .flat_map(|file| {
            file.failures
                .iter()
                .map(move |f| format!("{}:{f}", file.name))
        })
        .take(20)
        .collect();
    assert_eq!(report.failed(), 0, "first failures: {failures:#?}");
    assert_eq!(report.skipped(), 0);
    assert!(
        report.files.len() >= 90,
        "only {} files",
        report.files.len()
    );
    assert!(report.passed() > 25_000, "only {} passed", report.passed());
}

#[test]
fn stack_passes_the_whole_wasm_v2_suite() {
    let report = run_suite(None, &options("stack"));
    assert_eq!(report.failed(), 0, "{}", first_failures(&report));
    assert!(report.passed() > 25_000, "only {} passed", report.passed());
}

#[test]
fn register_passes_the_whole_wasm_v2_suite() {
    let report = run_suite(None, &options("register"));
    assert_eq!(report.failed(), 0, "{}", first_failures(&report));
    assert!(report.passed() > 25_000, "only {} passed", report.passed());
}

/// Checkpoint-everywhere on files chosen for call depth, loops, traps and memory, with a small
/// cap (the full-suite run is `baton spec --checkpoint-everywhere`).
#[test]
fn checkpoint_everywhere_same_and_cross_engine() {
    for (source, target) in [
        ("stack", "stack"),
        ("register", "register"),
        ("stack", "register"),
        ("register", "stack"),
    ] {
        let options = SpecOptions {
            checkpoint: Some(CheckpointSettings {
                target: adapters::find(target).expect("registered").into(),
                cap: 40,
                kinds: KindSet::MAIN,
            }),
            ..options(source)
        };
        for file in ["fac.wast", "loop.wast", "memory_fill.wast", "traps.wast"] {
            let report = run_suite(Some(file), &options);
            assert_eq!(
                report.failed(),
                0,
                "{source}->{target}: {}",
                first_failures(&report)
            );
            let stats = report.checkpoint();
            assert!(
                stats.images_taken > 0,
                "{source}->{target} {file}: no images"
            );
            assert_eq!(stats.images_taken, stats.restored);
            assert_eq!(stats.failed, 0);
        }
    }
}

fn first_failures(report: &baton::spec::SuiteReport) -> String {
    report
        .files
        .iter()
        .flat_map(|file| {
            file.failures
                .iter()
                .map(move |f| format!("{}:{f}", file.name))
        })
        .take(20)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wraps `stack` and corrupts every running image (the innermost frame's first i32 local is
/// incremented): checkpoint-everywhere must catch it.
mod corrupting {
    use baton_checkpoint::image::{value::Kind, Image};
    use baton_engine::Wrapper;
    use baton_engine::{Engine, EngineConfig, InstanceId};

    pub struct Corrupting(pub Box<dyn Engine>);

    pub fn create(config: &EngineConfig) -> Box<dyn Engine> {
        Box::new(Corrupting((baton::adapters::stack::create)(config)))
    }

    impl Wrapper for Corrupting {
        fn inner(&self) -> &dyn Engine {
            self.0.as_ref()
        }
        fn inner_mut(&mut self) -> &mut dyn Engine {
            self.0.as_mut()
        }
        fn wrapper_name(&self) -> &'static str {
            "corrupting"
        }
        fn after_take_image(&mut self, _instance: InstanceId, image: &mut Image) {
            let local = image
                .execution
                .as_mut()
                .and_then(|execution| execution.frames.last_mut())
                .and_then(|frame| frame.locals.first_mut())
                .and_then(|local| local.kind.as_mut());
            if let Some(Kind::I32(value)) = local {
                *value = value.wrapping_add(1);
            }
        }
    }
}

static CORRUPTING: adapters::EngineEntry = adapters::EngineEntry {
    name: "corrupting",
    checkpoints: true,
    default: false,
    create: &corrupting::create,
};

#[test]
fn checkpoint_everywhere_catches_a_corrupted_image() {
    let wast = r#"
(module
  (func $sum (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
(assert_return (invoke "sum" (i32.const 10)) (i32.const 55))
"#;
    let honest = SpecOptions {
        checkpoint: Some(CheckpointSettings {
            target: adapters::find("stack").expect("registered").into(),
            cap: 200,
            kinds: KindSet::MAIN,
        }),
        ..options("stack")
    };
    let report = run_wast("sum.wast", wast, &honest);
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert!(report.checkpoint.images_taken >= 10);

    let corrupt = SpecOptions {
        engine: (&CORRUPTING).into(),
        checkpoint: Some(CheckpointSettings {
            target: adapters::find("stack").expect("registered").into(),
            cap: 200,
            kinds: KindSet::MAIN,
        }),
        ..options("stack")
    };
    let report = run_wast("sum.wast", wast, &corrupt);
    assert_eq!(
        report.failed, 1,
        "the assertion must fail: {:#?}",
        report.failures
    );
    assert!(report.checkpoint.failed > 0);
    assert!(report.failures[0].message.contains("checkpoint at stop"));
}

/// Directives an engine's declarations excuse, and ones they must not.
const DECLARED: &str = r#"
(module $tables (table 1 funcref) (func (export "size") (result i32) table.size 0))
(assert_return (invoke "size") (i32.const 1))
(register "tables" $tables)
(module (import "tables" "size" (func (result i32))))
(module (import "spectest" "memory" (memory 1)))
(assert_return (invoke "anything"))
(module
  (func (export "quiet") (result f32) (f32.const nan:0x600000))
  (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "quiet") (f32.const nan:0x200000))
(assert_return (invoke "one") (i32.const 2))
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(module $owner (table (export "t") 2 funcref) (func (export "one") (result i32) (i32.const 1)))
(register "owner" $owner)
(assert_return (invoke $owner "one") (i32.const 1))
(module (import "owner" "t" (table 2 funcref)))
(assert_return (invoke $owner "one") (i32.const 1))
"#;

#[test]
fn declared_limitations_skip_exactly_what_they_excuse_with_reasons() {
    let mut wasm3_like = options("stack");
    wasm3_like.declared = Declared {
        engine: "stack".into(),
        missing_features: vec!["bulk-memory", "reference-types"],
        limitations: vec![
            (LimitationKind::FunctionImportsOnly, "functions only".into()),
            (LimitationKind::QuietsSignallingNans, "JS numbers".into()),
            (LimitationKind::NoValidation, "lazy".into()),
        ],
    };
    let report = run_wast("declared.wast", DECLARED, &wasm3_like);
    // Skipped: the table module, the assertion and the register on it, the module importing
    // from it, the memory-importing module and the invoke on it, the signalling-NaN result, the
    // module importing $owner's table and the invocation on $owner after it (that module would
    // have changed $owner's state). The same invocation before it runs.
    assert_eq!(report.skipped, 9, "{:#?}", report.skips);
    assert!(report.skips[8]
        .message
        .contains("a skipped module imported state"));
    assert!(report.skips.iter().all(|s| !s.message.is_empty()));
    assert!(
        report.skips[0].message.contains("does not declare"),
        "{:?}",
        report.skips[0]
    );
    assert!(report.skips[1].message.contains("its module was skipped"));
    assert!(report.skips[6]
        .message
        .contains("quiets-signalling-nans: JS numbers"));
    // Not excused: a wrong i32 result. The engine rejects the invalid module: a pass.
    assert_eq!(report.failed, 1, "{:#?}", report.failures);
    assert!(report.failures[0].message.contains("expected i32:2"));
    // Without declarations the same file only fails (nothing is skipped silently).
    let plain = run_wast("declared.wast", DECLARED, &options("stack"));
    assert_eq!(plain.skipped, 0);
    assert!(plain.failed >= 3, "{:#?}", plain.failures);
}

/// `instrumented:wasmi` with the rewrite's frame limit at `rewrite_limit` frames while wasmi
/// itself allows `wasmi_limit`: when wasmi's limit is the lower one, its own exhaustion plays
/// the part of a native stack running out before the frame limit (V8's, on large frames).
fn limited_instrumented(name: &'static str, rewrite_limit: u32, wasmi_limit: u32) -> SpecEngine {
    SpecEngine {
        name: name.into(),
        create: std::sync::Arc::new(move |_: &EngineConfig| {
            let wasmi = adapters::find("wasmi").expect("wasmi");
            let inner = (wasmi.create)(&EngineConfig {
                max_frames: wasmi_limit,
            });
            Box::new(baton::instrument::Session::with_rewrite(
                name,
                inner,
                baton_instrument::Options {
                    max_frames: Some(rewrite_limit),
                    ..baton_instrument::Options::default()
                },
            )) as Box<dyn baton_engine::Engine>
        }),
    }
}

/// Checkpoint-everywhere from `source` to `target` (40 frames, cap 10) with `limitations`.
fn checkpointed(
    source: SpecEngine,
    target: SpecEngine,
    limitations: Vec<(LimitationKind, String)>,
) -> SpecOptions {
    SpecOptions {
        engine: source.clone(),
        config: EngineConfig { max_frames: 40 },
        checkpoint: Some(CheckpointSettings {
            target: target.clone(),
            cap: 10,
            kinds: KindSet::MAIN,
        }),
        declared: Declared {
            engine: target.name,
            missing_features: Vec::new(),
            limitations,
        },
    }
}

const RUNAWAY: &str = r#"
(module
  (func $r (export "runaway") (call $r))
  (func (export "one") (result i32) (i32.const 1)))
(assert_exhaustion (invoke "runaway") "call stack exhausted")
(assert_return (invoke "runaway"))
(assert_return (invoke "one") (i32.const 1))
"#;

/// `native-stack` excuses exactly the invocations whose live run (or a restored copy) exhausted
/// the engine's own stack before the frame limit: they are checked live (a wrong expectation
/// still fails) and skipped with the reason; an exhaustion at the frame limit, and everything
/// else, is checkpointed as usual. Without the declaration nothing is skipped.
#[test]
fn native_stack_exhaustion_is_checked_live_only_when_declared() {
    let declared = vec![(LimitationKind::NativeStack, "bytes, not frames".into())];
    let native = limited_instrumented("instrumented(native):wasmi", 40, 20);
    let report = run_wast(
        "runaway.wast",
        RUNAWAY,
        &checkpointed(native.clone(), native.clone(), declared.clone()),
    );
    assert_eq!(report.skipped, 1, "{:#?}", report.skips);
    let reason = &report.skips[0].message;
    assert!(
        reason.contains("checked live only: its live run"),
        "{reason}"
    );
    assert!(
        reason.contains("declares native-stack: bytes, not frames"),
        "{reason}"
    );
    assert_eq!(report.failed, 1, "{:#?}", report.failures);
    assert!(report.failures[0].message.contains("call stack exhausted"));
    assert_eq!(
        report.checkpoint.invocations, 1,
        "only `one` is checkpointed"
    );

    let undeclared = run_wast(
        "runaway.wast",
        RUNAWAY,
        &checkpointed(native.clone(), native.clone(), Vec::new()),
    );
    assert_eq!(undeclared.skipped, 0);
    assert_eq!(undeclared.checkpoint.invocations, 2);

    let at_limit = limited_instrumented("instrumented(limit):wasmi", 20, 40);
    let report = run_wast(
        "runaway.wast",
        RUNAWAY,
        &checkpointed(at_limit.clone(), at_limit, declared.clone()),
    );
    assert_eq!(report.skipped, 0, "{:#?}", report.skips);
    assert_eq!(report.checkpoint.invocations, 2);
    assert!(report.checkpoint.images_taken >= 10);
    assert_eq!(report.checkpoint.failed, 0);

    // `stack` exhausts at 40 frames; copies restored on the target run out at 20.
    let stack: SpecEngine = adapters::find("stack").expect("stack").into();
    let report = run_wast(
        "runaway.wast",
        RUNAWAY,
        &checkpointed(stack.clone(), native.clone(), declared),
    );
    assert_eq!(report.skipped, 1, "{:#?}", report.skips);
    assert!(
        report.skips[0]
            .message
            .contains("checked live only: a restored copy exhausted the native stack of instrumented(native):wasmi"),
        "{:#?}",
        report.skips
    );
    assert_eq!(report.failed, 1, "{:#?}", report.failures);
    assert_eq!(report.checkpoint.invocations, 1);
    let undeclared = run_wast(
        "runaway.wast",
        RUNAWAY,
        &checkpointed(stack, native, Vec::new()),
    );
    assert_eq!(undeclared.skipped, 0);
    assert_eq!(undeclared.failed, 2, "{:#?}", undeclared.failures);
}

/// An invocation that grows an imported memory and table: every copy must get its own, or the
/// copies restored after the first one (the fuel checks) would need them shrunk, which an
/// instrumented engine cannot do ("memory 0: cannot resize to 1 pages").
#[test]
fn copies_restore_into_their_own_imported_memory_and_table() {
    let wast = r#"
(module $owner (memory (export "mem") 1 4) (table (export "tab") 1 4 funcref))
(register "owner" $owner)
(module
  (import "owner" "mem" (memory 1 4))
  (import "owner" "tab" (table 1 4 funcref))
  (func (export "grow") (param i32) (result i32)
    (drop (table.grow (ref.null func) (local.get 0)))
    (memory.grow (local.get 0))))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "grow" (i32.const 2)) (i32.const 2))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 4))
"#;
    let engine = adapters::find("instrumented:wasmi").expect("resolves");
    let options = SpecOptions {
        checkpoint: Some(CheckpointSettings {
            target: engine.into(),
            cap: 10,
            kinds: KindSet::MAIN,
        }),
        ..options("instrumented:wasmi")
    };
    let report = run_wast("grow.wast", wast, &options);
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert_eq!(report.checkpoint.invocations, 3);
    assert_eq!(report.checkpoint.fuel_checks, 6);
}

/// A counter-passing recursion (`$r` is called only directly) that exhausts the stack: walking
/// every event of it on `instrumented:wasmi`, the stop at the last call event (whose callee
/// never runs) is refused as not imageable and ends the walk, counted, not failed; every stop
/// before it is checkpointed.
#[test]
fn a_stop_an_engine_cannot_take_ends_the_walk_as_not_imageable() {
    let wast = r#"
(module
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func (export "go") (result i32) (call $r (i32.const 0))))
(assert_exhaustion (invoke "go") "call stack exhausted")
"#;
    let engine: SpecEngine = adapters::find("instrumented:wasmi")
        .expect("instrumented:wasmi")
        .into();
    let mut options = checkpointed(engine.clone(), engine, Vec::new());
    options.checkpoint = options.checkpoint.map(|settings| CheckpointSettings {
        cap: 1000,
        ..settings
    });
    let report = run_wast("runaway.wast", wast, &options);
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert_eq!(report.checkpoint.stops_not_imageable, 1);
    // 40 frames: `go`'s entry and call, then 39 entries and calls of `$r`.
    assert_eq!(report.checkpoint.images_taken, 79);
}
