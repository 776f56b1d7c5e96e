//! Values in slots and registers: every Wasm value is 64 bits of a slot, `r0` or `fp0`.
//!
//! Encoding: `i32` zero-extended, `i64` as is, `f32` its bits zero-extended, `f64` its bits,
//! references through the instance's [`RefPool`]. Integers live in `r0`, floats in `fp0`,
//! references only in slots.

use baton_runtime::{Val, ValType};

use crate::refs::RefPool;

/// Which top-of-stack register a value of a type can live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `r0`: `i32`, `i64`.
    Int,
    /// `fp0`: `f32`, `f64`.
    Float,
    /// Slots only: references.
    Ref,
}

/// The register class of `ty`.
pub fn class_of(ty: ValType) -> Class {
    match ty {
        ValType::I32 | ValType::I64 => Class::Int,
        ValType::F32 | ValType::F64 => Class::Float,
        ValType::FuncRef | ValType::ExternRef => Class::Ref,
    }
}

/// The 64-bit encoding of `value`.
pub fn to_bits(value: &Val, refs: &mut RefPool) -> u64 {
    match value {
        Val::I32(v) => u64::from(*v as u32),
        Val::I64(v) => *v as u64,
        Val::F32(bits) => u64::from(*bits),
        Val::F64(bits) => *bits,
        Val::FuncRef(_) | Val::ExternRef(_) => refs.encode(value),
    }
}

/// The value of type `ty` that `bits` encodes.
pub fn from_bits(bits: u64, ty: ValType, refs: &RefPool) -> Val {
    match ty {
        ValType::I32 => Val::I32(bits as u32 as i32),
        ValType::I64 => Val::I64(bits as i64),
        ValType::F32 => Val::F32(bits as u32),
        ValType::F64 => Val::F64(bits),
        ValType::FuncRef | ValType::ExternRef => refs.decode(bits, ty),
    }
}

/// The runtime type of a wasmparser value type (`None` outside WebAssembly 2.0).
pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
    baton_runtime::value::val_type_from_wasmparser(ty)
}
