//! Module analysis shared by every engine and by image validation.
//!
//! [`ModuleAnalysis::new`] validates a module once with wasmparser (the Wasm 2.0 feature set without
//! SIMD), hashes it, and walks every defined function's body exactly once with a
//! [`wasmparser::FuncValidator`]. Before each instruction it records a [`PointInfo`]: the pc, whether
//! the point is reachable, the operand types the validator derives there, the label stack an image
//! frame must carry there, and what instruction sits there. Queries afterwards are lookups (binary
//! search by pc), never re-validation. Points are stored compactly (shared stack prefixes, see
//! `point_store.rs`) and materialised on first query.
//!
//! Invariants:
//! - pcs are relative to [`FunctionAnalysis::body_start`] (wasmparser's `FunctionBody::range().start`,
//!   i.e. the first byte of the local-declaration count), exactly like `Frame::pc` in an image;
//! - every instruction boundary of a body, including the final `end`, has exactly one point, and
//!   points are stored in ascending pc order;
//! - `labels[0]` of every reachable point is the function body (kind block, start 0, height 0,
//!   arity = number of results), followed by one label per enclosing block/loop/if/else.

use sha2::{Digest, Sha256};
use wasmparser::{
    AbstractHeapType, BlockType, CompositeInnerType, FrameKind, FuncType, FuncValidatorAllocations,
    FunctionBody, GlobalType, HeapType, MemoryType, Operator, Parser, Payload, TableType, TypeRef,
    ValidPayload, Validator, WasmFeatures,
};

pub use wasmparser::ValType;

use crate::image::{Label, LabelKind};
use crate::point_store::{PointStore, PointStoreBuilder};

/// Why a module could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    /// wasmparser rejected the module (malformed or invalid under the supported features).
    #[error("invalid module at offset {offset:#x}: {message}")]
    Invalid {
        /// Byte offset in the module where wasmparser found the problem.
        offset: usize,
        /// wasmparser's message.
        message: String,
    },
    /// The module uses a construct the image format cannot describe.
    #[error("unsupported module construct at offset {offset:#x}: {what}")]
    Unsupported {
        /// Byte offset in the module.
        offset: usize,
        /// What is unsupported.
        what: String,
    },
}

impl From<wasmparser::BinaryReaderError> for AnalysisError {
    fn from(error: wasmparser::BinaryReaderError) -> Self {
        AnalysisError::Invalid {
            offset: error.offset() as usize,
            message: error.message().to_string(),
        }
    }
}

/// What instruction sits at a point, as far as checkpointing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstrKind {
    /// `call func`.
    Call {
        /// The callee's index in the function index space.
        func: u32,
    },
    /// `call_indirect type_index table`.
    CallIndirect {
        /// The expected callee type's index.
        type_index: u32,
        /// The table the callee is looked up in.
        table: u32,
    },
    /// Anything else.
    Other,
}

/// What the validator knows at one instruction boundary of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointInfo {
    /// Offset of the instruction, relative to the body start (same origin as `Frame::pc`).
    pub pc: u32,
    /// False in dead code (after `br`, `return`, `unreachable`, ... until the enclosing block ends).
    /// Execution never stops at an unreachable point; its `operand_types` hold only the known
    /// prefix of the stack.
    pub reachable: bool,
    /// Types of the whole frame's operand stack before the instruction executes, bottom first.
    pub operand_types: Vec<ValType>,
    /// The label stack an image frame must carry at this pc, outermost (the body) first.
    pub labels: Vec<Label>,
    /// The instruction at this pc.
    pub instr: InstrKind,
}

/// The analysis of one defined function.
#[derive(Debug, Clone)]
pub struct FunctionAnalysis {
    func_index: u32,
    params: Vec<ValType>,
    results: Vec<ValType>,
    locals: Vec<ValType>,
    body_start: u64,
    points: PointStore,
}

impl FunctionAnalysis {
    /// Index in the function index space (imports first).
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    /// Every local's type: the parameters, then the declared locals.
    pub fn locals(&self) -> &[ValType] {
        &self.locals
    }

    /// Absolute offset in the module bytes of the pc origin (the body's local-declaration count).
    pub fn body_start(&self) -> usize {
        usize::try_from(self.body_start).unwrap_or(usize::MAX)
    }

    /// The pc of the first instruction.
    pub fn first_pc(&self) -> u32 {
        self.points.pc(0).unwrap_or(0)
    }

    /// The point at `pc`, or `None` when `pc` is not an instruction boundary of this body.
    pub fn at(&self, pc: u32) -> Option<&PointInfo> {
        self.position(pc).and_then(|index| self.points.get(index))
    }

    /// The point just before the one at `pc` in code order, when `pc` is a boundary and not the
    /// first instruction.
    pub fn previous(&self, pc: u32) -> Option<&PointInfo> {
        let index = self.position(pc)?;
        index
            .checked_sub(1)
            .and_then(|previous| self.points.get(previous))
    }

    /// The point just after the one at `pc` in code order, when there is one.
    pub fn next(&self, pc: u32) -> Option<&PointInfo> {
        let index = self.position(pc)?;
        self.points.get(index + 1)
    }

    /// Every instruction boundary, in ascending pc order. Each point is materialised (and then
    /// cached) as the iteration reaches it; prefer [`FunctionAnalysis::at`] for single queries.
    pub fn points(&self) -> impl Iterator<Item = &PointInfo> {
        (0..self.points.len()).filter_map(|index| self.points.get(index))
    }

    fn position(&self, pc: u32) -> Option<usize> {
        self.points.index_of(pc)
    }
}

/// One module, validated and indexed for checkpoint queries.
#[derive(Debug, Clone)]
pub struct ModuleAnalysis {
    sha256: [u8; 32],
    types: Vec<Option<FuncType>>,
    func_type_indices: Vec<u32>,
    imported_funcs: u32,
    imported_memories: u32,
    imported_tables: u32,
    imported_globals: u32,
    functions: Vec<FunctionAnalysis>,
    memories: Vec<MemoryType>,
    tables: Vec<TableType>,
    globals: Vec<GlobalType>,
    data_count: u32,
    element_count: u32,
}

/// The features baton supports: WebAssembly 2.0 without SIMD.
pub fn supported_features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

impl ModuleAnalysis {
    /// Validates `wasm`, hashes it and indexes every defined function once.
    pub fn new(wasm: &[u8]) -> Result<ModuleAnalysis, AnalysisError> {
        let mut analysis = ModuleAnalysis {
            sha256: Sha256::digest(wasm).into(),
            types: Vec::new(),
            func_type_indices: Vec::new(),
            imported_funcs: 0,
            imported_memories: 0,
            imported_tables: 0,
            imported_globals: 0,
            functions: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            data_count: 0,
            element_count: 0,
        };
        let mut validator = Validator::new_with_features(supported_features());
        let mut allocations = FuncValidatorAllocations::default();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload?;
            analysis.record_section(&payload)?;
            match validator.payload(&payload)? {
                ValidPayload::Func(to_validate, body) => {
                    let func_validator = to_validate.into_validator(allocations);
                    let (function, returned) = analysis.index_function(func_validator, &body)?;
                    allocations = returned;
                    analysis.functions.push(function);
                }
                ValidPayload::End(types) => {
                    let types = types.as_ref();
                    analysis.memories = (0..types.memory_count())
                        .map(|i| types.memory_at(i))
                        .collect();
                    analysis.tables = (0..types.table_count())
                        .map(|i| types.table_at(i))
                        .collect();
                    analysis.globals = (0..types.global_count())
                        .map(|i| types.global_at(i))
                        .collect();
                    analysis.element_count = types.element_count();
                }
                ValidPayload::Ok => {}
                ValidPayload::Parser(_) => {
                    return Err(AnalysisError::Unsupported {
                        offset: 0,
                        what: "nested modules or components".to_string(),
                    });
                }
            }
        }
        Ok(analysis)
    }

    /// Records what the analysis needs from a section before the validator sees it.
    fn record_section(&mut self, payload: &Payload<'_>) -> Result<(), AnalysisError> {
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader.clone() {
                    for sub_type in group?.into_types() {
                        self.types.push(match sub_type.composite_type.inner {
                            CompositeInnerType::Func(func_type) => Some(func_type),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    match import?.ty {
                        TypeRef::Func(type_index) | TypeRef::FuncExact(type_index) => {
                            self.func_type_indices.push(type_index);
                            self.imported_funcs += 1;
                        }
                        TypeRef::Memory(_) => self.imported_memories += 1,
                        TypeRef::Table(_) => self.imported_tables += 1,
                        TypeRef::Global(_) => self.imported_globals += 1,
                        TypeRef::Tag(_) => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for type_index in reader.clone() {
                    self.func_type_indices.push(type_index?);
                }
            }
            Payload::DataSection(reader) => self.data_count = reader.count(),
            _ => {}
        }
        Ok(())
    }

    /// Walks one body once, recording a [`PointInfo`] before every instruction.
    fn index_function(
        &self,
        mut validator: wasmparser::FuncValidator<wasmparser::ValidatorResources>,
        body: &FunctionBody<'_>,
    ) -> Result<(FunctionAnalysis, FuncValidatorAllocations), AnalysisError> {
        let func_index = validator.index();
        let body_start = body.range().start;
        let offset = body_start;
        let func_type =
            self.func_type_of(func_index)
                .ok_or_else(|| AnalysisError::Unsupported {
                    offset: offset as usize,
                    what: format!("function {func_index} has no function type"),
                })?;
        let params = func_type.params().to_vec();
        let results = func_type.results().to_vec();

        let mut binary = body.get_binary_reader();
        validator.read_locals(&mut binary)?;
        let locals: Vec<ValType> = (0..validator.len_locals())
            .filter_map(|index| validator.get_local_type(index))
            .collect();

        let mut operators = body.get_operators_reader()?;
        let mut points = PointStoreBuilder::default();
        let mut operand_types = Vec::new();
        let mut labels = Vec::new();
        // Start offsets of the open control frames, outermost (the body, 0) first.
        let mut starts: Vec<u32> = Vec::new();
        while !operators.eof() {
            let (operator, position) = operators.read_with_offset()?;
            let pc = relative_pc(position, body_start)?;
            let reachable = self.point(
                &validator,
                &starts,
                results.len(),
                &mut operand_types,
                &mut labels,
            );
            points
                .push(
                    pc,
                    reachable,
                    instr_kind(&operator),
                    &operand_types,
                    &labels,
                )
                .map_err(|_| AnalysisError::Unsupported {
                    offset: position as usize,
                    what: format!("function {func_index} is too large to index"),
                })?;
            match operator {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    starts.push(pc)
                }
                Operator::End => {
                    starts.pop();
                }
                _ => {}
            }
            validator.op(position, &operator)?;
        }
        operators.finish()?;
        if validator.control_stack_height() != 0 {
            return Err(AnalysisError::Invalid {
                offset: operators.original_position() as usize,
                message: "control frames remain at the end of the function".to_string(),
            });
        }
        let function = FunctionAnalysis {
            func_index,
            params,
            results,
            locals,
            body_start,
            points: points.finish(),
        };
        Ok((function, validator.into_allocations()))
    }

    /// Fills `operand_types` and `labels` with what the validator knows before the next
    /// instruction; returns whether that point is reachable.
    fn point(
        &self,
        validator: &wasmparser::FuncValidator<wasmparser::ValidatorResources>,
        starts: &[u32],
        body_arity: usize,
        operand_types: &mut Vec<ValType>,
        labels: &mut Vec<Label>,
    ) -> bool {
        let height = validator.operand_stack_height() as usize;
        operand_types.clear();
        for depth in (0..height).rev() {
            match validator.get_operand_type(depth) {
                Some(Some(ty)) => operand_types.push(wasm2_type(ty)),
                _ => break,
            }
        }
        let control_height = validator.control_stack_height() as usize;
        let mut reachable = true;
        labels.clear();
        for depth in (0..control_height).rev() {
            let Some(frame) = validator.get_control_frame(depth) else {
                break;
            };
            reachable &= !frame.unreachable;
            let index = control_height - 1 - depth;
            if index == 0 {
                labels.push(Label {
                    kind: LabelKind::Block as i32,
                    start: 0,
                    height: 0,
                    arity: u32::try_from(body_arity).unwrap_or(u32::MAX),
                });
                continue;
            }
            let (kind, arity) = match frame.kind {
                FrameKind::Loop => (LabelKind::Loop, self.block_arity(frame.block_type).0),
                FrameKind::If => (LabelKind::If, self.block_arity(frame.block_type).1),
                FrameKind::Else => (LabelKind::Else, self.block_arity(frame.block_type).1),
                _ => (LabelKind::Block, self.block_arity(frame.block_type).1),
            };
            labels.push(Label {
                kind: kind as i32,
                start: starts.get(index - 1).copied().unwrap_or(0),
                height: u32::try_from(frame.height).unwrap_or(u32::MAX),
                arity,
            });
        }
        reachable
    }

    /// (parameter count, result count) of a block type.
    fn block_arity(&self, block_type: BlockType) -> (u32, u32) {
        match block_type {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(index) => self.func_type(index).map_or((0, 0), |func_type| {
                (
                    u32::try_from(func_type.params().len()).unwrap_or(u32::MAX),
                    u32::try_from(func_type.results().len()).unwrap_or(u32::MAX),
                )
            }),
        }
    }

    /// SHA-256 of the module's bytes.
    pub fn module_sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// Number of imported functions (they come first in the function index space).
    pub fn imported_func_count(&self) -> u32 {
        self.imported_funcs
    }

    /// Number of imported memories (they come first in the memory index space).
    pub fn imported_memory_count(&self) -> u32 {
        self.imported_memories
    }

    /// Number of imported tables (they come first in the table index space).
    pub fn imported_table_count(&self) -> u32 {
        self.imported_tables
    }

    /// Number of imported globals (they come first in the global index space).
    pub fn imported_global_count(&self) -> u32 {
        self.imported_globals
    }

    /// Number of functions, imported and defined.
    pub fn func_count(&self) -> u32 {
        u32::try_from(self.func_type_indices.len()).unwrap_or(u32::MAX)
    }

    /// The type index of function `func`.
    pub fn func_type_index(&self, func: u32) -> Option<u32> {
        self.func_type_indices
            .get(usize::try_from(func).ok()?)
            .copied()
    }

    /// The type of function `func`.
    pub fn func_type_of(&self, func: u32) -> Option<&FuncType> {
        self.func_type(self.func_type_index(func)?)
    }

    /// The function type at `type_index` in the type section.
    pub fn func_type(&self, type_index: u32) -> Option<&FuncType> {
        self.types.get(usize::try_from(type_index).ok()?)?.as_ref()
    }

    /// The analysis of defined function `func`; `None` for imports and out-of-range indices.
    pub fn function(&self, func: u32) -> Option<&FunctionAnalysis> {
        let defined = func.checked_sub(self.imported_funcs)?;
        self.functions.get(usize::try_from(defined).ok()?)
    }

    /// Every memory's type, imports first, in index order.
    pub fn memories(&self) -> &[MemoryType] {
        &self.memories
    }

    /// Every table's type, imports first, in index order.
    pub fn tables(&self) -> &[TableType] {
        &self.tables
    }

    /// Every global's type, imports first, in index order.
    pub fn globals(&self) -> &[GlobalType] {
        &self.globals
    }

    /// Number of data segments.
    pub fn data_count(&self) -> u32 {
        self.data_count
    }

    /// Number of element segments.
    pub fn element_count(&self) -> u32 {
        self.element_count
    }
}

/// What kind of instruction `operator` is, for checkpointing.
fn instr_kind(operator: &Operator<'_>) -> InstrKind {
    match *operator {
        Operator::Call { function_index } => InstrKind::Call {
            func: function_index,
        },
        Operator::CallIndirect {
            type_index,
            table_index,
        } => InstrKind::CallIndirect {
            type_index,
            table: table_index,
        },
        _ => InstrKind::Other,
    }
}

/// The Wasm 2.0 type of a value the validator types more precisely: wasmparser types `ref.func`
/// as a non-null reference to the function's own type and `ref.null` by its heap type, but in the
/// Wasm 2.0 type system (and in images) every function reference is a `funcref` and every external
/// reference an `externref`.
fn wasm2_type(ty: ValType) -> ValType {
    let ValType::Ref(reference) = ty else {
        return ty;
    };
    match reference.heap_type() {
        HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
            ..
        }
        | HeapType::Concrete(_)
        | HeapType::Exact(_) => ValType::FUNCREF,
        HeapType::Abstract {
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
            ..
        } => ValType::EXTERNREF,
        HeapType::Abstract { .. } => ty,
    }
}

/// `position - body_start` as a pc, or an error if it does not fit (it always does for valid input).
fn relative_pc(position: u64, body_start: u64) -> Result<u32, AnalysisError> {
    position
        .checked_sub(body_start)
        .and_then(|pc| u32::try_from(pc).ok())
        .ok_or_else(|| AnalysisError::Unsupported {
            offset: position as usize,
            what: "instruction offset out of the u32 range".to_string(),
        })
}
