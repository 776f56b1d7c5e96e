//! Properties 4 and 5: an image restored on another engine (or the same one) and run to the
//! end matches the uninterrupted run exactly (results, exported state, host trace, and the idle
//! image at the end when both engines can take one); and so does a chain of two hops.
//!
//! Invariants: every ordered pair of checkpointing engines is tried, self-restore included;
//! each completed and compared restore counts as one conversion.

use baton_checkpoint::image::Image;
use baton_checkpoint::to_text;

use super::checkpoint::{equivalent, image_place, Taken};
use super::semantics::{aliases, Reference};
use super::{observation_evidence, unified, Context, Stats};
use crate::fuzz::engines::EngineSpec;
use crate::fuzz::exec::{self, FailureKind, ResumePoint, Resumed};
use crate::fuzz::finding::{Class, Evidence, Finding};
use crate::fuzz::observation::{compare, Observation};
use baton_engine::StopRequest;

/// Compares a restored run's end against the reference; `route` names the engines in order.
fn judge(
    class: Class,
    reference: &Reference,
    target: &EngineSpec,
    route: &[String],
    observation: &Observation,
    final_image: Option<&Image>,
    images: &[(String, Image)],
) -> Result<(), Finding> {
    let path = route.join(" -> ");
    let aliases = aliases(target, target);
    if let Some(difference) = compare(&reference.observation, observation, &aliases) {
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
        if !equivalent(expected, actual) {
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

/// Property 4: every ordered pair `(A, B)`.
pub fn pairs(
    ctx: &Context<'_>,
    reference: &Reference,
    taken: &[Taken],
    stats: &mut Stats,
) -> Result<(), Finding> {
    let invocation = ctx.case.schedule.invocation;
    for source in taken {
        for target in ctx.checkpointers() {
            let route = vec![source.engine.clone(), target.name.clone()];
            let images = vec![(
                format!("{}-checkpoint", source.engine),
                source.image.clone(),
            )];
            match exec::resume_from(
                target,
                ctx.case,
                &ctx.imports,
                &ctx.limits,
                ResumePoint {
                    image: &source.image,
                    invocation,
                    prefix: &source.prefix,
                },
                None,
            ) {
                Ok(Resumed::Finished {
                    observation,
                    final_image,
                }) => {
                    stats.conversions += 1;
                    judge(
                        Class::Restore,
                        reference,
                        target,
                        &route,
                        &observation,
                        final_image.as_ref(),
                        &images,
                    )?;
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
            return judge(Class::Chain, reference, b, two, &observation, None, &images);
        }
        Ok(Resumed::Finished { .. }) => return Ok(()),
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
        },
        None,
    ) {
        Ok(Resumed::Finished {
            observation,
            final_image,
        }) => {
            stats.conversions += 1;
            stats.chains += 1;
            judge(
                Class::Chain,
                reference,
                c,
                &route,
                &observation,
                final_image.as_ref(),
                &images,
            )
        }
        Ok(_) => Ok(()),
        Err(failure) if failure.kind == FailureKind::Unsupported => Ok(()),
        Err(failure) => Err(to_finding(failure, &images)),
    }
}
