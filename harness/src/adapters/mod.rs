//! The engine registry: every engine the harness can drive, by name.
//!
//! Adding an engine = one file here implementing [`crate::engine::Engine`] and one line in
//! [`REGISTRY`].

pub mod register;
pub mod stack;
pub mod wasmi;

use crate::engine::{Engine, EngineConfig, EngineError};

/// Maps a baton-runtime image error: references outside the instance's function index space
/// make a state not imageable (a limitation of the format, counted separately); anything else
/// is an engine error.
pub(crate) fn image_error(error: &baton_runtime::ImageError) -> EngineError {
    match error {
        baton_runtime::ImageError::ForeignFunction { .. } => {
            EngineError::NotImageable(error.to_string())
        }
        other => EngineError::Other(format!("image: {other}")),
    }
}

/// One registered engine.
#[derive(Clone, Copy, Debug)]
pub struct EngineEntry {
    /// The name used on the command line.
    pub name: &'static str,
    /// Whether it implements stop/image/restore (checkpoint modes need it).
    pub checkpoints: bool,
    /// Creates a new, empty session.
    pub create: fn(&EngineConfig) -> Box<dyn Engine>,
}

/// All engines, the oracle first.
pub const REGISTRY: &[EngineEntry] = &[
    EngineEntry {
        name: wasmi::NAME,
        checkpoints: false,
        create: wasmi::create,
    },
    EngineEntry {
        name: stack::NAME,
        checkpoints: true,
        create: stack::create,
    },
    EngineEntry {
        name: register::NAME,
        checkpoints: true,
        create: register::create,
    },
];

/// Looks an engine up by name.
pub fn find(name: &str) -> Option<&'static EngineEntry> {
    REGISTRY.iter().find(|entry| entry.name == name)
}

/// The registered names, comma-separated (for error messages).
pub fn names() -> String {
    REGISTRY
        .iter()
        .map(|entry| entry.name)
        .collect::<Vec<_>>()
        .join(", ")
}
