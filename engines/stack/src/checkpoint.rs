//! The stack engine's image mapping — the only place that translates its native state to and
//! from the engine-neutral image: instruction position ↔ byte offset (pc), untyped slots ↔ typed
//! values (types from the shared module analysis at each pc), frames ↔ image frames, and the
//! resume state after a stop. Labels are not native state here (no runtime label stack): they
//! are rebuilt from the pc by the analysis. The store half (memories, globals, tables, dropped
//! flags) is shared code in `baton_runtime::image_map`.
//!
//! Invariants: `image(restore(i)) == i` for every image `i` this engine accepts; a restored
//! thread resumes so that events continue exactly as after the original stop (the counter
//! continues at `event + 1`, or at `event` after an `any` stop, and events already fired at the
//! stop boundary are skipped).

use baton_checkpoint::analysis::{ModuleAnalysis, PointInfo};
use baton_checkpoint::image::{Entry, Execution, Frame as ImageFrame, SafePoint};
use baton_runtime::image_map::{any_execution_entry, ExecutionEntry};
use baton_runtime::value::val_type_from_wasmparser;
use baton_runtime::{EventKind, ImageError, ValType};

use crate::exec::slot::{from_slot, to_slot, Slot};
use crate::exec::thread::{EntryCall, Frame, Skip, Thread};
use crate::instance::Instance;
use crate::module::Module;
use crate::translate::instr::Instr;
use crate::translate::FuncCode;

fn mismatch(place: impl Into<String>, reason: impl Into<String>) -> ImageError {
    ImageError::Mismatch {
        place: place.into(),
        reason: reason.into(),
    }
}

fn types_of(point: &PointInfo, place: &str) -> Result<Vec<ValType>, ImageError> {
    point
        .operand_types
        .iter()
        .map(|ty| {
            val_type_from_wasmparser(*ty)
                .ok_or_else(|| mismatch(place, format!("unsupported operand type {ty}")))
        })
        .collect()
}

fn point_at<'a>(
    analysis: &'a ModuleAnalysis,
    func: u32,
    pc: u32,
    place: &str,
) -> Result<&'a PointInfo, ImageError> {
    analysis
        .function(func)
        .and_then(|function| function.at(pc))
        .ok_or_else(|| mismatch(place, format!("no instruction boundary at pc {pc}")))
}

fn code_of<'m>(module: &'m Module, func: u32, place: &str) -> Result<&'m FuncCode, ImageError> {
    module
        .code(func)
        .ok_or_else(|| mismatch(place, format!("function {func} has no code (an import?)")))
}

/// Number of operands the call instruction at `pos` consumes: the callee's arguments, plus the
/// table index for `call_indirect`. An outer frame's image operands exclude them.
fn callee_params(
    module: &Module,
    code: &FuncCode,
    pos: usize,
    place: &str,
) -> Result<usize, ImageError> {
    let info = module.info();
    let consumed = match code.instrs.get(pos) {
        Some(Instr::Call(func)) => info.func_type(*func).map(|ty| ty.params.len()),
        Some(Instr::CallIndirect { type_index, .. }) => info
            .types
            .get(*type_index as usize)
            .map(|ty| ty.params.len() + 1),
        _ => None,
    };
    consumed.ok_or_else(|| mismatch(place, "outer frame is not at a call"))
}

/// The stopped `thread`'s execution image.
pub(crate) fn execution_image(
    instance: &Instance,
    thread: &Thread,
    analysis: &ModuleAnalysis,
) -> Result<Execution, ImageError> {
    let this = &instance.this();
    let module = &instance.core.module;
    let objects = &instance.core.objects;
    let (kind, event) = thread
        .stopped_at
        .ok_or_else(|| ImageError::NotAtSafePoint("the call is not stopped".to_string()))?;
    let entry_call = thread
        .entry
        .as_ref()
        .ok_or_else(|| ImageError::NotAtSafePoint("no entry".to_string()))?;
    let args = entry_call
        .args
        .iter()
        .enumerate()
        .map(|(i, arg)| objects.val_to_image(arg, this, &|| format!("entry argument {i}")))
        .collect::<Result<_, _>>()?;
    let mut frames = Vec::with_capacity(thread.frames.len());
    for (index, frame) in thread.frames.iter().enumerate() {
        let place = format!("frame {index} (function {})", frame.func);
        let code = code_of(module, frame.func, &place)?;
        let next = thread.frames.get(index + 1);
        let pos = match next {
            Some(callee) => (callee.ret_pc as usize)
                .checked_sub(1)
                .ok_or_else(|| mismatch(&place, "return position 0"))?,
            None => thread.pc as usize,
        };
        let pc = *code
            .offsets
            .get(pos)
            .ok_or_else(|| mismatch(&place, format!("position {pos} out of range")))?;
        let point = point_at(analysis, frame.func, pc, &place)?;
        let mut operand_types = types_of(point, &place)?;
        if next.is_some() {
            let params = callee_params(module, code, pos, &place)?;
            let keep = operand_types
                .len()
                .checked_sub(params)
                .ok_or_else(|| mismatch(&place, "fewer operands than call arguments"))?;
            operand_types.truncate(keep);
        }
        let base = frame.base as usize;
        let operands_start = base + code.locals.len();
        let end = next.map_or(thread.stack.len(), |callee| callee.base as usize);
        let read = |slots: Option<Vec<Slot>>, types: &[ValType], what: &str| {
            let found = slots.as_ref().map_or(0, Vec::len);
            let slots = slots
                .filter(|slots| slots.len() == types.len())
                .ok_or_else(|| {
                    mismatch(
                        &place,
                        format!(
                            "at pc {pc}: {} {what} slots, the analysis has {}",
                            found,
                            types.len()
                        ),
                    )
                })?;
            slots
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (slot, ty))| {
                    let value = from_slot(slot, *ty, &thread.refs);
                    objects.val_to_image(&value, this, &|| format!("{place} {what} {i}"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let locals = read(
            thread.stack.range(base..operands_start),
            &code.locals,
            "local",
        )?;
        let operands = read(
            thread.stack.range(operands_start..end),
            &operand_types,
            "operand",
        )?;
        frames.push(ImageFrame {
            func: frame.func,
            pc,
            locals,
            operands,
            labels: point.labels.clone(),
        });
    }
    Ok(Execution {
        entry: Some(Entry {
            func: entry_call.func,
            args,
        }),
        safe_point: Some(SafePoint {
            kind: kind.to_image() as i32,
            event,
        }),
        frames,
    })
}

/// The native thread an image's execution describes (the store half is already restored).
pub(crate) fn thread_from_image(
    instance: &Instance,
    execution: &Execution,
    analysis: &ModuleAnalysis,
) -> Result<Thread, ImageError> {
    let this = &instance.this();
    let module = &instance.core.module;
    let objects = &instance.core.objects;
    let ExecutionEntry {
        kind,
        event,
        func,
        args,
    } = any_execution_entry(objects, this, execution, instance.config)?;
    let (next_event, skip) = match kind {
        EventKind::Any => (event, Skip::Any),
        EventKind::Call => (event.saturating_add(1), Skip::AnyAndCall),
        EventKind::Entry | EventKind::Loop | EventKind::Return => {
            (event.saturating_add(1), Skip::Nothing)
        }
    };
    let mut thread = Thread {
        entry: Some(EntryCall { func, args }),
        next_event,
        skip,
        stopped_at: Some((kind, event)),
        events: true,
        ..Thread::default()
    };
    let count = execution.frames.len();
    let mut ret_pc = 0u32;
    for (index, frame) in execution.frames.iter().enumerate() {
        let place = format!("frame {index} (function {})", frame.func);
        let code = code_of(module, frame.func, &place)?;
        let pos = code
            .offsets
            .binary_search(&frame.pc)
            .map_err(|_| mismatch(&place, format!("pc {} is not an instruction", frame.pc)))?;
        let point = point_at(analysis, frame.func, frame.pc, &place)?;
        let mut operand_types = types_of(point, &place)?;
        let innermost = index + 1 == count;
        if !innermost {
            let params = callee_params(module, code, pos, &place)?;
            let keep = operand_types
                .len()
                .checked_sub(params)
                .ok_or_else(|| mismatch(&place, "fewer operands than call arguments"))?;
            operand_types.truncate(keep);
        }
        let base = thread.stack.len() as u32;
        let values = frame
            .locals
            .iter()
            .zip(&code.locals)
            .chain(frame.operands.iter().zip(&operand_types));
        for (i, (value, ty)) in values.enumerate() {
            let value =
                objects.val_from_image(value, *ty, this, &|| format!("{place} value {i}"))?;
            let slot = to_slot(&value, &mut thread.refs);
            thread.stack.push(slot);
        }
        thread.frames.push(Frame {
            func: frame.func,
            ret_pc,
            base,
        });
        ret_pc = pos as u32 + 1;
        if innermost {
            thread.pc = pos as u32;
            if kind == EventKind::Call
                && !matches!(
                    code.instrs.get(pos),
                    Some(Instr::Call(_) | Instr::CallIndirect { .. })
                )
            {
                return Err(mismatch(&place, "call safe point not at a call"));
            }
        }
    }
    Ok(thread)
}
