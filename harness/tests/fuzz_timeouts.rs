//! An engine operation past the wall-clock limit is a `timeout` finding, never a dead
//! campaign: with a 1 ms limit, a short campaign reports timeouts and still completes.

use std::time::Duration;

use baton::fuzz::campaign::{self, Budget, Options};
use baton::fuzz::engines::{default_names, resolve_all};
use baton::fuzz::exec::Limits;
use baton::fuzz::finding::Class;

#[test]
fn slow_operations_become_timeout_findings() {
    let engines = resolve_all(&default_names()).expect("registry engines resolve");
    let options = Options {
        jobs: 2,
        limits: Limits {
            wall: Duration::from_micros(1),
            ..Limits::default()
        },
        ..Options::new(Budget::Cases(40), 21, engines)
    };
    let outcome = campaign::run(&options).expect("no output folder, nothing to fail writing");
    assert_eq!(outcome.summary.cases, 40, "every case was checked");
    assert!(
        outcome
            .findings
            .iter()
            .any(|u| u.finding.class == Class::Timeout),
        "no timeout finding: {}",
        outcome.summary.line()
    );
    assert!(
        outcome
            .summary
            .findings
            .get("timeout")
            .copied()
            .unwrap_or(0)
            > 0
    );
}
