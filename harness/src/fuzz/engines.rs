//! The engines a case runs on: registry engines by name, plus mutants (`mutant-<kind>:<engine>`,
//! a real engine whose images are corrupted, see [`super::mutants`]).
//!
//! Invariant: a name resolves to the same engine on every run, so case files naming engines
//! replay identically.

use std::sync::Arc;

use super::mutants::{Corruption, MutantEngine};
use crate::adapters;
use baton_engine::{Engine, EngineConfig, KindSet};

/// The name of the uninterrupted-semantics oracle.
pub const ORACLE: &str = "wasmi";

/// The name of the tie-breaker oracle, consulted only when [`ORACLE`] disagrees with every
/// engine (see [`super::oracles::semantics`]).
pub const TIE_BREAKER: &str = "wasmi1";

/// Whether a name is one of the two oracles (never compared as an engine).
pub fn is_oracle(name: &str) -> bool {
    name == ORACLE || name == TIE_BREAKER
}

/// Creates an engine session.
pub type Factory = Arc<dyn Fn(&EngineConfig) -> Box<dyn Engine> + Send + Sync>;

/// One engine as the fuzzer sees it.
#[derive(Clone)]
pub struct EngineSpec {
    /// Its name (registry name or mutant name).
    pub name: String,
    /// Whether it claims stop/image/restore support.
    pub checkpoints: bool,
    /// Creates a session.
    pub create: Factory,
    /// Trap messages the engine gives in place of spec messages: `(given, spec)`.
    pub aliases: Vec<(&'static str, &'static str)>,
    /// The safe-point kinds it fires and restores (`any` only if it declares it).
    pub kinds: KindSet,
}

impl std::fmt::Debug for EngineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSpec")
            .field("name", &self.name)
            .field("checkpoints", &self.checkpoints)
            .finish()
    }
}

/// Resolves one engine name.
pub fn resolve(name: &str) -> Result<EngineSpec, String> {
    if let Some(rest) = name.strip_prefix("mutant-") {
        let (kind, base) = rest
            .split_once(':')
            .ok_or_else(|| format!("mutant name {name:?} must be mutant-<kind>:<engine>"))?;
        let corruption = Corruption::from_name(kind).ok_or_else(|| {
            format!(
                "unknown corruption {kind:?} (known: {})",
                Corruption::ALL.map(Corruption::name).join(", ")
            )
        })?;
        let base = resolve(base)?;
        let inner = base.create.clone();
        return Ok(EngineSpec {
            name: name.to_string(),
            checkpoints: base.checkpoints,
            create: Arc::new(move |config| Box::new(MutantEngine::new(inner(config), corruption))),
            aliases: base.aliases,
            kinds: base.kinds,
        });
    }
    let entry = adapters::find(name)
        .ok_or_else(|| format!("unknown engine {name:?} (known: {})", adapters::names()))?;
    let session = (entry.create)(&EngineConfig::default());
    let aliases = session
        .trap_aliases()
        .iter()
        .map(|(trap, spec)| (trap.message(), *spec))
        .collect();
    Ok(EngineSpec {
        name: entry.name.to_string(),
        checkpoints: entry.checkpoints,
        create: Arc::new(entry.create),
        aliases,
        kinds: session.safe_point_kinds(),
    })
}

/// Resolves a list of names.
pub fn resolve_all(names: &[String]) -> Result<Vec<EngineSpec>, String> {
    names.iter().map(|name| resolve(name)).collect()
}

/// The default campaign engines: every registered engine marked default (the checkpointing
/// ones and the primary oracle; the tie-breaker joins on its own).
pub fn default_names() -> Vec<String> {
    adapters::REGISTRY
        .iter()
        .filter(|entry| entry.default)
        .map(|entry| entry.name.to_string())
        .collect()
}

/// The engines' names, and the names of those that checkpoint (what generation needs).
pub fn names(engines: &[EngineSpec]) -> (Vec<String>, Vec<String>) {
    let names = engines.iter().map(|e| e.name.clone()).collect();
    let checkpointers = engines
        .iter()
        .filter(|e| e.checkpoints)
        .map(|e| e.name.clone())
        .collect();
    (names, checkpointers)
}
