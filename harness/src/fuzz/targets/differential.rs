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
use crate::fuzz::engines::{is_oracle, names_and_checkpointers, EngineSpec};
use crate::fuzz::exec::Limits;
use crate::fuzz::finding::Class;
use crate::fuzz::generator::generate_steered;
use crate::fuzz::oracles::{CaseResult, Verdict};

/// Engines drawn from `u`: each pool engine in or out; the whole pool when the draw has no
/// checkpointing engine, and every non-oracle engine of the pool when an oracle is drawn with
/// fewer than two engines (the semantics property tells a primary-oracle-only disagreement,
/// class `oracle`, from an engine bug only against two or more agreeing engines, as in
/// campaigns, which always run every engine).
pub fn choose_engines(u: &mut Unstructured<'_>, pool: &[EngineSpec]) -> Vec<EngineSpec> {
    let mut chosen: Vec<bool> = pool
        .iter()
        .map(|_| u.arbitrary::<bool>().unwrap_or(true))
        .collect();
    let picked = |chosen: &[bool], want: &dyn Fn(&EngineSpec) -> bool| {
        pool.iter()
            .zip(chosen)
            .filter(|(e, c)| **c && want(e))
            .count()
    };
    if picked(&chosen, &|e| e.checkpoints) == 0 {
        return pool.to_vec();
    }
    if picked(&chosen, &|e| is_oracle(&e.name)) > 0 && picked(&chosen, &|e| !is_oracle(&e.name)) < 2
    {
        for (engine, c) in pool.iter().zip(chosen.iter_mut()) {
            *c |= !is_oracle(&engine.name);
        }
    }
    pool.iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(e, _)| e.clone())
        .collect()
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
