//! The mapping between the register engine's native state and the engine-neutral image — the
//! only module that reads or writes images' execution state.
//!
//! Reading (checkpoint): every frame's safe point is found from its code position (the innermost
//! by the stopped event's instruction, outer frames by the call before their return position);
//! its operand map says where each Wasm operand lives: a local it aliases, a pool constant, or a
//! dynamic/preserved cell. Labels come from the shared analysis at the frame's pc.
//!
//! Writing (restore): the frame layout at a safe point is fully determined by the map. Locals
//! go to their cells, dynamic and preserved operands to theirs; operands the map says alias a
//! local or are a constant are *checked*: the image's value must equal the local's (or the
//! constant's), otherwise the image is rejected naming the function, pc and operand.
//!
//! Invariants: images are validated against the shared analysis before anything is written;
//! restore never trusts an image's operand count or types beyond what the map and the
//! analysis agree on.

use std::rc::Rc;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{Entry, Execution as ImageExecution, Frame, SafePoint};
use baton_runtime::image_map::{execution_entry, mismatch, ExecutionEntry};
use baton_runtime::{Config, EventKind, ImageError, StopLocation, Val, ValType};

use crate::code::Instr;
use crate::compiler::{CompiledFunc, Loc, Operand, PointKind, SafePoint as MapPoint};
use crate::executor::{Activation, Events, Execution, Stopped};
use crate::instance::InstanceInner;
use crate::values::{cells_of_val, from_wasmparser};

fn point_kind(kind: EventKind) -> Option<PointKind> {
    match kind {
        EventKind::Entry => Some(PointKind::Entry),
        EventKind::Loop => Some(PointKind::Loop),
        EventKind::Call => Some(PointKind::Call),
        EventKind::Return => Some(PointKind::Return),
        EventKind::Any => None,
    }
}

fn runtime_type(ty: wasmparser::ValType, place: &str) -> Result<ValType, ImageError> {
    from_wasmparser(ty).ok_or_else(|| mismatch(place, format!("unsupported type {ty}")))
}

/// The call site's safe point of the call instruction right before `ip`.
fn call_point_before(func: &CompiledFunc, ip: usize) -> Option<(&MapPoint, u16)> {
    let before = ip.checked_sub(1)?;
    let site = match func.code.get(before)? {
        Instr::Call(site) | Instr::CallIndirect(site) => func.calls.get(*site as usize)?,
        _ => return None,
    };
    Some((func.points.get(site.point)?, site.results))
}

/// A frame's safe point: the innermost frame's from the stopped event, outer frames' from
/// their call.
fn frame_point<'f>(
    func: &'f CompiledFunc,
    activation: &Activation,
    innermost: Option<EventKind>,
) -> Option<&'f MapPoint> {
    match innermost {
        Some(kind) => func.points.at_code(activation.ip as u32, point_kind(kind)?),
        None => call_point_before(func, activation.ip).map(|(point, _)| point),
    }
}

/// Function index and image pc of the innermost frame of a stopped execution.
pub fn stop_location(execution: &Execution) -> Option<StopLocation> {
    let stopped = execution.stopped?;
    let top = execution.frames.last()?;
    let func = execution.inner.module.func(top.func)?;
    let point = frame_point(func, top, Some(stopped.kind))?;
    Some(StopLocation {
        func: top.func,
        pc: point.pc,
    })
}

/// A constant operand's value.
fn const_val(inner: &InstanceInner, ty: ValType, bits: u64) -> Val {
    let cells = [bits as u32, (bits >> 32) as u32];
    inner.read_val(ty, &cells, 0)
}

/// An operand's current value.
fn operand_val(
    inner: &InstanceInner,
    func: &CompiledFunc,
    cells: &[u32],
    fp: usize,
    operand: &Operand,
    place: &str,
) -> Result<Val, ImageError> {
    let ty = runtime_type(operand.ty, place)?;
    Ok(match operand.loc {
        Loc::Local(index) => {
            let slot = func
                .locals
                .get(index as usize)
                .ok_or_else(|| mismatch(place, format!("local {index} missing")))?;
            inner.read_val(ty, cells, fp + slot.cell as usize)
        }
        Loc::Const(bits) => const_val(inner, ty, bits),
        Loc::Dynamic(cell) | Loc::Preserved(cell) => inner.read_val(ty, cells, fp + cell as usize),
    })
}

/// The image of a stopped `execution` of `inner`.
pub(crate) fn execution_image(
    inner: &Rc<InstanceInner>,
    execution: &Execution,
    analysis: &ModuleAnalysis,
) -> Result<ImageExecution, ImageError> {
    let module = &inner.module;
    let this = inner.this();
    let stopped = execution
        .stopped
        .ok_or_else(|| ImageError::NotAtSafePoint("the invocation is running".into()))?;
    let to_image =
        |value: &Val, place: &dyn Fn() -> String| inner.objects.val_to_image(value, &this, place);
    let args = execution
        .entry_args
        .iter()
        .enumerate()
        .map(|(i, value)| to_image(value, &|| format!("entry argument {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut frames = Vec::with_capacity(execution.frames.len());
    let last = execution.frames.len().saturating_sub(1);
    for (depth, activation) in execution.frames.iter().enumerate() {
        let place = format!("frame {depth} (function {})", activation.func);
        let func = module
            .func(activation.func)
            .ok_or_else(|| mismatch(&place, "not a defined function"))?;
        let innermost = (depth == last).then_some(stopped.kind);
        let point = frame_point(func, activation, innermost).ok_or_else(|| {
            mismatch(
                &place,
                format!("no safe point at code position {}", activation.ip),
            )
        })?;
        let fa = analysis
            .function(activation.func)
            .ok_or_else(|| mismatch(&place, "no analysis"))?;
        let info = fa
            .at(point.pc)
            .ok_or_else(|| mismatch(&place, format!("pc {} is not a boundary", point.pc)))?;
        let mut locals = Vec::with_capacity(func.locals.len());
        for (index, slot) in func.locals.iter().enumerate() {
            let ty = runtime_type(slot.ty, &place)?;
            let value = inner.read_val(ty, &execution.cells, activation.fp + slot.cell as usize);
            locals.push(to_image(&value, &|| format!("{place} local {index}"))?);
        }
        let keep = if innermost.is_some() {
            point.operands.len()
        } else {
            point.operands.len().saturating_sub(point.consumed as usize)
        };
        let mut operands = Vec::with_capacity(keep);
        for (index, operand) in point.operands.iter().take(keep).enumerate() {
            let value = operand_val(
                inner,
                func,
                &execution.cells,
                activation.fp,
                operand,
                &place,
            )?;
            operands.push(to_image(&value, &|| format!("{place} operand {index}"))?);
        }
        frames.push(Frame {
            func: activation.func,
            pc: point.pc,
            locals,
            operands,
            labels: info.labels.clone(),
        });
    }
    Ok(ImageExecution {
        entry: Some(Entry {
            func: execution.entry_func,
            args,
        }),
        safe_point: Some(SafePoint {
            kind: stopped.kind.to_image() as i32,
            event: stopped.event,
        }),
        frames,
    })
}

/// Rebuilds the native execution state of an image's execution.
pub(crate) fn rebuild(
    inner: &Rc<InstanceInner>,
    source: &ImageExecution,
    config: Config,
) -> Result<Execution, ImageError> {
    let this = inner.this();
    let module = inner.module.clone();
    let ExecutionEntry {
        kind,
        event,
        func: entry_func,
        args: entry_args,
    } = execution_entry(&inner.objects, &this, source, config, "register")?;
    let mut cells: Vec<u32> = Vec::new();
    let mut frames = Vec::with_capacity(source.frames.len());
    let mut fp = 0usize;
    let mut ret = 0u16;
    let last = source.frames.len().saturating_sub(1);
    for (depth, frame) in source.frames.iter().enumerate() {
        let place = format!("frame {depth} (function {}, pc {})", frame.func, frame.pc);
        let func = module
            .func(frame.func)
            .ok_or_else(|| mismatch(&place, "not a defined function"))?;
        let innermost = depth == last;
        let wanted = if innermost {
            point_kind(kind).ok_or_else(|| mismatch(&place, "unsupported kind"))?
        } else {
            PointKind::Call
        };
        let point = func
            .points
            .at_pc(frame.pc, wanted)
            .ok_or_else(|| mismatch(&place, format!("no {wanted:?} safe point at this pc")))?;
        let end = fp + func.frame_cells as usize;
        cells.resize(cells.len().max(end), 0);
        cells[fp + func.local_cells as usize..fp + func.local_cells as usize + func.consts.len()]
            .copy_from_slice(&func.consts);
        if frame.locals.len() != func.locals.len() {
            return Err(mismatch(&place, "wrong number of locals"));
        }
        let mut local_vals = Vec::with_capacity(func.locals.len());
        for (index, (value, slot)) in frame.locals.iter().zip(&func.locals).enumerate() {
            let ty = runtime_type(slot.ty, &place)?;
            let val = inner
                .objects
                .val_from_image(value, ty, &this, &|| format!("{place} local {index}"))?;
            inner.write_val(&val, &mut cells, fp + slot.cell as usize);
            local_vals.push(val);
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
        for (index, (value, operand)) in frame.operands.iter().zip(&point.operands).enumerate() {
            let operand_place = format!("{place} operand {index}");
            let ty = runtime_type(operand.ty, &operand_place)?;
            let val = inner
                .objects
                .val_from_image(value, ty, &this, &|| operand_place.clone())?;
            match operand.loc {
                Loc::Local(local) => {
                    let current = frame.locals.get(local as usize);
                    if current != Some(value) {
                        return Err(mismatch(
                            operand_place,
                            format!(
                                "the register map aliases local {local} here, but the image's \
                                 operand {val} differs from the local's value"
                            ),
                        ));
                    }
                }
                Loc::Const(bits) => {
                    let expected = const_val(inner, ty, bits);
                    if expected != val {
                        return Err(mismatch(
                            operand_place,
                            format!(
                                "the register map has the constant {expected} here, but the \
                                 image holds {val}"
                            ),
                        ));
                    }
                }
                Loc::Dynamic(cell) | Loc::Preserved(cell) => {
                    inner.write_val(&val, &mut cells, fp + cell as usize);
                }
            }
        }
        let ip = if innermost {
            point.code as usize
        } else {
            point.code as usize + 1
        };
        frames.push(Activation {
            func: frame.func,
            fp,
            ip,
            ret,
        });
        if !innermost {
            let (_, results) = call_point_before(func, ip)
                .ok_or_else(|| mismatch(&place, "no call at this pc"))?;
            ret = results;
        }
        fp = end;
        let _ = cells_of_val;
    }
    Ok(Execution {
        inner: inner.clone(),
        cells,
        frames,
        events: Events::new(event.saturating_add(1), config.fuel, None),
        entry_func,
        entry_args,
        stopped: Some(Stopped { kind, event }),
        max_frames: config.max_frames,
    })
}
