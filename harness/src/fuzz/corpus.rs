//! The committed corpora: `corpus/seeds/*.wat` (hand-written modules aimed at the mapping) and
//! `corpus/regressions/*/case.json` (minimised cases of fixed bugs), turned into cases that run
//! through every property.
//!
//! Invariants: a seed yields one case per (invocation, stop point) over evenly spaced event
//! numbers of each invocation, so seeds are checkpointed throughout, not at one point; argument
//! values are derived from the export name, so seed cases are stable across runs.

use std::path::{Path, PathBuf};

use super::case::{Case, Invocation, Schedule, CASE_VERSION};
use super::engines::{names_and_checkpointers, EngineSpec};
use super::exec::{self, Limits, SCHEDULE_KINDS};
use super::generator::{argument, exported_funcs};
use super::host;
use super::rng::{fnv1a, SplitMix64};

/// The repository's corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// Files under `dir` with extension `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Regression case files: `corpus/regressions/*/case.json` and `corpus/regressions/*.json`.
pub fn regression_cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            if p.is_dir() {
                Some(p.join("case.json")).filter(|c| c.is_file())
            } else {
                Some(p).filter(|p| p.extension().is_some_and(|e| e == "json"))
            }
        })
        .collect();
    out.sort();
    out
}

/// Cases for one seed module: every exported function invoked once (in export order), and one
/// case per stop point (`stops_per_invocation` evenly spaced events of each invocation).
pub fn seed_cases(
    wasm: &[u8],
    engines: &[EngineSpec],
    stops_per_invocation: u64,
) -> Result<Vec<Case>, String> {
    let invocations: Vec<Invocation> = exported_funcs(wasm)?
        .into_iter()
        .map(|(name, ty)| {
            let mut rng = SplitMix64::new(fnv1a(name.as_bytes()));
            Invocation {
                args: ty.params.iter().map(|t| argument(&mut rng, *t)).collect(),
                export: name,
            }
        })
        .collect();
    let (names, checkpointers) = names_and_checkpointers(engines);
    let mut base = Case {
        version: CASE_VERSION,
        origin: None,
        engines: names,
        module: wasm.to_vec(),
        invocations,
        schedule: Schedule {
            invocation: 0,
            kinds: SCHEDULE_KINDS.to_vec(),
            k: 0,
            chain: Vec::new(),
            chain_stops: Vec::new(),
        },
        wasi: None,
        fuel: None,
        uncanonical_nans: false,
    };
    // Count events with the first checkpointing engine that reports them.
    let imports = host::func_imports(wasm)?;
    let events = engines
        .iter()
        .filter(|e| e.checkpoints)
        .find_map(|spec| {
            let run = exec::uninterrupted(spec, &base, &imports, &Limits::default()).ok()?;
            run.events.iter().any(Option::is_some).then_some(run.events)
        })
        .unwrap_or_default();
    let chain: Vec<String> = match checkpointers.as_slice() {
        [] => Vec::new(),
        [only] => vec![only.clone(); 3],
        [a, b, ..] => vec![a.clone(), b.clone(), a.clone()],
    };
    let mut cases = Vec::new();
    for (invocation, count) in events.iter().enumerate() {
        let count = count.unwrap_or(0);
        if count == 0 {
            continue;
        }
        let stops = stops_per_invocation.min(count).max(1);
        for s in 0..stops {
            let k = s * count / stops;
            let k2 = k + (count - k).div_ceil(2).max(1);
            base.schedule = Schedule {
                invocation,
                kinds: SCHEDULE_KINDS.to_vec(),
                k,
                chain_stops: if chain.is_empty() {
                    Vec::new()
                } else {
                    vec![k, k2]
                },
                chain: chain.clone(),
            };
            cases.push(base.clone());
        }
    }
    if cases.is_empty() {
        cases.push(base);
    }
    Ok(cases)
}
