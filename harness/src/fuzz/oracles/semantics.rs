//! Property 1, semantics: uninterrupted runs on every engine agree with each other and with
//! the oracle (wasmi) on results or trap kind, exported memories, globals, tables and the host
//! trace.
//!
//! When the primary oracle ([`ORACLE`], wasmi 2.0) is the only one to differ from two or more
//! engines that all agree, the independent engines (V8, Wasm3) vote ([`vote`]): if every one that
//! can run the case agrees with the engines, and at least one could, the finding is classified
//! [`Class::Oracle`] (a primary-oracle bug; reported, not failing a campaign by default),
//! otherwise it stays [`Class::Semantics`]; the finding's evidence lists every vote. Engines
//! that disagree with each other are always `semantics`, whatever the oracles say.
//!
//! The reference also says whether the checkpointing engines are *NaN-exact* on the case: their
//! uninterrupted observations and final idle images agree bit for bit (NaN payloads included).
//! Then restored runs that stay on one engine compare floats bit for bit against it, so a
//! mapping that loses NaN bits shows; engines that legitimately pick different NaN payloads
//! fall back to comparing up to NaN payloads.
//!
//! A difference between the primary oracle and the engines whose first point is a call stack
//! exhausted on one side only is not compared: the case is skipped with the fixed reason
//! [`depth::ONE_SIDED_EXHAUSTION`] (counted per reason in campaign summaries), because the
//! depth at which wasmi's stack runs out differs from the engines' `max_frames` (see
//! [`depth`]). Engines are never excused this way: they share one frame limit.
//!
//! Likewise a case generated without NaN canonicalisation
//! ([`Case::uncanonical_nans`](crate::fuzz::case::Case::uncanonical_nans)) is not
//! compared with the oracles: a computed NaN's bits are the engine's choice and can reach
//! integers, so a difference there says nothing; the case is skipped with the fixed reason
//! [`UNCANONICAL_NANS`] once the engines agree with each other (they are still compared).
//!
//! An engine running the primary oracle's code (`instrumented:wasmi`, see
//! [`super::inherited`]) is compared last; when it differs from the engines and plain wasmi
//! shows exactly what it shows on the case, the difference is the oracle's (the rewrite kept
//! wasmi's behaviour), handled as above (skips, then the vote).
//!
//! Invariants: engines with event fuel run first; the oracles (which have no event fuel) run only
//! when none of them ran out of fuel, so a non-terminating module can never hang an oracle;
//! trap messages an engine declares as aliases compare equal.

use baton_checkpoint::image::Image;

/// The skip reason for an oracle difference on a case generated without NaN canonicalisation;
/// fixed text, so campaign summaries count it as one reason.
pub const UNCANONICAL_NANS: &str = "NaNs not canonicalised: the oracles may compute other NaN bits (the spec allows any arithmetic NaN)";

use super::checkpoint::equivalent;
use super::inherited::{plain_oracle_agrees, runs_oracle_code, witness_runs_like, WITNESS};
use super::{depth, observation_evidence, vote, Context, Verdict};
use crate::fuzz::engines::{is_oracle, EngineSpec, ORACLE};
use crate::fuzz::exec::{self, FailureKind};
use crate::fuzz::finding::{Class, Evidence, Finding};
use crate::fuzz::observation::{compare, Difference, Observation, Outcome};

/// The agreed uninterrupted behaviour, for the later properties (taken from the first
/// non-oracle engine, so trap messages are the spec's, not an oracle alias).
#[derive(Clone, Debug)]
pub struct Reference {
    /// What every engine showed.
    pub observation: Observation,
    /// Events per invocation, from the first engine that counts them.
    pub events: Vec<Option<u64>>,
    /// Each checkpointing engine's idle image at the end.
    pub final_images: Vec<(String, Image)>,
    /// Whether later comparisons are bit-exact on floats: the NaN-bits check is on and every
    /// checkpointing engine's observation and final image agree bit for bit.
    pub nan_exact: bool,
}

/// The union of two engines' trap aliases.
pub fn aliases<'a>(a: &'a EngineSpec, b: &'a EngineSpec) -> Vec<(&'a str, &'a str)> {
    a.aliases.iter().chain(&b.aliases).copied().collect()
}

/// Runs property 1; `Err` carries the verdict when it fails or cannot be checked.
pub fn check(ctx: &Context<'_>) -> Result<Reference, Verdict> {
    let mut order: Vec<&EngineSpec> = ctx.engines.iter().filter(|e| !is_oracle(&e.name)).collect();
    order.sort_by_key(|e| runs_oracle_code(&e.name));
    order.extend(ctx.engines.iter().filter(|e| e.name == ORACLE));
    let mut runs: Vec<(&EngineSpec, exec::Uninterrupted)> = Vec::new();
    for spec in order {
        let fuel_ran_out = runs
            .iter()
            .any(|(_, run)| run.observation.outcomes.contains(&Outcome::OutOfFuel));
        if spec.name == ORACLE && fuel_ran_out {
            continue;
        }
        match exec::uninterrupted(spec, ctx.case, &ctx.imports, &ctx.limits) {
            Ok(run) => runs.push((spec, run)),
            Err(failure) if failure.kind == FailureKind::Unsupported => {}
            Err(failure) => {
                return Err(Verdict::Finding(Box::new(Finding::from_failure(
                    Class::Semantics,
                    &failure,
                    "uninterrupted run",
                ))))
            }
        }
    }
    let oracle = runs.iter().position(|(spec, _)| spec.name == ORACLE);
    let first_engine = runs.iter().position(|(spec, _)| spec.name != ORACLE);
    let Some(reference_index) = first_engine.or(oracle) else {
        return Err(Verdict::Skipped("no engine could run the case".into()));
    };
    // Every engine against the first engine (exactly, up to declared aliases), then the first
    // engine against the oracle: a difference found only there is one every engine shares, so
    // with two or more engines it is reported as the oracle disagreeing with all of them, and
    // the independent vote decides whether that is `oracle` or `semantics` (see `oracle_only`).
    let engine_count = runs.iter().filter(|(spec, _)| spec.name != ORACLE).count();
    let engine_indices: Vec<usize> = (0..runs.len())
        .filter(|&i| runs[i].0.name != ORACLE)
        .collect();
    let pairs: Vec<(usize, usize)> = first_engine
        .into_iter()
        .flat_map(|base| engine_indices.iter().map(move |&other| (base, other)))
        .chain(oracle.zip(first_engine))
        .collect();
    for (base, other) in pairs {
        let (base_spec, base_run) = &runs[base];
        let (spec, run) = &runs[other];
        let aliases = aliases(base_spec, spec);
        let Some(difference) = compare(&base_run.observation, &run.observation, &aliases, false)
        else {
            continue;
        };
        // The oracle's plain run, when `spec` runs the oracle's code and shows what it shows.
        // (Never when a run ran out of fuel: the oracle has no event fuel and might not end.)
        let fuel_ran_out = [&base_run.observation, &run.observation]
            .iter()
            .any(|o| o.outcomes.contains(&Outcome::OutOfFuel));
        let inherited = (base_spec.name != ORACLE && runs_oracle_code(&spec.name) && !fuel_ran_out)
            .then(|| plain_oracle_agrees(ctx, &run.observation, &aliases))
            .flatten();
        let oracle_side = base_spec.name == ORACLE || inherited.is_some();
        if oracle_side
            && depth::first_difference_is_one_sided_exhaustion(
                &base_run.observation,
                &run.observation,
                &aliases,
            )
        {
            return Err(Verdict::Skipped(depth::ONE_SIDED_EXHAUSTION.into()));
        }
        if oracle_side && ctx.case.uncanonical_nans {
            return Err(Verdict::Skipped(UNCANONICAL_NANS.into()));
        }
        if let Some(oracle_run) = &inherited {
            return Err(Verdict::Finding(Box::new(oracle_only(
                ctx, &runs, base, oracle_run, difference,
            ))));
        }
        if runs_oracle_code(&spec.name)
            && base_spec.name != ORACLE
            && witness_runs_like(ctx, &base_run.observation, &aliases)
        {
            let mut finding = semantics_finding(base_spec, base_run, spec, run, difference);
            finding.class = Class::Oracle;
            finding.summary += &format!(
                "; {WITNESS} (the same rewritten module on V8) agrees with {}: wasmi executes the \
                 rewritten code differently",
                base_spec.name
            );
            return Err(Verdict::Finding(Box::new(finding)));
        }
        if base_spec.name == ORACLE && engine_count >= 2 {
            return Err(Verdict::Finding(Box::new(oracle_only(
                ctx, &runs, other, base_run, difference,
            ))));
        }
        return Err(Verdict::Finding(Box::new(semantics_finding(
            base_spec, base_run, spec, run, difference,
        ))));
    }
    let reference_run = &runs[reference_index].1;
    let events = runs
        .iter()
        .filter(|(spec, _)| spec.checkpoints)
        .chain(runs.iter())
        .map(|(_, run)| &run.events)
        .find(|events| events.iter().any(Option::is_some))
        .cloned()
        .unwrap_or_default();
    let final_images: Vec<(String, Image)> = runs
        .iter()
        .filter_map(|(spec, run)| Some((spec.name.clone(), run.final_image.clone()?)))
        .collect();
    let checkpointing: Vec<&(&EngineSpec, exec::Uninterrupted)> =
        runs.iter().filter(|(spec, _)| spec.checkpoints).collect();
    let nan_exact = ctx.limits.checks.nan_bits
        && checkpointing.windows(2).all(|pair| {
            let ((a, x), (b, y)) = (pair[0], pair[1]);
            compare(&x.observation, &y.observation, &aliases(a, b), true).is_none()
        })
        && final_images
            .windows(2)
            .all(|pair| equivalent(&pair[0].1, &pair[1].1, true));
    Ok(Reference {
        observation: reference_run.observation.clone(),
        events,
        final_images,
        nan_exact,
    })
}

/// The finding for two engines' uninterrupted runs that differ.
fn semantics_finding(
    base_spec: &EngineSpec,
    base_run: &exec::Uninterrupted,
    spec: &EngineSpec,
    run: &exec::Uninterrupted,
    difference: Difference,
) -> Finding {
    Finding {
        class: Class::Semantics,
        engines: vec![base_spec.name.clone(), spec.name.clone()],
        summary: format!(
            "uninterrupted runs differ: {} (expected) vs {}",
            base_spec.name, spec.name
        ),
        first_difference: difference.description,
        place: difference.place,
        evidence: observation_evidence(
            &base_run.observation,
            &run.observation,
            &base_spec.name,
            &spec.name,
        ),
        images: Vec::new(),
    }
}

/// The finding when the primary oracle (`oracle_run`) differs from every engine, which all agree
/// with the engine at `engine_index`: `oracle` if the independent vote confirms it, `semantics`
/// otherwise (see [`vote`]).
fn oracle_only(
    ctx: &Context<'_>,
    runs: &[(&EngineSpec, exec::Uninterrupted)],
    engine_index: usize,
    oracle_run: &exec::Uninterrupted,
    difference: Difference,
) -> Finding {
    let (engine_spec, engine_run) = &runs[engine_index];
    let all: Vec<String> = runs
        .iter()
        .filter(|(s, _)| !is_oracle(&s.name) && !runs_oracle_code(&s.name))
        .map(|(s, _)| s.name.clone())
        .collect();
    let mut evidence = observation_evidence(
        &oracle_run.observation,
        &engine_run.observation,
        ORACLE,
        &engine_spec.name,
    );
    let mut finding = Finding {
        class: Class::Semantics,
        engines: vec![ORACLE.to_string(), all.join("+")],
        summary: format!(
            "the oracle ({ORACLE}) differs from every engine ({}), which all agree",
            all.join(", ")
        ),
        first_difference: difference.description,
        place: format!("oracle-only {}", difference.place),
        evidence: Vec::new(),
        images: Vec::new(),
    };
    // The vote among independent lineages (see `vote`); wasmi 1.x no longer counts.
    let run = |spec: &EngineSpec| exec::uninterrupted(spec, ctx.case, &ctx.imports, &ctx.limits);
    let ballots = vote::poll(engine_spec, &engine_run.observation, &run);
    let votes: Vec<String> = ballots.iter().map(ToString::to_string).collect();
    if vote::oracle_confirmed(&ballots) {
        finding.class = Class::Oracle;
        finding.summary = format!(
            "the primary oracle ({ORACLE}) differs from every engine ({}); the independent \
             engines that could run it agree with the engines",
            all.join(", ")
        );
    } else {
        finding.summary += "; the independent engines do not confirm an oracle bug";
    }
    evidence.push(Evidence {
        title: "independent votes".into(),
        text: votes.join("\n"),
    });
    finding.evidence = evidence;
    finding
}
