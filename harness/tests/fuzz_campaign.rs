//! Campaigns that lose nothing, through the built `baton` binary: an output folder that cannot
//! be written fails before the first case; `--cases N` runs exactly N cases; a campaign killed
//! with SIGKILL keeps every finding it announced and `--resume` finishes the budget without
//! repeating or skipping a case; SIGINT writes the summary; `--shard` + `baton merge` equals
//! the unsharded campaign.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Engines for campaigns with findings: the mutant makes `restore` findings.
const MUTANT: &str = "stack,mutant-wrong-operand:register";

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("baton runs")
}

/// `baton fuzz` arguments of a campaign on `engines` writing to `out`.
fn campaign<'a>(
    cases: &'a str,
    seed: &'a str,
    jobs: &'a str,
    engines: &'a str,
    out: &'a Path,
) -> Vec<&'a str> {
    vec![
        "fuzz",
        "--cases",
        cases,
        "--seed",
        seed,
        "--jobs",
        jobs,
        "--engines",
        engines,
        "--out",
        text(out),
    ]
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-campaign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Journaled case indices, in file order.
fn journal_indices(out: &Path) -> Vec<u64> {
    std::fs::read_to_string(out.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| entry["index"].as_u64())
        .collect()
}

/// Asserts a finding directory is complete: a case that parses, the module, the report.
fn assert_complete_finding(dir: &Path) {
    let case = json(&dir.join("case.json"));
    assert!(
        case["module"].is_string(),
        "{}: case without module",
        dir.display()
    );
    let wasm = std::fs::read(dir.join("module.wasm")).expect("module.wasm");
    assert!(wasm.starts_with(b"\0asm"), "{}: module.wasm", dir.display());
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(
        report.contains("- seen: "),
        "{}: report.md incomplete",
        dir.display()
    );
}

/// `unique_findings` of a summary as a map.
fn unique(summary: &serde_json::Value) -> BTreeMap<String, u64> {
    summary["unique_findings"]
        .as_array()
        .expect("unique_findings")
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().expect("name").to_string(),
                pair[1].as_u64().expect("count"),
            )
        })
        .collect()
}

#[test]
fn an_unwritable_output_folder_fails_before_the_first_case() {
    let blocker = scratch("blocker");
    std::fs::write(&blocker, "a file, not a folder").expect("scratch file");
    let below_a_file = blocker.join("out");
    for out in [Path::new("/proc/baton-x"), below_a_file.as_path()] {
        let started = Instant::now();
        let run = baton(&[
            "fuzz",
            "--cases",
            "100000",
            "--engines",
            "stack",
            "--out",
            text(out),
        ]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{}: {stderr}", out.display());
        assert!(
            stderr.contains(text(out)),
            "the error names the path: {stderr}"
        );
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(!stdout.contains("cases in"), "no case may run: {stdout}");
        assert!(started.elapsed() < Duration::from_secs(20), "failed late");
    }
    let _ = std::fs::remove_file(&blocker);
}

#[test]
fn cases_n_runs_exactly_n_cases() {
    let out = scratch("exact");
    for n in [1u64, 50] {
        let run = baton(&campaign(&n.to_string(), "4", "2", "stack,register", &out));
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let summary = json(&out.join("summary.json"));
        assert_eq!(summary["cases"].as_u64(), Some(n), "summary.cases");
        let mut indices = journal_indices(&out);
        indices.sort_unstable();
        assert_eq!(
            indices,
            (0..n).collect::<Vec<_>>(),
            "journal holds exactly 0..{n}"
        );
        assert_eq!(summary["complete"].as_bool(), Some(true));
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Starts a campaign, waits until it has journaled `at_least` cases, and returns the child
/// and the finding lines it announced so far (read on a thread).
fn start_and_wait(
    out: &Path,
    cases: u64,
    at_least: usize,
) -> (std::process::Child, std::thread::JoinHandle<Vec<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(campaign(&cases.to_string(), "9", "2", MUTANT, out))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("baton starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter(|line| line.starts_with("finding ["))
            .collect()
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal_indices(out).len() < at_least {
        assert!(Instant::now() < deadline, "the campaign never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, reader)
}

#[test]
fn a_sigkilled_campaign_keeps_its_findings_and_resume_finishes_the_budget() {
    let cases = 4000u64;
    let out = scratch("kill");
    let (mut child, reader) = start_and_wait(&out, cases, 400);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let announced = reader.join().expect("reader");
    let journaled = journal_indices(&out);
    assert!(
        (journaled.len() as u64) < cases,
        "the campaign finished before the kill; raise the budget"
    );
    assert!(
        !announced.is_empty(),
        "the mutant campaign announced no finding before the kill"
    );
    for line in &announced {
        // "finding [class] <dir>: summary"
        let dir = line
            .split_once("] ")
            .and_then(|(_, rest)| rest.split_once(": "))
            .map(|(dir, _)| PathBuf::from(dir))
            .expect("announcement names its directory");
        assert_complete_finding(&dir);
    }
    // Every finding the journal names is on disk and complete too.
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).expect("journal");
    for line in journal.lines().filter(|l| l.contains("\"finding\"")) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("journal line");
        assert_complete_finding(&out.join(entry["dir"].as_str().expect("dir")));
    }
    let resumed = baton(&["fuzz", "--resume", text(&out), "--jobs", "2"]);
    assert_eq!(
        resumed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let mut indices = journal_indices(&out);
    indices.sort_unstable();
    assert_eq!(
        indices,
        (0..cases).collect::<Vec<_>>(),
        "no case repeated or skipped"
    );
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["cases"].as_u64(), Some(cases));
    assert_eq!(summary["complete"].as_bool(), Some(true));
    // The resumed campaign found what an uninterrupted one of the same seed finds.
    let whole = scratch("kill-whole");
    let run = baton(&campaign(&cases.to_string(), "9", "2", MUTANT, &whole));
    assert_eq!(run.status.code(), Some(1));
    let uninterrupted = json(&whole.join("summary.json"));
    assert_eq!(unique(&summary), unique(&uninterrupted));
    assert_eq!(summary["findings"], uninterrupted["findings"]);
    for dir in unique(&summary).keys() {
        let report = std::fs::read_to_string(out.join(dir).join("report.md")).expect("report");
        let count = unique(&summary)[dir];
        assert!(
            report.contains(&format!("- seen: {count} time(s)")),
            "{dir}: count"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&whole);
}

#[test]
fn sigint_stops_cleanly_with_the_summary_written() {
    let out = scratch("sigint");
    let (mut child, _reader) = start_and_wait(&out, 1_000_000, 200);
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "SIGINT did not stop the campaign"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Failing findings (the mutant) win over "interrupted".
    assert_eq!(status.code(), Some(1));
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["complete"].as_bool(), Some(false));
    assert_eq!(
        summary["cases"].as_u64(),
        Some(journal_indices(&out).len() as u64)
    );
    // A fresh campaign in the same folder keeps the unfinished journal aside.
    let lines = journal_indices(&out).len();
    let fresh = baton(&campaign("5", "9", "1", "stack", &out));
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let kept = std::fs::read_to_string(out.join("journal.previous.jsonl")).expect("kept aside");
    assert_eq!(kept.lines().count(), lines);
    assert_eq!(journal_indices(&out).len(), 5);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn shards_merged_equal_the_unsharded_campaign() {
    let cases = "600";
    let whole = scratch("shard-whole");
    let run = baton(&campaign(cases, "11", "2", MUTANT, &whole));
    assert_eq!(run.status.code(), Some(1));
    let mut parts = Vec::new();
    for shard in ["0/3", "1/3", "2/3"] {
        let part = scratch(&format!("shard-{}", &shard[..1]));
        let mut args = campaign(cases, "11", "1", MUTANT, &part);
        args.extend(["--shard", shard]);
        let run = baton(&args);
        assert!(run.status.code().is_some_and(|c| c <= 1), "shard {shard}");
        parts.push(part);
    }
    let merged = scratch("shard-merged");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| text(p)));
    args.extend(["--into", text(&merged)]);
    let run = baton(&args);
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (a, b) = (
        json(&whole.join("summary.json")),
        json(&merged.join("summary.json")),
    );
    assert!(!unique(&a).is_empty(), "the mutant must give findings");
    assert_eq!(unique(&a), unique(&b), "same distinct findings and counts");
    for key in [
        "cases",
        "passed",
        "findings",
        "checkpoints",
        "conversions",
        "complete",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
    for dir in unique(&b).keys() {
        assert_complete_finding(&merged.join(dir));
    }
    // Overlapping inputs are refused, not double counted.
    let again = baton(&[
        "merge",
        text(&parts[0]),
        text(&whole),
        "--into",
        text(&scratch("bad")),
    ]);
    assert_ne!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("campaign"));
    for dir in parts.iter().chain([&whole, &merged]) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn an_output_folder_deleted_mid_campaign_stops_it_with_an_error_naming_the_journal() {
    let out = scratch("deleted");
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(campaign("1000000", "12", "1", "stack,register", &out))
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal_indices(&out).len() < 50 {
        assert!(Instant::now() < deadline, "the campaign never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::remove_dir_all(&out).expect("folder removed under the campaign");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the campaign did not notice");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("journal.jsonl"), "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
}
