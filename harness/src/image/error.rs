//! [`ImageToolError`]: what can go wrong in `baton image`, always naming the file or engine.

use std::path::PathBuf;

use baton_checkpoint::{DecodeError, JsonError, ValidationError};
use baton_engine::EngineError;
use thiserror::Error;

/// A failure of a `baton image` command.
#[derive(Debug, Error)]
pub enum ImageToolError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than the decoder would accept.
    #[error("{}: {size} bytes exceeds the image size limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not a binary image and not an image's JSON view.
    #[error("{}: not a baton image: {reason}", path.display())]
    NotAnImage {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A binary image that does not decode.
    #[error("{}: {source}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: Box<DecodeError>,
    },
    /// A JSON view that does not parse.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: JsonError,
    },
    /// The module file is not a module baton can analyse.
    #[error("{}: {reason}", path.display())]
    Module {
        /// The module file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The image does not fit the module.
    #[error("{} does not fit {}: {source}", image.display(), module.display())]
    Invalid {
        /// The image file.
        image: PathBuf,
        /// The module file.
        module: PathBuf,
        /// The first violation (names frame, function and pc).
        source: Box<ValidationError>,
    },
    /// The engine name is not registered.
    #[error("{0}")]
    UnknownEngine(String),
    /// The engine failed an operation.
    #[error("engine {engine}: {step}: {source}")]
    Engine {
        /// The engine's name.
        engine: String,
        /// What was being done.
        step: &'static str,
        /// The engine's error.
        source: EngineError,
    },
    /// The module imports something the image tools cannot provide.
    #[error("{}: {reason}", path.display())]
    Imports {
        /// The module file.
        path: PathBuf,
        /// Which import and why.
        reason: String,
    },
    /// The engine panicked (an engine bug: reported, never propagated).
    #[error("engine {engine} panicked during {step}: {message}")]
    Panic {
        /// The engine's name.
        engine: String,
        /// What was being done.
        step: &'static str,
        /// The panic message.
        message: String,
    },
}
