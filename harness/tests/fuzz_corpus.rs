//! Replays the committed corpora through every property on the default engines: each seed
//! module (`corpus/seeds/*.wat`) checkpointed at evenly spaced events of every invocation, and
//! every minimised regression (`corpus/regressions/`).

use baton::fuzz::corpus::{corpus_dir, files, regression_cases, seed_cases};
use baton::fuzz::engines::{default_names, resolve_all};
use baton::fuzz::exec::Limits;
use baton::fuzz::generator::validate;
use baton::fuzz::oracles::{check, Verdict};
use baton::fuzz::report::render;
use baton::fuzz::reproduce::reproduce;

fn describe(verdict: &Verdict, case: &baton::fuzz::case::Case) -> String {
    match verdict {
        Verdict::Finding(finding) => render(case, finding, 1, None),
        other => format!("{other:?}"),
    }
}

#[test]
fn seeds_hold_every_property_at_every_sampled_event() {
    let engines = resolve_all(&default_names()).expect("registry engines resolve");
    let seeds = files(&corpus_dir().join("seeds"), "wat");
    assert!(
        seeds.len() >= 8,
        "expected the 8 seed modules, found {seeds:?}"
    );
    let mut reached = 0;
    for path in seeds {
        let wasm = wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        validate(&wasm).unwrap_or_else(|e| panic!("{}: invalid: {e}", path.display()));
        let cases = seed_cases(&wasm, &engines, 12).expect("seed cases");
        let mut seed_reached = 0;
        for case in &cases {
            let result = check(case, &engines, &Limits::default());
            assert!(
                result.verdict == Verdict::Pass,
                "{} (invocation {}, k {}): {}",
                path.display(),
                case.schedule.invocation,
                case.schedule.k,
                describe(&result.verdict, case)
            );
            seed_reached += u64::from(result.stats.reached);
        }
        assert!(
            seed_reached > 0,
            "{}: no checkpoint was ever taken",
            path.display()
        );
        reached += seed_reached;
    }
    assert!(reached >= 50, "only {reached} checkpoints over all seeds");
}

#[test]
fn regressions_pass() {
    for path in regression_cases(&corpus_dir().join("regressions")) {
        let replay = reproduce(&path, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !replay.fails(),
            "{} fails again:\n{}",
            path.display(),
            replay.report
        );
    }
}
