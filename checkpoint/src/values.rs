//! Convenience constructors, type queries and the canonical text form of [`Value`].
//!
//! The text form is the one the text view prints: the type name, then the exact bits in
//! fixed-width lowercase hex (`i32 0x0000002a`, `f64 0x7ff8000000000001`), `funcref 3`,
//! `funcref null`, `externref 7`, `externref null`, `v128 0x<32 hex digits>`. It never depends on
//! the platform or on float formatting, so it is stable across runs and diff-friendly.

use std::fmt;

use wasmparser::{RefType, ValType};

use crate::image::{value::Kind, ExternRef, FuncRef, Value};

impl Value {
    /// An `i32` from its bits.
    pub fn i32(bits: u32) -> Value {
        Value {
            kind: Some(Kind::I32(bits)),
        }
    }

    /// An `i64` from its bits.
    pub fn i64(bits: u64) -> Value {
        Value {
            kind: Some(Kind::I64(bits)),
        }
    }

    /// An `f32` from its exact bits (NaN payloads kept).
    pub fn f32_bits(bits: u32) -> Value {
        Value {
            kind: Some(Kind::F32(bits)),
        }
    }

    /// An `f64` from its exact bits (NaN payloads kept).
    pub fn f64_bits(bits: u64) -> Value {
        Value {
            kind: Some(Kind::F64(bits)),
        }
    }

    /// An `f32` from a float (its bits are kept exactly).
    pub fn f32(value: f32) -> Value {
        Value::f32_bits(value.to_bits())
    }

    /// An `f64` from a float (its bits are kept exactly).
    pub fn f64(value: f64) -> Value {
        Value::f64_bits(value.to_bits())
    }

    /// A `funcref`: `Some(function index)` or `None` for null.
    pub fn funcref(index: Option<u32>) -> Value {
        Value {
            kind: Some(Kind::Funcref(FuncRef { index })),
        }
    }

    /// An `externref`: `Some(host handle id)` or `None` for null.
    pub fn externref(handle: Option<u64>) -> Value {
        Value {
            kind: Some(Kind::Externref(ExternRef { handle })),
        }
    }

    /// A `v128` from its 16 little-endian bytes (reserved; format version 1 engines never produce it).
    pub fn v128(bytes: [u8; 16]) -> Value {
        Value {
            kind: Some(Kind::V128(bytes.to_vec())),
        }
    }

    /// The null reference of a reference type, or zero of a number type.
    pub fn default_of(ty: ValType) -> Value {
        match ty {
            ValType::I32 => Value::i32(0),
            ValType::I64 => Value::i64(0),
            ValType::F32 => Value::f32_bits(0),
            ValType::F64 => Value::f64_bits(0),
            ValType::V128 => Value::v128([0; 16]),
            ValType::Ref(reference) if is_extern(reference) => Value::externref(None),
            ValType::Ref(_) => Value::funcref(None),
        }
    }

    /// The value's WebAssembly type; `None` when the kind is missing (malformed input) or a
    /// `v128` is not 16 bytes long.
    pub fn val_type(&self) -> Option<ValType> {
        match self.kind.as_ref()? {
            Kind::I32(_) => Some(ValType::I32),
            Kind::I64(_) => Some(ValType::I64),
            Kind::F32(_) => Some(ValType::F32),
            Kind::F64(_) => Some(ValType::F64),
            Kind::Funcref(_) => Some(ValType::FUNCREF),
            Kind::Externref(_) => Some(ValType::EXTERNREF),
            Kind::V128(bytes) if bytes.len() == 16 => Some(ValType::V128),
            Kind::V128(_) => None,
        }
    }

    /// Whether the value has exactly type `ty`.
    pub fn has_type(&self, ty: ValType) -> bool {
        self.val_type() == Some(ty)
    }

    /// The bits of an `i32`, if it is one.
    pub fn as_i32(&self) -> Option<u32> {
        match self.kind {
            Some(Kind::I32(bits)) => Some(bits),
            _ => None,
        }
    }

    /// The bits of an `i64`, if it is one.
    pub fn as_i64(&self) -> Option<u64> {
        match self.kind {
            Some(Kind::I64(bits)) => Some(bits),
            _ => None,
        }
    }

    /// The bits of an `f32`, if it is one.
    pub fn as_f32_bits(&self) -> Option<u32> {
        match self.kind {
            Some(Kind::F32(bits)) => Some(bits),
            _ => None,
        }
    }

    /// The bits of an `f64`, if it is one.
    pub fn as_f64_bits(&self) -> Option<u64> {
        match self.kind {
            Some(Kind::F64(bits)) => Some(bits),
            _ => None,
        }
    }

    /// The referenced function (`Some(None)` for null), if the value is a `funcref`.
    pub fn as_funcref(&self) -> Option<Option<u32>> {
        match self.kind {
            Some(Kind::Funcref(reference)) => Some(reference.index),
            _ => None,
        }
    }

    /// The host handle (`Some(None)` for null), if the value is an `externref`.
    pub fn as_externref(&self) -> Option<Option<u64>> {
        match self.kind {
            Some(Kind::Externref(reference)) => Some(reference.handle),
            _ => None,
        }
    }
}

fn is_extern(reference: RefType) -> bool {
    reference == RefType::EXTERNREF
}

/// The name baton prints for a value type (`i32`, `funcref`, ...).
pub fn val_type_name(ty: ValType) -> String {
    match ty {
        ValType::I32 => "i32".to_string(),
        ValType::I64 => "i64".to_string(),
        ValType::F32 => "f32".to_string(),
        ValType::F64 => "f64".to_string(),
        ValType::V128 => "v128".to_string(),
        ValType::Ref(reference) if reference == RefType::FUNCREF => "funcref".to_string(),
        ValType::Ref(reference) if reference == RefType::EXTERNREF => "externref".to_string(),
        ValType::Ref(reference) => reference.to_string(),
    }
}

/// The name of a value's type as baton prints it, `none` for a value without a kind.
pub fn value_type_name(value: &Value) -> String {
    match &value.kind {
        None => "none".to_string(),
        Some(Kind::V128(_)) => "v128".to_string(),
        Some(_) => value
            .val_type()
            .map_or_else(|| "none".to_string(), val_type_name),
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            None => f.write_str("none"),
            Some(Kind::I32(bits)) => write!(f, "i32 {bits:#010x}"),
            Some(Kind::I64(bits)) => write!(f, "i64 {bits:#018x}"),
            Some(Kind::F32(bits)) => write!(f, "f32 {bits:#010x}"),
            Some(Kind::F64(bits)) => write!(f, "f64 {bits:#018x}"),
            Some(Kind::Funcref(FuncRef { index: Some(index) })) => write!(f, "funcref {index}"),
            Some(Kind::Funcref(FuncRef { index: None })) => f.write_str("funcref null"),
            Some(Kind::Externref(ExternRef {
                handle: Some(handle),
            })) => write!(f, "externref {handle}"),
            Some(Kind::Externref(ExternRef { handle: None })) => f.write_str("externref null"),
            Some(Kind::V128(bytes)) => write!(f, "v128 0x{}", hex::encode(bytes)),
        }
    }
}
