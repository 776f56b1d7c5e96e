//! The wasmi 1.x adapter: the tie-breaker oracle. wasmi 1.x is an older release line of the
//! primary oracle ([`super::wasmi`], 2.0) that does not share its known miscompilations
//! (`reports/README.md`, "Known oracle divergences"), and shares no code with baton's engines.
//! The semantics property consults it only when the primary oracle disagrees with every engine
//! (see `crate::fuzz::oracles::semantics`); it is not a default campaign engine.
//!
//! Uninterrupted runs only, same configuration and session code as the primary oracle (shared
//! through [`super::wasmi_common`]); only the table code below is 1.x-specific (tables hold `Val`s
//! typed by `ValType`). wasmi 1.x has no `deterministic` feature, so NaN payloads may be
//! host-specific; the harness compares NaNs of one type as equal anyway.

super::wasmi_common::wasmi_adapter!(wasmi_v1, Ref, default);

/// The registry name.
pub const NAME: &str = "wasmi1";

/// Creates an empty table of the harness's type.
fn new_table(store: &mut Store<Arena>, ty: TableType) -> Result<Table, EngineError> {
    let (element, init) = match ty.element {
        ValType::FuncRef => (wasmi_v1::ValType::FuncRef, Val::FuncRef(Ref::Null)),
        ValType::ExternRef => (wasmi_v1::ValType::ExternRef, Val::ExternRef(Ref::Null)),
        other => return Err(EngineError::Other(format!("table of {other:?}"))),
    };
    Table::new(
        store,
        wasmi_v1::TableType::new(element, ty.min, ty.max),
        init,
    )
    .map_err(|error| EngineError::Other(error.to_string()))
}

/// Reads one table element (function references by null-ness, see `stored_value`).
fn table_element(store: &Store<Arena>, table: Table, index: u64) -> Result<Value, EngineError> {
    match table.get(store, index) {
        Some(value) => stored_value(store, value),
        None => Err(EngineError::Other(format!(
            "table element {index} vanished"
        ))),
    }
}
