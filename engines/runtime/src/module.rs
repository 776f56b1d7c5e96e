//! Module decoding and validation, shared by every engine.
//!
//! [`parse_module`] validates the whole module with wasmparser (WebAssembly 2.0 features minus
//! SIMD) and returns the engine-independent [`ModuleInfo`] plus each function body with its
//! wasmparser function validator, so an engine can validate and translate a body in one pass.
//!
//! Invariants of a returned [`ModuleInfo`] (guaranteed by validation): every index it holds
//! (types, functions, tables, memories, globals, segments) is in range; constant expressions are
//! well-typed single instructions; `func_types` covers the whole function index space.

use std::rc::Rc;

use wasmparser::{
    CompositeInnerType, DataKind, ElementItems, ElementKind, ExternalKind, FuncToValidate,
    FunctionBody, Operator, Parser, Payload, TypeRef, ValidPayload, Validator, ValidatorResources,
    WasmFeatures,
};

use crate::error::{InvokeError, ModuleError};
use crate::store::{GlobalType, MemoryType, TableType};
use crate::value::{
    ref_type_from_wasmparser, val_type_from_wasmparser, FuncType, RefType, Val, ValType,
};

/// The features baton's engines implement: WebAssembly 2.0 without SIMD.
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

/// A constant expression of WebAssembly 2.0 (one instruction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstExpr {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const` (bits).
    F32(u32),
    /// `f64.const` (bits).
    F64(u64),
    /// `ref.null`.
    RefNull(RefType),
    /// `ref.func`.
    RefFunc(u32),
    /// `global.get` of an (imported, immutable) global.
    GlobalGet(u32),
}

/// What an import declares.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportKind {
    /// A function of this type index.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}

/// One import.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// What an export refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Function index.
    Func(u32),
    /// Table index.
    Table(u32),
    /// Memory index.
    Memory(u32),
    /// Global index.
    Global(u32),
}

/// How an element segment is used.
#[derive(Clone, Debug, PartialEq)]
pub enum ElemMode {
    /// Only through `table.init`.
    Passive,
    /// Applied at instantiation to `table` at `offset`.
    Active {
        /// Table index.
        table: u32,
        /// Offset expression (i32).
        offset: ConstExpr,
    },
    /// Declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Clone, Debug, PartialEq)]
pub struct ElemSegment {
    /// Mode.
    pub mode: ElemMode,
    /// Element type.
    pub ty: RefType,
    /// One constant expression per element.
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Clone, Debug, PartialEq)]
pub enum DataMode {
    /// Only through `memory.init`.
    Passive,
    /// Applied at instantiation to `memory` at `offset`.
    Active {
        /// Memory index.
        memory: u32,
        /// Offset expression (i32).
        offset: ConstExpr,
    },
}

/// A data segment.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSegment {
    /// Mode.
    pub mode: DataMode,
    /// The bytes.
    pub bytes: Rc<[u8]>,
}

/// The engine-independent description of a validated module.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleInfo {
    /// The type section.
    pub types: Vec<Rc<FuncType>>,
    /// Imports in declaration order.
    pub imports: Vec<Import>,
    /// Type index of every function in the index space (imports first).
    pub func_types: Vec<u32>,
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Every table type in the index space (imports first).
    pub tables: Vec<TableType>,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Every memory type in the index space (imports first).
    pub memories: Vec<MemoryType>,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Every global type in the index space (imports first).
    pub globals: Vec<GlobalType>,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Initialisers of the defined globals (index `i` is global `num_imported_globals + i`).
    pub global_inits: Vec<ConstExpr>,
    /// Exports in declaration order.
    pub exports: Vec<(String, ExportKind)>,
    /// The start function.
    pub start: Option<u32>,
    /// Element segments.
    pub elements: Vec<ElemSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
}

impl ModuleInfo {
    /// The signature of function `func` (index space), if it exists.
    pub fn func_type(&self, func: u32) -> Option<&Rc<FuncType>> {
        let type_index = *self.func_types.get(func as usize)?;
        self.types.get(type_index as usize)
    }

    /// The export named `name`.
    pub fn export(&self, name: &str) -> Option<ExportKind> {
        self.exports
            .iter()
            .find(|(export, _)| export == name)
            .map(|(_, kind)| *kind)
    }

    /// The function exported as `name`, or why `name` cannot be invoked.
    pub fn exported_func(&self, name: &str) -> Result<u32, InvokeError> {
        match self.export(name) {
            Some(ExportKind::Func(func)) => Ok(func),
            Some(_) => Err(InvokeError::NotAFunction(name.to_string())),
            None => Err(InvokeError::MissingExport(name.to_string())),
        }
    }

    /// Checks `args` against function `func`'s parameters (count, then each type); `label`
    /// names the function in the error. Every engine runs this before starting a call.
    pub fn check_call_args(&self, func: u32, label: &str, args: &[Val]) -> Result<(), InvokeError> {
        let ty = self
            .func_type(func)
            .ok_or(InvokeError::NoSuchFunction(func))?;
        if ty.params.len() != args.len() {
            return Err(InvokeError::ArgumentCount {
                func: label.to_string(),
                expected: ty.params.len(),
                actual: args.len(),
            });
        }
        for (index, (arg, expected)) in args.iter().zip(ty.params.iter()).enumerate() {
            if arg.ty() != *expected {
                return Err(InvokeError::ArgumentType {
                    func: label.to_string(),
                    index,
                    expected: *expected,
                    actual: arg.ty(),
                });
            }
        }
        Ok(())
    }

    /// Number of functions defined (not imported).
    pub fn num_defined_funcs(&self) -> u32 {
        self.func_types.len() as u32 - self.num_imported_funcs
    }
}

/// A function body awaiting validation and translation by an engine.
pub struct BodyToTranslate<'a> {
    /// The function's index in the function index space.
    pub func: u32,
    /// wasmparser's validator for this body.
    pub validator: FuncToValidate<ValidatorResources>,
    /// The body. `body.range().start` is the image's pc origin for this function.
    pub body: FunctionBody<'a>,
}

/// A validated module's description and its function bodies.
pub struct ParsedModule<'a> {
    /// The static description.
    pub info: ModuleInfo,
    /// Bodies of the defined functions, in index order.
    pub bodies: Vec<BodyToTranslate<'a>>,
}

/// Decodes and validates `bytes` at module level (function bodies are validated by the engine
/// while translating them, with the returned validators).
pub fn parse_module(bytes: &[u8]) -> Result<ParsedModule<'_>, ModuleError> {
    let mut validator = Validator::new_with_features(features());
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();
    let err = |e: wasmparser::BinaryReaderError| ModuleError::from_wasmparser(&e);
    let mut parser = Parser::new(0);
    parser.set_features(features());
    for payload in parser.parse_all(bytes) {
        let payload = payload.map_err(err)?;
        if let ValidPayload::Func(validator, body) = validator.payload(&payload).map_err(err)? {
            bodies.push(BodyToTranslate {
                func: validator.index,
                validator,
                body,
            });
        }
        read_payload(&mut info, payload)?;
    }
    Ok(ParsedModule { info, bodies })
}

fn unsupported(offset: u64, what: impl Into<String>) -> ModuleError {
    ModuleError::Unsupported {
        offset,
        what: what.into(),
    }
}

fn val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType, ModuleError> {
    val_type_from_wasmparser(ty).ok_or_else(|| unsupported(offset, format!("value type {ty}")))
}

fn ref_type(ty: wasmparser::RefType, offset: u64) -> Result<RefType, ModuleError> {
    ref_type_from_wasmparser(ty).ok_or_else(|| unsupported(offset, format!("reference type {ty}")))
}

fn table_type(ty: &wasmparser::TableType, offset: u64) -> Result<TableType, ModuleError> {
    Ok(TableType {
        elem: ref_type(ty.element_type, offset)?,
        min: ty.initial,
        max: ty.maximum,
    })
}

fn memory_type(ty: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        min: ty.initial,
        max: ty.maximum,
    }
}

fn global_type(ty: &wasmparser::GlobalType, offset: u64) -> Result<GlobalType, ModuleError> {
    Ok(GlobalType {
        content: val_type(ty.content_type, offset)?,
        mutable: ty.mutable,
    })
}

/// Reads a validated single-instruction constant expression.
pub fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, ModuleError> {
    let mut reader = expr.get_operators_reader();
    let offset = reader.original_position();
    let op = reader
        .read()
        .map_err(|e| ModuleError::from_wasmparser(&e))?;
    Ok(match op {
        Operator::I32Const { value } => ConstExpr::I32(value),
        Operator::I64Const { value } => ConstExpr::I64(value),
        Operator::F32Const { value } => ConstExpr::F32(value.bits()),
        Operator::F64Const { value } => ConstExpr::F64(value.bits()),
        Operator::RefNull { hty } => {
            let ty = match hty {
                wasmparser::HeapType::FUNC => RefType::Func,
                wasmparser::HeapType::EXTERN => RefType::Extern,
                other => return Err(unsupported(offset, format!("ref.null {other:?}"))),
            };
            ConstExpr::RefNull(ty)
        }
        Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
        Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
        other => {
            return Err(unsupported(
                offset,
                format!("constant expression {other:?}"),
            ))
        }
    })
}

fn read_payload(info: &mut ModuleInfo, payload: Payload<'_>) -> Result<(), ModuleError> {
    let err = |e: wasmparser::BinaryReaderError| ModuleError::from_wasmparser(&e);
    match payload {
        Payload::TypeSection(reader) => {
            let offset = reader.range().start;
            for group in reader {
                for sub in group.map_err(err)?.into_types() {
                    let CompositeInnerType::Func(func) = &sub.composite_type.inner else {
                        return Err(unsupported(offset, "non-function type"));
                    };
                    let params = func
                        .params()
                        .iter()
                        .map(|t| val_type(*t, offset))
                        .collect::<Result<Vec<_>, _>>()?;
                    let results = func
                        .results()
                        .iter()
                        .map(|t| val_type(*t, offset))
                        .collect::<Result<Vec<_>, _>>()?;
                    info.types.push(Rc::new(FuncType::new(params, results)));
                }
            }
        }
        Payload::ImportSection(reader) => {
            let offset = reader.range().start;
            for import in reader.into_imports() {
                let import = import.map_err(err)?;
                {
                    let kind = match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            info.func_types.push(ty);
                            info.num_imported_funcs += 1;
                            ImportKind::Func(ty)
                        }
                        TypeRef::Table(ty) => {
                            let ty = table_type(&ty, offset)?;
                            info.tables.push(ty);
                            info.num_imported_tables += 1;
                            ImportKind::Table(ty)
                        }
                        TypeRef::Memory(ty) => {
                            let ty = memory_type(&ty);
                            info.memories.push(ty);
                            info.num_imported_memories += 1;
                            ImportKind::Memory(ty)
                        }
                        TypeRef::Global(ty) => {
                            let ty = global_type(&ty, offset)?;
                            info.globals.push(ty);
                            info.num_imported_globals += 1;
                            ImportKind::Global(ty)
                        }
                        TypeRef::Tag(_) => return Err(unsupported(offset, "tag import")),
                    };
                    info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader {
                info.func_types.push(ty.map_err(err)?);
            }
        }
        Payload::TableSection(reader) => {
            let offset = reader.range().start;
            for table in reader {
                let table = table.map_err(err)?;
                if let wasmparser::TableInit::Expr(_) = table.init {
                    return Err(unsupported(offset, "table initialiser expression"));
                }
                info.tables.push(table_type(&table.ty, offset)?);
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader {
                info.memories.push(memory_type(&memory.map_err(err)?));
            }
        }
        Payload::GlobalSection(reader) => {
            let offset = reader.range().start;
            for global in reader {
                let global = global.map_err(err)?;
                info.globals.push(global_type(&global.ty, offset)?);
                info.global_inits.push(const_expr(&global.init_expr)?);
            }
        }
        Payload::ExportSection(reader) => {
            let offset = reader.range().start;
            for export in reader {
                let export = export.map_err(err)?;
                let kind = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func(export.index),
                    ExternalKind::Table => ExportKind::Table(export.index),
                    ExternalKind::Memory => ExportKind::Memory(export.index),
                    ExternalKind::Global => ExportKind::Global(export.index),
                    ExternalKind::Tag => return Err(unsupported(offset, "tag export")),
                };
                info.exports.push((export.name.to_string(), kind));
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(reader) => {
            for element in reader {
                let element = element.map_err(err)?;
                let offset = element.range.start;
                let (ty, items) = match element.items {
                    ElementItems::Functions(funcs) => (
                        RefType::Func,
                        funcs
                            .into_iter()
                            .map(|f| f.map(ConstExpr::RefFunc).map_err(err))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    ElementItems::Expressions(ty, exprs) => (
                        ref_type(ty, offset)?,
                        exprs
                            .into_iter()
                            .map(|e| const_expr(&e.map_err(err)?))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                };
                let mode = match element.kind {
                    ElementKind::Passive => ElemMode::Passive,
                    ElementKind::Declared => ElemMode::Declared,
                    ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => ElemMode::Active {
                        table: table_index.unwrap_or(0),
                        offset: const_expr(&offset_expr)?,
                    },
                };
                info.elements.push(ElemSegment { mode, ty, items });
            }
        }
        Payload::DataSection(reader) => {
            for data in reader {
                let data = data.map_err(err)?;
                let mode = match data.kind {
                    DataKind::Passive => DataMode::Passive,
                    DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataMode::Active {
                        memory: memory_index,
                        offset: const_expr(&offset_expr)?,
                    },
                };
                info.data.push(DataSegment {
                    mode,
                    bytes: Rc::from(data.data),
                });
            }
        }
        _ => {}
    }
    Ok(())
}
