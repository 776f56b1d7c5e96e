//! The engine registry: every engine the harness can drive, by name.
//!
//! Adding an engine = one file here and one line in [`REGISTRY`]. Engines built on
//! `baton-runtime` implement [`runtime::Backend`], in one `driving_api_backend!` line when their
//! crate exposes the driving API of `docs/driving.md` under its usual names; others implement [`baton_engine::Engine`] directly, as the wasmi oracles ([`wasmi`],
//! [`wasmi_v1`]) do.
//!
//! Besides the built-in [`REGISTRY`], [`find`] resolves `proc:NAME`: an out-of-process adapter
//! from the adapter registry ([`process`], `adapters.toml`), created on first use and kept for
//! the life of the process.

pub mod instrumented;
pub mod process;
pub mod register;
pub mod stack;
pub mod threaded;
pub mod wasmi;
mod wasmi_common;
mod wasmi_segments;
pub mod wasmi_v1;

use baton_engine::{Engine, EngineConfig};

/// Creates a new, empty session of one engine.
pub type Create = dyn Fn(&EngineConfig) -> Box<dyn Engine> + Send + Sync;

/// One registered engine.
#[derive(Clone, Copy)]
pub struct EngineEntry {
    /// The name used on the command line.
    pub name: &'static str,
    /// Whether it implements stop/image/restore (checkpoint modes need it).
    pub checkpoints: bool,
    /// Whether campaigns run it by default; the tie-breaker oracle is not (the semantics
    /// property consults it on its own, see [`crate::fuzz::engines::TIE_BREAKER`]).
    pub default: bool,
    /// Creates a new, empty session.
    pub create: &'static Create,
}

impl std::fmt::Debug for EngineEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineEntry")
            .field("name", &self.name)
            .field("checkpoints", &self.checkpoints)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

/// All engines: the primary oracle first, the tie-breaker oracle last.
pub const REGISTRY: &[EngineEntry] = &[
    EngineEntry {
        name: wasmi::NAME,
        checkpoints: false,
        default: true,
        create: &wasmi::create,
    },
    EngineEntry {
        name: stack::NAME,
        checkpoints: true,
        default: true,
        create: &stack::create,
    },
    EngineEntry {
        name: register::NAME,
        checkpoints: true,
        default: true,
        create: &register::create,
    },
    EngineEntry {
        name: threaded::NAME,
        checkpoints: true,
        default: true,
        create: &threaded::create,
    },
    EngineEntry {
        name: wasmi_v1::NAME,
        checkpoints: false,
        default: false,
        create: &wasmi_v1::create,
    },
];

/// Looks an engine up by name: a built-in one, or `proc:NAME` from the adapter registry.
pub fn find(name: &str) -> Option<&'static EngineEntry> {
    REGISTRY
        .iter()
        .find(|entry| entry.name == name)
        .or_else(|| process::find(name))
        .or_else(|| instrumented::find(name))
}

/// The registered names, comma-separated (for error messages), `proc:` adapters included.
pub fn names() -> String {
    REGISTRY
        .iter()
        .map(|entry| entry.name.to_string())
        .chain(process::names())
        .collect::<Vec<_>>()
        .join(", ")
}
