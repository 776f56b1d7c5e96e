//! Property tests: the five properties on generated cases (bounded, for CI), plus the case-file
//! and host-state round trips the harness's replay relies on. Failures are persisted next to
//! this file (`fuzz_properties.regressions`, committed) and replayed first on every run.
//!
//! The engines are `stack` and `register` (which also check property 1 against each other);
//! the oracle is exercised by the corpus test and every campaign, and left out here because a
//! known wasmi divergence (`reports/README.md`) would make this test flaky.

use baton::fuzz::case::Case;
use baton::fuzz::engines::resolve_all;
use baton::fuzz::exec::Limits;
use baton::fuzz::generator::{generate, materialize};
use baton::fuzz::host::HostState;
use baton::fuzz::oracles::{check, check_generated, Verdict};
use baton::fuzz::report::render;
use baton_checkpoint::image::Image;
use baton_engine::{ValType, Value};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

fn engine_names() -> Vec<String> {
    vec!["stack".into(), "register".into()]
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn generated_cases_hold_every_property(seed in any::<u64>()) {
        let names = engine_names();
        let engines = resolve_all(&names).expect("engines resolve");
        let Ok(generated) = generate(seed, None, &names, &names) else {
            return Ok(());
        };
        let (case, result) = check_generated(&generated, &engines, &Limits::default());
        if let Verdict::Finding(finding) = &result.verdict {
            prop_assert!(false, "{}", render(&case, finding, 1, None));
        }
        // The materialized case replays to the same verdict on its own.
        let again = check(&case, &engines, &Limits::default());
        prop_assert_eq!(again.verdict, result.verdict);
        prop_assert_eq!(again.stats.checkpoints, result.stats.checkpoints);
    }

    #[test]
    fn case_files_round_trip(seed in any::<u64>()) {
        let names = engine_names();
        let Ok(generated) = generate(seed, Some((seed, 3)), &names, &names) else {
            return Ok(());
        };
        let case = materialize(&generated, &[Some(seed % 100), None, Some(0)]);
        prop_assert!(case.check().is_ok(), "{:?}", case.check());
        let parsed: Case = serde_json::from_str(&case.to_json()).expect("case JSON parses");
        prop_assert_eq!(parsed, case);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn host_state_survives_the_image(calls in proptest::collection::vec((0u8..4, any::<i32>()), 0..20)) {
        let host = HostState::new();
        let mut image = Image::default();
        // Record through the image boundary halfway, as a checkpoint would.
        let (before, after) = calls.split_at(calls.len() / 2);
        let record = |host: &HostState, calls: &[(u8, i32)]| -> Vec<Vec<Value>> {
            calls
                .iter()
                .map(|(func, arg)| host.call(&format!("f{func}"), &[Value::I32(*arg)], &[ValType::I64]))
                .collect()
        };
        record(&host, before);
        host.store_into(&mut image);
        let restored = HostState::from_image(&image).expect("host section decodes");
        let continued = record(&restored, after);
        let original = record(&host, after);
        prop_assert_eq!(continued, original);
        prop_assert_eq!(restored.trace(), host.trace());
    }
}
