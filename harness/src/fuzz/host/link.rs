//! A module's imports from the harness host and the objects that satisfy them in one engine
//! session: host functions bound to a [`HostState`], and fresh host memories, tables and
//! globals shaped like the import declares.
//!
//! Invariants: only imports of value types baton supports are accepted; a global starts from a
//! value derived from its name and type only ([`derive_results`] at trace position 0, so every
//! engine starts from the same state); memories start zeroed and tables null.

use std::sync::Arc;

use wasmparser::{Parser, Payload, TypeRef};

use super::{derive_results, HostState};
use baton_engine::{Engine, EngineError, ExternHandle, HostFunc};
use baton_engine::{FuncType, GlobalType, MemoryType, TableType, ValType};

/// What an import is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportType {
    /// A host function with this signature.
    Func(FuncType),
    /// A host memory.
    Memory(MemoryType),
    /// A host table.
    Table(TableType),
    /// A host global.
    Global(GlobalType),
}

/// One import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncImport {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What it is.
    pub ty: ImportType,
}

fn convert(tys: &[wasmparser::ValType]) -> Option<Vec<ValType>> {
    tys.iter().map(|t| ValType::from_wasmparser(*t)).collect()
}

fn import_type(
    ty: TypeRef,
    types: &[Option<FuncType>],
    at: &dyn Fn(&str) -> String,
) -> Result<ImportType, String> {
    let small = |n: u64| u32::try_from(n).map_err(|_| at("too large"));
    Ok(match ty {
        TypeRef::Func(index) | TypeRef::FuncExact(index) => ImportType::Func(
            types
                .get(index as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| at(&format!("bad type {index}")))?,
        ),
        TypeRef::Memory(m) if !m.memory64 && !m.shared => ImportType::Memory(MemoryType {
            min: small(m.initial)?,
            max: m.maximum.map(small).transpose()?,
        }),
        TypeRef::Table(t) if !t.table64 => {
            let element = ValType::from_wasmparser(wasmparser::ValType::Ref(t.element_type))
                .ok_or_else(|| at("unsupported element type"))?;
            ImportType::Table(TableType {
                element,
                min: small(t.initial)?,
                max: t.maximum.map(small).transpose()?,
            })
        }
        TypeRef::Global(g) if !g.shared => ImportType::Global(GlobalType {
            content: ValType::from_wasmparser(g.content_type)
                .ok_or_else(|| at("unsupported global type"))?,
            mutable: g.mutable,
        }),
        other => return Err(at(&format!("unsupported import {other:?}"))),
    })
}

/// Reads a module's imports (functions, memories, tables, globals of baton's feature set).
pub fn func_imports(wasm: &[u8]) -> Result<Vec<FuncImport>, String> {
    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| format!("reading imports: {e}"))? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(|e| format!("reading types: {e}"))?;
                    types.push(match (convert(ty.params()), convert(ty.results())) {
                        (Some(params), Some(results)) => Some(FuncType::new(params, results)),
                        _ => None,
                    });
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| format!("reading imports: {e}"))?;
                    let at =
                        |what: &str| format!("import {}.{}: {what}", import.module, import.name);
                    imports.push(FuncImport {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty: import_type(import.ty, &types, &at)?,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// Creates what `imports` need in `engine`'s session, in import order: host functions bound to
/// `host`, fresh memories, tables and globals.
pub fn link(
    engine: &mut dyn Engine,
    imports: &[FuncImport],
    host: &HostState,
) -> Result<Vec<ExternHandle>, EngineError> {
    imports
        .iter()
        .map(|import| match &import.ty {
            ImportType::Func(ty) => {
                let host = host.clone();
                let name = import.name.clone();
                let results = ty.results.clone();
                let func: HostFunc = Arc::new(move |args: &[baton_engine::Value]| {
                    Ok(host.call(&name, args, &results))
                });
                engine.host_func(ty, func)
            }
            ImportType::Memory(ty) => engine.host_memory(*ty),
            ImportType::Table(ty) => engine.host_table(*ty),
            ImportType::Global(ty) => {
                let init = derive_results(&import.name, &[], 0, &[ty.content]);
                let init = init
                    .first()
                    .copied()
                    .unwrap_or(baton_engine::Value::default_for(ty.content));
                engine.host_global(*ty, init)
            }
        })
        .collect()
}
