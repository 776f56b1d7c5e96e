//! Why a module could not be instrumented.

use baton_checkpoint::analysis::AnalysisError;

/// Why a module could not be instrumented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    /// The module is invalid or uses a construct the analysis rejects.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The module could not be decoded or re-encoded at some offset.
    #[error("cannot instrument at offset {offset:#x}: {message}")]
    At {
        /// Byte offset in the original module.
        offset: u64,
        /// What went wrong.
        message: String,
    },
    /// The module uses a construct the instrumentation does not support.
    #[error("unsupported by the instrumentation: {0}")]
    Unsupported(String),
    /// The MVP rewrite (`Options::mvp`) cannot handle a feature the module uses.
    #[error("the MVP rewrite cannot handle {feature} ({})", place(*.func, *.offset))]
    Feature {
        /// The feature and construct, e.g. "reference types (table.get)".
        feature: String,
        /// The function using it (original index space), when it is in a body.
        func: Option<u32>,
        /// Byte offset in the original module.
        offset: u64,
    },
}

/// `function F, offset O` or `offset O`.
fn place(func: Option<u32>, offset: u64) -> String {
    match func {
        Some(func) => format!("function {func}, offset {offset:#x}"),
        None => format!("offset {offset:#x}"),
    }
}

impl InstrumentError {
    /// A feature the MVP rewrite cannot handle.
    pub(crate) fn feature(feature: impl Into<String>, func: Option<u32>, offset: u64) -> Self {
        InstrumentError::Feature {
            feature: feature.into(),
            func,
            offset,
        }
    }

    /// An error at `offset`.
    pub(crate) fn at(offset: u64, message: impl Into<String>) -> Self {
        InstrumentError::At {
            offset,
            message: message.into(),
        }
    }
}

impl From<wasmparser::BinaryReaderError> for InstrumentError {
    fn from(error: wasmparser::BinaryReaderError) -> Self {
        InstrumentError::at(error.offset(), error.message())
    }
}

impl<E: std::fmt::Display> From<wasm_encoder::reencode::Error<E>> for InstrumentError {
    fn from(error: wasm_encoder::reencode::Error<E>) -> Self {
        InstrumentError::Unsupported(error.to_string())
    }
}
