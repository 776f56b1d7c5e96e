//! Check 5, `capabilities`: what the engine declared, and which checks were skipped because of
//! it. Every check of the battery is required; one skipped for a missing capability fails this
//! check (and the verdict).
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

/// Why check `id` cannot run with `declared`, if it cannot.
pub fn missing(id: &str, declared: &Capabilities) -> Option<String> {
    REQUIREMENTS
        .iter()
        .find(|(check, needed)| *check == id && !declared.has(*needed))
        .map(|(_, needed)| {
            format!(
                "the engine does not declare the `{}` capability",
                needed.name()
            )
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
    let mut skipped = 0;
    for other in checks {
        if let Some(because) = &other.skipped_because {
            skipped += 1;
            if other.required {
                check.fail(format!("required check `{}` skipped: {because}", other.id));
            }
        }
    }
    check.count("checks skipped", skipped);
    check
}
