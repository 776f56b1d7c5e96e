//! Hostile images into every engine's restore: a case is generated from the input, a real image
//! is taken on one checkpointing engine, then the input mutates it (bytes of its encoding, or
//! fields: pcs, operands, locals, labels, frames, globals, memory pages and chunks) and every
//! checkpointing engine of the pool restores it and runs it to the end.
//!
//! Invariant checked: an engine rejects a hostile image with an error or runs it (within fuel
//! and the wall-clock limit); a panic or a hang is a failure. Which answer is right for a
//! well-formed but altered image is not this target's business (that is the differential's).

use arbitrary::Unstructured;
use baton_checkpoint::image::{value::Kind, Image, Value};
use baton_checkpoint::{decode, encode};

use super::image_decode::limits;
use super::{pool, TargetFailure};
use crate::fuzz::exec::{checkpoint, resume_from, Checkpointed, FailureKind, Limits, ResumePoint};
use crate::fuzz::generator::{generate_steered, materialize};
use crate::fuzz::host::func_imports;
use baton_engine::StopRequest;

/// At most this many mutations per image.
const MAX_MUTATIONS: u32 = 4;

/// A value of any kind, from `u`.
fn any_value(u: &mut Unstructured<'_>) -> Value {
    let bits: u64 = u.arbitrary().unwrap_or(0);
    match u.int_in_range(0..=5u8).unwrap_or(0) {
        0 => Value::i32(bits as u32),
        1 => Value::i64(bits),
        2 => Value::f32(f32::from_bits(bits as u32)),
        3 => Value::f64(f64::from_bits(bits)),
        4 => Value {
            kind: Some(Kind::Funcref(baton_checkpoint::image::FuncRef {
                index: u.arbitrary().unwrap_or(None),
            })),
        },
        _ => Value { kind: None },
    }
}

/// An index into a list of `len` (0 when empty).
fn pick(u: &mut Unstructured<'_>, len: usize) -> usize {
    u.choose_index(len.max(1)).unwrap_or(0)
}

/// Applies one mutation chosen by `u`; `None` when the mutated bytes no longer decode.
fn mutate(u: &mut Unstructured<'_>, mut image: Image) -> Option<Image> {
    let choice = u.int_in_range(0..=8u8).unwrap_or(0);
    if choice == 0 {
        let mut bytes = encode(&image);
        let at = pick(u, bytes.len());
        match u.int_in_range(0..=2u8).unwrap_or(0) {
            0 => bytes.truncate(at),
            1 => bytes.insert(at, u.arbitrary().unwrap_or(0)),
            _ => {
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= u.arbitrary::<u8>().unwrap_or(1).max(1);
                }
            }
        }
        return decode(&bytes, &limits()).ok();
    }
    let frames = image.execution.as_mut().map(|e| &mut e.frames);
    match (choice, frames) {
        (1, Some(frames)) if !frames.is_empty() => {
            let i = pick(u, frames.len());
            frames[i].pc = u.arbitrary().unwrap_or(0);
        }
        (2, Some(frames)) if !frames.is_empty() => {
            let i = pick(u, frames.len());
            let value = any_value(u);
            let operands = &mut frames[i].operands;
            match u.int_in_range(0..=2u8).unwrap_or(0) {
                0 if !operands.is_empty() => {
                    let j = pick(u, operands.len());
                    operands[j] = value;
                }
                1 => operands.push(value),
                _ => {
                    operands.pop();
                }
            }
        }
        (3, Some(frames)) if !frames.is_empty() => {
            let i = pick(u, frames.len());
            let value = any_value(u);
            let locals = &mut frames[i].locals;
            if locals.is_empty() {
                locals.push(value);
            } else {
                let j = pick(u, locals.len());
                locals[j] = value;
            }
        }
        (4, Some(frames)) if !frames.is_empty() => {
            let i = pick(u, frames.len());
            let labels = &mut frames[i].labels;
            if labels.is_empty() || u.arbitrary().unwrap_or(false) {
                let mut label = labels.last().cloned().unwrap_or_default();
                label.height = u.arbitrary().unwrap_or(0);
                label.arity = u.arbitrary().unwrap_or(0);
                label.start = u.arbitrary().unwrap_or(0);
                labels.push(label);
            } else {
                labels.remove(pick(u, labels.len()));
            }
        }
        (5, Some(frames)) if !frames.is_empty() => {
            if u.arbitrary().unwrap_or(false) {
                frames.remove(pick(u, frames.len()));
            } else {
                let copy = frames[pick(u, frames.len())].clone();
                frames.push(copy);
            }
        }
        (6, _) if !image.globals.is_empty() => {
            let i = pick(u, image.globals.len());
            image.globals[i] = any_value(u);
        }
        (7, _) if !image.memories.is_empty() => {
            let i = pick(u, image.memories.len());
            image.memories[i].pages = u.int_in_range(0..=4u64).unwrap_or(0);
        }
        (8, _) if !image.memories.is_empty() => {
            let i = pick(u, image.memories.len());
            let memory = &mut image.memories[i];
            if let Some(chunk) = memory.chunks.first_mut() {
                chunk.index = u.int_in_range(0..=64u64).unwrap_or(0);
                chunk.data.truncate(pick(u, chunk.data.len() + 1));
            }
        }
        _ => {}
    }
    Some(image)
}

/// What one input exercised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exercised {
    /// Hostile images restored (one per checkpointing engine and image).
    pub restores: u32,
    /// Of those, the ones the engine rejected with an error.
    pub rejected: u32,
}

/// The target body.
pub fn run(u: &mut Unstructured<'_>) -> Result<(), TargetFailure> {
    exercise(u).map(|_| ())
}

/// The target body, saying how many hostile restores it ran.
pub fn exercise(u: &mut Unstructured<'_>) -> Result<Exercised, TargetFailure> {
    let mut exercised = Exercised::default();
    let engines: Vec<_> = pool()
        .map_err(TargetFailure::Violation)?
        .iter()
        .filter(|e| e.checkpoints)
        .cloned()
        .collect();
    if engines.is_empty() {
        return Ok(exercised);
    }
    let names: Vec<String> = engines.iter().map(|e| e.name.clone()).collect();
    let Ok(generated) = generate_steered(u, &names, &names) else {
        return Ok(exercised);
    };
    let case = materialize(&generated, &[]);
    let Ok(imports) = func_imports(&case.module) else {
        return Ok(exercised);
    };
    let limits = Limits::default();
    let source = &engines[pick(u, engines.len())];
    let invocation = case.schedule.invocation;
    let stop = StopRequest {
        kinds: case.schedule.kind_set(),
        at: case.schedule.k,
    };
    let Ok(Checkpointed::Suspended { image, prefix }) =
        checkpoint(source, &case, &imports, &limits, invocation, stop)
    else {
        return Ok(exercised);
    };
    let mut image = *image;
    for _ in 0..u.int_in_range(1..=MAX_MUTATIONS).unwrap_or(1) {
        match mutate(u, image) {
            Some(mutated) => image = mutated,
            None => return Ok(exercised),
        }
    }
    for target in &engines {
        let point = ResumePoint {
            image: &image,
            invocation,
            prefix: &prefix,
            fuel: None,
        };
        exercised.restores += 1;
        if let Err(failure) = resume_from(target, &case, &imports, &limits, point, None) {
            exercised.rejected += 1;
            if matches!(failure.kind, FailureKind::Panic | FailureKind::Timeout) {
                return Err(TargetFailure::Violation(format!(
                    "hostile image taken on {} and restored on {}: {failure}",
                    source.name, target.name
                )));
            }
        }
    }
    Ok(exercised)
}
