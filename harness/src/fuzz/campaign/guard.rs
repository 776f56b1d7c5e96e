//! Checking one case with panics outside engine operations (the harness's own libraries:
//! analysis, codec, text views) turned into a `panic` finding on the engine `harness`.
//!
//! Invariant: these functions never unwind.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::fuzz::case::Case;
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::exec::Limits;
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::generator::{materialize, Generated};
use crate::fuzz::oracles::{check, check_generated, CaseResult, Stats, Verdict};

/// The `panic` result for a payload caught outside any engine operation.
pub(super) fn panic_result(payload: Box<dyn std::any::Any + Send>) -> CaseResult {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic payload".into());
    let finding = Finding {
        class: Class::Panic,
        engines: vec!["harness".into()],
        summary: "panic outside any engine operation".into(),
        first_difference: message,
        place: "harness".into(),
        evidence: Vec::new(),
        images: Vec::new(),
    };
    CaseResult {
        verdict: Verdict::Finding(Box::new(finding)),
        stats: Stats::default(),
    }
}

/// [`check`] under the panic guard.
pub fn check_guarded(case: &Case, engines: &[EngineSpec], limits: &Limits) -> (Case, CaseResult) {
    let result = catch_unwind(AssertUnwindSafe(|| check(case, engines, limits)))
        .unwrap_or_else(panic_result);
    (case.clone(), result)
}

/// [`check_generated`] under the same panic guard as [`check_guarded`].
pub fn check_generated_guarded(
    generated: &Generated,
    engines: &[EngineSpec],
    limits: &Limits,
) -> (Case, CaseResult) {
    catch_unwind(AssertUnwindSafe(|| {
        check_generated(generated, engines, limits)
    }))
    .unwrap_or_else(|payload| (materialize(generated, &[]), panic_result(payload)))
}
