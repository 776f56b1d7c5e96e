//! `baton instrument`: rewrites a WebAssembly module so that any unmodified engine running it
//! counts baton's safe-point events (`docs/safe-points.md`), unwinds its own stack at a stop
//! into the pieces of a baton image, and rewinds from any baton image.
//!
//! The rewrite works on the module with wasmparser (operand types and labels at every pc from
//! the shared [`baton_checkpoint::analysis`]) and wasm-encoder. What it adds:
//! - host imports (module [`layout::HOST_MODULE`], names [`layout::IMPORT_NAMES`]) appended
//!   after the original function imports: `event`, `frame_done`, typed `save_*` / `load_*`;
//! - globals: mode, events left (the host is called when it goes negative; with
//!   [`Options::max_frames`] it also holds the frame depth, see [`layout::DEPTH_BITS`]), one
//!   drop flag per passive segment;
//! - a private table holding every original function at its index (`call_indirect` of a
//!   rewound outer frame re-enters the image's callee through it, whatever the module's own
//!   tables hold now);
//! - exported helpers ([`names`]) that read and write the state outside the stack (globals,
//!   memories, tables, dropped segments) through the host imports, never through the module's
//!   own memory.
//!
//! [`Meta`] tells the host what each site is (original pcs: the image's pcs are the original
//! module's). The host side lives in the harness (`instrumented:<engine>` adapters).
//!
//! [`Options::mvp`] rewrites for engines without reference types (see its docs).
//!
//! Declared limitations: SIMD is outside baton's feature set; the `any` kind is not
//! instrumented (engines report the main kinds only).

mod body;
mod counter;
pub mod error;
pub mod layout;
pub mod meta;
mod module;
mod mvp;
pub mod names;
mod plan;

use baton_checkpoint::analysis::ModuleAnalysis;

pub use error::InstrumentError;
pub use meta::{Level, Meta, SegmentOffset, Site, SiteKind, TableSegment};

/// An instrumented module and what its host needs.
#[derive(Debug, Clone)]
pub struct Instrumented {
    /// The rewritten module's bytes.
    pub wasm: Vec<u8>,
    /// Sites, levels and segment facts for the host.
    pub meta: Meta,
}

/// Choices of the rewrite.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Enforce this many live frames of the module's functions: entering one more calls the
    /// `stack_exhausted` import (before its `entry` event), for engines that do not enforce
    /// baton's `max_frames` themselves. The counter carries the frame depth in its low
    /// [`layout::DEPTH_BITS`] bits, so the limit must be below `1 << DEPTH_BITS`.
    pub max_frames: Option<u32>,
    /// Rewrite for an engine without reference types (WebAssembly 1.0 plus multi-value and
    /// mutable globals, e.g. Wasm3): no private function table (a rewound `call_indirect`
    /// re-enters its callee through a per-type direct dispatch), no table helpers (the host
    /// derives the tables from the element segments, [`Meta::table_segments`]), only numeric
    /// save/load imports, and no `memory.fill`. A module the MVP rewrite cannot handle
    /// (reference types, several tables, table instructions, an imported table, passive or
    /// declarative element segments) is refused with [`InstrumentError::Feature`].
    pub mvp: bool,
}

/// Rewrites `wasm` (which must be valid under baton's feature set) with default options.
pub fn instrument(wasm: &[u8]) -> Result<Instrumented, InstrumentError> {
    instrument_with(wasm, &Options::default())
}

/// Rewrites `wasm` (which must be valid under baton's feature set).
pub fn instrument_with(wasm: &[u8], options: &Options) -> Result<Instrumented, InstrumentError> {
    let analysis = ModuleAnalysis::new(wasm)?;
    module::rewrite(wasm, &analysis, options)
}

/// Rewrites `wasm`, already analysed (and so validated) as `analysis`.
pub fn instrument_analysed(
    wasm: &[u8],
    analysis: &ModuleAnalysis,
    options: &Options,
) -> Result<Instrumented, InstrumentError> {
    module::rewrite(wasm, analysis, options)
}
