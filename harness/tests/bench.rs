//! `baton bench` on every registered engine with small inputs: results agree, timings exist,
//! and a workload without its `size` global is an error, not a panic.

use baton::adapters;
use baton::bench::{self, Workload};
use baton_engine::EngineConfig;

fn workload(name: &str, wat: &str) -> Workload {
    Workload {
        name: name.to_string(),
        wasm: wat::parse_str(wat).expect("valid wat"),
    }
}

#[test]
fn every_engine_agrees_on_the_corpus_workloads_at_small_sizes() {
    let corpus = bench::load_workloads(&bench::default_dir(), None).expect("corpus/bench loads");
    assert!(corpus.len() >= 5, "expected the five workloads");
    let engines: Vec<_> = adapters::REGISTRY.iter().collect();
    let report = bench::run(&corpus, &engines, 1, Some(9), &EngineConfig::default()).expect("runs");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    for w in &report.workloads {
        assert_eq!(w.size, 9);
        assert_eq!(w.measurements.len(), adapters::REGISTRY.len(), "{}", w.name);
        assert_eq!(w.measurements[0].engine, "wasmi");
    }
    let table = bench::render(&report);
    assert!(table.contains("vs wasmi") && table.contains("all engines returned the same results"));
}

#[test]
fn a_workload_without_size_is_an_error() {
    let broken = workload(
        "broken",
        r#"(module (func (export "run") (param i32) (result i32) (local.get 0)))"#,
    );
    let engines: Vec<_> = adapters::REGISTRY.iter().collect();
    let error = bench::run(&[broken], &engines, 1, None, &EngineConfig::default())
        .expect_err("no size global");
    assert!(error.to_string().contains("size"), "{error}");
}
