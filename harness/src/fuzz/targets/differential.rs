//! The coverage-guided differential target: libFuzzer's bytes become one `Unstructured` that
//! chooses the engines (a subset of the pool), then everything the generator chooses (swarm
//! knobs of the wasm-smith configuration, the module, arguments, schedule kinds, `k`, chain),
//! and the case is checked through every property.
//!
//! Invariants: the same bytes and pool always make the same case and verdict (so a crash
//! artifact replays with `baton reproduce`); the selected engines always include a
//! checkpointing one (otherwise the whole pool runs).

use arbitrary::Unstructured;

use super::{pool, TargetFailure};
use crate::fuzz::campaign::check_generated_guarded;
use crate::fuzz::case::Case;
use crate::fuzz::engines::{names_and_checkpointers, EngineSpec};
use crate::fuzz::exec::Limits;
use crate::fuzz::finding::Class;
use crate::fuzz::generator::generate_steered;
use crate::fuzz::oracles::{CaseResult, Verdict};

/// Engines drawn from `u`: each pool engine in or out; the whole pool when the draw has no
/// checkpointing engine.
pub fn choose_engines(u: &mut Unstructured<'_>, pool: &[EngineSpec]) -> Vec<EngineSpec> {
    let chosen: Vec<EngineSpec> = pool
        .iter()
        .filter(|_| u.arbitrary::<bool>().unwrap_or(true))
        .cloned()
        .collect();
    if chosen.iter().any(|e| e.checkpoints) {
        chosen
    } else {
        pool.to_vec()
    }
}

/// The case the bytes in `u` make and its verdict; `None` when they make no case.
pub fn check(u: &mut Unstructured<'_>) -> Result<Option<(Case, CaseResult)>, String> {
    let engines = choose_engines(u, pool()?);
    let (names, checkpointers) = names_and_checkpointers(&engines);
    let Ok(generated) = generate_steered(u, &names, &checkpointers) else {
        return Ok(None);
    };
    Ok(Some(check_generated_guarded(
        &generated,
        &engines,
        &Limits::default(),
    )))
}

/// The target body: any finding but `oracle` (a primary-oracle-only disagreement) fails.
pub fn run(u: &mut Unstructured<'_>) -> Result<(), TargetFailure> {
    let Some((case, result)) = check(u).map_err(TargetFailure::Violation)? else {
        return Ok(());
    };
    match result.verdict {
        Verdict::Finding(finding) if finding.class != Class::Oracle => {
            Err(TargetFailure::Finding {
                case: Box::new(case),
                finding,
            })
        }
        _ => Ok(()),
    }
}
