//! A module's import list in declaration order, read with wasmparser: the order in which
//! [`baton_engine::Engine::instantiate`] takes its imports.

use wasmparser::{Parser, Payload, TypeRef};

use baton_engine::ExternKind;
use baton_engine::ValType;

/// One import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportDecl {
    /// The module name (`"spectest"`, or a registered name).
    pub module: String,
    /// The field name.
    pub name: String,
    /// What kind of entity is expected.
    pub kind: ExternKind,
    /// For globals: whether the import is mutable.
    pub mutable_global: bool,
    /// For globals their content type, for tables their element type (`None` otherwise, or
    /// for types outside Wasm 2.0).
    pub value_type: Option<ValType>,
}

/// Reads the import section of `wasm`. The module was already accepted by an engine, so a
/// parse error here is reported as a message rather than expected.
pub fn read_imports(wasm: &[u8]) -> Result<Vec<ImportDecl>, String> {
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|error| format!("reading imports: {error}"))?;
        if let Payload::ImportSection(reader) = payload {
            for import in reader.into_imports() {
                let import = import.map_err(|error| format!("reading imports: {error}"))?;
                let (kind, mutable_global, value_type) = match import.ty {
                    TypeRef::Func(_) | TypeRef::FuncExact(_) => (ExternKind::Func, false, None),
                    TypeRef::Table(table) => (
                        ExternKind::Table,
                        false,
                        ValType::from_wasmparser(wasmparser::ValType::Ref(table.element_type)),
                    ),
                    TypeRef::Memory(_) => (ExternKind::Memory, false, None),
                    TypeRef::Global(global) => (
                        ExternKind::Global,
                        global.mutable,
                        ValType::from_wasmparser(global.content_type),
                    ),
                    TypeRef::Tag(_) => return Err("tag imports are outside Wasm 2.0".into()),
                };
                imports.push(ImportDecl {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    kind,
                    mutable_global,
                    value_type,
                });
            }
        }
    }
    Ok(imports)
}
