//! Which functions take the events-left counter as an argument (the *counter-passing*
//! convention): a defined function that nothing outside the module's own direct calls can
//! reach — not exported, not the start function, in no element segment and named by no
//! `ref.func` — gets one more parameter and one more result, both `i64`: the counter after its
//! caller's `call` event and its own `entry` event, and the counter when it returns. Its
//! callers count their `call` event and its `entry` event in one subtraction, and it checks
//! both with one comparison of its parameter (see `body`); the counter lives in a parameter,
//! so the function needs no added local (an engine such as wasmi sets up a frame without
//! locals faster). With a frame limit the counter also holds the frame depth (see
//! `layout::DEPTH_BITS`).
//!
//! In the MVP rewrite (nothing changes a table after instantiation, see `crate::mvp`), the
//! functions in the table may pass the counter too ([`indirect_passing`]): when every function
//! the module's `call_indirect`s of a type can reach is otherwise eligible, those calls pass it,
//! and those functions take one more `i32`, last: the table index they were called through
//! (`-1` from a direct call), which a stop at the caller's `call` event saves as the caller's
//! top operand.
//!
//! Invariant: a counter-passing function is only ever called by a direct `call` of the
//! module's own code, or (MVP, *indexed*) by its `call_indirect`s through a table nothing
//! outside the module can reach, so changing its signature is invisible outside the module.

use std::collections::BTreeSet;

use baton_checkpoint::analysis::ModuleAnalysis;
use wasmparser::{ElementItems, ExternalKind, Operator, Parser, Payload};

use crate::error::InstrumentError;

/// Per function of the original index space (imports included): whether it follows the
/// counter-passing convention.
pub(crate) fn counter_passing(
    wasm: &[u8],
    imported_funcs: u32,
    func_count: u32,
) -> Result<Vec<bool>, InstrumentError> {
    let reach = reach(wasm, imported_funcs, func_count)?;
    Ok(reach
        .outside
        .iter()
        .zip(&reach.in_table)
        .map(|(outside, in_table)| !outside && !in_table)
        .collect())
}

/// How the functions (original index space) can be reached besides direct calls.
struct Reach {
    /// From outside the module, or as a reference value: imported, exported, the start
    /// function, named by a `ref.func` or an element expression.
    outside: Vec<bool>,
    /// In an element segment's function list.
    in_table: Vec<bool>,
    /// Whether the module exports a table.
    table_exported: bool,
}

fn reach(wasm: &[u8], imported_funcs: u32, func_count: u32) -> Result<Reach, InstrumentError> {
    let mut outside: Vec<bool> = (0..func_count).map(|k| k < imported_funcs).collect();
    let mut in_table = vec![false; func_count as usize];
    let mut table_exported = false;
    let mut escape = |k: u32| {
        if let Some(flag) = outside.get_mut(k as usize) {
            *flag = true;
        }
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    match export.kind {
                        ExternalKind::Func => escape(export.index),
                        ExternalKind::Table => table_exported = true,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => escape(func),
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element?.items {
                        ElementItems::Functions(funcs) => {
                            for func in funcs {
                                if let Some(flag) = in_table.get_mut(func? as usize) {
                                    *flag = true;
                                }
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                referenced(expr?.get_operators_reader(), &mut escape)?;
                            }
                        }
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    referenced(global?.init_expr.get_operators_reader(), &mut escape)?;
                }
            }
            Payload::CodeSectionEntry(body) => {
                referenced(body.get_operators_reader()?, &mut escape)?;
            }
            _ => {}
        }
    }
    Ok(Reach {
        outside,
        in_table,
        table_exported,
    })
}

/// The MVP rewrite's counter passing through `call_indirect`: the types whose calls pass it,
/// and per function (original index space) whether it is *indexed* (takes the counter and the
/// table index, see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct IndirectPassing {
    /// `call_indirect` type indices whose calls pass the counter.
    pub types: BTreeSet<u32>,
    /// Per function: whether it is in the table and takes the counter (and the index).
    pub indexed: Vec<bool>,
}

/// Which `call_indirect` types (`indirect_types`, the ones the code uses) pass the counter in
/// an MVP module (one table, filled by active segments only, changed by nothing): every
/// function of that type in a segment must be reachable by no other way than the module's own
/// calls, no table may be exported, and the type with the counter and
/// index added must equal no type of the module (a `call_indirect` of that type would then
/// reach these functions, or one of the new type functions it should not).
pub(crate) fn indirect_passing(
    wasm: &[u8],
    analysis: &ModuleAnalysis,
    indirect_types: &BTreeSet<u32>,
) -> Result<IndirectPassing, InstrumentError> {
    let reach = reach(wasm, analysis.imported_func_count(), analysis.func_count())?;
    let mut out = IndirectPassing {
        indexed: vec![false; analysis.func_count() as usize],
        ..IndirectPassing::default()
    };
    if reach.table_exported {
        return Ok(out);
    }
    let type_count = (0..)
        .take_while(|t| analysis.func_type(*t).is_some())
        .count() as u32;
    for ty in indirect_types {
        let Some(sig) = analysis.func_type(*ty) else {
            continue;
        };
        let members: Vec<u32> = (0..analysis.func_count())
            .filter(|f| reach.in_table[*f as usize] && analysis.func_type_of(*f) == Some(sig))
            .collect();
        if members.iter().any(|f| reach.outside[*f as usize]) {
            continue;
        }
        let (params, results) = crate::layout::passing_signature(sig);
        let collides = (0..type_count)
            .filter_map(|t| analysis.func_type(t))
            .any(|t| t.params() == params.as_slice() && t.results() == results.as_slice());
        if collides {
            continue;
        }
        out.types.insert(*ty);
        for f in members {
            out.indexed[f as usize] = true;
        }
    }
    Ok(out)
}

/// Calls `escape` with every function a `ref.func` in `reader` names.
fn referenced(
    mut reader: wasmparser::OperatorsReader<'_>,
    escape: &mut impl FnMut(u32),
) -> Result<(), InstrumentError> {
    while !reader.eof() {
        if let Operator::RefFunc { function_index } = reader.read()? {
            escape(function_index);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passing(wat: &str) -> Vec<bool> {
        let wasm = wat::parse_str(wat).expect("valid test module");
        let analysis = baton_checkpoint::analysis::ModuleAnalysis::new(&wasm).expect("analysed");
        counter_passing(&wasm, analysis.imported_func_count(), analysis.func_count())
            .expect("scanned")
    }

    #[test]
    fn only_functions_reached_by_direct_calls_alone_pass_the_counter() {
        let flags = passing(
            r#"(module
                (import "m" "f" (func $imported))
                (table 1 funcref)
                (elem (i32.const 0) $in_table)
                (elem declare func $declared)
                (global funcref (ref.func $in_global))
                (start $start)
                (func $exported (export "e") (call $internal) (drop (ref.func $in_global)))
                (func $internal)
                (func $in_table)
                (func $declared)
                (func $in_global)
                (func $start))"#,
        );
        // imported, exported, internal, in_table, declared, in_global, start
        assert_eq!(flags, vec![false, false, true, false, false, false, false]);
    }

    fn indirect(wat: &str) -> IndirectPassing {
        let wasm = wat::parse_str(wat).expect("valid test module");
        let analysis = baton_checkpoint::analysis::ModuleAnalysis::new(&wasm).expect("analysed");
        let facts = crate::mvp::check(&wasm, &analysis).expect("an MVP module");
        indirect_passing(&wasm, &analysis, &facts.indirect_types).expect("scanned")
    }

    const TABLE: &str = r#"
        (type $a (func (param i32) (result i32)))
        (type $b (func (param i64) (result i64)))
        (table 4 funcref)
        (elem (i32.const 0) $a1 $a2 $b1)
        (func $a1 (type $a) (local.get 0))
        (func $a2 (type $a) (local.get 0))
        (func $b1 (type $b) (local.get 0))
        (func $other (type $a) (local.get 0))
        (func (export "run") (param i32) (result i32)
          (drop (call_indirect (type $b) (i64.const 1) (i32.const 2)))
          (call_indirect (type $a) (local.get 0) (i32.const 0)))"#;

    #[test]
    fn a_call_indirect_passes_the_counter_when_all_its_table_functions_can() {
        let all = indirect(&format!("(module {TABLE})"));
        assert_eq!(all.types.iter().copied().collect::<Vec<_>>(), vec![0, 1]);
        // a1, a2, b1 are in the table; $other (type $a, not in it) and run are not.
        assert_eq!(all.indexed, vec![true, true, true, false, false]);
        // One exported member keeps its whole type from passing.
        let exported = indirect(&format!("(module {TABLE} (export \"a2\" (func $a2)))"));
        assert_eq!(exported.types.iter().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(exported.indexed, vec![false, false, true, false, false]);
        // An exported table: nothing passes.
        let table = indirect(&format!("(module {TABLE} (export \"t\" (table 0)))"));
        assert!(table.types.is_empty());
        assert!(table.indexed.iter().all(|i| !i));
        // A type equal to $a with the counter and index added would let a call_indirect of
        // that type reach $a1 and $a2: $a does not pass.
        let collides = indirect(&format!(
            "(module {TABLE} (type $c (func (param i32 i64 i32) (result i32 i64))))"
        ));
        assert_eq!(collides.types.iter().copied().collect::<Vec<_>>(), vec![1]);
    }
}
