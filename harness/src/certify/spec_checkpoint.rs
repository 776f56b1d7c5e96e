//! Check 2, `spec-checkpoint`: checkpoint-everywhere over the spec suite: the engine restoring
//! its own images, and both directions with every reference engine (engine → reference,
//! reference → engine). At every event of every invocation (up to the battery's cap) the image
//! is taken, round-tripped through the codec, restored on the target, re-imaged there (the
//! bytes must be identical) and finished, and the run must end as the uninterrupted one did
//! (procedure: [`crate::spec::checkpoint`]).
//!
//! Invariants: directions run in a fixed order (self, then each reference in `--against` order,
//! engine first then reference first); each file runs under `catch_unwind`.

use super::certificate::CheckResult;
use super::spec_suite::{run_files, spec_engine};
use super::Context;
use crate::fuzz::engines::EngineSpec;
use crate::spec::{CheckpointSettings, CheckpointStats, SpecOptions};
use baton_engine::{EngineConfig, KindSet};

/// The check's id.
pub const ID: &str = "spec-checkpoint";
/// The check's one-line description.
pub const TITLE: &str = "spec checkpoint-everywhere: self-restore and both directions with every reference, images compared byte for byte at every event";

/// Runs the check.
pub fn run(ctx: &Context<'_>) -> CheckResult {
    let mut check = CheckResult::new(ID, TITLE, true);
    let subject = &ctx.subject.engine;
    let mut directions: Vec<(&EngineSpec, &EngineSpec)> = vec![(subject, subject)];
    for reference in ctx.references.iter().filter(|r| r.checkpoints) {
        directions.push((subject, reference));
        directions.push((reference, subject));
    }
    let mut total = CheckpointStats::default();
    let mut directives_failed = 0u64;
    let mut panicked = 0u64;
    for (source, target) in &directions {
        let options = SpecOptions {
            engine: spec_engine(source),
            config: EngineConfig::default(),
            checkpoint: Some(CheckpointSettings {
                target: spec_engine(target),
                cap: ctx.battery.checkpoint_cap,
                kinds: KindSet::MAIN,
            }),
            declared: crate::spec::declared::Declared::of_pair(&source.name, &target.name),
        };
        let route = format!("{} -> {}", source.name, target.name);
        let mut stats = CheckpointStats::default();
        for (file, run) in run_files(ctx, &options) {
            let command = format!(
                "baton spec --engines {},{} --cap {} --file {file} -v",
                source.name, target.name, ctx.battery.checkpoint_cap
            );
            match run {
                Ok(report) => {
                    stats.add(&report.checkpoint);
                    directives_failed += report.failed as u64;
                    for failure in &report.failures {
                        check.fail(format!("{route}: {file}:{failure}"));
                        check.reproduce_with(command.clone());
                    }
                }
                Err(message) => {
                    panicked += 1;
                    check.fail(format!("{route}: {file}: an engine panicked: {message}"));
                    check.reproduce_with(command);
                }
            }
        }
        if stats.images_compared == 0 {
            check.fail(format!(
                "{route}: no image was compared (the engine declares checkpoints but no stop was imaged and restored)"
            ));
        }
        check.count(
            &format!("{route}: images compared"),
            stats.images_compared as u64,
        );
        total.add(&stats);
    }
    check.count("directions", directions.len() as u64);
    check.count("invocations checkpointed", total.invocations as u64);
    check.count("images taken", total.images_taken as u64);
    check.count("images restored", total.restored as u64);
    check.count(
        "images compared byte for byte",
        total.images_compared as u64,
    );
    check.count("fuel checks", total.fuel_checks as u64);
    check.count("stop points failed", total.failed as u64);
    check.count("directives failed", directives_failed);
    check.count("files ended by a panic", panicked);
    check.count("invocations reaching the cap", total.capped as u64);
    check.count(
        "invocations not checkpointed (shared state)",
        total.skipped_shared as u64,
    );
    check.count(
        "invocations not checkpointed (not imageable)",
        total.not_imageable as u64,
    );
    check.count(
        "cross-engine results equal up to NaN payloads",
        total.nan_payload_differences as u64,
    );
    check
}
