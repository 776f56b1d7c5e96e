//! The engine registry: every engine the harness can drive, by name.
//!
//! Adding an engine = one file here and one line in [`REGISTRY`]. Engines built on
//! `baton-runtime` implement [`runtime::Backend`] (a dozen one-line methods mapping its driving
//! API); others implement [`crate::engine::Engine`] directly, as [`wasmi`] does.

pub mod register;
pub mod runtime;
pub mod stack;
pub mod wasmi;

use crate::engine::{Engine, EngineConfig};

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
