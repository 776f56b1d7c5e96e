//! `instrumented:<engine>`: any registered engine that can run modules, given checkpoint and
//! restore by running modules rewritten by `baton-instrument` (see [`crate::instrument`]).
//! Entries are created on first use and leaked, like `proc:` entries. An engine declaring no
//! reference types in its handshake (Wasm3) gets the MVP rewrite (`Options::mvp`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use baton_engine::{Engine, EngineConfig};

use super::EngineEntry;
use crate::instrument::Session;

/// The prefix of instrumented engine names.
pub const PREFIX: &str = "instrumented:";

static ENTRIES: Mutex<Option<HashMap<String, &'static EngineEntry>>> = Mutex::new(None);

/// Whether engine `inner` declares no reference types: a `proc:` adapter whose handshake lists
/// no `reference-types` (e.g. Wasm3). Its modules then get the MVP rewrite
/// (`baton_instrument::Options::mvp`). In-process engines, and adapters that cannot start (their
/// failures show in runs), have every WebAssembly 2.0 feature.
pub fn lacks_reference_types(inner: &str) -> bool {
    match super::process::adapter_info(inner) {
        Some(Ok(info)) => !info.wasm_features.iter().any(|f| f == "reference-types"),
        _ => false,
    }
}

/// Resolves `instrumented:<engine>` for any engine [`super::find`] knows; `None` otherwise.
pub fn find(name: &str) -> Option<&'static EngineEntry> {
    let inner_name = name.strip_prefix(PREFIX)?;
    let mut entries = ENTRIES.lock().unwrap_or_else(PoisonError::into_inner);
    let entries = entries.get_or_insert_with(HashMap::new);
    if let Some(entry) = entries.get(name) {
        return Some(entry);
    }
    let inner = super::find(inner_name)?;
    let mvp = lacks_reference_types(inner_name);
    let full: &'static str = Box::leak(name.to_string().into_boxed_str());
    let create: &'static super::Create = Box::leak(Box::new(move |config: &EngineConfig| {
        Box::new(Session::new(full, (inner.create)(config), config, mvp)) as Box<dyn Engine>
    }));
    let entry: &'static EngineEntry = Box::leak(Box::new(EngineEntry {
        name: full,
        checkpoints: true,
        default: false,
        create,
    }));
    entries.insert(name.to_string(), entry);
    Some(entry)
}
