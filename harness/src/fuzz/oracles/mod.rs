//! The five properties, checked in order on one case; the first that fails becomes the case's
//! finding.
//!
//! 1. [`semantics`]: uninterrupted runs agree on every engine and on the oracle;
//! 2. [`checkpoint`]: at event `k` every checkpointing engine's image is byte-identical;
//! 3. [`checkpoint`] (codec): `decode(encode(image)) == image` and the image validates;
//! 4. [`restore`]: every ordered pair `(A, B)` (self included) restores and matches;
//! 5. [`restore`] (chain): `A → B` at `k1` then `B → C` at `k2 > k1` matches too;
//! 6. [`hostile`] (a sampled share of cases): images derived from the real one that contradict
//!    the module or the frame limit are refused by every restore with a typed error.
//!
//! Invariants: a property with nothing to check (no engine stopped, fewer than two engines)
//! passes vacuously and is counted as such in [`Stats`]; an engine that lacks an operation is
//! skipped for the properties needing it, never reported as a finding.

// A finding is the cold path (at most one per case); boxing it in every `Result` would only add
// noise.
#![allow(clippy::result_large_err)]

pub mod checkpoint;
pub mod depth;
pub mod hostile;
pub mod inherited;
pub mod restore;
pub mod semantics;
pub mod shape;
pub mod vote;

use baton_checkpoint::analysis::ModuleAnalysis;

use super::case::Case;
use super::engines::EngineSpec;
use super::exec::Limits;
use super::finding::{Evidence, Finding};
use super::generator::{materialize, Generated};
use super::host::{self, FuncImport};
use super::observation::{differing_rows, text_view, Observation};
use baton_checkpoint::EventKind;
use baton_engine::StopRequest;

/// Whether `wasm` imports a memory, table or global.
fn imports_state(wasm: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .any(|payload| match payload {
            Ok(wasmparser::Payload::ImportSection(reader)) => reader
                .into_imports()
                .flatten()
                .any(|import| !matches!(import.ty, wasmparser::TypeRef::Func(_))),
            _ => false,
        })
}

/// What one case exercised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Engines that suspended at the schedule's event (images taken).
    pub checkpoints: u64,
    /// Restores run to the end and compared (including chain hops).
    pub conversions: u64,
    /// Two-hop chains run to the end and compared.
    pub chains: u64,
    /// Whether the schedule's event was reached at all.
    pub reached: bool,
    /// Engines skipped for lacking an operation, with the operation.
    pub unsupported: Vec<String>,
    /// Restored runs probed with fuel `N - 1` (the fuel contract's second half).
    pub fuel_probes: u64,
    /// What the case reached, for the campaign's distribution ([`shape::Distribution`]).
    pub shape: shape::CaseShape,
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every property held.
    Pass,
    /// A property failed.
    Finding(Box<Finding>),
    /// The case could not be checked (reason).
    Skipped(String),
}

/// A case's verdict and what it exercised.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The verdict.
    pub verdict: Verdict,
    /// Counters.
    pub stats: Stats,
}

/// Everything the properties share about one case.
pub struct Context<'a> {
    /// The case.
    pub case: &'a Case,
    /// Engines, in the case's order.
    pub engines: &'a [EngineSpec],
    /// The module's imports (all harness host functions).
    pub imports: Vec<FuncImport>,
    /// Bounds on each engine operation.
    pub limits: Limits,
}

impl Context<'_> {
    /// The checkpointing engines that take part in the schedule: those that fire and restore
    /// every kind it stops at (`any` is optional for engines).
    pub fn checkpointers(&self) -> impl Iterator<Item = &EngineSpec> {
        let kinds = &self.case.schedule.kinds;
        self.engines
            .iter()
            .filter(move |e| e.checkpoints && kinds.iter().all(|k| e.kinds.contains(*k)))
    }

    /// The schedule's first stop.
    pub fn stop(&self) -> StopRequest {
        StopRequest {
            kinds: self.case.schedule.kind_set(),
            at: self.case.schedule.k,
        }
    }

    /// The module analysis images are validated against.
    pub fn analysis(&self) -> Result<ModuleAnalysis, String> {
        ModuleAnalysis::new(&self.case.module).map_err(|e| e.to_string())
    }
}

/// Checks a materialized case.
pub fn check(case: &Case, engines: &[EngineSpec], limits: &Limits) -> CaseResult {
    let mut stats = Stats::default();
    let verdict = match host::func_imports(&case.module) {
        Err(message) => Verdict::Skipped(format!("module imports: {message}")),
        Ok(imports) => {
            let ctx = Context {
                case,
                engines,
                imports,
                limits: *limits,
            };
            match semantics::check(&ctx) {
                Err(verdict) => verdict,
                Ok(reference) => run_checkpoint_properties(&ctx, &reference, &mut stats),
            }
        }
    };
    CaseResult { verdict, stats }
}

/// Checks a freshly generated case: semantics first (which also counts the checkpointed
/// invocation's events), then materializes the schedule and checks the rest. Returns the
/// concrete case that was checked.
pub fn check_generated(
    generated: &Generated,
    engines: &[EngineSpec],
    limits: &Limits,
) -> (Case, CaseResult) {
    let mut stats = Stats::default();
    let imports = match host::func_imports(&generated.case.module) {
        Ok(imports) => imports,
        Err(message) => {
            let case = materialize(generated, &[]);
            let verdict = Verdict::Skipped(format!("module imports: {message}"));
            return (case, CaseResult { verdict, stats });
        }
    };
    let draft = Context {
        case: &generated.case,
        engines,
        imports: imports.clone(),
        limits: *limits,
    };
    let reference = match semantics::check(&draft) {
        Ok(reference) => reference,
        Err(verdict) => {
            let case = materialize(generated, &[]);
            return (case, CaseResult { verdict, stats });
        }
    };
    let case = materialize(generated, &reference.events);
    let ctx = Context {
        case: &case,
        engines,
        imports,
        limits: *limits,
    };
    let verdict = run_checkpoint_properties(&ctx, &reference, &mut stats);
    (case, CaseResult { verdict, stats })
}

fn run_checkpoint_properties(
    ctx: &Context<'_>,
    reference: &semantics::Reference,
    stats: &mut Stats,
) -> Verdict {
    stats.shape.nan_exact = reference.nan_exact;
    stats.shape.any_stops = ctx.case.schedule.kinds.contains(&EventKind::Any);
    stats.shape.imports_state = imports_state(&ctx.case.module);
    // Across engines, images compare up to NaN payloads: engines may compute different NaN
    // payloads for intermediate values (corpus/regressions/nan-payload-in-local).
    let images = match checkpoint::equivalence(ctx, false, stats) {
        Ok(images) => images,
        Err(finding) => return Verdict::Finding(Box::new(finding)),
    };
    if let Err(finding) = checkpoint::codec(ctx, &images, stats) {
        return Verdict::Finding(Box::new(finding));
    }
    if let Err(finding) = restore::pairs(ctx, reference, &images, stats) {
        return Verdict::Finding(Box::new(finding));
    }
    if let Err(finding) = restore::chain(ctx, reference, stats) {
        return Verdict::Finding(Box::new(finding));
    }
    if let Err(finding) = hostile::check(ctx, &images, stats) {
        return Verdict::Finding(Box::new(finding));
    }
    Verdict::Pass
}

/// A unified diff of two texts (empty when equal).
pub fn unified(expected: &str, actual: &str, expected_name: &str, actual_name: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(expected_name, actual_name)
        .to_string()
}

/// Evidence comparing two observations: outcomes/globals/tables/trace as a unified diff, and
/// each differing memory as hex rows of only its differing regions.
pub fn observation_evidence(
    expected: &Observation,
    actual: &Observation,
    expected_name: &str,
    actual_name: &str,
) -> Vec<Evidence> {
    let mut evidence = vec![Evidence {
        title: "outcomes, globals, tables and host trace".into(),
        text: unified(
            &text_view(expected),
            &text_view(actual),
            expected_name,
            actual_name,
        ),
    }];
    for ((name, a), (_, b)) in expected.memories.iter().zip(&actual.memories) {
        if a != b {
            let (a_rows, b_rows) = differing_rows(a, b);
            evidence.push(Evidence {
                title: format!("memory {name:?} (differing 16-byte rows, hex)"),
                text: unified(&a_rows, &b_rows, expected_name, actual_name),
            });
        }
    }
    evidence
}
