//! A planted engine bug shared by the oracle tests: an engine whose returned i32 results are
//! one too big (a bug in uninterrupted runs), registered as a harness engine.

use std::sync::Arc;

use baton::adapters;
use baton::fuzz::engines::EngineSpec;
use baton_engine::{Engine, EngineConfig, InstanceId, RunOutcome, RunReport, Value, Wrapper};

/// An engine whose returned i32 results are one too big.
pub struct OffByOne(pub Box<dyn Engine>);

impl Wrapper for OffByOne {
    fn inner(&self) -> &dyn Engine {
        self.0.as_ref()
    }
    fn inner_mut(&mut self) -> &mut dyn Engine {
        self.0.as_mut()
    }
    fn wrapper_name(&self) -> &'static str {
        "off-by-one"
    }
    fn after_run(&mut self, _instance: InstanceId, report: &mut RunReport) {
        if let RunOutcome::Returned(values) = &mut report.outcome {
            for value in values {
                if let Value::I32(v) = value {
                    *v = v.wrapping_add(1);
                }
            }
        }
    }
}

/// The registry engine `base` wrapped in [`OffByOne`], named `off-by-one-<base>`, as a harness
/// engine (uninterrupted runs only).
pub fn off_by_one(base: &'static str) -> EngineSpec {
    let entry = adapters::find(base).expect("registered engine");
    EngineSpec {
        name: format!("off-by-one-{base}"),
        checkpoints: false,
        create: Arc::new(move |config: &EngineConfig| Box::new(OffByOne((entry.create)(config)))),
        aliases: Vec::new(),
        kinds: baton_engine::KindSet::MAIN,
    }
}
