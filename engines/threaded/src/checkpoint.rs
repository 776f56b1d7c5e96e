//! The mapping between the threaded engine's native state — the unwind record of a stopped
//! run ([`Native`] frames: function activations with their slots, loop ops, call ops with the
//! caller's `r0`/`fp0`, the resume position) — and the engine-neutral image. This is the only
//! module that reads or writes images' execution state.
//!
//! Reading (checkpoint): the record is cut into Wasm frames (a `Function` record, its `Loop`
//! records, then its `Call` or the innermost stop); each frame's safe point is found from its
//! code position, and must list exactly the loops the record has (the native shape). The
//! point's operand map says where each Wasm operand is: a slot, `r0`, `fp0`, a local's slot
//! it aliases, or a constant slot. Labels come from the shared analysis at the frame's pc.
//!
//! Writing (restore): each image frame's safe point is found from its pc; the map fixes the
//! whole native shape (which loop records, which registers) and the slot layout. Operands the
//! map says alias a local or are a constant are *checked*: an image contradicting the map is
//! rejected with an error naming the function, pc and operand. The result is an unwind record,
//! which `Driving::resume` rewinds exactly like one taken by this engine.
//!
//! Invariants: images are validated against the shared analysis before anything is written;
//! `image(restore(i)) == i` for every image `i` accepted.

use std::any::Any;
use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{self, Entry, Execution as ImageExecution, Frame, SafePoint};
use baton_runtime::image_map::{execution_entry, mismatch, ExecutionEntry};
use baton_runtime::{Config, EventKind, ImageError, StopLocation, Val, ValType};

use crate::compiler::{Loc, PointKind, SafePoint as MapPoint};
use crate::executor::{Events, Native};
use crate::instance::{InstanceInner, Suspended};
use crate::module::{FuncCode, ModuleCode};
use crate::values::{from_bits, to_bits};

fn point_kind(kind: EventKind) -> Option<PointKind> {
    match kind {
        EventKind::Entry => Some(PointKind::Entry),
        EventKind::Loop => Some(PointKind::Loop),
        EventKind::Call => Some(PointKind::Call),
        EventKind::Return => Some(PointKind::Return),
        EventKind::Any => None,
    }
}

/// How a Wasm frame's part of the record ends.
#[derive(Clone, Copy, Debug)]
enum Tail {
    /// At a call op (an outer frame, or the innermost stopped at its call event).
    Call { at: u32, r0: u64, fp0: u64 },
    /// Innermost, stopped at its last loop's event.
    Loop,
    /// Innermost, to continue at `at` (entry or return stop).
    Resume { at: u32, r0: u64, fp0: u64 },
}

/// One Wasm frame of an unwind record.
struct FrameRecord<'r> {
    func: u32,
    slots: &'r [u64],
    loops: Vec<u32>,
    tail: Tail,
}

/// Cuts a record (outermost first) into Wasm frames.
fn frames_of(records: &[Native]) -> Result<Vec<FrameRecord<'_>>, ImageError> {
    let bad = |what: &str| mismatch("unwind record", what.to_string());
    let mut frames = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let Some(Native::Function { func, slots }) = records.get(i) else {
            return Err(bad("expected a function activation"));
        };
        i += 1;
        let mut loops = Vec::new();
        while let Some(Native::Loop { at }) = records.get(i) {
            loops.push(*at);
            i += 1;
        }
        let tail = match records.get(i) {
            None => Tail::Loop,
            Some(Native::Call { at, r0, fp0 }) => {
                i += 1;
                Tail::Call {
                    at: *at,
                    r0: *r0,
                    fp0: *fp0,
                }
            }
            Some(Native::Resume { at, r0, fp0 }) => {
                i += 1;
                if i != records.len() {
                    return Err(bad("a resume position that is not innermost"));
                }
                Tail::Resume {
                    at: *at,
                    r0: *r0,
                    fp0: *fp0,
                }
            }
            Some(Native::Function { .. }) => return Err(bad("a function without a call")),
            Some(Native::Loop { .. }) => return Err(bad("misplaced loop")),
        };
        if matches!(tail, Tail::Loop) && loops.is_empty() {
            return Err(bad("a frame that is neither calling nor stopped"));
        }
        frames.push(FrameRecord {
            func: *func,
            slots,
            loops,
            tail,
        });
    }
    Ok(frames)
}

/// The safe point of a frame record (`kind` is the stop's kind, for the innermost).
fn point_of<'c>(
    code: &'c FuncCode,
    frame: &FrameRecord<'_>,
    kind: EventKind,
) -> Result<&'c MapPoint, ImageError> {
    let points = &code.compiled.points;
    let place = format!("function {}", frame.func);
    let point = match frame.tail {
        Tail::Call { at, .. } => points.at_pos(PointKind::Call, at),
        Tail::Loop => frame
            .loops
            .last()
            .and_then(|at| points.at_pos(PointKind::Loop, *at)),
        Tail::Resume { at, .. } => {
            let kind = point_kind(kind).ok_or_else(|| mismatch(&place, "any stop"))?;
            points.at_pos(kind, at)
        }
    }
    .ok_or_else(|| mismatch(&place, format!("no safe point for {:?}", frame.tail)))?;
    if point.loops != frame.loops {
        return Err(mismatch(
            &place,
            format!(
                "native loop frames {:?} differ from the map's {:?} at pc {}",
                frame.loops, point.loops, point.pc
            ),
        ));
    }
    Ok(point)
}

/// Function index and image pc of the innermost frame of a stopped run.
pub(crate) fn stop_location(module: &ModuleCode, suspended: &Suspended) -> Option<StopLocation> {
    let frames = frames_of(&suspended.records).ok()?;
    let last = frames.last()?;
    let code = module.func(last.func)?;
    let point = point_of(code, last, suspended.kind).ok()?;
    Some(StopLocation {
        func: last.func,
        pc: point.pc,
    })
}

/// The registers a frame's tail holds.
fn registers(tail: Tail) -> (u64, u64) {
    match tail {
        Tail::Call { r0, fp0, .. } | Tail::Resume { r0, fp0, .. } => (r0, fp0),
        Tail::Loop => (0, 0),
    }
}

/// The execution half of the image of a stopped run.
pub(crate) fn execution_image(
    inner: &InstanceInner,
    suspended: &Suspended,
    analysis: &ModuleAnalysis,
) -> Result<ImageExecution, ImageError> {
    let module = &inner.module;
    let this = inner.this();
    let to_image =
        |value: &Val, place: &dyn Fn() -> String| inner.objects.val_to_image(value, &this, place);
    let args = suspended
        .entry_args
        .iter()
        .enumerate()
        .map(|(i, value)| to_image(value, &|| format!("entry argument {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    let records = frames_of(&suspended.records)?;
    let last = records.len().saturating_sub(1);
    let refs = inner.refs.borrow();
    let mut frames = Vec::with_capacity(records.len());
    for (depth, record) in records.iter().enumerate() {
        let place = format!("frame {depth} (function {})", record.func);
        let code = module
            .func(record.func)
            .ok_or_else(|| mismatch(&place, "not a defined function"))?;
        let point = point_of(code, record, suspended.kind)?;
        let info = analysis
            .function(record.func)
            .and_then(|fa| fa.at(point.pc))
            .ok_or_else(|| mismatch(&place, format!("pc {} is not a boundary", point.pc)))?;
        let slot = |s: u32| -> Result<u64, ImageError> {
            record
                .slots
                .get(s as usize)
                .copied()
                .ok_or_else(|| mismatch(&place, format!("slot {s} outside the frame")))
        };
        let mut locals = Vec::with_capacity(code.compiled.locals.len());
        for (index, ty) in code.compiled.locals.iter().enumerate() {
            let value = from_bits(slot(index as u32)?, *ty, &refs);
            locals.push(to_image(&value, &|| format!("{place} local {index}"))?);
        }
        let keep = if depth == last {
            point.operands.len()
        } else {
            point.operands.len().saturating_sub(point.consumed as usize)
        };
        let (r0, fp0) = registers(record.tail);
        let mut operands = Vec::with_capacity(keep);
        for (index, operand) in point.operands.iter().take(keep).enumerate() {
            let bits = match operand.loc {
                Loc::Slot(s) | Loc::Local(s) | Loc::Const(s) => slot(s)?,
                Loc::R0 => r0,
                Loc::Fp0 => fp0,
            };
            let value = from_bits(bits, operand.ty, &refs);
            operands.push(to_image(&value, &|| format!("{place} operand {index}"))?);
        }
        frames.push(Frame {
            func: record.func,
            pc: point.pc,
            locals,
            operands,
            labels: info.labels.clone(),
        });
    }
    Ok(ImageExecution {
        entry: Some(Entry {
            func: suspended.entry_func,
            args,
        }),
        safe_point: Some(SafePoint {
            kind: suspended.kind.to_image() as i32,
            event: suspended.event,
        }),
        frames,
    })
}

/// A typed value from an image value.
fn value_of(
    inner: &InstanceInner,
    this: &Rc<dyn Any>,
    value: &image::Value,
    ty: ValType,
    place: &str,
) -> Result<Val, ImageError> {
    inner
        .objects
        .val_from_image(value, ty, this, &|| place.to_string())
}

/// Builds the unwind record of an image's execution (the image already validated and the
/// store restored).
pub(crate) fn rebuild(
    inner: &Rc<InstanceInner>,
    source: &ImageExecution,
    config: Config,
) -> Result<Suspended, ImageError> {
    let this = inner.this();
    let module = inner.module.clone();
    let ExecutionEntry {
        kind,
        event,
        func: entry_func,
        args: entry_args,
    } = execution_entry(&inner.objects, &this, source, config, "threaded")?;
    let mut refs = inner.refs.borrow_mut();
    let mut records = Vec::new();
    let last = source.frames.len() - 1;
    for (depth, frame) in source.frames.iter().enumerate() {
        let place = format!("frame {depth} (function {}, pc {})", frame.func, frame.pc);
        let code = module
            .func(frame.func)
            .ok_or_else(|| mismatch(&place, "not a defined function"))?;
        let compiled = &code.compiled;
        let innermost = depth == last;
        let wanted = if innermost {
            point_kind(kind).ok_or_else(|| mismatch(&place, "unsupported kind"))?
        } else {
            PointKind::Call
        };
        let point = compiled
            .points
            .at_pc(wanted, frame.pc)
            .ok_or_else(|| mismatch(&place, format!("no {wanted:?} safe point at this pc")))?;
        let mut slots = vec![0u64; compiled.frame_size as usize];
        let base = compiled.const_base() as usize;
        slots[base..base + compiled.consts.len()].copy_from_slice(&compiled.consts);
        if frame.locals.len() != compiled.locals.len() {
            return Err(mismatch(&place, "wrong number of locals"));
        }
        for (index, (value, ty)) in frame.locals.iter().zip(&compiled.locals).enumerate() {
            let val = value_of(inner, &this, value, *ty, &format!("{place} local {index}"))?;
            slots[index] = to_bits(&val, &mut refs);
        }
        let keep = if innermost {
            point.operands.len()
        } else {
            point.operands.len().saturating_sub(point.consumed as usize)
        };
        if frame.operands.len() != keep {
            return Err(mismatch(
                &place,
                format!(
                    "{} operands, the safe point has {keep}",
                    frame.operands.len()
                ),
            ));
        }
        let (mut r0, mut fp0) = (0u64, 0u64);
        for (index, (value, operand)) in frame.operands.iter().zip(&point.operands).enumerate() {
            let operand_place = format!("{place} operand {index}");
            let val = value_of(inner, &this, value, operand.ty, &operand_place)?;
            let bits = to_bits(&val, &mut refs);
            match operand.loc {
                Loc::Slot(s) => {
                    if let Some(slot) = slots.get_mut(s as usize) {
                        *slot = bits;
                    }
                }
                Loc::R0 => r0 = bits,
                Loc::Fp0 => fp0 = bits,
                Loc::Local(local) => {
                    // Compared as slot bits: an aliasing operand may have another type than
                    // the local (`i64.extend_i32_u` of an i32 local is the same bits).
                    let local_bits = match (
                        frame.locals.get(local as usize),
                        compiled.locals.get(local as usize),
                    ) {
                        (Some(local_value), Some(ty)) => {
                            let local_val =
                                value_of(inner, &this, local_value, *ty, &operand_place)?;
                            Some(to_bits(&local_val, &mut refs))
                        }
                        _ => None,
                    };
                    if local_bits != Some(bits) {
                        return Err(mismatch(
                            operand_place,
                            format!(
                                "the slot map aliases local {local} here, but the image's \
                                 operand {val} differs from the local's value"
                            ),
                        ));
                    }
                }
                Loc::Const(s) => {
                    let expected = compiled.const_value(s).unwrap_or(u64::MAX);
                    if expected != bits {
                        let constant = from_bits(expected, operand.ty, &refs);
                        return Err(mismatch(
                            operand_place,
                            format!(
                                "the slot map has the constant {constant} here, but the image \
                                 holds {val}"
                            ),
                        ));
                    }
                }
            }
        }
        records.push(Native::Function {
            func: frame.func,
            slots,
        });
        records.extend(point.loops.iter().map(|at| Native::Loop { at: *at }));
        match point.kind {
            PointKind::Call => records.push(Native::Call {
                at: point.pos,
                r0,
                fp0,
            }),
            PointKind::Loop => {}
            PointKind::Entry | PointKind::Return => records.push(Native::Resume {
                at: point.pos,
                r0,
                fp0,
            }),
        }
    }
    drop(refs);
    Ok(Suspended {
        records,
        kind,
        event,
        entry_func,
        entry_args,
        events: Events::new(event.saturating_add(1), config.fuel, None),
    })
}
