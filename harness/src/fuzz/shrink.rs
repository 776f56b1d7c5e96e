//! Minimising a failing case while keeping its finding class: wasm-shrink on the module, then
//! a smaller `k`, fewer invocations and a shorter chain.
//!
//! Invariants: every accepted step still fails in the same class (checked by a full replay);
//! invocations whose export disappeared or changed type are dropped, never guessed; the result
//! is written next to the original as `minimized/`.

use std::path::{Path, PathBuf};

use super::case::Case;
use super::engines::EngineSpec;
use super::exec::Limits;
use super::finding::{Class, Finding};
use super::generator::exported_funcs;
use super::oracles::{check, Verdict};
use super::report;
use super::reproduce::{case_engines, ReplayError};

/// Why shrinking could not run.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The case could not be loaded or its engines resolved.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The case passes (or is skipped): there is nothing to keep.
    #[error("the case does not fail ({0}); nothing to shrink")]
    NotFailing(String),
    /// Writing the result failed.
    #[error("writing {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// A minimised case.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smaller case.
    pub case: Case,
    /// Its finding (same class as the original's).
    pub finding: Finding,
    /// Module size before and after.
    pub module_sizes: (usize, usize),
}

fn finding_class(case: &Case, engines: &[EngineSpec], limits: &Limits) -> Option<(Class, Finding)> {
    match check(case, engines, limits).verdict {
        Verdict::Finding(finding) => Some((finding.class, *finding)),
        _ => None,
    }
}

/// `case` with `module`, its invocations pruned to exports that still exist with the same
/// parameter types; `None` when the scheduled invocation is gone.
pub fn with_module(case: &Case, module: Vec<u8>) -> Option<Case> {
    let exports = exported_funcs(&module).ok()?;
    let mut keep = Vec::new();
    let mut scheduled = None;
    for (i, invocation) in case.invocations.iter().enumerate() {
        let fits = exports.iter().any(|(name, ty)| {
            *name == invocation.export
                && ty.params.len() == invocation.args.len()
                && ty
                    .params
                    .iter()
                    .zip(&invocation.args)
                    .all(|(t, a)| *t == a.ty())
        });
        if fits {
            if i == case.schedule.invocation {
                scheduled = Some(keep.len());
            }
            keep.push(invocation.clone());
        }
    }
    let mut candidate = case.clone();
    candidate.module = module;
    candidate.invocations = keep;
    candidate.schedule.invocation = scheduled?;
    Some(candidate)
}

fn schedule_steps(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    let schedule = &case.schedule;
    // Drop invocations other than the scheduled one.
    for i in 0..case.invocations.len() {
        if i != schedule.invocation {
            let mut c = case.clone();
            c.invocations.remove(i);
            if i < schedule.invocation {
                c.schedule.invocation -= 1;
            }
            out.push(c);
        }
    }
    // Smaller k (chain's first stop follows k).
    let mut k = 0;
    while k < schedule.k {
        let mut c = case.clone();
        c.schedule.k = k;
        if let Some(first) = c.schedule.chain_stops.first_mut() {
            *first = k;
        }
        if c.check().is_ok() {
            out.push(c);
        }
        k = if k == 0 { 1 } else { k * 2 };
    }
    // Shorter chain.
    if schedule.chain.len() > 1 {
        let mut c = case.clone();
        c.schedule.chain.pop();
        c.schedule.chain_stops.pop();
        out.push(c);
    }
    out
}

fn shrink_schedule(mut case: Case, class: Class, engines: &[EngineSpec], limits: &Limits) -> Case {
    'outer: loop {
        for candidate in schedule_steps(&case) {
            if finding_class(&candidate, engines, limits).is_some_and(|(c, _)| c == class) {
                case = candidate;
                continue 'outer;
            }
        }
        return case;
    }
}

/// Shrinks `case`, keeping its finding class; `attempts` bounds wasm-shrink's search.
pub fn shrink(case: &Case, limits: &Limits, attempts: u32) -> Result<Shrunk, ShrinkError> {
    let engines = case_engines(case)?;
    let verdict = check(case, &engines, limits).verdict;
    let Verdict::Finding(original) = verdict else {
        return Err(ShrinkError::NotFailing(format!("{verdict:?}")));
    };
    let class = original.class;
    let before = case.module.len();
    let mut current = shrink_schedule(case.clone(), class, &engines, limits);
    let base = current.clone();
    let predicate = |wasm: &[u8]| -> anyhow::Result<bool> {
        Ok(with_module(&base, wasm.to_vec())
            .and_then(|candidate| finding_class(&candidate, &engines, limits))
            .is_some_and(|(c, _)| c == class))
    };
    if let Ok(info) = wasm_shrink::WasmShrink::default()
        .attempts(attempts)
        .run(current.module.clone(), predicate)
    {
        if let Some(candidate) = with_module(&base, info.output) {
            current = candidate;
        }
    }
    current = shrink_schedule(current, class, &engines, limits);
    let finding = finding_class(&current, &engines, limits)
        .filter(|(c, _)| *c == class)
        .map(|(_, f)| f);
    let (current, finding) = match finding {
        Some(finding) => (current, finding),
        None => (case.clone(), *original),
    };
    let after = current.module.len();
    Ok(Shrunk {
        case: current,
        finding,
        module_sizes: (before, after),
    })
}

/// Writes the shrunk case as `minimized/` next to the original case (`path` is the case file
/// or its directory); returns the directory.
pub fn write_next_to(path: &Path, shrunk: &Shrunk) -> Result<PathBuf, ShrinkError> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    report::write_named(&dir, "minimized", &shrunk.case, &shrunk.finding, 1).map_err(|source| {
        ShrinkError::Io {
            path: dir.join("minimized"),
            source,
        }
    })
}
