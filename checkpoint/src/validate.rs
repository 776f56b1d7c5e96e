//! Validation of an image against the module it claims to belong to, run before any engine
//! touches the image.
//!
//! [`validate`] first runs the structural checks of [`crate::structure`], then checks the image
//! against a [`ModuleAnalysis`]: the module hash; memory, table and global counts, sizes, limits and
//! types; dropped-segment flags sized to the module; the entry; and every frame against the types
//! the module's validator derives at its pc. Each failure is a [`ValidationError`] variant whose
//! message names the frame, slot, function and pc (hex) involved.
//!
//! Conventions checked for frames (see `FORMAT.md`): every frame's pc is a reachable instruction
//! boundary; locals have exactly the function's local types; the innermost frame's operands have
//! exactly the derived operand types at its pc; every other frame sits on a `call` or
//! `call_indirect` whose callee is the next frame's function (`call`) or has the same type
//! (`call_indirect`), and its operands exclude the callee's arguments (and the table index of a
//! `call_indirect`); label stacks equal the derived control frames; the safe-point kind fits the
//! innermost pc.

use wasmparser::{FuncType, ValType};

use crate::analysis::{FunctionAnalysis, InstrKind, ModuleAnalysis, PointInfo};
use crate::image::{
    Entry, Frame, Image, Label, LabelKind, Memory, SafePoint, SafePointKind, Table, Value,
};
use crate::structure::{check_structure, Slot, StructureError};
use crate::values::{val_type_name, value_type_name};

/// The largest size of a 32-bit memory, in pages.
const MAX_MEMORY32_PAGES: u64 = 65_536;

/// Why an image does not fit its module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The image is malformed on its own.
    #[error("malformed image: {0}")]
    Structure(#[from] StructureError),
    /// The image was taken from another module.
    #[error("module hash mismatch: image {image}, module {module}")]
    ModuleHash {
        /// The image's hash, hex.
        image: String,
        /// The module's hash, hex.
        module: String,
    },
    /// A list whose length must equal a count in the module does not.
    #[error("image has {image} {what}, module has {module}")]
    CountMismatch {
        /// What is counted: `memories`, `tables`, `globals`, `data segments`, `element segments`.
        what: &'static str,
        /// The image's count.
        image: usize,
        /// The module's count.
        module: usize,
    },
    /// A memory or table smaller than the module's declared minimum.
    #[error("{what} {index}: size {size} below the declared minimum {min}")]
    BelowMinimum {
        /// `memory` or `table`.
        what: &'static str,
        /// Memory or table index.
        index: usize,
        /// Its size (pages or elements).
        size: u64,
        /// The module's minimum.
        min: u64,
    },
    /// A memory or table larger than its maximum (or than 65536 pages for a memory).
    #[error("{what} {index}: size {size} above the maximum {max}")]
    AboveMaximum {
        /// `memory` or `table`.
        what: &'static str,
        /// Memory or table index.
        index: usize,
        /// Its size (pages or elements).
        size: u64,
        /// The maximum exceeded.
        max: u64,
    },
    /// A maximum that contradicts the module's declared maximum.
    #[error("{what} {index}: maximum {image:?} does not fit the declared maximum {module:?}")]
    MaximumMismatch {
        /// `memory` or `table`.
        what: &'static str,
        /// Memory or table index.
        index: usize,
        /// The image's maximum.
        image: Option<u64>,
        /// The module's declared maximum.
        module: Option<u64>,
    },
    /// A value of the wrong type (global, table element, entry argument, local or operand).
    #[error("{slot}: expected {expected}, found {found}")]
    ValueType {
        /// Where the value sits.
        slot: Slot,
        /// The type the module requires.
        expected: String,
        /// The value's type.
        found: String,
    },
    /// A `funcref` to a function the module does not have.
    #[error("{slot}: funcref {index} out of range (module has {func_count} functions)")]
    FuncRefOutOfRange {
        /// Where the value sits.
        slot: Slot,
        /// The referenced index.
        index: u32,
        /// Functions in the module.
        func_count: u32,
    },
    /// The entry names a function the module does not have.
    #[error("entry func {func} out of range (module has {func_count} functions)")]
    EntryFuncOutOfRange {
        /// The entry's function.
        func: u32,
        /// Functions in the module.
        func_count: u32,
    },
    /// The entry's argument count differs from its function's parameter count.
    #[error("entry func {func}: {found} arguments, its type takes {expected}")]
    EntryArgCount {
        /// The entry's function.
        func: u32,
        /// Parameters of its type.
        expected: usize,
        /// Arguments in the image.
        found: usize,
    },
    /// The outermost frame is not the entry's function.
    #[error("frame 0 runs func {frame_func}, but the entry is func {entry_func}")]
    EntryFrameMismatch {
        /// The entry's function.
        entry_func: u32,
        /// Frame 0's function.
        frame_func: u32,
    },
    /// A frame whose function is an import or out of range.
    #[error("frame {frame}: func {func} is not a function defined by the module")]
    FrameFunc {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
    },
    /// A pc that is not an instruction boundary (for example inside an immediate).
    #[error("frame {frame} (func {func}): pc {pc:#x} is not an instruction boundary")]
    NotABoundary {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The pc.
        pc: u32,
    },
    /// A pc in dead code, where execution can never be.
    #[error("frame {frame} (func {func}): pc {pc:#x} is unreachable code")]
    UnreachablePc {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The pc.
        pc: u32,
    },
    /// A frame with the wrong number of locals, operands or labels.
    #[error("frame {frame} (func {func}, pc {pc:#x}): {found} {what}, expected {expected}")]
    FrameCount {
        /// `locals`, `operands` or `labels`.
        what: &'static str,
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
        /// The count the module derives.
        expected: usize,
        /// The count in the image.
        found: usize,
    },
    /// A label that differs from the control frame the module derives.
    #[error("frame {frame} (func {func}, pc {pc:#x}) label[{label}]: expected {expected}, found {found}")]
    LabelMismatch {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
        /// Label index (0 = the function body).
        label: usize,
        /// The derived label, as text.
        expected: String,
        /// The image's label, as text.
        found: String,
    },
    /// A frame other than the innermost whose pc is not a call instruction.
    #[error("frame {frame} (func {func}, pc {pc:#x}): an outer frame must sit on a call")]
    NotAtCall {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
    },
    /// The next frame is not what the call in progress calls.
    #[error("frame {frame} (func {func}, pc {pc:#x}): the call there {callee}, but frame {} runs func {next_func}", frame + 1)]
    CalleeMismatch {
        /// Frame index of the caller.
        frame: usize,
        /// The caller's function.
        func: u32,
        /// The caller's pc.
        pc: u32,
        /// What the call targets, as text (`calls func 3` / `expects type 2`).
        callee: String,
        /// The next frame's function.
        next_func: u32,
    },
    /// The safe-point kind does not fit the innermost frame's pc.
    #[error("safe point {kind:?} at frame {frame} (func {func}, pc {pc:#x}): {reason}")]
    SafePointMismatch {
        /// The safe point's kind.
        kind: SafePointKind,
        /// Frame index of the innermost frame.
        frame: usize,
        /// Its function.
        func: u32,
        /// Its pc.
        pc: u32,
        /// What is inconsistent.
        reason: &'static str,
    },
}

/// Checks `image` against `module`; `Ok` means an engine may load it.
pub fn validate(image: &Image, module: &ModuleAnalysis) -> Result<(), ValidationError> {
    check_structure(image)?;
    let module_hash = module.module_sha256();
    if image.module_sha256 != module_hash {
        return Err(ValidationError::ModuleHash {
            image: hex::encode(&image.module_sha256),
            module: hex::encode(module_hash),
        });
    }
    check_memories(&image.memories, module)?;
    check_tables(&image.tables, module)?;
    check_globals(&image.globals, module)?;
    check_count(
        "data segments",
        image.dropped_data.len(),
        module.data_count(),
    )?;
    check_count(
        "element segments",
        image.dropped_elements.len(),
        module.element_count(),
    )?;
    if let Some(execution) = &image.execution {
        let entry = execution
            .entry
            .as_ref()
            .ok_or(StructureError::MissingEntry)?;
        let safe_point = execution
            .safe_point
            .as_ref()
            .ok_or(StructureError::MissingSafePoint)?;
        check_entry(entry, module)?;
        check_frames(entry, safe_point, &execution.frames, module)?;
    }
    Ok(())
}

fn check_count(
    what: &'static str,
    image: usize,
    module: impl TryInto<usize>,
) -> Result<(), ValidationError> {
    let module = module.try_into().unwrap_or(usize::MAX);
    if image != module {
        return Err(ValidationError::CountMismatch {
            what,
            image,
            module,
        });
    }
    Ok(())
}

/// Checks a size and maximum against declared limits: `size >= min`, `size <= max` (the image's
/// own maximum and `hard_max`), and the image's maximum against the declared one (equal for a
/// defined memory or table; at most the declared one for an import).
#[allow(clippy::too_many_arguments)]
fn check_limits(
    what: &'static str,
    index: usize,
    size: u64,
    image_max: Option<u64>,
    declared_min: u64,
    declared_max: Option<u64>,
    imported: bool,
    hard_max: u64,
) -> Result<(), ValidationError> {
    if size < declared_min {
        return Err(ValidationError::BelowMinimum {
            what,
            index,
            size,
            min: declared_min,
        });
    }
    let max = image_max.unwrap_or(hard_max).min(hard_max);
    if size > max {
        return Err(ValidationError::AboveMaximum {
            what,
            index,
            size,
            max,
        });
    }
    let consistent = if imported {
        match (image_max, declared_max) {
            (_, None) => true,
            (Some(image), Some(declared)) => image <= declared,
            (None, Some(_)) => false,
        }
    } else {
        image_max == declared_max
    };
    if !consistent {
        return Err(ValidationError::MaximumMismatch {
            what,
            index,
            image: image_max,
            module: declared_max,
        });
    }
    Ok(())
}

fn check_memories(memories: &[Memory], module: &ModuleAnalysis) -> Result<(), ValidationError> {
    check_count("memories", memories.len(), module.memories().len())?;
    let imported = usize::try_from(module.imported_memory_count()).unwrap_or(usize::MAX);
    for (index, (memory, declared)) in memories.iter().zip(module.memories()).enumerate() {
        check_limits(
            "memory",
            index,
            memory.pages,
            memory.max_pages,
            declared.initial,
            declared.maximum,
            index < imported,
            MAX_MEMORY32_PAGES,
        )?;
    }
    Ok(())
}

fn check_tables(tables: &[Table], module: &ModuleAnalysis) -> Result<(), ValidationError> {
    check_count("tables", tables.len(), module.tables().len())?;
    let imported = usize::try_from(module.imported_table_count()).unwrap_or(usize::MAX);
    for (index, (table, declared)) in tables.iter().zip(module.tables()).enumerate() {
        check_limits(
            "table",
            index,
            table.elements.len() as u64,
            table.max,
            declared.initial,
            declared.maximum,
            index < imported,
            u64::from(u32::MAX),
        )?;
        let element_type = ValType::Ref(declared.element_type);
        for (element, value) in table.elements.iter().enumerate() {
            check_value(
                value,
                element_type,
                Slot::TableElement {
                    table: index,
                    element,
                },
                module,
            )?;
        }
    }
    Ok(())
}

fn check_globals(globals: &[Value], module: &ModuleAnalysis) -> Result<(), ValidationError> {
    check_count("globals", globals.len(), module.globals().len())?;
    for (index, (value, declared)) in globals.iter().zip(module.globals()).enumerate() {
        check_value(value, declared.content_type, Slot::Global(index), module)?;
    }
    Ok(())
}

/// A value has type `expected`, and a `funcref` names an existing function.
fn check_value(
    value: &Value,
    expected: ValType,
    slot: Slot,
    module: &ModuleAnalysis,
) -> Result<(), ValidationError> {
    if !value.has_type(expected) {
        return Err(ValidationError::ValueType {
            slot,
            expected: val_type_name(expected),
            found: value_type_name(value),
        });
    }
    if let Some(Some(index)) = value.as_funcref() {
        if index >= module.func_count() {
            return Err(ValidationError::FuncRefOutOfRange {
                slot,
                index,
                func_count: module.func_count(),
            });
        }
    }
    Ok(())
}

fn check_entry(entry: &Entry, module: &ModuleAnalysis) -> Result<(), ValidationError> {
    let func_type =
        module
            .func_type_of(entry.func)
            .ok_or(ValidationError::EntryFuncOutOfRange {
                func: entry.func,
                func_count: module.func_count(),
            })?;
    if func_type.params().len() != entry.args.len() {
        return Err(ValidationError::EntryArgCount {
            func: entry.func,
            expected: func_type.params().len(),
            found: entry.args.len(),
        });
    }
    for (index, (value, &ty)) in entry.args.iter().zip(func_type.params()).enumerate() {
        check_value(value, ty, Slot::EntryArg(index), module)?;
    }
    Ok(())
}

fn check_frames(
    entry: &Entry,
    safe_point: &SafePoint,
    frames: &[Frame],
    module: &ModuleAnalysis,
) -> Result<(), ValidationError> {
    let first = frames.first().ok_or(StructureError::NoFrames)?;
    if first.func != entry.func {
        return Err(ValidationError::EntryFrameMismatch {
            entry_func: entry.func,
            frame_func: first.func,
        });
    }
    let innermost = frames.len() - 1;
    let functions = frames
        .iter()
        .enumerate()
        .map(|(index, frame)| {
            module
                .function(frame.func)
                .ok_or(ValidationError::FrameFunc {
                    frame: index,
                    func: frame.func,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (index, (frame, function)) in frames.iter().zip(functions).enumerate() {
        let point = frame_point(index, frame, function)?;
        check_locals(index, frame, function, module)?;
        let operand_types = match frames.get(index + 1) {
            Some(next) => outer_operand_types(index, frame, point, next, module)?,
            None => point.operand_types.as_slice(),
        };
        check_operands(index, frame, operand_types, module)?;
        check_labels(index, frame, &point.labels)?;
        if index == innermost {
            check_safe_point(index, frame, safe_point, function, point)?;
        }
    }
    Ok(())
}

/// The reachable point at the frame's pc.
fn frame_point<'a>(
    index: usize,
    frame: &Frame,
    function: &'a FunctionAnalysis,
) -> Result<&'a PointInfo, ValidationError> {
    let point = function.at(frame.pc).ok_or(ValidationError::NotABoundary {
        frame: index,
        func: frame.func,
        pc: frame.pc,
    })?;
    if !point.reachable {
        return Err(ValidationError::UnreachablePc {
            frame: index,
            func: frame.func,
            pc: frame.pc,
        });
    }
    Ok(point)
}

fn frame_count(
    what: &'static str,
    index: usize,
    frame: &Frame,
    expected: usize,
    found: usize,
) -> Result<(), ValidationError> {
    if expected != found {
        return Err(ValidationError::FrameCount {
            what,
            frame: index,
            func: frame.func,
            pc: frame.pc,
            expected,
            found,
        });
    }
    Ok(())
}

fn check_locals(
    index: usize,
    frame: &Frame,
    function: &FunctionAnalysis,
    module: &ModuleAnalysis,
) -> Result<(), ValidationError> {
    frame_count(
        "locals",
        index,
        frame,
        function.locals().len(),
        frame.locals.len(),
    )?;
    for (slot, (value, &ty)) in frame.locals.iter().zip(function.locals()).enumerate() {
        let slot = Slot::Local {
            frame: index,
            func: frame.func,
            pc: frame.pc,
            index: slot,
        };
        check_value(value, ty, slot, module)?;
    }
    Ok(())
}

fn check_operands(
    index: usize,
    frame: &Frame,
    expected: &[ValType],
    module: &ModuleAnalysis,
) -> Result<(), ValidationError> {
    frame_count(
        "operands",
        index,
        frame,
        expected.len(),
        frame.operands.len(),
    )?;
    for (slot, (value, &ty)) in frame.operands.iter().zip(expected).enumerate() {
        let slot = Slot::Operand {
            frame: index,
            func: frame.func,
            pc: frame.pc,
            index: slot,
        };
        check_value(value, ty, slot, module)?;
    }
    Ok(())
}

fn check_labels(index: usize, frame: &Frame, expected: &[Label]) -> Result<(), ValidationError> {
    frame_count("labels", index, frame, expected.len(), frame.labels.len())?;
    for (label, (found, wanted)) in frame.labels.iter().zip(expected).enumerate() {
        if found != wanted {
            return Err(ValidationError::LabelMismatch {
                frame: index,
                func: frame.func,
                pc: frame.pc,
                label,
                expected: label_text(wanted),
                found: label_text(found),
            });
        }
    }
    Ok(())
}

/// A label as `kind start 0x.. height .. arity ..`, the form the text view prints.
pub fn label_text(label: &Label) -> String {
    let kind = match LabelKind::try_from(label.kind) {
        Ok(LabelKind::Block) => "block".to_string(),
        Ok(LabelKind::Loop) => "loop".to_string(),
        Ok(LabelKind::If) => "if".to_string(),
        Ok(LabelKind::Else) => "else".to_string(),
        _ => format!("kind({})", label.kind),
    };
    format!(
        "{kind} start {:#x} height {} arity {}",
        label.start, label.height, label.arity
    )
}

/// For a frame that is not the innermost: checks that it sits on a call of the next frame's
/// function and returns its expected operand types (the callee's arguments removed).
fn outer_operand_types<'a>(
    index: usize,
    frame: &Frame,
    point: &'a PointInfo,
    next: &Frame,
    module: &ModuleAnalysis,
) -> Result<&'a [ValType], ValidationError> {
    let not_at_call = ValidationError::NotAtCall {
        frame: index,
        func: frame.func,
        pc: frame.pc,
    };
    let mismatch = |callee: String| ValidationError::CalleeMismatch {
        frame: index,
        func: frame.func,
        pc: frame.pc,
        callee,
        next_func: next.func,
    };
    let (callee_type, extra): (&FuncType, usize) = match point.instr {
        InstrKind::Call { func } => {
            if func != next.func {
                return Err(mismatch(format!("calls func {func}")));
            }
            let callee_type = module
                .func_type_of(func)
                .ok_or_else(|| mismatch(format!("calls func {func}")))?;
            (callee_type, 0)
        }
        InstrKind::CallIndirect { type_index, .. } => {
            let describe = || format!("expects type {type_index}");
            let expected = module
                .func_type(type_index)
                .ok_or_else(|| mismatch(describe()))?;
            let next_type = module
                .func_type_of(next.func)
                .ok_or_else(|| mismatch(describe()))?;
            if expected != next_type {
                return Err(mismatch(describe()));
            }
            (expected, 1)
        }
        InstrKind::Other => return Err(not_at_call),
    };
    let keep = point
        .operand_types
        .len()
        .checked_sub(callee_type.params().len() + extra)
        .ok_or(not_at_call)?;
    Ok(point.operand_types.get(..keep).unwrap_or_default())
}

fn check_safe_point(
    index: usize,
    frame: &Frame,
    safe_point: &SafePoint,
    function: &FunctionAnalysis,
    point: &PointInfo,
) -> Result<(), ValidationError> {
    let kind = SafePointKind::try_from(safe_point.kind).map_err(|_| {
        StructureError::UnknownSafePointKind {
            value: safe_point.kind,
        }
    })?;
    let fail = |reason: &'static str| ValidationError::SafePointMismatch {
        kind,
        frame: index,
        func: frame.func,
        pc: frame.pc,
        reason,
    };
    let is_call = |point: &PointInfo| !matches!(point.instr, InstrKind::Other);
    match kind {
        SafePointKind::Entry => {
            if frame.pc != function.first_pc() {
                return Err(fail(
                    "an entry stop must be at the function's first instruction",
                ));
            }
            if index == 0 && safe_point.event != 0 {
                return Err(fail("the outermost function's entry is event 0"));
            }
        }
        SafePointKind::Loop => {
            let loop_label = point
                .labels
                .last()
                .filter(|label| label.kind == LabelKind::Loop as i32)
                .ok_or_else(|| fail("a loop stop must be directly inside a loop"))?;
            let body_start = function
                .next(loop_label.start)
                .map(|after| after.pc)
                .ok_or_else(|| fail("a loop stop must be directly inside a loop"))?;
            if frame.pc != body_start {
                return Err(fail(
                    "a loop stop must be at the loop body's first instruction",
                ));
            }
        }
        SafePointKind::Call => {
            if !is_call(point) {
                return Err(fail("a call stop must be at a call instruction"));
            }
        }
        SafePointKind::Return => {
            if !function.previous(frame.pc).is_some_and(is_call) {
                return Err(fail("a return stop must follow a call instruction"));
            }
        }
        SafePointKind::Any => {}
        SafePointKind::Unspecified => {
            return Err(StructureError::UnknownSafePointKind {
                value: safe_point.kind,
            }
            .into())
        }
    }
    Ok(())
}
