//! Properties 2 and 3: at the schedule's event every checkpointing engine takes a
//! byte-identical image (checkpoint equivalence), and each image survives the codec unchanged
//! and validates against the module (codec).
//!
//! Invariants: images are compared in their canonical encoding, host section included, bit for
//! bit when asked (`exact`), else up to NaN payloads (which the spec leaves to each engine:
//! across engines they are always compared that way); an
//! engine that suspends where another runs past the event is itself a checkpoint finding.

use baton_checkpoint::image::Image;
use baton_checkpoint::{decode, encode, to_text, validate, DecodeLimits};

use super::inherited;
use super::shape::{dropped_passive, Shape};
use super::{unified, Context, Stats};
use crate::fuzz::case::CaseValue;
use crate::fuzz::exec::{self, Checkpointed, FailureKind};
use crate::fuzz::finding::{Class, Evidence, Finding};
use crate::fuzz::host::HostState;
use crate::fuzz::observation::Outcome;

/// An image one engine took at the schedule's event.
#[derive(Clone, Debug)]
pub struct Taken {
    /// The engine's name.
    pub engine: String,
    /// The image (host section included).
    pub image: Image,
    /// Outcomes of the invocations before the checkpointed one.
    pub prefix: Vec<Outcome>,
}

/// The variant name of a debug-printed error (its first word), for deduplication.
pub fn variant_name(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Property 2; returns the images for the next properties.
pub fn equivalence(
    ctx: &Context<'_>,
    exact: bool,
    stats: &mut Stats,
) -> Result<Vec<Taken>, Finding> {
    let schedule = &ctx.case.schedule;
    let mut taken: Vec<Taken> = Vec::new();
    let mut not_reached: Vec<String> = Vec::new();
    for spec in ctx.checkpointers() {
        match exec::checkpoint(
            spec,
            ctx.case,
            &ctx.imports,
            &ctx.limits,
            schedule.invocation,
            ctx.stop(),
        ) {
            Ok(Checkpointed::Suspended { image, prefix }) => taken.push(Taken {
                engine: spec.name.clone(),
                image: *image,
                prefix,
            }),
            Ok(Checkpointed::NotReached) => not_reached.push(spec.name.clone()),
            Err(failure) if failure.kind == FailureKind::Unsupported => {
                stats
                    .unsupported
                    .push(format!("{}: {}", spec.name, failure.message));
            }
            Err(failure) => {
                return Err(Finding::from_failure(
                    Class::Checkpoint,
                    &failure,
                    "run to the checkpoint and take the image",
                ))
            }
        }
    }
    stats.checkpoints += taken.len() as u64;
    stats.reached = !taken.is_empty();
    compare_taken(ctx, &taken, &not_reached, exact)?;
    Ok(taken)
}

/// Property 2 on images already taken at the schedule's event: every engine that suspended
/// (`taken`) has an equivalent image (NaN payloads included when `exact`), and none ran past it
/// (`not_reached`).
pub fn compare_taken(
    ctx: &Context<'_>,
    taken: &[Taken],
    not_reached: &[String],
    exact: bool,
) -> Result<(), Finding> {
    let schedule = &ctx.case.schedule;
    if let (Some(first), Some(missing)) = (taken.first(), not_reached.first()) {
        return Err(Finding {
            class: Class::Checkpoint,
            engines: vec![first.engine.clone(), missing.clone()],
            summary: format!(
                "{} suspended at the schedule's event, {} ran past it",
                first.engine, missing
            ),
            first_difference: format!(
                "invocation {} stop at {:?} >= {}: only some engines stopped",
                schedule.invocation, schedule.kinds, schedule.k
            ),
            place: "stop reached by some engines only".into(),
            evidence: vec![Evidence {
                title: format!("image of {}", first.engine),
                text: to_text(&first.image),
            }],
            images: vec![(first.engine.clone(), first.image.clone())],
        });
    }
    // Different engines may compute different NaN bits mid-run when the case does not
    // canonicalise NaNs (any arithmetic NaN is allowed), even where their final states agree:
    // their images are then compared up to NaN payloads. Moved NaNs stay bit-exact elsewhere
    // (canonicalised cases here; every case in same-engine restores).
    let exact = exact && !ctx.case.uncanonical_nans;
    if let Some(first) = taken.first() {
        for other in &taken[1..] {
            if !equivalent(&first.image, &other.image, exact) {
                let (a, b) = (to_text(&first.image), to_text(&other.image));
                let first_line = similar::TextDiff::from_lines(&a, &b)
                    .iter_all_changes()
                    .find(|c| c.tag() != similar::ChangeTag::Equal)
                    .map(|c| c.to_string().trim_end().to_string())
                    .unwrap_or_default();
                let (class, summary) = if inherited_from_oracle(ctx, taken, first, other, exact) {
                    (
                        Class::Oracle,
                        format!(
                            "images at the same event differ: {} vs {}; the same rewritten \
                             module on V8 gives the engines' image (wasmi executed it \
                             differently)",
                            first.engine, other.engine
                        ),
                    )
                } else {
                    (
                        Class::Checkpoint,
                        format!(
                            "images at the same event differ: {} vs {}",
                            first.engine, other.engine
                        ),
                    )
                };
                return Err(Finding {
                    class,
                    engines: vec![first.engine.clone(), other.engine.clone()],
                    summary,
                    first_difference: format!(
                        "first differing line of the text view: {first_line}"
                    ),
                    place: image_place(&first.image, &other.image),
                    evidence: vec![Evidence {
                        title: "image text views".into(),
                        text: unified(&a, &b, &first.engine, &other.engine),
                    }],
                    images: vec![
                        (first.engine.clone(), first.image.clone()),
                        (other.engine.clone(), other.image.clone()),
                    ],
                });
            }
        }
    }
    Ok(())
}

/// Whether a difference between `a` and `b` is one side running the oracle's code
/// ([`inherited`]) while the other side's image is every other engine's and V8 running the same
/// rewritten module takes it too.
fn inherited_from_oracle(
    ctx: &Context<'_>,
    taken: &[Taken],
    a: &Taken,
    b: &Taken,
    exact: bool,
) -> bool {
    let engines = match (
        inherited::runs_oracle_code(&a.engine),
        inherited::runs_oracle_code(&b.engine),
    ) {
        (true, false) => b,
        (false, true) => a,
        _ => return false,
    };
    taken
        .iter()
        .filter(|t| !inherited::runs_oracle_code(&t.engine))
        .all(|t| equivalent(&engines.image, &t.image, exact))
        && inherited::witness_agrees(ctx, &engines.image, exact)
}

/// `image` with every NaN (in globals, entry arguments, locals, operands and the host trace)
/// replaced by the canonical NaN of its type: the spec lets engines pick any NaN for arithmetic
/// results, so images that differ only there are equivalent.
pub fn nan_canonical(image: &Image) -> Image {
    use baton_checkpoint::image::value::Kind;
    let fix = |value: &mut baton_checkpoint::image::Value| match &mut value.kind {
        Some(Kind::F32(bits)) if f32::from_bits(*bits).is_nan() => *bits = 0x7fc0_0000,
        Some(Kind::F64(bits)) if f64::from_bits(*bits).is_nan() => *bits = 0x7ff8_0000_0000_0000,
        _ => {}
    };
    let mut out = image.clone();
    out.globals.iter_mut().for_each(fix);
    if let Some(execution) = out.execution.as_mut() {
        if let Some(entry) = execution.entry.as_mut() {
            entry.args.iter_mut().for_each(fix);
        }
        for frame in &mut execution.frames {
            frame.locals.iter_mut().for_each(fix);
            frame.operands.iter_mut().for_each(fix);
        }
    }
    if let Ok(host) = HostState::from_image(&out) {
        let trace = host
            .trace()
            .into_iter()
            .map(|mut entry| {
                for arg in &mut entry.args {
                    match arg {
                        CaseValue::F32(bits) if f32::from_bits(*bits).is_nan() => {
                            *bits = 0x7fc0_0000
                        }
                        CaseValue::F64(bits) if f64::from_bits(*bits).is_nan() => {
                            *bits = 0x7ff8_0000_0000_0000
                        }
                        _ => {}
                    }
                }
                entry
            })
            .collect();
        HostState::with_trace(trace).store_into(&mut out);
    }
    out
}

/// Whether two images are equal: byte for byte when `exact`, else up to NaN payloads (see
/// [`nan_canonical`]).
pub fn equivalent(a: &Image, b: &Image, exact: bool) -> bool {
    encode(a) == encode(b) || (!exact && encode(&nan_canonical(a)) == encode(&nan_canonical(b)))
}

/// Which part of two images differs (no values), for deduplication.
pub fn image_place(a: &Image, b: &Image) -> String {
    if a.memories != b.memories {
        return "image memories".into();
    }
    if a.globals != b.globals {
        return "image globals".into();
    }
    if a.tables != b.tables {
        return "image tables".into();
    }
    if a.dropped_data != b.dropped_data || a.dropped_elements != b.dropped_elements {
        return "image dropped flags".into();
    }
    if a.host_sections != b.host_sections {
        return "image host sections".into();
    }
    match (&a.execution, &b.execution) {
        (Some(x), Some(y)) => {
            if x.safe_point != y.safe_point {
                return "image safe point".into();
            }
            if x.frames.len() != y.frames.len() {
                return "image frame count".into();
            }
            for (f, g) in x.frames.iter().zip(&y.frames) {
                for (field, differs) in [
                    ("func", f.func != g.func),
                    ("pc", f.pc != g.pc),
                    ("locals", f.locals != g.locals),
                    ("operands", f.operands != g.operands),
                    ("labels", f.labels != g.labels),
                ] {
                    if differs {
                        return format!("image frame {field}");
                    }
                }
            }
            "image execution entry".into()
        }
        _ => "image execution presence".into(),
    }
}

/// Property 3 on every distinct image; also records the first image's shape in `stats`.
pub fn codec(ctx: &Context<'_>, taken: &[Taken], stats: &mut Stats) -> Result<(), Finding> {
    if taken.is_empty() {
        return Ok(());
    }
    let analysis = ctx.analysis().map_err(|message| Finding {
        class: Class::Codec,
        engines: Vec::new(),
        summary: "baton-checkpoint's module analysis rejects a module the engines accept".into(),
        first_difference: message.clone(),
        place: format!("analysis {}", variant_name(&message)),
        evidence: Vec::new(),
        images: Vec::new(),
    })?;
    stats.shape.checkpoint = Shape::of(&analysis, &taken[0].image).map(|shape| Shape {
        dropped_segment: dropped_passive(&ctx.case.module, &taken[0].image),
        ..shape
    });
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for t in taken {
        let bytes = encode(&t.image);
        if seen.contains(&bytes) {
            continue;
        }
        let fail = |first_difference: String, place: String, evidence: Vec<Evidence>| Finding {
            class: Class::Codec,
            engines: vec![t.engine.clone()],
            summary: format!(
                "image from {} fails the codec/validation property",
                t.engine
            ),
            first_difference,
            place,
            evidence,
            images: vec![(t.engine.clone(), t.image.clone())],
        };
        match decode(&bytes, &DecodeLimits::default()) {
            Err(error) => {
                return Err(fail(
                    format!("decode(encode(image)) failed: {error}"),
                    format!("decode {}", variant_name(&format!("{error:?}"))),
                    Vec::new(),
                ))
            }
            Ok(decoded) if decoded != t.image => {
                return Err(fail(
                    "decode(encode(image)) != image".into(),
                    "round trip".into(),
                    vec![Evidence {
                        title: "image vs decoded image (text views)".into(),
                        text: unified(&to_text(&t.image), &to_text(&decoded), "image", "decoded"),
                    }],
                ))
            }
            Ok(_) => {}
        }
        if let Err(error) = validate(&t.image, &analysis) {
            return Err(fail(
                format!("image does not validate against the module: {error}"),
                format!("validate {}", variant_name(&format!("{error:?}"))),
                vec![Evidence {
                    title: format!("image of {}", t.engine),
                    text: to_text(&t.image),
                }],
            ));
        }
        seen.push(bytes);
    }
    Ok(())
}
