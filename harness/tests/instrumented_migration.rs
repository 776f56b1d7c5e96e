//! A real C program (`corpus/programs/library/quicksort.c`, built by clang with
//! `scripts/build-programs.sh`) migrates at sampled safe points through unmodified engines:
//! stopped on wasmi running the `baton instrument`ed module, continued on `register`, finished
//! on V8 (through its protocol adapter) running the instrumented module, with the result and
//! final state of the uninterrupted run (`baton check --migrate`). The V8 leg is skipped, with
//! one line, only when the V8 adapter is not set up (`scripts/setup.sh` sets it up in CI).
//!
//! The route `instrumented:proc:wasm3` → `register` → `instrumented:proc:v8` of issue 11 works
//! through the MVP rewrite (Wasm3 0.5 has no reference types, `baton_instrument::Options::mvp`):
//! same program, same checks.

use std::path::{Path, PathBuf};
use std::process::Command;

use baton::check::cli::migration_engines;
use baton::check::samples::Sampling;
use baton::check::target::{build_case, Entry};
use baton::check::{check, CheckOptions, CheckSummary};

#[path = "support/programs.rs"]
mod programs;
use programs::{built, root};

/// The program, built once per test binary.
fn program() -> PathBuf {
    built().join("quicksort.wasm")
}

/// Whether the V8 adapter is set up; prints why not.
fn v8_ready() -> bool {
    let dir = root().join("adapters/v8");
    let ready = dir.join("node_modules/protobufjs").exists()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        eprintln!("skipped: the V8 adapter is not set up (run scripts/setup.sh)");
    }
    ready
}

fn migrate(route: [&str; 3], args: &[&str], samples: u64, name: &str) -> CheckSummary {
    let path = program();
    let wasm = std::fs::read(&path).expect("built module");
    let route: Vec<String> = route.iter().map(|s| s.to_string()).collect();
    let entry = Entry::Invoke {
        export: "checksum".into(),
        args: args.iter().map(|s| s.to_string()).collect(),
    };
    let engines = migration_engines(&route);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let options = CheckOptions {
        case: build_case(&path, wasm, &entry, &engines, 100_000_000).expect("case"),
        sampling: Sampling::Count(samples),
        chains: true,
        route: Some(route),
        seed: 0,
        out,
        progress: false,
    };
    check(&options).expect("check runs")
}

#[test]
fn a_c_program_migrates_from_instrumented_wasmi_through_register_to_instrumented_v8() {
    if !v8_ready() {
        return;
    }
    // Descending order: the comparison goes through a function pointer (call_indirect), so
    // the images hold the table's function references.
    let summary = migrate(
        ["instrumented:wasmi", "register", "instrumented:proc:v8"],
        &["300", "1"],
        6,
        "migrate-v8",
    );
    assert_every_chain_matched(&summary);
}

#[test]
fn a_wrong_engine_in_the_route_is_a_finding() {
    if !v8_ready() {
        return;
    }
    let summary = migrate(
        [
            "instrumented:wasmi",
            "mutant-wrong-operand:register",
            "instrumented:proc:v8",
        ],
        &["300", "0"],
        4,
        "migrate-mutant",
    );
    assert!(!summary.findings.is_empty(), "{}", summary.line());
}

/// Whether the Wasm3 adapter is set up; prints why not.
fn wasm3_ready() -> bool {
    let dir = root().join("adapters/wasm3");
    let ready = dir.join(".venv/bin/python").exists() && dir.join("gen/adapter_pb2.py").exists();
    if !ready {
        eprintln!("skipped: the Wasm3 adapter is not set up (run scripts/setup.sh)");
    }
    ready
}

#[test]
fn a_c_program_migrates_from_instrumented_wasm3_through_register_to_instrumented_v8() {
    if !(wasm3_ready() && v8_ready()) {
        return;
    }
    // Wasm3 declares no reference types: `instrumented:proc:wasm3` rewrites in MVP mode (the
    // comparison's call_indirect rewinds through a direct dispatch, the table comes from the
    // element segments).
    let summary = migrate(
        [
            "instrumented:proc:wasm3",
            "register",
            "instrumented:proc:v8",
        ],
        &["300", "1"],
        6,
        "migrate-wasm3",
    );
    assert_every_chain_matched(&summary);
}

/// No finding, nothing unsupported, six samples, and every sample but the last started a chain
/// (the last has no next sample to stop at) that ran to the end on the route's last engine and
/// matched the uninterrupted run.
fn assert_every_chain_matched(summary: &CheckSummary) {
    assert!(
        summary.findings.is_empty(),
        "findings: {:?}",
        summary.findings
    );
    assert!(summary.unsupported.is_empty(), "{:?}", summary.unsupported);
    assert_eq!(summary.samples, 6);
    assert_eq!(summary.chains, 5, "{}", summary.line());
    assert!(summary.events > 1000, "{}", summary.line());
}
