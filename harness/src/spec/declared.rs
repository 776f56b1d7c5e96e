//! What an engine declares it cannot do, and the spec directives that excuses: a module using a
//! WebAssembly feature the engine does not list in its handshake, and the directives a declared
//! limitation makes meaningless ([`LimitationKind`], docs/adapter-protocol.md "Declared
//! limitations"). Every excused directive is a [`super::Verdict::Skip`] carrying its reason:
//! counted and printed per file, never dropped silently.
//!
//! Invariants: in-process engines declare all of Wasm 2.0 and nothing else, so nothing is ever
//! skipped for them; a module is skipped for a feature only when it validates under Wasm 2.0
//! and does not under the declared features (so an invalid module is never excused this way).

use baton_protocol::handshake::AdapterInfo;
pub use baton_protocol::pb::LimitationKind;
use wasmparser::{Validator, WasmFeatures};

use crate::imports::read_imports;
use baton_engine::ExternKind;

/// The Wasm 2.0 features the runner checks, by wasm-tools name (SIMD is outside the suite).
const FEATURES: [(&str, WasmFeatures); 6] = [
    ("mutable-global", WasmFeatures::MUTABLE_GLOBAL),
    (
        "saturating-float-to-int",
        WasmFeatures::SATURATING_FLOAT_TO_INT,
    ),
    ("sign-extension", WasmFeatures::SIGN_EXTENSION),
    ("multi-value", WasmFeatures::MULTI_VALUE),
    ("bulk-memory", WasmFeatures::BULK_MEMORY),
    ("reference-types", WasmFeatures::REFERENCE_TYPES),
];

/// An engine's declared features and limitations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The engine's name, for reasons.
    pub engine: String,
    /// Wasm 2.0 features it does not declare, by name.
    pub missing_features: Vec<&'static str>,
    /// Its limitations, each with its reason.
    pub limitations: Vec<(LimitationKind, String)>,
}

impl Declared {
    /// An engine declaring all of Wasm 2.0 and no limitation (every in-process engine).
    pub fn everything(engine: &str) -> Self {
        Self {
            engine: engine.into(),
            missing_features: Vec::new(),
            limitations: Vec::new(),
        }
    }

    /// What an adapter declared in its handshake.
    pub fn from_handshake(engine: &str, info: &AdapterInfo) -> Self {
        Self {
            engine: engine.into(),
            missing_features: FEATURES
                .iter()
                .filter(|(name, _)| !info.wasm_features.iter().any(|f| f == name))
                .map(|(name, _)| *name)
                .collect(),
            limitations: info.limitations.clone(),
        }
    }

    /// The declarations of engine `name`: the handshake's for `proc:` adapters (an adapter
    /// that cannot start declares everything: its failures show), everything otherwise.
    pub fn of(name: &str) -> Self {
        // `instrumented:<engine>` runs its modules on `<engine>`, with its limitations.
        let runs_on = name
            .strip_prefix(crate::adapters::instrumented::PREFIX)
            .unwrap_or(name);
        match crate::adapters::process::adapter_info(runs_on) {
            Some(Ok(info)) => Self::from_handshake(name, &info),
            _ => Self::everything(name),
        }
    }

    /// The declarations of a checkpoint pair: images taken on `source` are restored on
    /// `target`, so a directive either cannot run is skipped. The features either lacks are
    /// missing (an instrumented target without reference types, e.g.
    /// `instrumented:proc:wasm3`, cannot restore a module using them), each with the
    /// declaring engine named; limitations of both count.
    pub fn of_pair(source: &str, target: &str) -> Self {
        let declared = Self::of(source);
        if target == source {
            return declared;
        }
        declared.merged(Self::of(target))
    }

    /// What either `self` or `other` cannot do (see [`Declared::of_pair`]).
    pub fn merged(mut self, other: Declared) -> Self {
        if other.missing_features.is_empty() && other.limitations.is_empty() {
            return self;
        }
        self.engine = if self.missing_features.is_empty() && self.limitations.is_empty() {
            other.engine.clone()
        } else {
            format!("{} / {}", self.engine, other.engine)
        };
        for feature in other.missing_features {
            if !self.missing_features.contains(&feature) {
                self.missing_features.push(feature);
            }
        }
        for (kind, reason) in other.limitations {
            if !self.limitations.iter().any(|(k, _)| *k == kind) {
                self.limitations.push((kind, reason));
            }
        }
        self
    }

    /// The reason given for `kind`, when declared.
    pub fn limitation(&self, kind: LimitationKind) -> Option<String> {
        self.limitations
            .iter()
            .find(|(declared, _)| *declared == kind)
            .map(|(_, reason)| {
                format!(
                    "{} declares {}: {reason}",
                    self.engine,
                    kind.as_str_name()
                        .trim_start_matches("LIMITATION_KIND_")
                        .to_lowercase()
                        .replace('_', "-")
                )
            })
    }

    /// Why `wasm` cannot be run on this engine, if it cannot: it uses a feature the engine
    /// does not declare, or imports a non-function under `function-imports-only`.
    pub fn module_skip(&self, wasm: &[u8]) -> Option<String> {
        if !self.missing_features.is_empty() {
            let declared = FEATURES
                .iter()
                .filter(|(name, _)| !self.missing_features.contains(name))
                .fold(WasmFeatures::WASM1, |set, (_, flag)| set | *flag);
            let full = WasmFeatures::WASM2 - WasmFeatures::SIMD;
            if Validator::new_with_features(full)
                .validate_all(wasm)
                .is_ok()
            {
                if let Err(error) = Validator::new_with_features(declared).validate_all(wasm) {
                    return Some(format!(
                        "uses a feature {} does not declare (it lacks {}): {}",
                        self.engine,
                        self.missing_features.join(", "),
                        error.message()
                    ));
                }
            }
        }
        if let Some(reason) = self.limitation(LimitationKind::FunctionImportsOnly) {
            let imports = read_imports(wasm).unwrap_or_default();
            if let Some(import) = imports.iter().find(|i| i.kind != ExternKind::Func) {
                return Some(format!(
                    "imports {}.{} (a {:?}): {reason}",
                    import.module, import.name, import.kind
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasm3_like() -> Declared {
        Declared {
            engine: "proc:x".into(),
            missing_features: vec!["bulk-memory", "reference-types"],
            limitations: vec![(LimitationKind::FunctionImportsOnly, "api".into())],
        }
    }

    #[test]
    fn modules_are_skipped_exactly_for_undeclared_features_and_limitations() {
        let declared = wasm3_like();
        let wat = |text: &str| wat::parse_str(text).expect("test module");
        let plain = wat("(module (func (export \"f\") (result i32) i32.const 1))");
        let tables =
            wat("(module (table 1 funcref) (func (export \"f\") (result i32) table.size 0))");
        let invalid = wat("(module (func (result i32) i64.const 1))");
        let memory = wat("(module (import \"m\" \"mem\" (memory 1)))");
        let func = wat("(module (import \"m\" \"f\" (func)))");
        assert_eq!(declared.module_skip(&plain), None);
        let reason = declared
            .module_skip(&tables)
            .expect("table.size needs reference-types");
        assert!(reason.contains("does not declare"), "{reason}");
        assert_eq!(
            declared.module_skip(&invalid),
            None,
            "invalid modules are never excused"
        );
        let reason = declared.module_skip(&memory).expect("memory import");
        assert!(reason.contains("function-imports-only: api"), "{reason}");
        assert_eq!(declared.module_skip(&func), None);
        // A pair whose target lacks features skips what the target cannot restore.
        let pair = Declared::everything("stack").merged(wasm3_like());
        assert_eq!(pair.engine, "proc:x");
        assert!(pair.module_skip(&tables).is_some());
        assert_eq!(pair.module_skip(&plain), None);
        let both = wasm3_like().merged(Declared {
            engine: "proc:y".into(),
            missing_features: vec!["multi-value"],
            limitations: Vec::new(),
        });
        assert_eq!(both.engine, "proc:x / proc:y");
        assert_eq!(
            both.missing_features,
            vec!["bulk-memory", "reference-types", "multi-value"]
        );
        assert_eq!(
            Declared::of_pair("stack", "stack"),
            Declared::everything("stack")
        );
        let everything = Declared::everything("stack");
        for module in [&plain, &tables, &invalid, &memory] {
            assert_eq!(everything.module_skip(module), None);
        }
    }
}
