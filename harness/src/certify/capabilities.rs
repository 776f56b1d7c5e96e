//! Check 5, `capabilities`: what the engine declared, and which checks were skipped because of
//! it.
//!
//! The verdict rule: the checks an engine's declared capabilities enable are required. An
//! engine that declares no `checkpoint` capability (an engine that can only run modules, like
//! the V8 and Wasm3 oracles) skips the checks needing it (`spec-checkpoint`, `campaign`,
//! `hostile-images`); those skips are listed as such and are not failures, and its certificate
//! is a *run-only* certificate ([`super::certificate::Scope::Run`]). A check skipped for any
//! other missing capability (`run`) is a required check skipped, which fails this check and the
//! verdict.
//!
//! Invariant: the requirements are the table [`REQUIREMENTS`]; nothing else decides skipping.

use super::certificate::CheckResult;
use super::subject::{Capabilities, Capability};
use super::{campaign, hostile, spec_checkpoint, spec_suite};

/// The check's id.
pub const ID: &str = "capabilities";
/// The check's one-line description.
pub const TITLE: &str = "declared capabilities cover every required check";

/// What each check needs declared.
pub const REQUIREMENTS: &[(&str, Capability)] = &[
    (spec_suite::ID, Capability::Run),
    (spec_checkpoint::ID, Capability::Checkpoint),
    (campaign::ID, Capability::Checkpoint),
    (hostile::ID, Capability::Checkpoint),
];

/// Why check `id` cannot run with `declared`, and whether that skip still counts as a required
/// check skipped (see the verdict rule above); `None` when it runs.
pub fn missing(id: &str, declared: &Capabilities) -> Option<(String, bool)> {
    REQUIREMENTS
        .iter()
        .find(|(check, needed)| *check == id && !declared.has(*needed))
        .map(|(_, needed)| match needed {
            Capability::Checkpoint => (
                "the engine cannot checkpoint: it declares no `checkpoint` capability (run-only \
                 certificate; not a failure)"
                    .to_string(),
                false,
            ),
            Capability::Run => (
                format!(
                    "the engine does not declare the `{}` capability",
                    needed.name()
                ),
                true,
            ),
        })
}

/// The check over the other checks' results.
pub fn run(declared: &Capabilities, checks: &[CheckResult]) -> CheckResult {
    let mut check = CheckResult::new(ID, TITLE, true);
    for capability in [Capability::Run, Capability::Checkpoint] {
        check.count(
            &format!("declares `{}`", capability.name()),
            u64::from(declared.has(capability)),
        );
    }
    let (mut skipped, mut not_checkpointing) = (0, 0);
    for other in checks {
        if let Some(because) = &other.skipped_because {
            skipped += 1;
            if other.required {
                check.fail(format!("required check `{}` skipped: {because}", other.id));
            } else {
                not_checkpointing += 1;
            }
        }
    }
    check.count("checks skipped", skipped);
    check.count(
        "checks skipped because the engine cannot checkpoint (not failures)",
        not_checkpointing,
    );
    check
}
