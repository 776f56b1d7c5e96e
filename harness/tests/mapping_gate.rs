//! The short campaign `scripts/mutants.sh` uses as cargo-mutants' test: a seeded `baton fuzz`
//! over a fixed case budget (the seed corpus first) on the checkpointing engines must end with
//! no finding, so a mutant of an engine's image mapping that any case notices fails it. Ignored
//! in the normal test run (the script passes `--ignored`); the budget, seed and engines come from
//! `BATON_GATE_CASES`, `BATON_GATE_SEED` and `BATON_GATE_ENGINES` (default: the three
//! checkpointing engines, no oracle: uninterrupted runs do not go through the mapping, and
//! oracle-only disagreements would need the independent adapters, which cargo-mutants' scratch
//! copy of the tree lacks).

use std::process::Command;

#[test]
#[ignore = "mutation-testing gate, run by scripts/mutants.sh"]
fn short_campaign_has_no_finding() {
    let cases = std::env::var("BATON_GATE_CASES").unwrap_or_else(|_| "300".into());
    let seed = std::env::var("BATON_GATE_SEED").unwrap_or_else(|_| "1".into());
    let engines =
        std::env::var("BATON_GATE_ENGINES").unwrap_or_else(|_| "stack,register,threaded".into());
    let out = std::env::temp_dir().join(format!("baton-gate-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "fuzz",
            "--cases",
            &cases,
            "--seed",
            &seed,
            "--engines",
            &engines,
        ])
        .arg("--out")
        .arg(&out)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("baton runs");
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        output.status.success(),
        "the campaign found something:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
