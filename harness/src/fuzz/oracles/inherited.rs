//! Divergences an engine inherits from the engine it runs on: `instrumented:wasmi` runs modules
//! rewritten by `baton instrument` on wasmi, the primary oracle, so it shares wasmi's known
//! miscompilations (reports/README.md). A difference it shows is wasmi's, not baton's, when
//! - uninterrupted: plain wasmi shows exactly the same observation (then the independent vote
//!   decides, as for any oracle difference, see [`super::semantics`]), or V8 running the same
//!   rewritten module (`instrumented:proc:v8`) shows the engines' observation (wasmi executes
//!   the rewritten code differently: its miscompilations depend on code shape);
//! - at a checkpoint: the *same rewritten module* run on V8 (`instrumented:proc:v8`) stops with
//!   the image the engines took, so the rewrite is right and wasmi executed it differently.
//!
//! Invariant: without the evidence (V8's adapter not set up, V8 not reaching the stop, V8's
//! image differing too) the finding keeps its failing class.

use baton_checkpoint::image::Image;
use baton_engine::StopRequest;

use super::checkpoint::equivalent;
use super::Context;
use crate::adapters::instrumented::PREFIX;
use crate::fuzz::engines::{resolve, ORACLE};
use crate::fuzz::exec::{self, Checkpointed};
use crate::fuzz::observation::{compare, Observation};

/// The engine that runs the same rewritten module on an independent lineage.
pub const WITNESS: &str = "instrumented:proc:v8";

/// Whether the engine runs the primary oracle's code (`instrumented:wasmi`).
pub fn runs_oracle_code(name: &str) -> bool {
    name.strip_prefix(PREFIX) == Some(ORACLE)
}

/// The primary oracle's plain run of the case, when it shows exactly `observation`.
pub fn plain_oracle_agrees(
    ctx: &Context<'_>,
    observation: &Observation,
    aliases: &[(&str, &str)],
) -> Option<exec::Uninterrupted> {
    let oracle = resolve(ORACLE).ok()?;
    let run = exec::uninterrupted(&oracle, ctx.case, &ctx.imports, &ctx.limits).ok()?;
    compare(&run.observation, observation, aliases, false)
        .is_none()
        .then_some(run)
}

/// Whether [`WITNESS`]'s uninterrupted run shows the engines' `observation`.
pub fn witness_runs_like(
    ctx: &Context<'_>,
    observation: &Observation,
    aliases: &[(&str, &str)],
) -> bool {
    let Ok(witness) = resolve(WITNESS) else {
        return false;
    };
    exec::uninterrupted(&witness, ctx.case, &ctx.imports, &ctx.limits)
        .is_ok_and(|run| compare(observation, &run.observation, aliases, false).is_none())
}

/// Whether [`WITNESS`], stopped at the case's checkpoint, takes an image equivalent to
/// `engines_image` (up to NaN payloads unless `exact`).
pub fn witness_agrees(ctx: &Context<'_>, engines_image: &Image, exact: bool) -> bool {
    let Ok(witness) = resolve(WITNESS) else {
        return false;
    };
    let schedule = &ctx.case.schedule;
    let stop = StopRequest::new(schedule.kind_set(), schedule.k);
    match exec::checkpoint(
        &witness,
        ctx.case,
        &ctx.imports,
        &ctx.limits,
        schedule.invocation,
        stop,
    ) {
        Ok(Checkpointed::Suspended { image, .. }) => equivalent(engines_image, &image, exact),
        _ => false,
    }
}
