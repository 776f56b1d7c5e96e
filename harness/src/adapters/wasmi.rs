//! The wasmi 2.0 adapter: the primary oracle. Uninterrupted runs only; every checkpoint
//! operation answers `Unsupported`. The session, conversions and configuration are shared with
//! the tie-breaker ([`super::wasmi_v1`]) through [`super::wasmi_common`]; only the table code
//! below is 2.0-specific (tables hold `Ref`s typed by `RefType`).
//!
//! SIMD is off because wasmi is built without its `simd` feature. The workspace builds wasmi
//! with its `deterministic` feature: NaN results are canonical, so runs are reproducible across
//! hosts. Function references returned to the harness are appended to the session's arena: their
//! ids are session-local identities.

use wasmi::{Ref, RefType};

super::wasmi_common::wasmi_adapter!(wasmi, Nullable, default_for_ty);

/// The registry name.
pub const NAME: &str = "wasmi";

/// Creates an empty table of the harness's type.
fn new_table(store: &mut Store<Arena>, ty: TableType) -> Result<Table, EngineError> {
    let ref_type = match ty.element {
        ValType::FuncRef => RefType::Func,
        ValType::ExternRef => RefType::Extern,
        other => return Err(EngineError::Other(format!("table of {other:?}"))),
    };
    Table::new(
        store,
        wasmi::TableType::new(ref_type, ty.min, ty.max),
        Ref::null(ref_type),
    )
    .map_err(|error| EngineError::Other(error.to_string()))
}

/// Reads one table element (function references by null-ness, see `stored_value`).
fn table_element(store: &Store<Arena>, table: Table, index: u64) -> Result<Value, EngineError> {
    match table.get(store, index) {
        Some(Ref::Func(func)) => stored_value(store, Val::FuncRef(func)),
        Some(Ref::Extern(ext)) => stored_value(store, Val::ExternRef(ext)),
        None => Err(EngineError::Other(format!(
            "table element {index} vanished"
        ))),
    }
}
