//! Which functions take the events-left counter as an argument (the *counter-passing*
//! convention): a defined function that nothing outside the module's own direct calls can
//! reach — not exported, not the start function, in no element segment and named by no
//! `ref.func` — gets one more parameter and one more result, both `i64`: the counter after its
//! caller's `call` event and its own `entry` event, and the counter when it returns. Its
//! callers count their `call` event and its `entry` event in one subtraction, and it checks
//! both with one comparison of its parameter (see `body`); the counter lives in a parameter,
//! so the function needs no added local (an engine such as wasmi sets up a frame without
//! locals faster). With a frame limit it also takes its frame depth, an `i32` after the
//! counter, instead of counting itself in the depth global.
//!
//! Invariant: a counter-passing function is only ever called by a direct `call` of the
//! module's own code, so changing its signature is invisible outside the module.

use wasmparser::{ElementItems, Operator, Parser, Payload};

use crate::error::InstrumentError;

/// Per function of the original index space (imports included): whether it follows the
/// counter-passing convention.
pub(crate) fn counter_passing(
    wasm: &[u8],
    imported_funcs: u32,
    func_count: u32,
) -> Result<Vec<bool>, InstrumentError> {
    let mut passing: Vec<bool> = (0..func_count).map(|k| k >= imported_funcs).collect();
    let mut escape = |k: u32| {
        if let Some(flag) = passing.get_mut(k as usize) {
            *flag = false;
        }
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == wasmparser::ExternalKind::Func {
                        escape(export.index);
                    }
                }
            }
            Payload::StartSection { func, .. } => escape(func),
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element?.items {
                        ElementItems::Functions(funcs) => {
                            for func in funcs {
                                escape(func?);
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
    Ok(passing)
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
}
