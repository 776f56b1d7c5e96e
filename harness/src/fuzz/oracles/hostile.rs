//! Property 6 (on a sampled share of cases): hostile images derived from the case's real
//! checkpoint image are refused by every checkpointing engine's restore with a typed error
//! ([`EngineError::Restore`]), never accepted, never a panic or a hang.
//!
//! The hostile images: every type confusion of `baton certify`'s hostile-images check
//! ([`mutations`]) that contradicts the module (the shared validator refuses it: values of the
//! wrong type, pcs inside an instruction or past the body, frames that do not fit, memories and
//! tables beyond their maximum, a foreign module hash, ...), plus the few this module adds
//! ([`EXTRAS`]: dropped-segment flags out of range, a table beyond its maximum). And the limit
//! no validator knows: the real image restored on engines built with `max_frames` one below its
//! frame count (two or more) must be refused, with exactly its frame count accepted.
//!
//! Invariants: a case is probed when `fnv1a(module) + k` is a multiple of [`SHARE`] (a pure
//! function of the case, so a finding reproduces); only images the validator refuses are
//! offered at the default limits (what the format allows, an engine may accept); each image is
//! offered to every engine, restore only (no resume): at the campaign's limits on its cached
//! session, at other limits on a fresh one.

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{value::Kind, FuncRef, Image, Value};
use baton_checkpoint::{to_text, validate};
use baton_engine::EngineError;
use serde::{Deserialize, Serialize};

use super::checkpoint::Taken;
use super::{Context, Stats};
use crate::certify::hostile::mutations::{mutants, Offer, Sizes};
use crate::fuzz::exec::{self, Limits, Restored};
use crate::fuzz::finding::{Class, Evidence, Finding};
use crate::fuzz::rng::fnv1a;

/// One case in `SHARE` is probed (restores are cheap, but a probe offers dozens of images to
/// every engine).
pub const SHARE: u64 = 16;

/// What a probe found, for the campaign's tally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Hostile images offered (each to every checkpointing engine).
    pub images: u64,
    /// Restores of them that had to be refused (each image times the engines it was offered
    /// to).
    #[serde(default)]
    pub restores: u64,
    /// Restores refused with a typed error (equal to `restores` when all is well).
    pub refused: u64,
}

/// A hostile image change this module adds to `baton certify`'s: changes the image, returns
/// whether it applied.
type Extra = fn(&mut Image) -> bool;

/// Hostile changes not in `baton certify`'s list, by name.
const EXTRAS: &[(&str, Extra)] = &[
    (
        "an extra dropped-element flag (segment index out of range)",
        |i| {
            i.dropped_elements.push(true);
            true
        },
    ),
    ("a dropped-data flag missing", |i| {
        i.dropped_data.pop().is_some()
    }),
    ("table larger than its maximum", |i| {
        i.tables.iter_mut().any(|t| match t.max {
            Some(max) => {
                let null = Value {
                    kind: Some(Kind::Funcref(FuncRef { index: None })),
                };
                let element = t.elements.first().cloned().unwrap_or(null);
                let target = usize::try_from(max).map_or(usize::MAX, |m| m.saturating_add(1));
                t.elements.resize(target.min(1 << 20), element);
                t.elements.len() as u64 > max
            }
            None => false,
        })
    }),
    ("memory of more pages than its maximum", |i| {
        i.memories.iter_mut().any(|m| match m.max_pages {
            Some(max) => {
                m.pages = max + 1;
                true
            }
            None => false,
        })
    }),
];

/// Whether `ctx`'s case is probed.
pub fn sampled(ctx: &Context<'_>) -> bool {
    fnv1a(&ctx.case.module)
        .wrapping_add(ctx.case.schedule.k)
        .is_multiple_of(SHARE)
}

/// Property 6 on the first engine's image in `taken` (when the case is sampled).
pub fn check(ctx: &Context<'_>, taken: &[Taken], stats: &mut Stats) -> Result<(), Finding> {
    let Some(base) = taken.first() else {
        return Ok(());
    };
    if !sampled(ctx) {
        return Ok(());
    }
    stats.shape.hostile = probe(ctx, base)?;
    Ok(())
}

/// Offers the hostile images derived from `base` (every one, unsampled); what was offered.
pub fn probe(ctx: &Context<'_>, base: &Taken) -> Result<Probe, Finding> {
    let analysis = match ctx.analysis() {
        Ok(analysis) => analysis,
        Err(_) => return Ok(Probe::default()),
    };
    let hostile = module_contradictions(&base.image, &analysis, ctx.case.schedule.k);
    let mut probe = Probe::default();
    // Offered at the campaign's limits: every one must be refused.
    offer(ctx, &ctx.limits, &base.engine, &hostile, &[], &mut probe)?;
    // The frame limit: one frame too many is refused, exactly the limit accepted.
    let frames = base.image.execution.as_ref().map_or(0, |e| e.frames.len());
    // From two frames on: a limit of 0 means "the default" to out-of-process adapters
    // (docs/adapter-protocol.md).
    if let Ok(count @ 2..) = u32::try_from(frames) {
        let real = [(
            format!("{count} frames with max_frames {}", count - 1),
            base.image.clone(),
        )];
        let below = Limits {
            max_frames: count - 1,
            ..ctx.limits
        };
        offer(ctx, &below, &base.engine, &real, &[], &mut probe)?;
        let exact = Limits {
            max_frames: count,
            ..ctx.limits
        };
        let accept = [(
            format!("{count} frames with max_frames {count}"),
            base.image.clone(),
        )];
        offer(ctx, &exact, &base.engine, &[], &accept, &mut probe)?;
    }
    Ok(probe)
}

/// The hostile images of `image` that contradict the module (the shared validator refuses
/// them), named.
fn module_contradictions(
    image: &Image,
    analysis: &ModuleAnalysis,
    seed: u64,
) -> Vec<(String, Image)> {
    let none = Sizes {
        truncations: 0,
        bit_flips: 0,
    };
    let confusions = mutants(image, analysis, none, seed)
        .into_iter()
        .filter_map(|mutant| match mutant.offer {
            Offer::Image(copy) => Some((mutant.label, *copy)),
            Offer::Bytes(_) => None,
        });
    let extras = EXTRAS.iter().filter_map(|(label, change)| {
        let mut copy = image.clone();
        (change(&mut copy) && copy != *image).then(|| ((*label).to_string(), copy))
    });
    confusions
        .chain(extras)
        .filter(|(_, copy)| validate(copy, analysis).is_err())
        .collect()
}

/// Offers `refuse` (each must be refused) and `accept` (each must be restored) to every
/// checkpointing engine built with `limits`; tallies into `probe`.
/// `imager` names the engine that took the real image.
fn offer(
    ctx: &Context<'_>,
    limits: &Limits,
    imager: &str,
    refuse: &[(String, Image)],
    accept: &[(String, Image)],
    probe: &mut Probe,
) -> Result<(), Finding> {
    let offered: Vec<&(String, Image)> = refuse.iter().chain(accept).collect();
    let images: Vec<&Image> = offered.iter().map(|(_, image)| image).collect();
    // The campaign's own limits: the cached sessions were built with them.
    let cached = std::ptr::eq(limits, &ctx.limits);
    probe.images += refuse.len() as u64;
    for spec in ctx.checkpointers() {
        probe.restores += refuse.len() as u64;
        let results = exec::restore_each(spec, ctx.case, &ctx.imports, limits, &images, cached);
        for (index, result) in results.into_iter().enumerate() {
            let must_accept = index >= refuse.len();
            let (label, image) = (&offered[index].0, images[index]);
            let problem = match result {
                Err(failure) => {
                    let mut finding = Finding::from_failure(
                        Class::Hostile,
                        &failure,
                        &format!("restore of a hostile image ({label})"),
                    );
                    finding.images = vec![(format!("{imager}-hostile"), image.clone())];
                    return Err(finding);
                }
                Ok(Restored::Refused(EngineError::Restore(_))) if !must_accept => {
                    probe.refused += 1;
                    None
                }
                Ok(Restored::Accepted) if must_accept => None,
                Ok(Restored::Accepted) => Some("accepted it".to_string()),
                Ok(Restored::Refused(error)) if must_accept => {
                    Some(format!("refused the real image: {error}"))
                }
                Ok(Restored::Refused(error)) => {
                    Some(format!("refused it without a typed restore error: {error}"))
                }
            };
            if let Some(problem) = problem {
                return Err(Finding {
                    class: Class::Hostile,
                    engines: vec![spec.name.clone()],
                    summary: format!("{}'s restore of a hostile image: {problem}", spec.name),
                    first_difference: format!("{label}: {problem}"),
                    place: format!("hostile image: {label}"),
                    evidence: vec![Evidence {
                        title: "the image offered (text view)".into(),
                        text: to_text(image),
                    }],
                    images: vec![(format!("{imager}-hostile"), image.clone())],
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::fuzz::corpus::seed_cases;
    use crate::fuzz::engines::{resolve, EngineSpec};
    use crate::fuzz::exec::Checkpointed;
    use crate::fuzz::host;
    use baton_engine::{Engine, EngineConfig, Wrapper};

    /// Two frames deep inside a loop, with a passive data segment dropped first.
    const WAT: &str = r#"(module
      (memory 1 2)
      (table 2 4 funcref)
      (data $d "abc")
      (func $inner (param i32) (result i32)
        (local $n i32)
        (local.set $n (i32.const 3))
        (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get 0))
      (func (export "run") (param i32) (result i32)
        (data.drop $d)
        (call $inner (i32.add (local.get 0) (i32.const 1)))))"#;

    /// An engine that restores the real image whatever it is offered (a restore that never
    /// refuses).
    struct AcceptsAnything {
        inner: Box<dyn Engine>,
        real: Image,
    }

    impl Wrapper for AcceptsAnything {
        fn inner(&self) -> &dyn Engine {
            self.inner.as_ref()
        }
        fn inner_mut(&mut self) -> &mut dyn Engine {
            self.inner.as_mut()
        }
        fn before_restore(&mut self, _image: &Image) -> Option<Image> {
            Some(self.real.clone())
        }
    }

    /// The `register` engine under another name, created by `create`.
    fn variant(name: &str, create: crate::fuzz::engines::Factory) -> EngineSpec {
        EngineSpec {
            name: name.into(),
            create,
            ..resolve("register").expect("registered")
        }
    }

    #[test]
    fn hostile_images_are_refused_and_a_lax_restore_is_caught() {
        let wasm = wat::parse_str(WAT).expect("parses");
        let register = resolve("register").expect("registered");
        let engines = vec![
            register.clone(),
            resolve("threaded").expect("registered"),
            resolve("stack").expect("registered"),
        ];
        let cases = seed_cases(&wasm, &engines, 8).expect("cases");
        let limits = Limits::default();
        let imports = host::func_imports(&wasm).expect("imports");
        // The stop inside $inner's loop: two frames.
        let (case, image, prefix) = cases
            .into_iter()
            .find_map(|case| {
                let stop = Context {
                    case: &case,
                    engines: &engines,
                    imports: imports.clone(),
                    limits,
                }
                .stop();
                match exec::checkpoint(&register, &case, &imports, &limits, 0, stop) {
                    Ok(Checkpointed::Suspended { image, prefix })
                        if image
                            .execution
                            .as_ref()
                            .is_some_and(|e| e.frames.len() == 2) =>
                    {
                        Some((case.clone(), *image, prefix))
                    }
                    _ => None,
                }
            })
            .expect("a stop with two frames");
        assert!(
            image.dropped_data.iter().all(|d| *d),
            "the segment was dropped"
        );
        let base = Taken {
            engine: "register".into(),
            image: image.clone(),
            prefix,
        };
        let run = |engines: &[EngineSpec]| {
            let ctx = Context {
                case: &case,
                engines,
                imports: imports.clone(),
                limits,
            };
            probe(&ctx, &base)
        };
        let probed = run(&engines).expect("every engine refuses every hostile image");
        assert!(probed.images >= 20, "{probed:?}");
        // Every module contradiction refused by all three engines; the frame-limit image too.
        assert_eq!(probed.refused, 3 * probed.images);
        assert_eq!(probed.refused, probed.restores);

        // An engine that restores whatever it is offered.
        let real = image.clone();
        let lax = variant(
            "accepts-anything",
            Arc::new(move |config: &EngineConfig| -> Box<dyn Engine> {
                Box::new(AcceptsAnything {
                    inner: (resolve("register").expect("registered").create)(config),
                    real: real.clone(),
                })
            }),
        );
        let finding = run(&[register.clone(), lax]).expect_err("a lax restore is caught");
        assert_eq!(finding.class, Class::Hostile);
        assert_eq!(finding.engines, ["accepts-anything"]);
        assert!(
            finding.first_difference.contains("accepted it"),
            "{finding:?}"
        );

        // An engine that ignores the frame limit it was built with.
        let unlimited = variant(
            "no-frame-limit",
            Arc::new(|_: &EngineConfig| {
                (resolve("register").expect("registered").create)(&EngineConfig::default())
            }),
        );
        let finding = run(&[unlimited]).expect_err("the frame limit is probed");
        assert_eq!(finding.class, Class::Hostile);
        assert_eq!(finding.place, "hostile image: 2 frames with max_frames 1");
    }
}
