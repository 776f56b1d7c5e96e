//! `instrumented:wasmi` in a campaign inherits wasmi's known miscompilations: the semantics
//! property classifies a difference it shares with plain wasmi through the oracle vote
//! (`oracle` when the independent engines side with the engines), while a real engine
//! difference found alongside stays `semantics` (instrumented engines are compared last).

use baton::fuzz::corpus::seed_cases;
use baton::fuzz::engines::{resolve_all, EngineSpec};
use baton::fuzz::exec::Limits;
use baton::fuzz::finding::{Class, Finding};
use baton::fuzz::oracles::{check, Verdict};

/// wasmi 2.0 traps "integer divide by zero" here (reports/README.md, "Known oracle
/// divergences"); the spec result is 131076.
const SELECT_EQZ: &str = r#"(module (global (mut i32) (i32.const 7))
  (func (export "f") (result i32) (local i32)
    global.get 0
    global.set 0
    i32.const 131076
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select
    i32.div_u))"#;

#[path = "support/off_by_one.rs"]
mod off_by_one;
use off_by_one::off_by_one;

fn engines(names: &[&str]) -> Vec<EngineSpec> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    resolve_all(&names).expect("engines resolve")
}

fn finding(wat: &str, engines: &[EngineSpec]) -> Finding {
    let wasm = wat::parse_str(wat).expect("wat");
    let case = seed_cases(&wasm, engines, 1)
        .expect("seed cases")
        .into_iter()
        .next()
        .expect("one case");
    match check(&case, engines, &Limits::default()).verdict {
        Verdict::Finding(finding) => *finding,
        other => panic!("expected a finding, got {other:?}"),
    }
}

fn voter_ready() -> bool {
    let ready = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../adapters/v8/node_modules/protobufjs")
        .exists();
    if !ready {
        eprintln!("skipped: the V8 adapter is not set up (run scripts/setup.sh)");
    }
    ready
}

#[test]
fn a_wasmi_miscompilation_shown_by_instrumented_wasmi_is_classified_oracle() {
    if !voter_ready() {
        return;
    }
    let found = finding(
        SELECT_EQZ,
        &engines(&["stack", "register", "instrumented:wasmi"]),
    );
    assert_eq!(found.class, Class::Oracle, "{found:#?}");
}

#[test]
fn an_engine_difference_beside_instrumented_wasmi_stays_semantics() {
    let wrong = off_by_one("register");
    // instrumented:wasmi first: it is still compared after the engines.
    let mut list = engines(&["instrumented:wasmi", "stack"]);
    list.push(wrong);
    let found = finding(SELECT_EQZ, &list);
    assert_eq!(found.class, Class::Semantics, "{found:#?}");
    assert!(
        found.engines.iter().any(|e| e == "off-by-one-register"),
        "{found:#?}"
    );
}
