//! Typed errors of the driving API: each names what failed and where.

use thiserror::Error;

use crate::trap::Trap;
use crate::value::ValType;

/// The module is malformed, invalid, or uses a feature outside WebAssembly 2.0 without SIMD.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ModuleError {
    /// wasmparser rejected the binary.
    #[error("invalid module at byte offset {offset}: {message}")]
    Invalid {
        /// Byte offset in the module binary.
        offset: u64,
        /// wasmparser's message (the spec's wording where it has one).
        message: String,
    },
    /// A construct the engines do not support.
    #[error("unsupported at byte offset {offset}: {what}")]
    Unsupported {
        /// Byte offset in the module binary.
        offset: u64,
        /// What is unsupported.
        what: String,
    },
}

impl ModuleError {
    /// Converts a wasmparser error.
    pub fn from_wasmparser(error: &wasmparser::BinaryReaderError) -> ModuleError {
        ModuleError::Invalid {
            offset: error.offset(),
            message: error.message().to_string(),
        }
    }
}

/// An import could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LinkError {
    /// No extern is provided under this name.
    #[error("unknown import {module}.{name}")]
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// An extern is provided but its kind or type does not match the declaration.
    #[error("incompatible import type for {module}.{name}: expected {expected}, got {actual}")]
    IncompatibleImportType {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// The declared type.
        expected: String,
        /// What was provided.
        actual: String,
    },
}

/// Instantiation failed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum InstantiationError {
    /// The module is invalid.
    #[error(transparent)]
    Module(#[from] ModuleError),
    /// Linking failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A memory or table could not be allocated.
    #[error("cannot allocate {what}")]
    Allocation {
        /// Which object.
        what: String,
    },
    /// Segment initialisation or the start function trapped. Writes made before the trap stay
    /// (they may be visible through imported memories and tables).
    #[error("instantiation trapped: {0}")]
    Trap(Trap),
}

/// A call could not be started.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InvokeError {
    /// No export of that name.
    #[error("no export named {0:?}")]
    MissingExport(String),
    /// The export exists but is not a function.
    #[error("export {0:?} is not a function")]
    NotAFunction(String),
    /// No function with that index.
    #[error("no function with index {0}")]
    NoSuchFunction(u32),
    /// Wrong number of arguments.
    #[error("function {func} expects {expected} arguments, got {actual}")]
    ArgumentCount {
        /// The function (export name or index).
        func: String,
        /// Parameters in the signature.
        expected: usize,
        /// Arguments given.
        actual: usize,
    },
    /// An argument of the wrong type.
    #[error("function {func} argument {index}: expected {expected}, got {actual}")]
    ArgumentType {
        /// The function (export name or index).
        func: String,
        /// Argument position.
        index: usize,
        /// The parameter's type.
        expected: ValType,
        /// The argument's type.
        actual: ValType,
    },
    /// A function reference argument from another engine or instance store that this engine
    /// cannot represent.
    #[error("function {func} argument {index}: {reason}")]
    ForeignReference {
        /// The function (export name or index).
        func: String,
        /// Argument position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A call is already in progress (stopped); finish or abandon it first.
    #[error("a call is already in progress")]
    Busy,
    /// `resume` without a stopped call.
    #[error("no call in progress")]
    NotStopped,
}

/// Mapping between the store and an image failed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ImageError {
    /// An image cannot be taken now (e.g. while running).
    #[error("cannot take an image: {0}")]
    NotAtSafePoint(String),
    /// A function reference outside the instance's function index space.
    #[error("{place}: function reference {func} is not in the instance's function index space")]
    ForeignFunction {
        /// Where the reference was found (e.g. "table 0 element 3").
        place: String,
        /// The reference.
        func: String,
    },
    /// The image does not fit the module/instance.
    #[error("{place}: {reason}")]
    Mismatch {
        /// Where (e.g. "memory 0", "global 2", "frame 1 local 0").
        place: String,
        /// What does not fit.
        reason: String,
    },
    /// The image failed shared validation.
    #[error("image validation: {0}")]
    Validation(String),
}

/// Restoring an instance from an image failed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum RestoreError {
    /// The module is invalid.
    #[error(transparent)]
    Module(#[from] ModuleError),
    /// Linking failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The image does not fit.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// An allocation failed.
    #[error("cannot allocate {what}")]
    Allocation {
        /// Which object.
        what: String,
    },
}
