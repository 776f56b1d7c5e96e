//! Values and types in the adapter vocabulary, independent of any engine.
//!
//! Floats are kept as their exact bit patterns so NaN payloads survive every conversion.
//! A `funcref` carries an engine-session-specific identity (an [`crate::ExternHandle`] id of
//! that session), so values from two sessions compare function references only through what
//! each session says the reference is (see the harness), never by raw id.

use std::fmt;

/// A WebAssembly value type (Wasm 2.0 without SIMD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `funcref`.
    FuncRef,
    /// `externref`.
    ExternRef,
}

impl ValType {
    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, Self::FuncRef | Self::ExternRef)
    }

    /// Converts a wasmparser value type; `None` for types outside baton's feature set (v128, typed refs).
    pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<Self> {
        match ty {
            wasmparser::ValType::I32 => Some(Self::I32),
            wasmparser::ValType::I64 => Some(Self::I64),
            wasmparser::ValType::F32 => Some(Self::F32),
            wasmparser::ValType::F64 => Some(Self::F64),
            wasmparser::ValType::V128 => None,
            wasmparser::ValType::Ref(r) if r == wasmparser::RefType::FUNCREF => Some(Self::FuncRef),
            wasmparser::ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => {
                Some(Self::ExternRef)
            }
            wasmparser::ValType::Ref(_) => None,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
            Self::FuncRef => "funcref",
            Self::ExternRef => "externref",
        })
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32` as its bits.
    F32(u32),
    /// `f64` as its bits.
    F64(u64),
    /// `funcref`: `None` is null; `Some` holds an engine-session-specific function identity.
    FuncRef(Option<u32>),
    /// `externref`: `None` is null; `Some` holds the embedder's handle.
    ExternRef(Option<u64>),
}

impl Value {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Self::I32(_) => ValType::I32,
            Self::I64(_) => ValType::I64,
            Self::F32(_) => ValType::F32,
            Self::F64(_) => ValType::F64,
            Self::FuncRef(_) => ValType::FuncRef,
            Self::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero / null value of a type.
    pub fn default_for(ty: ValType) -> Self {
        match ty {
            ValType::I32 => Self::I32(0),
            ValType::I64 => Self::I64(0),
            ValType::F32 => Self::F32(0),
            ValType::F64 => Self::F64(0),
            ValType::FuncRef => Self::FuncRef(None),
            ValType::ExternRef => Self::ExternRef(None),
        }
    }

    /// Equality that engines must agree on across sessions: numbers bit-exact, references by
    /// null-ness (function identities are session-specific), extern handles exactly.
    pub fn same_across_engines(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::FuncRef(a), Self::FuncRef(b)) => a.is_some() == b.is_some(),
            _ => self == other,
        }
    }
}

impl Value {
    /// Whether both are NaNs of the same float type (payloads may differ: the spec leaves NaN
    /// payloads nondeterministic, so two engines may legitimately disagree on them).
    pub fn both_nan(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::F32(a), Self::F32(b)) => {
                f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan()
            }
            (Self::F64(a), Self::F64(b)) => {
                f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::I32(v) => write!(f, "i32:{v}"),
            Self::I64(v) => write!(f, "i64:{v}"),
            Self::F32(bits) => write!(f, "f32:{}(0x{bits:08x})", f32::from_bits(*bits)),
            Self::F64(bits) => write!(f, "f64:{}(0x{bits:016x})", f64::from_bits(*bits)),
            Self::FuncRef(None) => write!(f, "funcref:null"),
            Self::FuncRef(Some(id)) => write!(f, "funcref:#{id}"),
            Self::ExternRef(None) => write!(f, "externref:null"),
            Self::ExternRef(Some(h)) => write!(f, "externref:{h}"),
        }
    }
}

/// Formats a list of values as `[a, b, c]`.
pub fn format_values(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(Value::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl FuncType {
    /// Builds a signature from parameter and result types.
    pub fn new(params: impl Into<Vec<ValType>>, results: impl Into<Vec<ValType>>) -> Self {
        Self {
            params: params.into(),
            results: results.into(),
        }
    }
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Initial size in elements.
    pub min: u32,
    /// Maximum size, if any.
    pub max: Option<u32>,
}

/// A memory's type (32-bit, 64 KiB pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Initial size in pages.
    pub min: u32,
    /// Maximum size in pages, if any.
    pub max: Option<u32>,
}
