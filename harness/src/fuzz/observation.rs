//! What one run of a case shows from outside: each invocation's outcome, the exported
//! memories, globals and tables at the end, and the host trace; plus how two observations
//! differ.
//!
//! Invariants: observations are engine-neutral (function references by their index in the
//! instance when the engine reports it, else by null-ness; traps by their spec message), so
//! equal behaviour gives equal observations; two references compare by identity when both
//! sides know it, by null-ness otherwise; floats compare bit for bit when the comparison is
//! NaN-exact, up to NaN payloads otherwise; the first difference is reported in a fixed order
//! (instantiation, invocations, WASI output, globals, tables, memories,
//! trace).

use baton_engine::Trap;
use serde::{Deserialize, Serialize};

use super::case::CaseValue;
use super::host::TraceEntry;

/// How one invocation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Returned these results.
    Returned(Vec<CaseValue>),
    /// Trapped (serialized as the trap's spec message).
    Trapped(Trap),
    /// Ran out of event fuel.
    OutOfFuel,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Returned(values) => {
                let parts: Vec<String> = values.iter().map(ToString::to_string).collect();
                write!(f, "returned [{}]", parts.join(", "))
            }
            Self::Trapped(message) => write!(f, "trapped: {message}"),
            Self::OutOfFuel => f.write_str("out of fuel"),
        }
    }
}

/// The externally visible result of running a whole case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// `Some(trap)` when instantiation trapped (nothing else ran).
    pub instantiation_trap: Option<Trap>,
    /// One outcome per invocation, in order.
    pub outcomes: Vec<Outcome>,
    /// Exported globals at the end: (export name, value).
    pub globals: Vec<(String, CaseValue)>,
    /// Exported tables at the end: (export name, elements).
    pub tables: Vec<(String, Vec<CaseValue>)>,
    /// Exported memories at the end: (export name, bytes).
    pub memories: Vec<(String, Vec<u8>)>,
    /// The host trace.
    pub trace: Vec<TraceEntry>,
    /// What a WASI program wrote (cases with a WASI configuration only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasi: Option<Box<crate::wasi::WasiOutput>>,
}

/// Trap messages that count as equal: pairs an engine declares as aliases.
pub type TrapAliases<'a> = &'a [(&'a str, &'a str)];

fn same_trap(a: &Trap, b: &Trap, aliases: TrapAliases<'_>) -> bool {
    let (a, b) = (a.message(), b.message());
    a == b
        || aliases
            .iter()
            .any(|(x, y)| (a == *x && b == *y) || (a == *y && b == *x))
}

/// Value equality. Floats: bit for bit when `exact_nans`, else up to NaN payloads (the spec
/// lets engines pick any NaN for arithmetic results, so across engines two NaNs of one type are
/// the same value). Function references: by identity when both sides report one, else by
/// null-ness.
pub fn same_value(a: &CaseValue, b: &CaseValue, exact_nans: bool) -> bool {
    match (a, b) {
        (CaseValue::F32(x), CaseValue::F32(y)) => {
            x == y || (!exact_nans && f32::from_bits(*x).is_nan() && f32::from_bits(*y).is_nan())
        }
        (CaseValue::F64(x), CaseValue::F64(y)) => {
            x == y || (!exact_nans && f64::from_bits(*x).is_nan() && f64::from_bits(*y).is_nan())
        }
        (CaseValue::Func(x), CaseValue::Func(y)) => x == y,
        (CaseValue::Func(_), CaseValue::Funcref(non_null))
        | (CaseValue::Funcref(non_null), CaseValue::Func(_)) => *non_null,
        _ => a == b,
    }
}

fn same_values(a: &[CaseValue], b: &[CaseValue], exact_nans: bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y, exact_nans))
}

fn same_outcome(a: &Outcome, b: &Outcome, aliases: TrapAliases<'_>, exact_nans: bool) -> bool {
    match (a, b) {
        (Outcome::Trapped(x), Outcome::Trapped(y)) => same_trap(x, y, aliases),
        (Outcome::Returned(x), Outcome::Returned(y)) => same_values(x, y, exact_nans),
        _ => a == b,
    }
}

/// The first place two observations differ, as a short description, plus a dedup signature
/// that names the place but not the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Human-readable: where and what.
    pub description: String,
    /// Where, without values (for deduplication).
    pub place: String,
}

/// Compares `actual` against `expected`; `None` when they agree. `exact_nans` compares floats
/// bit for bit (see [`same_value`]).
pub fn compare(
    expected: &Observation,
    actual: &Observation,
    aliases: TrapAliases<'_>,
    exact_nans: bool,
) -> Option<Difference> {
    let diff = |place: String, description: String| Some(Difference { description, place });
    match (&expected.instantiation_trap, &actual.instantiation_trap) {
        (None, None) => {}
        (Some(a), Some(b)) if same_trap(a, b, aliases) => {}
        (a, b) => {
            return diff(
                "instantiation".into(),
                format!("instantiation: expected {a:?}, got {b:?}"),
            )
        }
    }
    if expected.outcomes.len() != actual.outcomes.len() {
        return diff(
            "invocation count".into(),
            format!(
                "{} invocations expected, {} ran",
                expected.outcomes.len(),
                actual.outcomes.len()
            ),
        );
    }
    for (index, (a, b)) in expected.outcomes.iter().zip(&actual.outcomes).enumerate() {
        if !same_outcome(a, b, aliases, exact_nans) {
            let kind = |o: &Outcome| match o {
                Outcome::Returned(_) => "returned",
                Outcome::Trapped(_) => "trapped",
                Outcome::OutOfFuel => "fuel",
            };
            return diff(
                format!("invocation outcome {}/{}", kind(a), kind(b)),
                format!("invocation {index}: expected {a}, got {b}"),
            );
        }
    }
    if let Some((place, description)) =
        crate::wasi::state::first_difference(expected.wasi.as_deref(), actual.wasi.as_deref())
    {
        return diff(place, description);
    }
    let same_globals = expected.globals.len() == actual.globals.len()
        && expected
            .globals
            .iter()
            .zip(&actual.globals)
            .all(|((n, a), (m, b))| n == m && same_value(a, b, exact_nans));
    if !same_globals {
        for ((name, a), (_, b)) in expected.globals.iter().zip(&actual.globals) {
            if !same_value(a, b, exact_nans) {
                return diff(
                    "global".into(),
                    format!("global {name:?}: expected {a}, got {b}"),
                );
            }
        }
        return diff("global list".into(), "exported globals differ".into());
    }
    let same_tables = expected.tables.len() == actual.tables.len()
        && expected
            .tables
            .iter()
            .zip(&actual.tables)
            .all(|((n, a), (m, b))| n == m && same_values(a, b, exact_nans));
    if !same_tables {
        for ((name, a), (_, b)) in expected.tables.iter().zip(&actual.tables) {
            if a.len() != b.len() {
                return diff(
                    "table size".into(),
                    format!(
                        "table {name:?}: {} elements expected, got {}",
                        a.len(),
                        b.len()
                    ),
                );
            }
            if let Some(i) = a
                .iter()
                .zip(b)
                .position(|(x, y)| !same_value(x, y, exact_nans))
            {
                return diff(
                    "table element".into(),
                    format!("table {name:?}[{i}]: expected {}, got {}", a[i], b[i]),
                );
            }
        }
        return diff("table list".into(), "exported tables differ".into());
    }
    if expected.memories != actual.memories {
        for ((name, a), (_, b)) in expected.memories.iter().zip(&actual.memories) {
            if a.len() != b.len() {
                return diff(
                    "memory size".into(),
                    format!(
                        "memory {name:?}: {} bytes expected, got {}",
                        a.len(),
                        b.len()
                    ),
                );
            }
            if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
                return diff(
                    "memory bytes".into(),
                    format!(
                        "memory {name:?} at 0x{i:x}: expected 0x{:02x}, got 0x{:02x}",
                        a[i], b[i]
                    ),
                );
            }
        }
        return diff("memory list".into(), "exported memories differ".into());
    }
    let same_trace = expected.trace.len() == actual.trace.len()
        && expected
            .trace
            .iter()
            .zip(&actual.trace)
            .all(|(a, b)| a.func == b.func && same_values(&a.args, &b.args, exact_nans));
    if !same_trace {
        let i = expected
            .trace
            .iter()
            .zip(&actual.trace)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.trace.len().min(actual.trace.len()));
        return diff(
            "host trace".into(),
            format!(
                "host trace entry {i}: expected {:?}, got {:?}",
                expected.trace.get(i),
                actual.trace.get(i)
            ),
        );
    }
    None
}

/// A text view of everything but memories (one fact per line) for unified diffs.
pub fn text_view(observation: &Observation) -> String {
    let mut out = String::new();
    if let Some(trap) = &observation.instantiation_trap {
        out.push_str(&format!("instantiation trapped: {trap}\n"));
    }
    for (i, outcome) in observation.outcomes.iter().enumerate() {
        out.push_str(&format!("invocation {i}: {outcome}\n"));
    }
    if let Some(wasi) = &observation.wasi {
        out.push_str(&crate::wasi::state::text_view(wasi));
    }
    for (name, value) in &observation.globals {
        out.push_str(&format!("global {name}: {value}\n"));
    }
    for (name, elements) in &observation.tables {
        let parts: Vec<String> = elements.iter().map(ToString::to_string).collect();
        out.push_str(&format!("table {name}: [{}]\n", parts.join(", ")));
    }
    for (name, bytes) in &observation.memories {
        out.push_str(&format!("memory {name}: {} bytes\n", bytes.len()));
    }
    for (i, entry) in observation.trace.iter().enumerate() {
        let parts: Vec<String> = entry.args.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "trace {i}: {}({})\n",
            entry.func,
            parts.join(", ")
        ));
    }
    out
}

/// Hex rows (16 bytes each) of `a` and `b` covering only the rows that differ (with one row of
/// context), for a memory diff.
pub fn differing_rows(a: &[u8], b: &[u8]) -> (String, String) {
    const ROW: usize = 16;
    let len = a.len().max(b.len());
    let rows = len.div_ceil(ROW);
    let row_differs = |r: usize| {
        let range = r * ROW..((r + 1) * ROW).min(len);
        a.get(range.clone()) != b.get(range)
    };
    let mut keep = vec![false; rows];
    for r in 0..rows {
        if row_differs(r) {
            let end = (r + 2).min(rows);
            keep[r.saturating_sub(1)..end].fill(true);
        }
    }
    let render = |bytes: &[u8]| {
        let mut out = String::new();
        for (r, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
            let start = r * ROW;
            let row = bytes
                .get(start..(start + ROW).min(bytes.len()))
                .unwrap_or(&[]);
            out.push_str(&format!("{start:08x}: {}\n", hex::encode(row)));
        }
        out
    };
    (render(a), render(b))
}
