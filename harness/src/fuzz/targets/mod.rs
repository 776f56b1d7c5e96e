//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/`), kept in the library (as
//! wasm-tools does) so the main workspace's smoke tests run exactly what the nightly fuzzers
//! run: each target is `run(&mut Unstructured) -> Result<(), TargetFailure>`.
//!
//! - [`differential`]: every choice (engines, wasm-smith configuration knobs, module,
//!   invocations and arguments, schedule kinds, `k`, chain) from one `Unstructured`; every
//!   property is checked; any finding but `oracle` fails;
//! - [`restore`]: real images made hostile (bytes and fields mutated) restored on every
//!   checkpointing engine: rejection is fine, a panic or a hang is not;
//! - [`case_json`]: `case.json` parsing: no panic, and what parses round-trips;
//! - [`image_decode`]: the image decoder: no panic, and what decodes round-trips.
//!
//! Invariants: a target never panics by itself (engine panics are caught and reported as
//! failures); inputs that do not make a case are uninteresting (`Ok`); the same bytes always
//! give the same result (for [`differential`], given the same `BATON_FUZZ_ENGINES`).

pub mod case_json;
pub mod differential;
pub mod image_decode;
pub mod restore;

use std::sync::OnceLock;

use super::case::Case;
use super::engines::{default_names, resolve_all, EngineSpec};
use super::finding::Finding;

/// The environment variable naming the engine pool the fuzz targets draw from (comma
/// separated, mutants allowed; default: the campaign's default engines).
pub const ENGINES_VAR: &str = "BATON_FUZZ_ENGINES";

/// Why a fuzz input fails.
#[derive(Debug)]
pub enum TargetFailure {
    /// A property failed on the case the input made.
    Finding {
        /// The (materialized) case.
        case: Box<Case>,
        /// The finding.
        finding: Box<Finding>,
    },
    /// An invariant of the code under test broke.
    Violation(String),
}

impl std::fmt::Display for TargetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetFailure::Finding { finding, .. } => write!(
                f,
                "[{}] {}: {}",
                finding.class.name(),
                finding.summary,
                finding.first_difference
            ),
            TargetFailure::Violation(message) => f.write_str(message),
        }
    }
}

/// The engine pool: [`ENGINES_VAR`] or the default engines, resolved once per process.
pub fn pool() -> Result<&'static [EngineSpec], String> {
    static POOL: OnceLock<Result<Vec<EngineSpec>, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        let names: Vec<String> = match std::env::var(ENGINES_VAR) {
            Ok(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            Err(_) => default_names(),
        };
        resolve_all(&names).map_err(|e| format!("{ENGINES_VAR}: {e}"))
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}
