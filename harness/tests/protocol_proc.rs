//! The out-of-process adapter protocol end to end: `proc:` engines running `baton serve` give the
//! same results as the in-process engines (spec subset, seeded campaign), a script in another
//! language speaks the protocol, and broken adapters (crash, hang, garbage, protocol violation,
//! unstartable) become typed errors and findings, never a panic or a dead campaign.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baton_engine::{AdapterFault, Engine, EngineConfig, EngineError, RunOptions};
use baton_protocol::client::{AdapterCommand, ProcessEngine};

const BATON: &str = env!("CARGO_BIN_EXE_baton");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the baton binary from the repository root; (success, stdout, stderr).
fn baton(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BATON)
        .args(args)
        .current_dir(repo())
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

fn serve(extra: &[&str]) -> AdapterCommand {
    let mut args = vec!["serve".to_string(), "--engine".into(), "stack".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    AdapterCommand {
        program: BATON.into(),
        args,
        timeout: Duration::from_secs(10),
    }
}

fn shell(script: &str, timeout: Duration) -> AdapterCommand {
    AdapterCommand {
        program: "sh".into(),
        args: vec!["-c".into(), script.into()],
        timeout,
    }
}

const LOOP_WAT: &str = r#"(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $acc)))"#;

/// Compiles, instantiates and runs `sum(10)` as many times as asked; the first error.
fn exercise(engine: &mut dyn Engine, runs: usize) -> Result<(), EngineError> {
    let module = engine.compile(&wat::parse_str(LOOP_WAT).unwrap())?;
    let instance = engine.instantiate(module, &[])?;
    for _ in 0..runs {
        let report = engine.invoke(
            instance,
            "sum",
            &[baton_engine::Value::I32(10)],
            RunOptions::default(),
        )?;
        assert_eq!(
            report.outcome,
            baton_engine::RunOutcome::Returned(vec![baton_engine::Value::I32(55)])
        );
    }
    Ok(())
}

fn expect_fault(result: Result<(), EngineError>, fault: AdapterFault) -> (String, String) {
    match result {
        Err(EngineError::Adapter {
            fault: got,
            what,
            stderr,
        }) if got == fault => (what, stderr),
        other => panic!("expected an adapter {fault} fault, got {other:?}"),
    }
}

#[test]
fn python_speaks_the_protocol_to_baton_serve() {
    let python = Command::new("python3").arg("--version").output();
    if python.is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let script = repo().join("adapters/python-example/drive.py");
    let output = Command::new("python3")
        .arg(script)
        .args([BATON, "serve", "--engine", "stack"])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("ok   resume the restored run"), "{stdout}");
    assert!(stdout.contains("PASSED: 0 failed checks"), "{stdout}");
}

#[test]
fn proc_stack_matches_stack_on_a_spec_subset() {
    for file in ["fac", "call_indirect", "memory_grow", "br_table"] {
        let (ok, direct, _) = baton(&["spec", "--engine", "stack", "--file", file]);
        assert!(ok, "{direct}");
        let (ok, proc, stderr) = baton(&["spec", "--engine", "proc:stack", "--file", file]);
        assert!(ok, "{proc}\n{stderr}");
        assert_eq!(direct, proc, "{file}");
    }
    let checkpointed = |engines: &str| {
        let (ok, out, stderr) = baton(&["spec", "--engines", engines, "--file", "loop"]);
        assert!(ok, "{out}\n{stderr}");
        out.replace("proc:", "")
    };
    let info = baton::adapters::process::adapter_info("proc:register")
        .expect("registered in adapters.toml")
        .expect("handshake");
    assert_eq!(info.engine_name, "register");
    assert!(baton::adapters::process::adapter_info("stack").is_none());
    assert_eq!(
        checkpointed("stack,register"),
        checkpointed("proc:stack,proc:register")
    );
}

#[test]
fn proc_stack_matches_stack_on_a_seeded_campaign() {
    let out = std::env::temp_dir().join(format!("baton-proc-campaign-{}", std::process::id()));
    let summary = |engine: &str| {
        let dir = out.join(engine.replace(':', "_"));
        let engines = format!("wasmi,{engine}");
        let dir_arg = dir.to_string_lossy().into_owned();
        let args = [
            "fuzz",
            "--cases",
            "25",
            "--seed",
            "11",
            "--jobs",
            "1",
            "--engines",
            &engines,
            "--out",
            &dir_arg,
        ];
        let (ok, stdout, stderr) = baton(&args);
        assert!(ok, "{stdout}\n{stderr}");
        let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let object = json.as_object_mut().unwrap();
        for volatile in [
            "engines",
            "seconds",
            "conversions_per_second_per_core",
            "cases_per_second",
        ] {
            object.remove(volatile);
        }
        json
    };
    let direct = summary("stack");
    assert!(direct["checkpoints"].as_u64().unwrap() > 0, "{direct}");
    assert_eq!(direct, summary("proc:stack"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_healthy_adapter_session_works_and_processes_are_reused() {
    let command = serve(&[]);
    let mut engine = ProcessEngine::new("proc:stack", &command, &EngineConfig::default());
    let info = engine.info().expect("handshake");
    assert_eq!(info.engine_name, "stack");
    assert!(info.checkpoints());
    exercise(&mut engine, 3).unwrap();
    drop(engine);
    // The next session reuses the idle process: far cheaper than spawning.
    let started = Instant::now();
    let mut again = ProcessEngine::new("proc:stack", &command, &EngineConfig::default());
    exercise(&mut again, 1).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_crashing_adapter_is_a_typed_crash_with_its_stderr_and_the_next_session_restarts_it() {
    // Hello, NewSession, Compile, Instantiate answered; the first invoke crashes.
    let command = serve(&["--fault", "crash@4"]);
    let mut engine = ProcessEngine::new("proc:bad", &command, &EngineConfig::default());
    let (what, stderr) = expect_fault(exercise(&mut engine, 1), AdapterFault::Crash);
    assert!(what.contains("invoke"), "{what}");
    assert!(stderr.contains("injected crash"), "{stderr}");
    // The session stays dead, with the same error.
    let again = engine.compile(b"\0asm\x01\0\0\0");
    assert!(matches!(
        again,
        Err(EngineError::Adapter {
            fault: AdapterFault::Crash,
            ..
        })
    ));
    // A new session starts a fresh process, which works until its own fault.
    let mut fresh = ProcessEngine::new("proc:bad", &command, &EngineConfig::default());
    assert!(fresh.info().is_ok());
    expect_fault(exercise(&mut fresh, 1), AdapterFault::Crash);
}

#[test]
fn a_hanging_adapter_times_out() {
    let mut command = serve(&["--fault", "hang@3"]);
    command.timeout = Duration::from_millis(300);
    let mut engine = ProcessEngine::new("proc:hang", &command, &EngineConfig::default());
    let started = Instant::now();
    let (what, _) = expect_fault(exercise(&mut engine, 1), AdapterFault::Timeout);
    assert!(what.contains("instantiate"), "{what}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn garbage_and_protocol_violations_are_typed() {
    let mut engine = ProcessEngine::new(
        "proc:garbage",
        &serve(&["--fault", "garbage@2"]),
        &EngineConfig::default(),
    );
    expect_fault(exercise(&mut engine, 1), AdapterFault::Malformed);
    let mut engine = ProcessEngine::new(
        "proc:violation",
        &serve(&["--fault", "violation@3"]),
        &EngineConfig::default(),
    );
    let (what, _) = expect_fault(exercise(&mut engine, 1), AdapterFault::Violation);
    assert!(
        what.contains("instantiate") && what.contains("Done"),
        "{what}"
    );
}

#[test]
fn unstartable_and_dying_adapters_are_typed() {
    let missing = AdapterCommand {
        program: "/nonexistent/adapter".into(),
        args: vec![],
        timeout: Duration::from_secs(1),
    };
    let mut engine = ProcessEngine::new("proc:missing", &missing, &EngineConfig::default());
    expect_fault(exercise(&mut engine, 1), AdapterFault::Spawn);

    let dying = shell(
        "echo 'adapter: cannot load engine' >&2; exit 3",
        Duration::from_secs(5),
    );
    let mut engine = ProcessEngine::new("proc:dying", &dying, &EngineConfig::default());
    let (what, stderr) = expect_fault(exercise(&mut engine, 1), AdapterFault::Crash);
    assert!(what.contains("hello") && what.contains('3'), "{what}");
    assert!(stderr.contains("cannot load engine"), "{stderr}");
}

#[test]
fn no_bytes_from_an_adapter_cause_a_panic() {
    // Deterministic pseudo-random streams: raw bytes, and well-framed random bodies.
    let dir = std::env::temp_dir().join(format!("baton-garbage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..40 {
        let length = (next() % 64) as usize;
        let body: Vec<u8> = (0..length).map(|_| next() as u8).collect();
        let bytes = if case % 2 == 0 {
            body
        } else {
            let mut framed = (length as u32).to_le_bytes().to_vec();
            framed.extend(body);
            framed
        };
        let path = dir.join(format!("{case}.bin"));
        std::fs::write(&path, &bytes).unwrap();
        let script = format!("cat '{}'; cat > /dev/null", path.display());
        let command = shell(&script, Duration::from_millis(300));
        let mut engine = ProcessEngine::new("proc:random", &command, &EngineConfig::default());
        match exercise(&mut engine, 1) {
            Err(EngineError::Adapter { .. }) => {}
            other => panic!("case {case} ({bytes:?}): {other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_campaign_with_a_crashing_adapter_reports_findings_and_finishes() {
    let out = std::env::temp_dir().join(format!("baton-proc-crash-{}", std::process::id()));
    let dir_arg = out.to_string_lossy().into_owned();
    let started = Instant::now();
    let (ok, stdout, stderr) = baton(&[
        "fuzz",
        "--cases",
        "10",
        "--seed",
        "3",
        "--jobs",
        "1",
        "--engines",
        "wasmi,stack,proc:bad",
        "--adapter",
        "bad={baton} serve --engine stack --fault crash@30",
        "--out",
        &dir_arg,
    ]);
    assert!(
        !ok,
        "a crashing adapter must fail the campaign\n{stdout}\n{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    let summary = std::fs::read_to_string(out.join("summary.json")).expect("summary written");
    assert!(summary.contains("\"cases\""), "{summary}");
    let adapter_findings: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("adapter-"))
        })
        .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
        .filter_map(|file| std::fs::read_to_string(file.path()).ok())
        .collect();
    assert!(
        adapter_findings
            .iter()
            .any(|text| text.contains("adapter crash") && text.contains("injected crash")),
        "no `adapter` finding names the crash and carries the adapter's stderr"
    );
    let _ = std::fs::remove_dir_all(out);
}
