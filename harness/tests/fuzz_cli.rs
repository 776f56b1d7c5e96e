//! The `baton fuzz | reproduce | shrink` commands end to end: exit statuses, files written, and
//! reproduce/shrink on a finding produced by a mutant (corrupting) engine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("baton runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-fuzz-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn finding_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .expect("out dir exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn clean_campaign_exits_zero_and_writes_a_summary() {
    let out = scratch("clean");
    let run = baton(&[
        "fuzz",
        "--cases",
        "30",
        "--seed",
        "2",
        "--jobs",
        "1",
        "--engines",
        "stack,register",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json written"),
    )
    .expect("summary.json parses");
    assert!(summary["cases"].as_u64().unwrap_or(0) >= 30);
    assert!(summary["conversions"].as_u64().unwrap_or(0) > 0);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn mutant_findings_exit_one_reproduce_and_shrink() {
    let out = scratch("mutant");
    let run = baton(&[
        "fuzz",
        "--cases",
        "40",
        "--seed",
        "3",
        "--jobs",
        "1",
        "--engines",
        "wasmi,mutant-off-by-one-pc:register",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "findings make the campaign fail"
    );
    let dirs = finding_dirs(&out);
    // The image's pc contradicts where the run reported its stop: the stop-location check of
    // the checkpoint property sees it (before the validator would).
    let finding = dirs
        .iter()
        .find(|d| {
            d.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("checkpoint-"))
        })
        .expect("an off-by-one pc is a checkpoint finding");
    let replay = baton(&["reproduce", finding.to_str().expect("utf-8 path")]);
    assert_eq!(
        replay.status.code(),
        Some(1),
        "reproduce exits 1 while the case fails"
    );
    assert!(String::from_utf8_lossy(&replay.stdout).contains("property: **checkpoint**"));
    let shrunk = baton(&[
        "shrink",
        "--attempts",
        "50",
        finding.to_str().expect("utf-8 path"),
    ]);
    assert!(
        shrunk.status.success(),
        "{}",
        String::from_utf8_lossy(&shrunk.stderr)
    );
    let minimized = finding.join("minimized");
    assert!(minimized.join("case.json").is_file());
    let again = baton(&["reproduce", minimized.to_str().expect("utf-8 path")]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "the minimized case still fails"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_bad_case_file_is_a_clear_error() {
    let dir = scratch("bad");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("case.json");
    std::fs::write(&file, "{\"version\": 1}").expect("write");
    let run = baton(&["reproduce", file.to_str().expect("utf-8 path")]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("not a baton case file"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
