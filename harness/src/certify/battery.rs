//! The battery: every size, seed and limit a certification uses, in one place.
//!
//! Invariants: a battery is a constant; changing any value of [`FULL`] or [`QUICK`] (or what a
//! check does with it) bumps [`BATTERY_VERSION`], so two certificates with the same battery
//! version, engine and references ran the same cases and are comparable count for count.

use std::time::Duration;

/// The battery's version, printed in every certificate.
pub const BATTERY_VERSION: u32 = 2;

/// One battery: what every check runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Battery {
    /// `full` or `quick`.
    pub name: &'static str,
    /// Spec-suite files (exact names); `None` runs the whole `wasm-v2` suite.
    pub spec_files: Option<&'static [&'static str]>,
    /// Checkpoint-everywhere: stop points per invocation.
    pub checkpoint_cap: u64,
    /// The differential campaign's seed.
    pub campaign_seed: u64,
    /// Generated campaign cases (the seed corpus runs on top of them).
    pub campaign_cases: u64,
    /// Seed-corpus cases: stop points per invocation of each seed module.
    pub corpus_stops: u64,
    /// The hostile-image check's seed (bit positions, truncation points).
    pub hostile_seed: u64,
    /// Real images taken per battery module (evenly spaced over its stop points).
    pub hostile_images_per_module: usize,
    /// Truncated copies of each real image.
    pub hostile_truncations: usize,
    /// Single-bit-flipped copies of each real image.
    pub hostile_bit_flips: usize,
    /// How long one hostile restore-and-run may take before it counts as a hang.
    pub hostile_timeout: Duration,
    /// How long one whole check may take before the certification stops as hung.
    pub check_timeout: Duration,
}

/// The certification battery (a few minutes in release for the in-repository engines).
pub const FULL: Battery = Battery {
    name: "full",
    spec_files: None,
    checkpoint_cap: 200,
    campaign_seed: 0x0BA7_0001,
    campaign_cases: 20_000,
    corpus_stops: 8,
    hostile_seed: 0x0BA7_0002,
    hostile_images_per_module: 6,
    hostile_truncations: 12,
    hostile_bit_flips: 48,
    hostile_timeout: Duration::from_secs(20),
    check_timeout: Duration::from_secs(1800),
};

/// Spec files of the quick battery: branches, loops, recursion, memory, tables, globals,
/// traps (each checkpoints in well under a second).
const QUICK_SPEC_FILES: &[&str] = &[
    "br_if.wast",
    "bulk.wast",
    "fac.wast",
    "global.wast",
    "if.wast",
    "loop.wast",
    "memory_fill.wast",
    "table_set.wast",
    "traps.wast",
];

/// A small battery for tests: same checks, fewer cases.
pub const QUICK: Battery = Battery {
    name: "quick",
    spec_files: Some(QUICK_SPEC_FILES),
    checkpoint_cap: 40,
    campaign_seed: 0x0BA7_0001,
    campaign_cases: 150,
    corpus_stops: 4,
    hostile_seed: 0x0BA7_0002,
    hostile_images_per_module: 2,
    hostile_truncations: 4,
    hostile_bit_flips: 8,
    hostile_timeout: Duration::from_secs(20),
    check_timeout: Duration::from_secs(900),
};

impl Battery {
    /// The battery named `name` (`full` or `quick`).
    pub fn named(name: &str) -> Option<&'static Battery> {
        [&FULL, &QUICK]
            .into_iter()
            .find(|battery| battery.name == name)
    }
}
