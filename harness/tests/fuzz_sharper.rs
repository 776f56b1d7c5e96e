//! The sharper checks of issue 14, each shown on a bug planted on purpose (a corruption mutant
//! of the `register` engine) that the older properties miss: for each, every stop point of a
//! small module passes with all sharper checks off ([`Checks::NONE`]), and fails with only that
//! check on, in class `restore` (or `chain`, which restores along the same path) at the check's place.

use baton::fuzz::case::Case;
use baton::fuzz::corpus::seed_cases;
use baton::fuzz::engines::{resolve_all, EngineSpec};
use baton::fuzz::exec::{Checks, Limits};
use baton::fuzz::finding::{Class, Finding};
use baton::fuzz::mutants::Corruption;
use baton::fuzz::oracles::{check, Verdict};

fn engines(corruption: Corruption) -> Vec<EngineSpec> {
    let names = vec!["wasmi".to_string(), corruption.engine_name("register")];
    resolve_all(&names).expect("mutant engines resolve")
}

fn cases(wat: &str, engines: &[EngineSpec]) -> Vec<Case> {
    let wasm = wat::parse_str(wat).expect("test module parses");
    seed_cases(&wasm, engines, 64).expect("seed cases")
}

fn limits(checks: Checks) -> Limits {
    Limits {
        checks,
        ..Limits::default()
    }
}

/// Runs every case; returns the findings (asserting nothing else but passes happened).
fn findings(cases: &[Case], engines: &[EngineSpec], checks: Checks) -> Vec<Finding> {
    let mut found = Vec::new();
    for case in cases {
        match check(case, engines, &limits(checks)).verdict {
            Verdict::Pass => {}
            Verdict::Finding(finding) => found.push(*finding),
            Verdict::Skipped(reason) => panic!("case skipped: {reason}"),
        }
    }
    found
}

/// The planted bug is invisible to the old properties and caught by `checks` at `place`.
fn missed_then_caught(corruption: Corruption, wat: &str, checks: Checks, place: &str) {
    let engines = engines(corruption);
    let cases = cases(wat, &engines);
    assert!(cases.len() > 1, "the module has several stop points");
    let old = findings(&cases, &engines, Checks::NONE);
    assert!(
        old.is_empty(),
        "{}: the old properties already see it: {:?}",
        corruption.name(),
        old.iter().map(|f| &f.first_difference).collect::<Vec<_>>()
    );
    let new = findings(&cases, &engines, checks);
    assert!(
        !new.is_empty(),
        "{}: not caught with {checks:?}",
        corruption.name()
    );
    for finding in &new {
        // The chain property restores twice on the same path, so it may see the bug first.
        assert!(
            matches!(finding.class, Class::Restore | Class::Chain),
            "{finding:?}"
        );
        assert!(
            finding.place.starts_with(place),
            "{}: place {:?}, expected {place:?} ({})",
            corruption.name(),
            finding.place,
            finding.first_difference
        );
    }
}

/// A module whose `run(i32)` sets up `setup`, then runs four host calls in a loop counting in
/// local 1 (so there are many stop points, with the set-up state live across them), then
/// evaluates `result`. `extra` declares more items; `locals` lists locals after the counter.
fn looping(extra: &str, results: &str, locals: &str, setup: &str, result: &str) -> String {
    format!(
        r#"(module
  (import "host" "tick" (func $tick))
  {extra}
  (func (export "run") (param i32) (result {results}) (local i32 {locals})
    {setup}
    (loop $l
      (call $tick)
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (i32.const 4))))
    {result}))"#
    )
}

/// A loop of host calls: many events, no value depends on when it stopped.
fn counter() -> String {
    looping("", "i32", "", "", "(local.get 1)")
}

#[test]
fn event_numbering_catches_a_resumed_run_that_fires_its_stop_event_twice() {
    let checks = Checks {
        event_numbering: true,
        ..Checks::NONE
    };
    missed_then_caught(
        Corruption::DoubleEvent,
        &counter(),
        checks,
        "event numbering",
    );
}

/// Locals 2 and 3 are set before the loop and never read after it: restores that drop them
/// (one per restore; a chain restores twice) change nothing the program shows.
fn dead_local() -> String {
    let setup = "(local.set 2 (i32.const 77)) (local.set 3 (i32.const 78))
    (drop (i32.add (local.get 2) (local.get 3)))";
    looping("", "i32", "i32 i32", setup, "(i32.const 3)")
}

#[test]
fn restore_fidelity_catches_a_lossy_restore_of_a_dead_local() {
    let checks = Checks {
        fidelity: true,
        ..Checks::NONE
    };
    missed_then_caught(
        Corruption::LossyLocal,
        &dead_local(),
        checks,
        "restore fidelity",
    );
}

/// A funcref held in a local across a loop and returned: only its identity shows a swap.
fn funcref() -> String {
    let extra = "(elem declare func $a $b) (func $a) (func $b)";
    looping(
        extra,
        "funcref",
        "funcref",
        "(local.set 2 (ref.func $b))",
        "(local.get 2)",
    )
}

#[test]
fn funcref_identity_catches_a_restore_that_swaps_a_function_reference() {
    let checks = Checks {
        func_identity: true,
        ..Checks::NONE
    };
    missed_then_caught(
        Corruption::SwappedFuncref,
        &funcref(),
        checks,
        "invocation outcome",
    );
}

#[test]
fn restore_fidelity_catches_a_swapped_function_reference_too() {
    let checks = Checks {
        fidelity: true,
        ..Checks::NONE
    };
    missed_then_caught(
        Corruption::SwappedFuncref,
        &funcref(),
        checks,
        "restore fidelity",
    );
}

/// A NaN with a payload moved (never computed) through a local into the result and a global.
fn nan() -> String {
    let extra = r#"(global $g (export "g") (mut f64) (f64.const 0))"#;
    let setup = "(local.set 2 (f32.const nan:0x200005))
    (global.set $g (f64.const nan:0x4000000000003))";
    looping(extra, "f32", "f32", setup, "(local.get 2)")
}

#[test]
fn nan_bits_catch_an_image_that_loses_a_nan_payload_bit() {
    let checks = Checks {
        nan_bits: true,
        ..Checks::NONE
    };
    missed_then_caught(Corruption::NanPayload, &nan(), checks, "invocation outcome");
}
