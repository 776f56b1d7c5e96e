//! The generator's distribution: what state a case's checkpoint is in (frames, where the outer
//! frames are, references held, grown memories and tables), and the campaign-wide tally
//! reported in `summary.json` (issue 14's definitions).
//!
//! Invariants: a case contributes one [`Shape`] (its first image at the scheduled stop) or
//! none (the stop was not reached); every percentage is over the cases (reach, imports, `any`
//! schedules, NaN-exact) or over the checkpoints reached (everything else).

use std::collections::BTreeMap;

use baton_checkpoint::analysis::{InstrKind, ModuleAnalysis};
use baton_checkpoint::image::{value::Kind, Image};
use baton_checkpoint::EventKind;
use serde::{Deserialize, Serialize};

use super::hostile;

/// The state at one checkpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Wasm frames on the stack.
    pub frames: usize,
    /// The stop is a function entry.
    pub entry: bool,
    /// An outer frame is inside a `call_indirect` (its call in progress is one).
    pub outer_call_indirect: bool,
    /// An outer frame's callee returns two or more values.
    pub outer_multi_value: bool,
    /// A local or operand holds a non-null `funcref` or `externref`.
    pub non_null_ref: bool,
    /// A memory is larger than its declared minimum (`memory.grow` ran).
    pub memory_grown: bool,
    /// A table is larger than its declared minimum (`table.grow` ran).
    pub table_grown: bool,
    /// The stop's event number (how deep into the invocation it is).
    pub event: u64,
    /// A passive data or element segment has been dropped (`data.drop` / `elem.drop` ran; set
    /// by the caller from the module, see [`dropped_passive`]).
    #[serde(default)]
    pub dropped_segment: bool,
}

impl Shape {
    /// The shape of `image` (a suspended image of the analysed module); `None` when idle.
    pub fn of(analysis: &ModuleAnalysis, image: &Image) -> Option<Shape> {
        let execution = image.execution.as_ref()?;
        let point = execution.safe_point.as_ref()?;
        let frames = &execution.frames;
        let mut shape = Shape {
            frames: frames.len(),
            entry: EventKind::from_image(point.kind()) == Some(EventKind::Entry),
            event: point.event,
            ..Shape::default()
        };
        for (outer, callee) in frames.iter().zip(frames.iter().skip(1)) {
            let instr = analysis
                .function(outer.func)
                .and_then(|f| f.at(outer.pc))
                .map(|p| p.instr);
            shape.outer_call_indirect |= matches!(instr, Some(InstrKind::CallIndirect { .. }));
            shape.outer_multi_value |= analysis
                .func_type_of(callee.func)
                .is_some_and(|ty| ty.results().len() >= 2);
        }
        shape.non_null_ref = frames
            .iter()
            .flat_map(|f| f.locals.iter().chain(&f.operands))
            .any(|v| match &v.kind {
                Some(Kind::Funcref(f)) => f.index.is_some(),
                Some(Kind::Externref(e)) => e.handle.is_some(),
                _ => false,
            });
        shape.memory_grown = image
            .memories
            .iter()
            .zip(analysis.memories())
            .any(|(m, ty)| m.pages > ty.initial);
        shape.table_grown = image
            .tables
            .iter()
            .zip(analysis.tables())
            .any(|(t, ty)| t.elements.len() as u64 > ty.initial);
        Some(shape)
    }
}

/// Whether `image` (of the module `wasm`) flags a passive data or element segment as dropped:
/// active and declarative segments are dropped by instantiation, passive ones only by
/// `data.drop` / `elem.drop`.
pub fn dropped_passive(wasm: &[u8], image: &Image) -> bool {
    let (mut data, mut elements) = (0usize, 0usize);
    let mut dropped = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            wasmparser::Payload::DataSection(reader) => {
                for segment in reader.into_iter().flatten() {
                    let passive = matches!(segment.kind, wasmparser::DataKind::Passive);
                    dropped |= passive && image.dropped_data.get(data) == Some(&true);
                    data += 1;
                }
            }
            wasmparser::Payload::ElementSection(reader) => {
                for segment in reader.into_iter().flatten() {
                    let passive = matches!(segment.kind, wasmparser::ElementKind::Passive);
                    dropped |= passive && image.dropped_elements.get(elements) == Some(&true);
                    elements += 1;
                }
            }
            _ => {}
        }
    }
    dropped
}

/// What one case contributes to the distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseShape {
    /// The checkpoint's shape, when the scheduled stop was reached.
    pub checkpoint: Option<Shape>,
    /// The module imports a memory, table or global.
    pub imports_state: bool,
    /// The schedule stops at `any` events.
    pub any_stops: bool,
    /// The comparisons were bit-exact on floats.
    pub nan_exact: bool,
    /// Hostile images offered and refused (property 6; zero when the case was not probed).
    #[serde(default)]
    pub hostile: hostile::Probe,
}

/// Stops at or past this event number count as deep.
pub const DEEP_EVENT: u64 = 100;

/// The campaign's distribution: counts, and the percentages issue 14 sets goals for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Cases tallied.
    pub cases: u64,
    /// Cases whose scheduled checkpoint was reached.
    pub reached: u64,
    /// Checkpoints at a function entry.
    pub entry: u64,
    /// Checkpoints with a single frame.
    pub single_frame: u64,
    /// Checkpoints with three or more frames.
    pub three_frames: u64,
    /// Checkpoints with an outer frame inside a `call_indirect`.
    pub outer_call_indirect: u64,
    /// Checkpoints with an outer frame whose callee returns two or more values.
    pub outer_multi_value: u64,
    /// Checkpoints with a non-null funcref or externref in a local or operand.
    pub non_null_ref: u64,
    /// Checkpoints after `memory.grow`.
    pub memory_grown: u64,
    /// Checkpoints after `table.grow`.
    pub table_grown: u64,
    /// Checkpoints at event [`DEEP_EVENT`] or later.
    pub deep: u64,
    /// Cases whose module imports a memory, table or global.
    pub imports_state: u64,
    /// Cases scheduled with `any` stops.
    pub any_stops: u64,
    /// Cases compared bit-exactly on floats.
    pub nan_exact: u64,
    /// Checkpoints after a passive data or element segment was dropped.
    #[serde(default)]
    pub dropped_segment: u64,
    /// Cases probed with hostile images (property 6).
    #[serde(default)]
    pub hostile_cases: u64,
    /// Hostile images offered (each to every checkpointing engine).
    #[serde(default)]
    pub hostile_images: u64,
    /// Restores of hostile images that had to be refused (images times engines).
    #[serde(default)]
    pub hostile_restores: u64,
    /// Restores of hostile images refused with a typed error (equal to `hostile_restores`
    /// unless a `hostile` finding).
    #[serde(default)]
    pub hostile_refused: u64,
    /// The percentages: `reach`, `imports_state`, `any_stops`, `nan_exact`, `hostile_cases` of
    /// cases; the others of checkpoints reached.
    pub percent: BTreeMap<String, f64>,
}

impl Distribution {
    /// Adds one case.
    pub fn add(&mut self, case: &CaseShape) {
        self.cases += 1;
        self.imports_state += u64::from(case.imports_state);
        self.any_stops += u64::from(case.any_stops);
        self.nan_exact += u64::from(case.nan_exact);
        self.hostile_cases += u64::from(case.hostile.images > 0);
        self.hostile_images += case.hostile.images;
        self.hostile_restores += case.hostile.restores;
        self.hostile_refused += case.hostile.refused;
        if let Some(shape) = case.checkpoint {
            self.reached += 1;
            self.entry += u64::from(shape.entry);
            self.single_frame += u64::from(shape.frames == 1);
            self.three_frames += u64::from(shape.frames >= 3);
            self.outer_call_indirect += u64::from(shape.outer_call_indirect);
            self.outer_multi_value += u64::from(shape.outer_multi_value);
            self.non_null_ref += u64::from(shape.non_null_ref);
            self.memory_grown += u64::from(shape.memory_grown);
            self.table_grown += u64::from(shape.table_grown);
            self.deep += u64::from(shape.event >= DEEP_EVENT);
            self.dropped_segment += u64::from(shape.dropped_segment);
        }
        self.update_percent();
    }

    fn update_percent(&mut self) {
        let of = |n: u64, total: u64| (1000.0 * n as f64 / total.max(1) as f64).round() / 10.0;
        let (cases, reached) = (self.cases, self.reached);
        self.percent = BTreeMap::from([
            ("reach".to_string(), of(reached, cases)),
            ("imports_state".to_string(), of(self.imports_state, cases)),
            ("any_stops".to_string(), of(self.any_stops, cases)),
            ("nan_exact".to_string(), of(self.nan_exact, cases)),
            ("entry".to_string(), of(self.entry, reached)),
            ("single_frame".to_string(), of(self.single_frame, reached)),
            ("three_frames".to_string(), of(self.three_frames, reached)),
            (
                "outer_call_indirect".to_string(),
                of(self.outer_call_indirect, reached),
            ),
            (
                "outer_multi_value".to_string(),
                of(self.outer_multi_value, reached),
            ),
            ("non_null_ref".to_string(), of(self.non_null_ref, reached)),
            ("memory_grown".to_string(), of(self.memory_grown, reached)),
            ("table_grown".to_string(), of(self.table_grown, reached)),
            ("deep".to_string(), of(self.deep, reached)),
            (
                "dropped_segment".to_string(),
                of(self.dropped_segment, reached),
            ),
            ("hostile_cases".to_string(), of(self.hostile_cases, cases)),
        ]);
    }

    /// One line per percentage, for the terminal.
    pub fn render(&self) -> String {
        let parts: Vec<String> = self
            .percent
            .iter()
            .map(|(name, value)| format!("{name} {value}%"))
            .collect();
        format!(
            "distribution over {} cases ({} checkpoints): {}",
            self.cases,
            self.reached,
            parts.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_engine::{EngineConfig, KindSet, RunOptions, RunOutcome, StopRequest};

    #[test]
    fn shapes_of_a_stop_inside_call_indirect() {
        let wat = r#"(module
          (type $two (func (result i32 i32)))
          (table 1 funcref) (elem (i32.const 0) $callee)
          (memory 1 3)
          (func $callee (type $two) (loop) (i32.const 1) (i32.const 2))
          (func (export "run") (result i32)
            (drop (memory.grow (i32.const 1)))
            (call_indirect (type $two) (i32.const 0))
            (i32.add)))"#;
        let wasm = wat::parse_str(wat).expect("parses");
        let analysis = ModuleAnalysis::new(&wasm).expect("analyses");
        let mut engine = crate::adapters::stack::create(&EngineConfig::default());
        let module = engine.compile(&wasm).expect("compiles");
        let instance = engine.instantiate(module, &[]).expect("instantiates");
        let stop = StopRequest::new(KindSet::of(&[EventKind::Loop]), 0);
        let options = RunOptions {
            stop: Some(stop),
            fuel: None,
        };
        let report = engine.invoke(instance, "run", &[], options).expect("runs");
        assert!(matches!(report.outcome, RunOutcome::Suspended { .. }));
        let image = engine.take_image(instance).expect("image");
        let shape = Shape::of(&analysis, &image).expect("suspended");
        assert_eq!(shape.frames, 2);
        assert!(shape.outer_call_indirect && shape.outer_multi_value && shape.memory_grown);
        assert!(!shape.entry && !shape.table_grown && !shape.non_null_ref);
        let mut tally = Distribution::default();
        tally.add(&CaseShape {
            checkpoint: Some(shape),
            ..CaseShape::default()
        });
        tally.add(&CaseShape::default());
        assert_eq!(tally.percent["reach"], 50.0);
        assert_eq!(tally.percent["outer_call_indirect"], 100.0);
    }
}
