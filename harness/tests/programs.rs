//! The C programs of `corpus/programs/`, built here with `scripts/build-programs.sh`
//! (clang --target=wasm32-wasi; `scripts/setup.sh` installs the toolchain): each runs
//! uninterrupted on every engine and oracle with the stdout and exit code of a native gcc build
//! (checked in under `corpus/programs/expected/`), migrates at sampled events across every
//! engine pair and through chains, and a mapping bug injected on purpose (a corruption mutant
//! as an engine) makes `baton check` fail with a finding `baton reproduce` replays.

use std::path::{Path, PathBuf};

use baton::check::samples::Sampling;
use baton::check::target::{build_case, Entry};
use baton::check::{check, CheckOptions, CheckSummary};
use baton::fuzz::engines::default_names;
use baton::fuzz::exec::Limits;
use baton::fuzz::reproduce::reproduce;
use baton::wasi::WasiConfig;

const PROGRAMS: [&str; 3] = ["sortnums", "words", "files"];

#[path = "support/programs.rs"]
mod programs;
use programs::{built, root};

fn options(program: &str, engines: &[String], sampling: Sampling, out: &Path) -> CheckOptions {
    let path = built().join(format!("{program}.wasm"));
    let wasm = std::fs::read(&path).expect("built module");
    let entry = Entry::Wasi(WasiConfig::command(program, &[]));
    CheckOptions {
        case: build_case(&path, wasm, &entry, engines, 1_000_000_000).expect("case"),
        sampling,
        chains: true,
        route: None,
        seed: 1,
        out: out.to_path_buf(),
        progress: false,
    }
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn expected(program: &str) -> (String, u32) {
    let dir = root().join("corpus/programs/expected");
    let stdout =
        std::fs::read_to_string(dir.join(format!("{program}.stdout"))).expect("expected stdout");
    let exit = std::fs::read_to_string(dir.join(format!("{program}.exit"))).expect("expected exit");
    (stdout, exit.trim().parse().expect("exit code"))
}

fn run(program: &str, engines: &[String], sampling: Sampling, out: &Path) -> CheckSummary {
    check(&options(program, engines, sampling, out)).expect("check runs")
}

#[test]
fn each_program_runs_uninterrupted_with_the_native_output_on_every_engine() {
    for program in PROGRAMS {
        let summary = run(
            program,
            &default_names(),
            Sampling::Count(0),
            &out_dir(program),
        );
        assert!(!summary.failed(), "{program}: {:?}", summary.findings);
        let (stdout, exit) = expected(program);
        assert_eq!(
            summary.stdout.as_deref(),
            Some(stdout.as_str()),
            "{program} stdout"
        );
        assert_eq!(summary.exit_code.unwrap_or(0), exit, "{program} exit code");
        assert!(
            summary.events > 1000,
            "{program}: only {} events",
            summary.events
        );
        assert!(
            summary.unsupported_wasi.is_empty(),
            "{program}: {:?}",
            summary.unsupported_wasi
        );
    }
}

#[test]
fn each_program_migrates_at_sampled_events_across_every_engine_pair_and_chain() {
    for program in PROGRAMS {
        let summary = run(
            program,
            &default_names(),
            Sampling::Count(3),
            &out_dir(program),
        );
        assert!(!summary.failed(), "{program}: {:?}", summary.findings);
        assert_eq!(summary.samples, 3, "{program}");
        // Every checkpointing engine takes one image per sample and restores every image.
        let checkpointers = default_names()
            .iter()
            .filter(|name| baton::adapters::find(name).is_some_and(|entry| entry.checkpoints))
            .count() as u64;
        assert!(
            checkpointers >= 2,
            "a migration needs two checkpointing engines"
        );
        assert_eq!(summary.images, 3 * checkpointers, "{program}");
        assert_eq!(
            summary.migrations,
            3 * checkpointers * checkpointers,
            "{program}"
        );
        assert!(summary.chains >= 2, "{program}: {} chains", summary.chains);
    }
}

#[test]
fn a_mapping_bug_fails_check_on_a_real_program_and_the_finding_replays() {
    let out = out_dir("mutant");
    let engines = vec![
        "stack".to_string(),
        "mutant-wrong-operand:register".to_string(),
    ];
    let summary = run("words", &engines, Sampling::Count(4), &out);
    assert!(summary.failed(), "the corrupted images must be caught");
    let finding = &summary.findings[0];
    assert!(finding.dir.join("case.json").is_file());
    let replay = reproduce(&finding.dir, &Limits::default()).expect("case replays");
    assert!(
        replay.fails(),
        "the finding must still fail on replay:\n{}",
        replay.report
    );
    assert!(out.join("summary.json").is_file());
}
