//! Check 1, `spec-suite`: the WebAssembly 2.0 spec suite on the engine, every failure listed.
//! Directives the engine's handshake excuses (an undeclared feature, a declared limitation, see
//! [`crate::spec::declared`]) are skipped, not failed: counted per cause, and the first ones
//! listed with their reasons in the count names' place (in-process engines declare everything,
//! so they never skip).
//!
//! Invariants: every file runs under `catch_unwind` (an engine panic fails that file, never the
//! certification); files run in parallel but results are kept in file-name order, so counts and
//! the failure list are the same on every run.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use super::certificate::CheckResult;
use super::{panic_message, Context};
use crate::fuzz::engines::EngineSpec;
use crate::spec::render::skip_cause;
use crate::spec::{run_wast, suite_files, FileReport, SpecEngine, SpecOptions};
use baton_engine::EngineConfig;

/// The check's id.
pub const ID: &str = "spec-suite";
/// The check's one-line description.
pub const TITLE: &str = "the WebAssembly 2.0 spec suite (wasm-v2) on the engine";

/// One file's run: its report, or the panic that ended it.
pub(super) type FileRun = (String, Result<FileReport, String>);

/// The spec-runner view of a fuzz engine.
pub(super) fn spec_engine(engine: &EngineSpec) -> SpecEngine {
    SpecEngine {
        name: engine.name.clone(),
        create: engine.create.clone(),
    }
}

/// The battery's spec files, each run with `options` under `catch_unwind`, in name order.
pub(super) fn run_files(ctx: &Context<'_>, options: &SpecOptions) -> Vec<FileRun> {
    let files: Vec<(String, &'static str)> = suite_files(None)
        .into_iter()
        .filter(|(name, _)| {
            ctx.battery
                .spec_files
                .is_none_or(|wanted| wanted.contains(&name.as_str()))
        })
        .collect();
    files
        .par_iter()
        .map(|(name, text)| {
            let run = catch_unwind(AssertUnwindSafe(|| run_wast(name, text, options)))
                .map_err(panic_message);
            (name.clone(), run)
        })
        .collect()
}

/// Runs the check.
pub fn run(ctx: &Context<'_>) -> CheckResult {
    let mut check = CheckResult::new(ID, TITLE, true);
    let options = SpecOptions {
        engine: spec_engine(&ctx.subject.engine),
        config: EngineConfig::default(),
        checkpoint: None,
        declared: crate::spec::declared::Declared::of(&ctx.subject.engine.name),
    };
    let runs = run_files(ctx, &options);
    let (mut passed, mut failed, mut aliased, mut skipped, mut panicked) = (0, 0, 0, 0, 0);
    let name = &ctx.subject.engine.name;
    let mut causes: std::collections::BTreeMap<String, u64> = Default::default();
    for (file, run) in &runs {
        match run {
            Ok(report) => {
                passed += report.passed;
                failed += report.failed;
                aliased += report.aliased;
                skipped += report.skipped;
                for failure in &report.failures {
                    check.fail(format!("{file}:{failure}"));
                    check.reproduce_with(format!("baton spec --engine {name} --file {file} -v"));
                }
                for skip in &report.skips {
                    *causes.entry(skip_cause(&skip.message)).or_default() += 1;
                }
            }
            Err(message) => {
                panicked += 1;
                check.fail(format!("{file}: the engine panicked: {message}"));
                check.reproduce_with(format!("baton spec --engine {name} --file {file} -v"));
            }
        }
    }
    check.count("files", runs.len() as u64);
    check.count("directives passed", passed as u64);
    check.count("directives failed", failed as u64);
    check.count(
        "directives skipped (declared by the engine; not failures)",
        skipped as u64,
    );
    for (cause, count) in causes {
        check.count(&format!("skipped: {cause}"), count);
    }
    check.count("passed through declared trap aliases", aliased as u64);
    check.count("files ended by a panic", panicked);
    check
}
