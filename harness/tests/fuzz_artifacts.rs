//! A crash artifact of the `differential` fuzz target (raw libFuzzer bytes) replays with
//! `baton reproduce` and becomes a normal finding directory, which replays again. The engine
//! pool holds a corrupting mutant so that failing bytes exist; the pool is process-wide, hence
//! this file's single test.

use std::process::Command;

use arbitrary::Unstructured;
use baton::fuzz::rng::SplitMix64;
use baton::fuzz::targets::{differential, TargetFailure, ENGINES_VAR};

const POOL: &str = "wasmi,mutant-off-by-one-pc:register";

#[test]
fn raw_differential_artifacts_reproduce_into_finding_directories() {
    std::env::set_var(ENGINES_VAR, POOL);
    let mut rng = SplitMix64::new(31);
    let crash = (0..300)
        .map(|_| rng.bytes(4096))
        .find(|data| {
            matches!(
                differential::run(&mut Unstructured::new(data)),
                Err(TargetFailure::Finding { .. })
            )
        })
        .expect("the off-by-one-pc mutant is found within 300 inputs");
    let dir = std::env::temp_dir().join(format!("baton-artifacts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    let artifact = dir.join("crash-0123abcd");
    std::fs::write(&artifact, &crash).expect("artifact written");
    let out = dir.join("reports");
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["reproduce", artifact.to_str().expect("utf-8"), "--out"])
        .arg(&out)
        .env(ENGINES_VAR, POOL)
        .output()
        .expect("baton runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = stdout
        .lines()
        .find_map(|l| l.strip_prefix("finding written to "))
        .expect("the finding directory is named");
    assert!(std::path::Path::new(written).join("case.json").is_file());
    let again = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["reproduce", written])
        .output()
        .expect("baton runs");
    assert_eq!(
        again.status.code(),
        Some(1),
        "the finding directory replays and still fails"
    );
    // Empty bytes make the trivial case (every choice answers 0), which passes.
    let empty = dir.join("crash-empty");
    std::fs::write(&empty, b"").expect("write");
    let none = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["reproduce", empty.to_str().expect("utf-8")])
        .env(ENGINES_VAR, POOL)
        .output()
        .expect("baton runs");
    assert_eq!(
        none.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&none.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
