//! The `spectest` host module every spec-suite file may import from: `print*` functions that do
//! nothing, `global_i32`/`global_i64` = 666, `global_f32`/`global_f64` = 666.6, a `table` of
//! 10..20 funcref and a `memory` of 1..2 pages.

use std::sync::Arc;

use baton_engine::{Engine, EngineError, ExternHandle, HostFunc};
use baton_engine::{FuncType, GlobalType, MemoryType, TableType, ValType, Value};

/// The host module's name.
pub const MODULE: &str = "spectest";

/// Creates the spectest entities in `engine`'s session and returns them by field name.
pub fn instantiate(engine: &mut dyn Engine) -> Result<Vec<(String, ExternHandle)>, EngineError> {
    use ValType::{F32, F64, I32, I64};
    let printers: [(&str, Vec<ValType>); 7] = [
        ("print", vec![]),
        ("print_i32", vec![I32]),
        ("print_i64", vec![I64]),
        ("print_f32", vec![F32]),
        ("print_f64", vec![F64]),
        ("print_i32_f32", vec![I32, F32]),
        ("print_f64_f64", vec![F64, F64]),
    ];
    let mut exports = Vec::new();
    for (name, params) in printers {
        let silent: HostFunc = Arc::new(|_args: &[Value]| Ok(Vec::new()));
        let handle = engine.host_func(&FuncType::new(params, []), silent)?;
        exports.push((name.to_string(), handle));
    }
    let globals = [
        ("global_i32", Value::I32(666)),
        ("global_i64", Value::I64(666)),
        ("global_f32", Value::F32(666.6f32.to_bits())),
        ("global_f64", Value::F64(666.6f64.to_bits())),
    ];
    for (name, value) in globals {
        let ty = GlobalType {
            content: value.ty(),
            mutable: false,
        };
        exports.push((name.to_string(), engine.host_global(ty, value)?));
    }
    let table = engine.host_table(TableType {
        element: ValType::FuncRef,
        min: 10,
        max: Some(20),
    })?;
    exports.push(("table".to_string(), table));
    let memory = engine.host_memory(MemoryType {
        min: 1,
        max: Some(2),
    })?;
    exports.push(("memory".to_string(), memory));
    Ok(exports)
}
