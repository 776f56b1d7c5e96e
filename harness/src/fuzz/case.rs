//! A fuzz case: a module, the invocations to run on it, and the checkpoint schedule; stored as
//! `case.json` (module bytes inline as hex) so one file replays the case anywhere.
//!
//! Invariants: `schedule.invocation` indexes `invocations` (or the schedule is inert);
//! `schedule.chain_stops` has one entry per hop (`chain.len() - 1`) and is strictly increasing;
//! values are engine-neutral (function references by null-ness, or by their index in the
//! instance when the engine can tell, see [`CaseValue::Func`]).

use std::path::{Path, PathBuf};

use baton_checkpoint::EventKind;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use baton_engine::KindSet;
use baton_engine::{Engine, FuncIdentity, InstanceId, ValType, Value};

/// The current case-file format version.
pub const CASE_VERSION: u32 = 1;

/// An engine-neutral value, as cases and traces store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseValue {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32` bits.
    F32(u32),
    /// `f64` bits.
    F64(u64),
    /// `funcref`: whether it is non-null (identities differ between engines).
    Funcref(bool),
    /// `externref`: the handle, or null.
    Externref(Option<u64>),
    /// A non-null `funcref` whose identity the engine reported (observations only; never an
    /// argument): the same function on two engines has the same identity.
    #[serde(rename = "funcref_identity")]
    Func(FuncIdentity),
}

impl CaseValue {
    /// The neutral form of a harness value.
    pub fn from_value(value: &Value) -> Self {
        match *value {
            Value::I32(v) => Self::I32(v),
            Value::I64(v) => Self::I64(v),
            Value::F32(v) => Self::F32(v),
            Value::F64(v) => Self::F64(v),
            Value::FuncRef(f) => Self::Funcref(f.is_some()),
            Value::ExternRef(h) => Self::Externref(h),
        }
    }

    /// The neutral form of `value`, a value of `instance` in `engine`'s session: non-null
    /// function references by identity when the engine reports one (and `identity` is on), by
    /// null-ness otherwise.
    pub fn observed(
        engine: &dyn Engine,
        instance: InstanceId,
        value: &Value,
        identity: bool,
    ) -> Self {
        match engine.func_identity(instance, value) {
            Some(func) if identity => Self::Func(func),
            _ => Self::from_value(value),
        }
    }

    /// The harness value to pass as an argument; `None` for a non-null funcref, which no case
    /// can name engine-neutrally.
    pub fn to_value(self) -> Option<Value> {
        Some(match self {
            Self::I32(v) => Value::I32(v),
            Self::I64(v) => Value::I64(v),
            Self::F32(v) => Value::F32(v),
            Self::F64(v) => Value::F64(v),
            Self::Funcref(false) => Value::FuncRef(None),
            Self::Funcref(true) | Self::Func(_) => return None,
            Self::Externref(h) => Value::ExternRef(h),
        })
    }

    /// The value's type.
    pub fn ty(self) -> ValType {
        match self {
            Self::I32(_) => ValType::I32,
            Self::I64(_) => ValType::I64,
            Self::F32(_) => ValType::F32,
            Self::F64(_) => ValType::F64,
            Self::Funcref(_) | Self::Func(_) => ValType::FuncRef,
            Self::Externref(_) => ValType::ExternRef,
        }
    }
}

impl std::fmt::Display for CaseValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::I32(v) => write!(f, "i32:{v}"),
            Self::I64(v) => write!(f, "i64:{v}"),
            Self::F32(b) => write!(f, "f32:{:?}(0x{b:08x})", f32::from_bits(b)),
            Self::F64(b) => write!(f, "f64:{:?}(0x{b:016x})", f64::from_bits(b)),
            Self::Funcref(false) => f.write_str("funcref:null"),
            Self::Funcref(true) => f.write_str("funcref:non-null"),
            Self::Externref(None) => f.write_str("externref:null"),
            Self::Externref(Some(h)) => write!(f, "externref:{h}"),
            Self::Func(FuncIdentity::Index(index)) => write!(f, "funcref:func{index}"),
            Self::Func(FuncIdentity::Foreign) => f.write_str("funcref:foreign"),
        }
    }
}

/// One call of an exported function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// The export's name.
    pub export: String,
    /// The arguments.
    pub args: Vec<CaseValue>,
}

/// Where to checkpoint and how to hop between engines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Which invocation is checkpointed.
    pub invocation: usize,
    /// Safe-point kinds that may stop the run.
    pub kinds: Vec<EventKind>,
    /// Stop at the first event `>= k` of one of `kinds` (properties 2-4).
    pub k: u64,
    /// Engines to hop through for property 5 (1-3 names; the first runs from the start; empty
    /// when no engine checkpoints).
    pub chain: Vec<String>,
    /// Stop points of the chain's hops, one per hop, strictly increasing.
    pub chain_stops: Vec<u64>,
}

impl Schedule {
    /// The schedule's kinds as a [`KindSet`].
    pub fn kind_set(&self) -> KindSet {
        self.kinds.iter().copied().collect()
    }
}

/// A complete, replayable case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Case-file format version ([`CASE_VERSION`]).
    pub version: u32,
    /// The campaign seed and case index it came from (`None` for hand-written cases).
    pub origin: Option<(u64, u64)>,
    /// Engines the case runs on (registry or mutant names).
    pub engines: Vec<String>,
    /// The module's binary, as lowercase hex.
    #[serde(with = "hex_module")]
    pub module: Vec<u8>,
    /// Invocations, in order.
    pub invocations: Vec<Invocation>,
    /// The checkpoint schedule.
    pub schedule: Schedule,
    /// For a WASI program (`baton check --wasi`): its inputs; its `wasi_snapshot_preview1`
    /// imports are served by [`crate::wasi`]. Absent in generated cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasi: Option<crate::wasi::WasiConfig>,
    /// Event fuel per invocation for this case (real programs run longer than generated
    /// ones); absent: the harness's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// The module was generated without NaN canonicalisation: a NaN an instruction computes
    /// keeps the bits its engine chose (the spec allows any arithmetic NaN), and those bits can
    /// reach integers (`reinterpret`, stores). Engines of other lineages then differ
    /// legitimately, so the semantics property does not compare the oracles with the engines on
    /// such a case (baton's engines are still compared with each other). Absent: `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncanonical_nans: bool,
}

/// Errors reading or writing a case file.
#[derive(Debug, Error)]
pub enum CaseError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid case.
    #[error("{path}: not a baton case file: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The case is structurally wrong.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Case {
    /// Checks the invariants JSON cannot express.
    pub fn check(&self) -> Result<(), String> {
        if self.version != CASE_VERSION {
            return Err(format!(
                "case version {} (this baton reads {CASE_VERSION})",
                self.version
            ));
        }
        if self.engines.is_empty() {
            return Err("no engines".into());
        }
        let schedule = &self.schedule;
        if schedule.chain.len() > 3 {
            return Err(format!(
                "chain of {} engines (at most 3)",
                schedule.chain.len()
            ));
        }
        if schedule.chain_stops.len() != schedule.chain.len().saturating_sub(1) {
            return Err("chain_stops must have one entry per hop".into());
        }
        if schedule.chain_stops.windows(2).any(|w| w[0] >= w[1]) {
            return Err("chain_stops must be strictly increasing".into());
        }
        if schedule.kinds.is_empty() {
            return Err("schedule has no safe-point kinds".into());
        }
        Ok(())
    }

    /// Reads a case from `case.json`, or from a finding directory holding one.
    pub fn load(path: &Path) -> Result<Case, CaseError> {
        let file = if path.is_dir() {
            path.join("case.json")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file).map_err(|source| CaseError::Io {
            path: file.clone(),
            source,
        })?;
        let case: Case = serde_json::from_str(&text).map_err(|source| CaseError::Parse {
            path: file.clone(),
            source,
        })?;
        case.check().map_err(|message| CaseError::Invalid {
            path: file,
            message,
        })?;
        Ok(case)
    }

    /// The case as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }
}

/// Serde helper: the module binary as a hex string.
mod hex_module {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}
