//! Well-formedness of an image on its own, without a module: what the protobuf types cannot
//! express. Run by the decoder on every decoded image and by [`crate::validate()`] first.
//!
//! Checked: the module hash is 32 bytes; every value has a kind (and a `v128` 16 bytes); enum fields
//! hold a known non-zero value; memory chunks are 4096 bytes, not all zero, strictly ascending and
//! inside the memory; table elements are references; host-section names are sorted and unique; an
//! execution has an entry, a safe point and at least one frame.

use std::fmt;

use crate::image::{value::Kind, Image, Label, LabelKind, SafePointKind, Value, CHUNK_SIZE};
use crate::memory::is_zero;

/// Where a value sits in an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `globals[index]`.
    Global(usize),
    /// `tables[table].elements[element]`.
    TableElement {
        /// Table index.
        table: usize,
        /// Element index.
        element: usize,
    },
    /// `execution.entry.args[index]`.
    EntryArg(usize),
    /// `execution.frames[frame].locals[index]`.
    Local {
        /// Frame index (0 = outermost).
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
        /// Local index.
        index: usize,
    },
    /// `execution.frames[frame].operands[index]`.
    Operand {
        /// Frame index (0 = outermost).
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
        /// Operand index (0 = bottom of the stack).
        index: usize,
    },
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Slot::Global(index) => write!(f, "global[{index}]"),
            Slot::TableElement { table, element } => write!(f, "table {table} element[{element}]"),
            Slot::EntryArg(index) => write!(f, "entry arg[{index}]"),
            Slot::Local {
                frame,
                func,
                pc,
                index,
            } => write!(f, "frame {frame} (func {func}, pc {pc:#x}) local[{index}]"),
            Slot::Operand {
                frame,
                func,
                pc,
                index,
            } => write!(
                f,
                "frame {frame} (func {func}, pc {pc:#x}) operand[{index}]"
            ),
        }
    }
}

/// An image that is malformed on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StructureError {
    /// `module_sha256` is not 32 bytes.
    #[error("module_sha256 is {len} bytes, expected 32")]
    ModuleHashLength {
        /// Its length.
        len: usize,
    },
    /// A value without a kind, or a `v128` that is not 16 bytes.
    #[error("{slot}: value has no valid kind")]
    MalformedValue {
        /// Where the value sits.
        slot: Slot,
    },
    /// A table element that is not a `funcref` or `externref`.
    #[error("table {table} element[{element}]: not a reference")]
    ElementNotReference {
        /// Table index.
        table: usize,
        /// Element index.
        element: usize,
    },
    /// A chunk whose data is not 4096 bytes.
    #[error("memory {memory} chunk {index}: {len} bytes, expected 4096")]
    ChunkLength {
        /// Memory index.
        memory: usize,
        /// The chunk's index field.
        index: u64,
        /// Its data's length.
        len: usize,
    },
    /// A chunk whose bytes are all zero (zero chunks must be left out).
    #[error("memory {memory} chunk {index}: all zero (zero chunks must be left out)")]
    ZeroChunk {
        /// Memory index.
        memory: usize,
        /// The chunk's index field.
        index: u64,
    },
    /// Chunks not in strictly ascending index order.
    #[error(
        "memory {memory} chunk {index} follows chunk {previous}: indices must strictly ascend"
    )]
    ChunkOrder {
        /// Memory index.
        memory: usize,
        /// The chunk's index field.
        index: u64,
        /// The previous chunk's index.
        previous: u64,
    },
    /// A chunk beyond the memory's current size.
    #[error("memory {memory} chunk {index} lies beyond its {pages} pages")]
    ChunkOutsideMemory {
        /// Memory index.
        memory: usize,
        /// The chunk's index field.
        index: u64,
        /// The memory's size in pages.
        pages: u64,
    },
    /// Host-section names not strictly ascending.
    #[error("host section {name:?} follows {previous:?}: names must be sorted and unique")]
    HostSectionOrder {
        /// The offending name.
        name: String,
        /// The name before it.
        previous: String,
    },
    /// An execution without an entry.
    #[error("execution has no entry")]
    MissingEntry,
    /// An execution without a safe point.
    #[error("execution has no safe point")]
    MissingSafePoint,
    /// An execution without frames.
    #[error("execution has no frames")]
    NoFrames,
    /// A safe-point kind that is unspecified or unknown.
    #[error("safe point kind {value} is not a known kind")]
    UnknownSafePointKind {
        /// The raw enum value.
        value: i32,
    },
    /// A label kind that is unspecified or unknown.
    #[error(
        "frame {frame} (func {func}, pc {pc:#x}) label[{label}]: kind {value} is not a known kind"
    )]
    UnknownLabelKind {
        /// Frame index.
        frame: usize,
        /// The frame's function.
        func: u32,
        /// The frame's pc.
        pc: u32,
        /// Label index (0 = the function body).
        label: usize,
        /// The raw enum value.
        value: i32,
    },
}

/// Checks everything about `image` that does not need the module.
pub fn check_structure(image: &Image) -> Result<(), StructureError> {
    if image.module_sha256.len() != 32 {
        return Err(StructureError::ModuleHashLength {
            len: image.module_sha256.len(),
        });
    }
    for (memory_index, memory) in image.memories.iter().enumerate() {
        let mut previous: Option<u64> = None;
        let chunk_limit = memory.pages.saturating_mul(16);
        for chunk in &memory.chunks {
            if chunk.data.len() != CHUNK_SIZE {
                return Err(StructureError::ChunkLength {
                    memory: memory_index,
                    index: chunk.index,
                    len: chunk.data.len(),
                });
            }
            if let Some(previous) = previous.filter(|&previous| chunk.index <= previous) {
                return Err(StructureError::ChunkOrder {
                    memory: memory_index,
                    index: chunk.index,
                    previous,
                });
            }
            if chunk.index >= chunk_limit {
                return Err(StructureError::ChunkOutsideMemory {
                    memory: memory_index,
                    index: chunk.index,
                    pages: memory.pages,
                });
            }
            if is_zero(&chunk.data) {
                return Err(StructureError::ZeroChunk {
                    memory: memory_index,
                    index: chunk.index,
                });
            }
            previous = Some(chunk.index);
        }
    }
    check_values(image.globals.iter(), Slot::Global)?;
    for (table, contents) in image.tables.iter().enumerate() {
        for (element, value) in contents.elements.iter().enumerate() {
            if !matches!(value.kind, Some(Kind::Funcref(_) | Kind::Externref(_))) {
                return Err(StructureError::ElementNotReference { table, element });
            }
        }
    }
    for pair in image.host_sections.windows(2) {
        if let [previous, next] = pair {
            if next.name <= previous.name {
                return Err(StructureError::HostSectionOrder {
                    name: next.name.clone(),
                    previous: previous.name.clone(),
                });
            }
        }
    }
    if let Some(execution) = &image.execution {
        let entry = execution
            .entry
            .as_ref()
            .ok_or(StructureError::MissingEntry)?;
        let safe_point = execution
            .safe_point
            .as_ref()
            .ok_or(StructureError::MissingSafePoint)?;
        match SafePointKind::try_from(safe_point.kind) {
            Ok(SafePointKind::Unspecified) | Err(_) => {
                return Err(StructureError::UnknownSafePointKind {
                    value: safe_point.kind,
                })
            }
            Ok(_) => {}
        }
        check_values(entry.args.iter(), Slot::EntryArg)?;
        if execution.frames.is_empty() {
            return Err(StructureError::NoFrames);
        }
        for (frame_index, frame) in execution.frames.iter().enumerate() {
            let (func, pc) = (frame.func, frame.pc);
            check_values(frame.locals.iter(), |index| Slot::Local {
                frame: frame_index,
                func,
                pc,
                index,
            })?;
            check_values(frame.operands.iter(), |index| Slot::Operand {
                frame: frame_index,
                func,
                pc,
                index,
            })?;
            check_labels(&frame.labels, frame_index, func, pc)?;
        }
    }
    Ok(())
}

fn check_values<'a>(
    values: impl Iterator<Item = &'a Value>,
    slot: impl Fn(usize) -> Slot,
) -> Result<(), StructureError> {
    for (index, value) in values.enumerate() {
        if value.val_type().is_none() {
            return Err(StructureError::MalformedValue { slot: slot(index) });
        }
    }
    Ok(())
}

fn check_labels(labels: &[Label], frame: usize, func: u32, pc: u32) -> Result<(), StructureError> {
    for (label, entry) in labels.iter().enumerate() {
        match LabelKind::try_from(entry.kind) {
            Ok(LabelKind::Unspecified) | Err(_) => {
                return Err(StructureError::UnknownLabelKind {
                    frame,
                    func,
                    pc,
                    label,
                    value: entry.kind,
                })
            }
            Ok(_) => {}
        }
    }
    Ok(())
}
