//! The `baton` binary's spec output contract: one line per file, a closing
//! `N passed, N failed` line, exit status 0 only without failures.

use std::process::Command;

fn baton(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn spec_prints_one_line_per_file_and_the_closing_totals() {
    let (ok, out) = baton(&["spec", "--engine", "wasmi", "--file", "fac"]);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines
        .iter()
        .any(|l| l.starts_with("fac.wast") && l.contains("passed")));
    let last = lines.last().expect("output");
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(words.len(), 4, "closing line {last:?}");
    assert!(words[0].parse::<usize>().is_ok_and(|n| n > 0));
    assert_eq!(&words[1..], ["passed,", "0", "failed"]);
}

#[test]
fn checkpoint_mode_prints_its_counts() {
    let (ok, out) = baton(&[
        "spec",
        "--engine",
        "stack",
        "--checkpoint-everywhere",
        "--cap",
        "20",
        "--file",
        "fac",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("images taken") && out.contains("restored") && out.contains("cap 20"));
}

#[test]
fn bad_arguments_fail_without_panicking() {
    let (ok, _) = baton(&["spec", "--engine", "no-such-engine"]);
    assert!(!ok);
    let (ok, _) = baton(&["spec", "--engine", "wasmi", "--checkpoint-everywhere"]);
    assert!(!ok, "wasmi cannot checkpoint");
    let (ok, _) = baton(&["spec", "--engines", "stack"]);
    assert!(!ok, "--engines needs two names");
}

#[test]
fn certify_fails_a_mutant_naming_the_check_and_the_case() {
    let out = std::env::temp_dir().join(format!("baton-cli-certify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_arg = out.to_string_lossy().into_owned();
    let (ok, text) = baton(&[
        "certify",
        "--engine",
        "mutant-off-by-one-pc:stack",
        "--quick",
        "--out",
        &out_arg,
    ]);
    assert!(!ok, "a mutant must not be certified: {text}");
    assert!(
        text.contains("FAILED (spec-checkpoint, campaign)"),
        "{text}"
    );
    assert!(text.contains("reproduce: baton reproduce"), "{text}");
    assert!(out.join("certificate.json").is_file());
    assert!(out.join("certificate.md").is_file());
    let _ = std::fs::remove_dir_all(&out);
}
