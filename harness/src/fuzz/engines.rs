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

/// The former tie-breaker oracle (wasmi 1.x): still available by name, but it shares the primary
/// oracle's lineage and no longer votes (see [`super::oracles::vote`]).
pub const TIE_BREAKER: &str = "wasmi1";

/// Whether a name is an oracle (never compared as an engine): the primary oracle, wasmi 1.x, or
/// an independent voter ([`super::oracles::vote::INDEPENDENT`]).
pub fn is_oracle(name: &str) -> bool {
    name == ORACLE || name == TIE_BREAKER || super::oracles::vote::INDEPENDENT.contains(&name)
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

/// The names of `engines`, and of those among them that checkpoint (chain candidates).
pub fn names_and_checkpointers(engines: &[EngineSpec]) -> (Vec<String>, Vec<String>) {
    let names = engines.iter().map(|e| e.name.clone()).collect();
    let checkpointers = engines
        .iter()
        .filter(|e| e.checkpoints)
        .map(|e| e.name.clone())
        .collect();
    (names, checkpointers)
}
