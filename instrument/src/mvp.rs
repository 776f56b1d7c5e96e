//! The MVP rewrite's preconditions and facts ([`crate::Options::mvp`]): what an engine without
//! reference types cannot run once rewritten, and what the rewrite needs to know beforehand
//! (the type indices `call_indirect` uses, the active element segments the host derives the
//! tables from).
//!
//! Invariant: [`check`] accepts a module only when, in it, nothing can change a table after
//! instantiation (at most one funcref table, defined in the module, filled by active segments
//! of function indices only, no table instruction) and no value is reference-typed; so the
//! tables an image of it holds are always the ones its segments build.

use std::collections::BTreeSet;

use baton_checkpoint::analysis::ModuleAnalysis;
use wasmparser::{
    ElementItems, ElementKind, FunctionBody, Operator, Parser, Payload, RefType, TypeRef, ValType,
};

use crate::error::InstrumentError;
use crate::meta::{SegmentOffset, TableSegment};

/// What the MVP rewrite learns from a module it accepts.
#[derive(Debug, Clone, Default)]
pub(crate) struct MvpFacts {
    /// Type indices of every `call_indirect` (each gets a direct dispatch).
    pub indirect_types: BTreeSet<u32>,
    /// The active element segments, in order.
    pub segments: Vec<TableSegment>,
}

const REF_TYPES: &str = "reference types";

fn is_ref(ty: ValType) -> bool {
    matches!(ty, ValType::Ref(_))
}

/// Checks `wasm` (already validated as `analysis`) for the MVP rewrite.
pub(crate) fn check(wasm: &[u8], analysis: &ModuleAnalysis) -> Result<MvpFacts, InstrumentError> {
    let mut facts = MvpFacts::default();
    let tables = analysis.tables();
    if tables.len() > 1 {
        return Err(InstrumentError::feature(
            format!("multiple tables ({} tables)", tables.len()),
            None,
            0,
        ));
    }
    if let Some(table) = tables.first() {
        if table.element_type != RefType::FUNCREF {
            return Err(InstrumentError::feature(
                format!("{REF_TYPES} (a table of {:?})", table.element_type),
                None,
                0,
            ));
        }
    }
    let mut code_index = analysis.imported_func_count();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    if ty.params().iter().chain(ty.results()).any(|t| is_ref(*t)) {
                        return Err(InstrumentError::feature(
                            format!("{REF_TYPES} (a function type with reference values)"),
                            None,
                            offset,
                        ));
                    }
                }
            }
            Payload::ImportSection(reader) => {
                let offset = reader.range().start;
                for import in reader.into_imports() {
                    let import = import?;
                    match import.ty {
                        TypeRef::Table(_) => {
                            return Err(InstrumentError::feature(
                                format!(
                                    "an imported table ({}.{}: other instances may change it)",
                                    import.module, import.name
                                ),
                                None,
                                offset,
                            ))
                        }
                        TypeRef::Global(global) if is_ref(global.content_type) => {
                            return Err(InstrumentError::feature(
                                format!(
                                    "{REF_TYPES} (imported global {}.{})",
                                    import.module, import.name
                                ),
                                None,
                                offset,
                            ))
                        }
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                let offset = reader.range().start;
                for global in reader {
                    if is_ref(global?.ty.content_type) {
                        return Err(InstrumentError::feature(
                            format!("{REF_TYPES} (a reference-typed global)"),
                            None,
                            offset,
                        ));
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element?;
                    let offset = element.range.start;
                    let (table, offset_expr) = match element.kind {
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => (table_index.unwrap_or(0), offset_expr),
                        ElementKind::Passive => {
                            return Err(InstrumentError::feature(
                                "bulk memory (a passive element segment)",
                                None,
                                offset,
                            ))
                        }
                        ElementKind::Declared => {
                            return Err(InstrumentError::feature(
                                format!("{REF_TYPES} (a declarative element segment)"),
                                None,
                                offset,
                            ))
                        }
                    };
                    let ElementItems::Functions(items) = element.items else {
                        return Err(InstrumentError::feature(
                            format!("{REF_TYPES} (an element segment of expressions)"),
                            None,
                            offset,
                        ));
                    };
                    let funcs = items.into_iter().collect::<Result<Vec<u32>, _>>()?;
                    let mut ops = offset_expr.get_operators_reader();
                    let start = match ops.read()? {
                        Operator::I32Const { value } => SegmentOffset::Const(value as u32),
                        Operator::GlobalGet { global_index } => SegmentOffset::Global(global_index),
                        other => {
                            return Err(InstrumentError::feature(
                                format!("an extended constant offset ({other:?})"),
                                None,
                                offset,
                            ))
                        }
                    };
                    if !matches!(ops.read()?, Operator::End) {
                        return Err(InstrumentError::feature(
                            "an extended constant offset",
                            None,
                            offset,
                        ));
                    }
                    facts.segments.push(TableSegment {
                        table,
                        offset: start,
                        funcs,
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                check_body(analysis, code_index, &body, &mut facts)?;
                code_index += 1;
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// Checks one body: no reference-typed local, no table or reference instruction.
fn check_body(
    analysis: &ModuleAnalysis,
    func: u32,
    body: &FunctionBody<'_>,
    facts: &mut MvpFacts,
) -> Result<(), InstrumentError> {
    let here = |feature: String, offset: u64| InstrumentError::feature(feature, Some(func), offset);
    if let Some(function) = analysis.function(func) {
        if function.locals().iter().any(|t| is_ref(*t)) {
            return Err(here(
                format!("{REF_TYPES} (a reference-typed local)"),
                body.range().start,
            ));
        }
    }
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset()?;
        let name = match op {
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                if table_index != 0 {
                    return Err(here(
                        format!("multiple tables (call_indirect of table {table_index})"),
                        offset,
                    ));
                }
                facts.indirect_types.insert(type_index);
                continue;
            }
            Operator::TypedSelect { ty } if is_ref(ty) => "select of references",
            Operator::TypedSelectMulti { .. } => "select with several types",
            Operator::RefNull { .. } => "ref.null",
            Operator::RefIsNull => "ref.is_null",
            Operator::RefFunc { .. } => "ref.func",
            Operator::TableGet { .. } => "table.get",
            Operator::TableSet { .. } => "table.set",
            Operator::TableSize { .. } => "table.size",
            Operator::TableGrow { .. } => "table.grow",
            Operator::TableFill { .. } => "table.fill",
            Operator::TableCopy { .. } => "table.copy",
            Operator::TableInit { .. } => "table.init",
            Operator::ElemDrop { .. } => "elem.drop",
            _ => continue,
        };
        return Err(here(format!("{REF_TYPES} ({name})"), offset));
    }
    Ok(())
}
