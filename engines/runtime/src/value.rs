//! Runtime values and value types.
//!
//! [`Val`] is the typed value the embedder passes in and gets back; engines store values their own
//! way internally (untyped slots, cells) and convert at the boundary. Floats are kept as raw bits
//! so NaN payloads survive every conversion unchanged.
//!
//! Invariant: a [`Val`]'s variant always matches [`Val::ty`]; references are the only non-`Copy`
//! values (a [`FuncRef`] holds reference-counted handles).

use std::fmt;

use crate::func::FuncRef;

pub use baton_engine::ValType;

/// A reference type: the element type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefType {
    /// `funcref`.
    Func,
    /// `externref`.
    Extern,
}

impl RefType {
    /// The value type of this reference type.
    pub fn val_type(self) -> ValType {
        match self {
            RefType::Func => ValType::FuncRef,
            RefType::Extern => ValType::ExternRef,
        }
    }

    /// The null reference of this type.
    pub fn null(self) -> Val {
        Val::default_for(self.val_type())
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Box<[ValType]>,
    /// Result types, in order.
    pub results: Box<[ValType]>,
}

impl FuncType {
    /// A signature from parameter and result lists.
    pub fn new(params: impl Into<Box<[ValType]>>, results: impl Into<Box<[ValType]>>) -> Self {
        FuncType {
            params: params.into(),
            results: results.into(),
        }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[ValType]| {
            types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

/// A typed WebAssembly value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its IEEE bits.
    F32(u32),
    /// `f64`, as its IEEE bits.
    F64(u64),
    /// `funcref`; `None` is null.
    FuncRef(Option<FuncRef>),
    /// `externref`: the embedder's handle; `None` is null.
    ExternRef(Option<u64>),
}

impl Val {
    /// The zero value of `ty` (null for references), used for declared locals and new
    /// table/global defaults.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// This value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// Whether this value is a null reference.
    pub fn is_null_ref(&self) -> bool {
        matches!(self, Val::FuncRef(None) | Val::ExternRef(None))
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "i32:{v}"),
            Val::I64(v) => write!(f, "i64:{v}"),
            Val::F32(bits) => write!(f, "f32:{}", f32::from_bits(*bits)),
            Val::F64(bits) => write!(f, "f64:{}", f64::from_bits(*bits)),
            Val::FuncRef(None) => write!(f, "funcref:null"),
            Val::FuncRef(Some(func)) => write!(f, "funcref:{func:?}"),
            Val::ExternRef(None) => write!(f, "externref:null"),
            Val::ExternRef(Some(handle)) => write!(f, "externref:{handle}"),
        }
    }
}

/// Converts a wasmparser value type; `None` for types outside WebAssembly 2.0 without SIMD.
pub fn val_type_from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
    ValType::from_wasmparser(ty)
}

/// Converts a wasmparser reference type; `None` for anything but nullable `func`/`extern`.
pub fn ref_type_from_wasmparser(ty: wasmparser::RefType) -> Option<RefType> {
    if ty == wasmparser::RefType::FUNCREF {
        Some(RefType::Func)
    } else if ty == wasmparser::RefType::EXTERNREF {
        Some(RefType::Extern)
    } else {
        None
    }
}
