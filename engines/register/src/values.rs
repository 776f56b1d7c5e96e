//! Conversion between typed values ([`Val`]) and cells, for arguments, results, globals,
//! tables and host calls.
//!
//! Invariant: `write_val` followed by `read_val` with the value's type yields an equal value
//! (floats bit-exact, references through the instance's [`RefPool`](crate::refs::RefPool)).

use baton_runtime::{Val, ValType};

use crate::cells::{read_u64, write_u64};
use crate::instance::InstanceInner;

/// Cells a value of runtime type `ty` takes.
pub fn cells_of_val(ty: ValType) -> usize {
    match ty {
        ValType::I64 | ValType::F64 => 2,
        _ => 1,
    }
}

/// The runtime type of a wasmparser type (`None` for `v128` and other unsupported types).
pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
    baton_runtime::value::val_type_from_wasmparser(ty)
}

/// The wasmparser type of a runtime type.
pub fn to_wasmparser(ty: ValType) -> wasmparser::ValType {
    match ty {
        ValType::I32 => wasmparser::ValType::I32,
        ValType::I64 => wasmparser::ValType::I64,
        ValType::F32 => wasmparser::ValType::F32,
        ValType::F64 => wasmparser::ValType::F64,
        ValType::FuncRef => wasmparser::ValType::FUNCREF,
        ValType::ExternRef => wasmparser::ValType::EXTERNREF,
    }
}

impl InstanceInner {
    /// Writes `val` into `cells` at `at`.
    pub fn write_val(&self, val: &Val, cells: &mut [u32], at: usize) {
        match val {
            Val::I32(v) => cells[at] = *v as u32,
            Val::F32(bits) => cells[at] = *bits,
            Val::I64(v) => write_u64(cells, at, *v as u64),
            Val::F64(bits) => write_u64(cells, at, *bits),
            Val::FuncRef(_) | Val::ExternRef(_) => {
                cells[at] = self
                    .refs
                    .borrow_mut()
                    .val_to_cell(val, &self.objects, &self.this());
            }
        }
    }

    /// Reads a value of type `ty` from `cells` at `at`.
    pub fn read_val(&self, ty: ValType, cells: &[u32], at: usize) -> Val {
        match ty {
            ValType::I32 => Val::I32(cells[at] as i32),
            ValType::F32 => Val::F32(cells[at]),
            ValType::I64 => Val::I64(read_u64(cells, at) as i64),
            ValType::F64 => Val::F64(read_u64(cells, at)),
            ValType::FuncRef => Val::FuncRef(self.refs.borrow().cell_to_func(
                cells[at],
                &self.objects,
                &self.this(),
            )),
            ValType::ExternRef => Val::ExternRef(self.refs.borrow().cell_to_extern(cells[at])),
        }
    }

    /// Reads consecutive values of `types` starting at `at`.
    pub fn read_vals(&self, types: &[ValType], cells: &[u32], at: usize) -> Vec<Val> {
        let mut offset = at;
        types
            .iter()
            .map(|ty| {
                let val = self.read_val(*ty, cells, offset);
                offset += cells_of_val(*ty);
                val
            })
            .collect()
    }
}
