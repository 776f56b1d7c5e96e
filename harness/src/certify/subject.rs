//! The engine under certification and what it says about itself: name, version and declared
//! capabilities.
//!
//! [`identify`] is the one place that answers "who are you": for in-process engines it reads
//! the registry (name, this crate's version, the `checkpoints` flag); an out-of-process adapter
//! answers the same questions in its handshake, and only this function changes for it.
//!
//! Invariant: certification decides which checks apply from the declared [`Capabilities`]
//! alone, never from probing the engine, so a certificate says what was declared and what was
//! skipped because of it.

use serde::{Deserialize, Serialize};

use crate::adapters;
use crate::fuzz::engines::{self, EngineSpec};
use crate::fuzz::mutants::Corruption;

/// One capability an engine may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Uninterrupted runs: compile, instantiate, invoke, observe exports (every engine).
    Run,
    /// Stop at the main safe-point kinds (entry, loop, call, return), take images, restore
    /// them, resume, and event fuel.
    Checkpoint,
}

impl Capability {
    /// The capability's name as certificates print it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Run => "run",
            Capability::Checkpoint => "checkpoint",
        }
    }
}

/// What an engine declares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The declared capabilities, sorted.
    pub declared: Vec<Capability>,
    /// The safe-point kinds it stops at (empty without [`Capability::Checkpoint`]).
    pub safe_point_kinds: Vec<String>,
    /// The WebAssembly feature set it runs.
    pub features: String,
}

impl Capabilities {
    /// Whether `capability` is declared.
    pub fn has(&self, capability: Capability) -> bool {
        self.declared.contains(&capability)
    }
}

/// Who the engine is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The engine's name (as given to `--engine`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Where the answers came from (`in-process registry`, `mutant of <engine>`, ...).
    pub source: String,
    /// What it declares.
    pub capabilities: Capabilities,
}

/// The engine under certification: how to create sessions, and who it says it is.
#[derive(Clone, Debug)]
pub struct Subject {
    /// Sessions (any engine the harness can drive: registry, mutant, test wrapper).
    pub engine: EngineSpec,
    /// Its declared identity.
    pub identity: Identity,
}

/// Why an engine name does not give a subject.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    /// The name resolves to no engine.
    #[error("engine {name:?}: {message}")]
    Unknown {
        /// The name given.
        name: String,
        /// The resolver's message (lists the known names).
        message: String,
    },
}

/// The capabilities an in-process engine declares through the registry's `checkpoints` flag.
fn registry_capabilities(checkpoints: bool) -> Capabilities {
    let mut declared = vec![Capability::Run];
    let mut safe_point_kinds = Vec::new();
    if checkpoints {
        declared.push(Capability::Checkpoint);
        safe_point_kinds = ["entry", "loop", "call", "return"]
            .map(String::from)
            .to_vec();
    }
    Capabilities {
        declared,
        safe_point_kinds,
        features: "wasm-2.0 (no SIMD)".into(),
    }
}

/// Name, version and capabilities an out-of-process adapter (`proc:NAME`) declares in its
/// handshake; `None` for other names, an error message when the adapter cannot be started.
fn handshake_identity(name: &str) -> Option<Result<Identity, String>> {
    let info = adapters::process::adapter_info(name)?;
    Some(
        info.map(|info| {
            let mut declared = vec![Capability::Run];
            if info.checkpoints() {
                declared.push(Capability::Checkpoint);
            }
            Identity {
                name: name.to_string(),
                version: format!("{} {}", info.engine_name, info.engine_version),
                source: "adapter handshake".into(),
                capabilities: Capabilities {
                    declared,
                    safe_point_kinds: info
                        .safe_point_kinds
                        .iter()
                        .map(|kind| kind.name().to_string())
                        .collect(),
                    features: info.wasm_features.join(", "),
                },
            }
        })
        .map_err(|error| error.to_string()),
    )
}

/// Name, version and capabilities of `engine`: an adapter's handshake for `proc:` engines, the
/// registry's answers for in-process ones.
pub fn identify(engine: &EngineSpec) -> Identity {
    match handshake_identity(&engine.name) {
        Some(Ok(identity)) => return identity,
        Some(Err(error)) => {
            return Identity {
                name: engine.name.clone(),
                version: "unknown".into(),
                source: format!("adapter handshake failed: {error}"),
                capabilities: registry_capabilities(false),
            }
        }
        None => {}
    }
    let source = match engine.name.strip_prefix("mutant-") {
        Some(rest) => {
            let (kind, base) = rest.split_once(':').unwrap_or((rest, "?"));
            let known = Corruption::from_name(kind).is_some();
            format!(
                "mutant of {base} ({}corruption {kind})",
                if known { "" } else { "unknown " }
            )
        }
        None if adapters::find(&engine.name).is_some() => "in-process registry".into(),
        None => "in-process (not registered)".into(),
    };
    Identity {
        name: engine.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        source,
        capabilities: registry_capabilities(engine.checkpoints),
    }
}

impl Subject {
    /// The subject for an engine name: anything the fuzz engine resolver accepts (registry
    /// names and `mutant-<kind>:<engine>`).
    pub fn resolve(name: &str) -> Result<Subject, SubjectError> {
        let engine = engines::resolve(name).map_err(|message| SubjectError::Unknown {
            name: name.into(),
            message,
        })?;
        Ok(Subject::new(engine))
    }

    /// The subject for an engine the caller built (its identity from [`identify`]).
    pub fn new(engine: EngineSpec) -> Subject {
        let identity = identify(&engine);
        Subject { engine, identity }
    }
}

/// The default reference engines: every registered checkpointing engine but the subject.
pub fn default_references(subject: &str) -> Vec<String> {
    adapters::REGISTRY
        .iter()
        .filter(|entry| entry.checkpoints && entry.name != subject)
        .map(|entry| entry.name.to_string())
        .collect()
}
