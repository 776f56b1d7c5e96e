//! The harness host module: functions cases import (wasm-smith's `available_imports`) that
//! record `(name, args)` into a trace and return values derived from their arguments and from
//! the trace position, so a restored host that lost its state returns different values and is
//! caught; plus a memory, tables and globals cases may import ([`link`]), so imported state is
//! part of what images carry.
//!
//! Invariants: a host function's results depend only on `(name, args, trace length)`; the
//! trace travels in the image's host section [`TRACE_SECTION`], so a restored run continues the
//! same trace; host functions never trap; a host memory/table/global starts from a value that
//! depends only on its import (name and type), and is created afresh for every session.

mod link;

pub use link::{func_imports, link, FuncImport, ImportType};

use std::sync::{Arc, Mutex};

use baton_checkpoint::image::{HostSection, Image};
use serde::{Deserialize, Serialize};

use super::case::CaseValue;
use super::rng::fnv1a;
use baton_engine::{ValType, Value};

/// The name of the image host section holding the trace.
pub const TRACE_SECTION: &str = "baton.harness.trace";

/// The module name every host import uses.
pub const HOST_MODULE: &str = "host";

/// The host module's imports as WAT: what wasm-smith may import.
pub const AVAILABLE_IMPORTS_WAT: &str = r#"(module
  (import "host" "tick" (func))
  (import "host" "log_i32" (func (param i32)))
  (import "host" "mix_i32" (func (param i32 i32) (result i32)))
  (import "host" "mix_i64" (func (param i64 i32) (result i64)))
  (import "host" "scale_f32" (func (param f32) (result f32)))
  (import "host" "scale_f64" (func (param f64 i64) (result f64)))
  (import "host" "pos" (func (result i32)))
  (import "host" "split" (func (param i64) (result i32 i32)))
)"#;

/// The host's memory, tables and globals as WAT: what wasm-smith may import on top of
/// [`AVAILABLE_IMPORTS_WAT`] in the cases that offer state imports.
pub const STATE_IMPORTS_WAT: &str = r#"(module
  (import "host" "memory" (memory 1 3))
  (import "host" "table" (table 2 8 funcref))
  (import "host" "externs" (table 1 4 externref))
  (import "host" "counter" (global (mut i32)))
  (import "host" "wide" (global (mut i64)))
  (import "host" "ratio" (global f64))
)"#;

/// One host call: which function, with which arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// The import's field name.
    pub func: String,
    /// The arguments it received.
    pub args: Vec<CaseValue>,
}

/// The host's state, shared by the host functions of one engine session.
#[derive(Clone, Debug, Default)]
pub struct HostState {
    trace: Arc<Mutex<Vec<TraceEntry>>>,
}

impl HostState {
    /// A host with an empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// A host continuing `trace`.
    pub fn with_trace(trace: Vec<TraceEntry>) -> Self {
        Self {
            trace: Arc::new(Mutex::new(trace)),
        }
    }

    /// A copy of the trace so far.
    pub fn trace(&self) -> Vec<TraceEntry> {
        match self.trace.lock() {
            Ok(trace) => trace.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Records a call and computes its results.
    pub fn call(&self, func: &str, args: &[Value], results: &[ValType]) -> Vec<Value> {
        let mut trace = match self.trace.lock() {
            Ok(trace) => trace,
            Err(poisoned) => poisoned.into_inner(),
        };
        let position = trace.len() as u64;
        let args: Vec<CaseValue> = args.iter().map(CaseValue::from_value).collect();
        trace.push(TraceEntry {
            func: func.to_string(),
            args: args.clone(),
        });
        derive_results(func, &args, position, results)
    }

    /// The host section recording this state.
    pub fn section(&self) -> HostSection {
        HostSection {
            name: TRACE_SECTION.to_string(),
            data: serde_json::to_vec(&self.trace()).unwrap_or_default(),
        }
    }

    /// Adds (or replaces) this host's section in `image`, keeping sections sorted by name.
    pub fn store_into(&self, image: &mut Image) {
        image.host_sections.retain(|s| s.name != TRACE_SECTION);
        image.host_sections.push(self.section());
        image.host_sections.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// The host state an image carries; an image without the section starts an empty trace.
    pub fn from_image(image: &Image) -> Result<Self, String> {
        match image.host_sections.iter().find(|s| s.name == TRACE_SECTION) {
            None => Ok(Self::new()),
            Some(section) => serde_json::from_slice(&section.data)
                .map(Self::with_trace)
                .map_err(|e| format!("host section {TRACE_SECTION}: {e}")),
        }
    }
}

/// The results a host function returns for `(func, args)` at trace `position`.
pub(crate) fn derive_results(
    func: &str,
    args: &[CaseValue],
    position: u64,
    results: &[ValType],
) -> Vec<Value> {
    let mut seed = Vec::with_capacity(64);
    seed.extend_from_slice(func.as_bytes());
    seed.extend_from_slice(&position.to_le_bytes());
    for arg in args {
        let bits = match *arg {
            CaseValue::I32(v) => u64::from(v as u32),
            CaseValue::I64(v) => v as u64,
            CaseValue::F32(v) => u64::from(v),
            CaseValue::F64(v) => v,
            CaseValue::Funcref(f) => u64::from(f),
            CaseValue::Func(_) => 1,
            CaseValue::Externref(h) => h.map_or(u64::MAX, |h| h),
        };
        seed.extend_from_slice(&bits.to_le_bytes());
    }
    let hash = fnv1a(&seed);
    results
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let h = hash.rotate_left(i as u32 * 13) ^ position;
            match ty {
                ValType::I32 => Value::I32(h as i32),
                ValType::I64 => Value::I64(h as i64),
                // Small integral floats: exact, never NaN.
                ValType::F32 => Value::F32(((h % 2001) as f32 - 1000.0).to_bits()),
                ValType::F64 => Value::F64(((h % 20001) as f64 - 10000.0).to_bits()),
                ValType::FuncRef => Value::FuncRef(None),
                ValType::ExternRef => Value::ExternRef(Some(h % 1000)),
            }
        })
        .collect()
}

/// The binary of the host module (for wasm-smith's `available_imports`): its functions, plus
/// its memory, tables and globals when `state`.
pub fn available_imports(state: bool) -> Vec<u8> {
    let mut wat = AVAILABLE_IMPORTS_WAT
        .trim_end()
        .trim_end_matches(')')
        .to_string();
    if state {
        let body = STATE_IMPORTS_WAT.trim_start_matches("(module");
        wat.push_str(body.trim_end().trim_end_matches(')'));
    }
    wat.push_str(")\n");
    wat::parse_str(&wat).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_depend_on_position_and_state_round_trips() {
        let host = HostState::new();
        let a = host.call("mix_i32", &[Value::I32(1), Value::I32(2)], &[ValType::I32]);
        let b = host.call("mix_i32", &[Value::I32(1), Value::I32(2)], &[ValType::I32]);
        assert_ne!(a, b, "the trace position must change the result");
        let mut image = Image::default();
        host.store_into(&mut image);
        let restored = HostState::from_image(&image).expect("section decodes");
        assert_eq!(restored.trace(), host.trace());
        let c = restored.call("mix_i32", &[Value::I32(1), Value::I32(2)], &[ValType::I32]);
        let d = host.call("mix_i32", &[Value::I32(1), Value::I32(2)], &[ValType::I32]);
        assert_eq!(c, d, "a restored host continues the same trace");
    }

    #[test]
    fn available_imports_parse() {
        let funcs = func_imports(&available_imports(false)).expect("host module parses");
        assert_eq!(funcs.len(), 8);
        let imports = func_imports(&available_imports(true)).expect("host module parses");
        assert_eq!(imports.len(), 14);
        let state = imports
            .iter()
            .filter(|i| !matches!(i.ty, ImportType::Func(_)))
            .count();
        assert_eq!(state, 6, "a memory, two tables and three globals");
        assert!(imports.iter().all(|i| i.module == HOST_MODULE));
    }
}
