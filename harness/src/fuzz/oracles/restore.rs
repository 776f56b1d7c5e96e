//! Properties 4 and 5: an image restored on another engine (or the same one) and run to the
//! end matches the uninterrupted run exactly (results, exported state, host trace, and the idle
//! image at the end when both engines can take one); and so does a chain of two hops.
//!
//! Sharper checks on every restore (each behind its [`Checks`](crate::fuzz::exec::Checks) flag):
//! right after the restore the engine's own image equals the one restored (fidelity); the
//! restored invocation runs with fuel `N`, the uninterrupted run's event count, must finish
//! and report `N` events, and (for one pair per case, to keep throughput) a second restore run
//! with fuel `N - 1` must run out of fuel when events were still to fire (event numbering, see
//! [`numbering`]); function references compare
//! by identity, and floats bit for bit on single-engine routes when the reference says the
//! engines are NaN-exact.
//!
//! Invariants: every ordered pair of checkpointing engines is tried, self-restore included;
//! each completed and compared restore counts as one conversion.

use baton_checkpoint::image::Image;
use baton_checkpoint::{to_text, EventKind};

use super::checkpoint::{equivalent, image_place, Taken};
use super::semantics::{aliases, Reference};
use super::{observation_evidence, unified, Context, Stats};
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::exec::{self, FailureKind, ResumePoint, Resumed};
use crate::fuzz::finding::{Class, Evidence, Finding};
use crate::fuzz::observation::{compare, Observation, Outcome};
use baton_engine::StopRequest;

/// Compares a restored run's end against the reference; `route` names the engines in order.
/// Floats compare bit for bit only when the reference is NaN-exact and the route stays on one
/// engine: engines may legitimately compute different NaN payloads for intermediate values
/// even when their final states agree, so a cross-engine route can mix them.
#[allow(clippy::too_many_arguments)]
fn judge(
    class: Class,
    reference: &Reference,
    engines: &[EngineSpec],
    target: &EngineSpec,
    route: &[String],
    observation: &Observation,
    final_image: Option<&Image>,
    images: &[(String, Image)],
) -> Result<(), Finding> {
    let path = route.join(" -> ");
    // Every engine on the route contributed outcomes (a prefix ran on the first): each one's
    // declared trap aliases apply.
    let aliases: Vec<(&str, &str)> = engines
        .iter()
        .filter(|engine| route.contains(&engine.name))
        .flat_map(|engine| engine.aliases.iter().copied())
        .chain(aliases(target, target))
        .collect();
    let exact = reference.nan_exact && route.iter().all(|engine| *engine == target.name);
    if let Some(difference) = compare(&reference.observation, observation, &aliases, exact) {
        return Err(Finding {
            class,
            engines: route.to_vec(),
            summary: format!("restored run {path} differs from the uninterrupted run"),
            first_difference: difference.description,
            place: difference.place,
            evidence: observation_evidence(
                &reference.observation,
                observation,
                "uninterrupted",
                &path,
            ),
            images: images.to_vec(),
        });
    }
    let expected_final = reference
        .final_images
        .iter()
        .find(|(name, _)| *name == target.name)
        .map(|(_, image)| image);
    if let (Some(expected), Some(actual)) = (expected_final, final_image) {
        if !equivalent(expected, actual, exact) {
            let mut images = images.to_vec();
            images.push((
                format!("{}-final-uninterrupted", target.name),
                expected.clone(),
            ));
            images.push((format!("{}-final-restored", target.name), actual.clone()));
            return Err(Finding {
                class,
                engines: route.to_vec(),
                summary: format!("after {path}, the idle image at the end differs"),
                first_difference: "final idle images differ (state not visible through exports)"
                    .into(),
                place: format!("final {}", image_place(expected, actual)),
                evidence: vec![Evidence {
                    title: "final idle images (text views)".into(),
                    text: unified(&to_text(expected), &to_text(actual), "uninterrupted", &path),
                }],
                images,
            });
        }
    }
    Ok(())
}

/// The uninterrupted run's event count `N` of the checkpointed invocation, when the event
/// numbering check applies (the check is on, an engine counted events, and the invocation
/// ended within the fuel limit).
pub fn expected_events(ctx: &Context<'_>, reference: &Reference) -> Option<u64> {
    let invocation = ctx.case.schedule.invocation;
    let ran_out = reference.observation.outcomes.get(invocation) == Some(&Outcome::OutOfFuel);
    if !ctx.limits.checks.event_numbering || ran_out {
        return None;
    }
    reference.events.get(invocation).copied().flatten()
}

/// Main-kind events fired before resuming from `image` (its stop's number plus one, or the
/// number itself after an `any` stop, which consumes none); `None` for an idle image.
fn fired_before(image: &Image) -> Option<u64> {
    let point = image.execution.as_ref()?.safe_point.as_ref()?;
    let any = EventKind::from_image(point.kind()) == Some(EventKind::Any);
    Some(point.event + u64::from(!any))
}

/// A restore finding that is not a difference of observations.
fn restore_finding(
    class: Class,
    route: &[String],
    summary: String,
    first_difference: String,
    place: String,
    evidence: Vec<Evidence>,
    images: Vec<(String, Image)>,
) -> Finding {
    Finding {
        class,
        engines: route.to_vec(),
        summary,
        first_difference,
        place,
        evidence,
        images,
    }
}

/// The fidelity finding: `restored` is what the target's image was right after restoring
/// `image`.
fn unfaithful(class: Class, route: &[String], image: &Image, restored: &Image) -> Finding {
    let path = route.join(" -> ");
    let target = route.last().cloned().unwrap_or_default();
    let (a, b) = (to_text(image), to_text(restored));
    let first_line = similar::TextDiff::from_lines(&a, &b)
        .iter_all_changes()
        .find(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| c.to_string().trim_end().to_string())
        .unwrap_or_else(|| "(text views equal; encodings differ)".into());
    restore_finding(
        class,
        route,
        format!(
            "{path}: right after the restore, {target}'s image differs from the image it restored"
        ),
        format!("first differing line of the text view: {first_line}"),
        format!("restore fidelity {}", image_place(image, restored)),
        vec![Evidence {
            title: "restored image vs the engine's image right after the restore".into(),
            text: unified(&a, &b, "restored", &format!("{target} after restore")),
        }],
        vec![
            ("restored".into(), image.clone()),
            (format!("{target}-after-restore"), restored.clone()),
        ],
    )
}

/// Event numbering of a finished restored run (`ran`: its observation and the events it
/// reported) of an invocation whose uninterrupted run fired `expected` events, resumed with
/// fuel `expected`: it must not run out of fuel and must report `expected` events (when it
/// counts them). Nothing to check when `expected` is `None`.
fn numbering(
    class: Class,
    route: &[String],
    invocation: usize,
    expected: Option<u64>,
    ran: (&Observation, Option<u64>),
    images: &[(String, Image)],
) -> Result<(), Finding> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let (observation, events) = ran;
    let path = route.join(" -> ");
    let ran_out = observation.outcomes.get(invocation) == Some(&Outcome::OutOfFuel);
    let problem = if ran_out {
        Some((
            format!(
                "invocation {invocation} ran out of fuel {expected}, its uninterrupted event count"
            ),
            "event numbering: fuel N ran out",
        ))
    } else {
        events.filter(|&n| n != expected).map(|n| {
            (
                format!(
                    "invocation {invocation} reported {n} events, the uninterrupted run {expected}"
                ),
                "event numbering: event count",
            )
        })
    };
    match problem {
        None => Ok(()),
        Some((first_difference, place)) => Err(restore_finding(
            class,
            route,
            format!(
                "restored run {path} numbers its events differently from the uninterrupted run"
            ),
            first_difference,
            place.into(),
            Vec::new(),
            images.to_vec(),
        )),
    }
}

/// The other half of the fuel contract: restored from `image` with fuel `N - 1`, the invocation
/// must run out of fuel if events were still to fire, and finish as with fuel `N` otherwise.
fn fuel_probe(
    ctx: &Context<'_>,
    target: &EngineSpec,
    route: &[String],
    point: ResumePoint<'_>,
    expected: u64,
    finished: &Outcome,
    images: &[(String, Image)],
) -> Result<(), Finding> {
    let (Some(fired), Some(fuel)) = (fired_before(point.image), expected.checked_sub(1)) else {
        return Ok(());
    };
    let probe = ResumePoint {
        fuel: Some(fuel),
        ..point
    };
    let result = exec::resume_with_fuel(target, ctx.case, &ctx.imports, &ctx.limits, probe);
    let (outcome, _) = match result {
        Ok(Some(ended)) => ended,
        Ok(None) => return Ok(()),
        Err(failure) if failure.kind == FailureKind::Unsupported => return Ok(()),
        Err(failure) => {
            let mut finding = Finding::from_failure(Class::Restore, &failure, "fuel probe");
            finding.engines = route.to_vec();
            finding.images = images.to_vec();
            return Err(finding);
        }
    };
    let must_run_out = fired < expected;
    let fine = if must_run_out {
        outcome == Outcome::OutOfFuel
    } else {
        outcome == *finished
    };
    if fine {
        return Ok(());
    }
    let wanted = if must_run_out {
        "run out of fuel".to_string()
    } else {
        format!("end as with fuel {expected} ({finished})")
    };
    Err(restore_finding(
        Class::Restore,
        route,
        format!(
            "restored run {} breaks the fuel contract",
            route.join(" -> ")
        ),
        format!(
            "invocation {} ({expected} events, {fired} fired before the stop) resumed with fuel {fuel}: expected to {wanted}, got {outcome}",
            point.invocation
        ),
        "event numbering: fuel N - 1".into(),
        Vec::new(),
        images.to_vec(),
    ))
}

/// Property 4: every ordered pair `(A, B)`.
pub fn pairs(
    ctx: &Context<'_>,
    reference: &Reference,
    taken: &[Taken],
    stats: &mut Stats,
) -> Result<(), Finding> {
    let invocation = ctx.case.schedule.invocation;
    let expected = expected_events(ctx, reference);
    // The fuel N - 1 probe costs a restore and a run: one pair per case, which pair drawn from
    // the schedule so campaigns cover them all.
    let targets = ctx.checkpointers().count().max(1);
    let probed = (ctx.case.schedule.k as usize) % (taken.len() * targets).max(1);
    for (s, source) in taken.iter().enumerate() {
        for (t, target) in ctx.checkpointers().enumerate() {
            let route = vec![source.engine.clone(), target.name.clone()];
            let images = vec![(
                format!("{}-checkpoint", source.engine),
                source.image.clone(),
            )];
            let point = ResumePoint {
                image: &source.image,
                invocation,
                prefix: &source.prefix,
                fuel: expected,
            };
            match exec::resume_from(target, ctx.case, &ctx.imports, &ctx.limits, point, None) {
                Ok(Resumed::Finished {
                    observation,
                    final_image,
                    events,
                }) => {
                    stats.conversions += 1;
                    let ran = (&observation, events);
                    numbering(Class::Restore, &route, invocation, expected, ran, &images)?;
                    judge(
                        Class::Restore,
                        reference,
                        ctx.engines,
                        target,
                        &route,
                        &observation,
                        final_image.as_ref(),
                        &images,
                    )?;
                    let probe = s * targets + t == probed;
                    if let (Some(expected), Some(finished), true) =
                        (expected, observation.outcomes.get(invocation), probe)
                    {
                        stats.fuel_probes += 1;
                        fuel_probe(ctx, target, &route, point, expected, finished, &images)?;
                    }
                }
                Ok(Resumed::Unfaithful(restored)) => {
                    return Err(unfaithful(Class::Restore, &route, &source.image, &restored))
                }
                Ok(Resumed::Suspended(_) | Resumed::NotReached(_)) => {}
                Err(failure) if failure.kind == FailureKind::Unsupported => {
                    stats
                        .unsupported
                        .push(format!("{}: {}", target.name, failure.message));
                }
                Err(failure) => {
                    let mut finding = Finding::from_failure(
                        Class::Restore,
                        &failure,
                        &format!("restore {} -> {}", source.engine, target.name),
                    );
                    finding.engines = route;
                    finding.images = images;
                    return Err(finding);
                }
            }
        }
    }
    Ok(())
}

/// Property 5: the schedule's chain of three engines (shorter chains are covered by pairs).
pub fn chain(ctx: &Context<'_>, reference: &Reference, stats: &mut Stats) -> Result<(), Finding> {
    let schedule = &ctx.case.schedule;
    if schedule.chain.len() < 3 || schedule.chain_stops.len() < 2 {
        return Ok(());
    }
    let find = |name: &String| ctx.checkpointers().find(|e| e.name == *name);
    let (Some(a), Some(b), Some(c)) = (
        find(&schedule.chain[0]),
        find(&schedule.chain[1]),
        find(&schedule.chain[2]),
    ) else {
        return Ok(());
    };
    let route = vec![a.name.clone(), b.name.clone(), c.name.clone()];
    let kinds = schedule.kind_set();
    let expected = expected_events(ctx, reference);
    let to_finding = |failure: exec::Failure, images: &[(String, Image)]| {
        let mut finding = Finding::from_failure(Class::Chain, &failure, "chain");
        finding.engines = route.clone();
        finding.images = images.to_vec();
        finding
    };
    let first = exec::checkpoint(
        a,
        ctx.case,
        &ctx.imports,
        &ctx.limits,
        schedule.invocation,
        StopRequest {
            kinds,
            at: schedule.chain_stops[0],
        },
    );
    let (image1, prefix) = match first {
        Ok(exec::Checkpointed::Suspended { image, prefix }) => (*image, prefix),
        Ok(exec::Checkpointed::NotReached) => return Ok(()),
        Err(failure) if failure.kind == FailureKind::Unsupported => return Ok(()),
        Err(failure) => return Err(to_finding(failure, &[])),
    };
    let mut images = vec![(format!("{}-hop1", a.name), image1.clone())];
    let second = exec::resume_from(
        b,
        ctx.case,
        &ctx.imports,
        &ctx.limits,
        ResumePoint {
            image: &image1,
            invocation: schedule.invocation,
            prefix: &prefix,
            fuel: expected,
        },
        Some(StopRequest {
            kinds,
            at: schedule.chain_stops[1],
        }),
    );
    let image2 = match second {
        Ok(Resumed::Suspended(image)) => image,
        Ok(Resumed::NotReached(observation)) => {
            stats.conversions += 1;
            let two = &route[..2];
            return judge(
                Class::Chain,
                reference,
                ctx.engines,
                b,
                two,
                &observation,
                None,
                &images,
            );
        }
        Ok(Resumed::Finished { .. }) => return Ok(()),
        Ok(Resumed::Unfaithful(restored)) => {
            return Err(unfaithful(Class::Chain, &route[..2], &image1, &restored))
        }
        Err(failure) if failure.kind == FailureKind::Unsupported => return Ok(()),
        Err(failure) => return Err(to_finding(failure, &images)),
    };
    stats.conversions += 1;
    images.push((format!("{}-hop2", b.name), image2.clone()));
    match exec::resume_from(
        c,
        ctx.case,
        &ctx.imports,
        &ctx.limits,
        ResumePoint {
            image: &image2,
            invocation: schedule.invocation,
            prefix: &prefix,
            fuel: expected,
        },
        None,
    ) {
        Ok(Resumed::Finished {
            observation,
            final_image,
            events,
        }) => {
            stats.conversions += 1;
            stats.chains += 1;
            let (invocation, ran) = (schedule.invocation, (&observation, events));
            numbering(Class::Chain, &route, invocation, expected, ran, &images)?;
            judge(
                Class::Chain,
                reference,
                ctx.engines,
                c,
                &route,
                &observation,
                final_image.as_ref(),
                &images,
            )
        }
        Ok(Resumed::Unfaithful(restored)) => {
            Err(unfaithful(Class::Chain, &route, &image2, &restored))
        }
        Ok(_) => Ok(()),
        Err(failure) if failure.kind == FailureKind::Unsupported => Ok(()),
        Err(failure) => Err(to_finding(failure, &images)),
    }
}
