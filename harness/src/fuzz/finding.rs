//! A finding: which property failed, on which engines, where first, and the evidence (images,
//! diffs) a report needs.
//!
//! Invariants: the class is the first property that failed (or `panic` / `timeout` for an engine
//! that crashed or hung); the signature names the class, engines and the place of the first
//! difference but no values, so the same bug seen on many cases deduplicates to one finding.

use baton_checkpoint::image::Image;
use serde::{Deserialize, Serialize};

use super::exec::{Failure, FailureKind};
use super::rng::fnv1a;

/// The property (or crash kind) a finding belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// 1: uninterrupted runs disagree with each other or with the oracle.
    Semantics,
    /// 1, classified: only the primary oracle disagrees; the tie-breaker oracle and every
    /// engine agree. Reported, but does not fail a campaign without `--strict-oracle`.
    Oracle,
    /// 2: engines' images at the same event differ.
    Checkpoint,
    /// 3: an image does not round-trip through the codec or does not validate.
    Codec,
    /// 4: a restored run differs from the uninterrupted one.
    Restore,
    /// 5: a chain of restores differs from the uninterrupted run.
    Chain,
    /// 6: an engine's restore accepted a hostile image (one that contradicts the module or the
    /// frame limit), or refused it without a typed restore error.
    Hostile,
    /// An engine panicked.
    Panic,
    /// An engine ran past the wall-clock limit.
    Timeout,
    /// An out-of-process adapter failed as a process (crash, hang, malformed bytes, protocol
    /// violation); its stderr tail is in the finding.
    Adapter,
}

impl Class {
    /// Every class, in property order.
    pub const ALL: [Class; 10] = [
        Class::Semantics,
        Class::Oracle,
        Class::Checkpoint,
        Class::Codec,
        Class::Restore,
        Class::Chain,
        Class::Hostile,
        Class::Panic,
        Class::Timeout,
        Class::Adapter,
    ];

    /// The class's name (directory prefix).
    pub fn name(self) -> &'static str {
        match self {
            Class::Semantics => "semantics",
            Class::Oracle => "oracle",
            Class::Checkpoint => "checkpoint",
            Class::Codec => "codec",
            Class::Restore => "restore",
            Class::Chain => "chain",
            Class::Hostile => "hostile",
            Class::Panic => "panic",
            Class::Timeout => "timeout",
            Class::Adapter => "adapter",
        }
    }

    /// Whether findings of this class fail a campaign (exit status 1): every class but
    /// `oracle`, which does only when `strict_oracle` is set.
    pub fn fails(self, strict_oracle: bool) -> bool {
        self != Class::Oracle || strict_oracle
    }

    /// Parses a class name.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A titled piece of evidence: a unified diff or a plain text block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What it shows.
    pub title: String,
    /// The text (a unified diff or a listing).
    pub text: String,
}

/// One failed property on one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Which property.
    pub class: Class,
    /// The engines involved, in role order (e.g. source then target).
    pub engines: Vec<String>,
    /// One line: what failed.
    pub summary: String,
    /// The first difference (or the failure message).
    pub first_difference: String,
    /// Where it differed, without values (dedup key part).
    pub place: String,
    /// Diffs and listings for the report.
    pub evidence: Vec<Evidence>,
    /// Images involved: (label, image).
    pub images: Vec<(String, Image)>,
}

impl Finding {
    /// The deduplication signature.
    pub fn signature(&self) -> String {
        format!(
            "{}|{}|{}",
            self.class.name(),
            self.engines.join(","),
            self.place
        )
    }

    /// A short stable hash of the signature (the report directory suffix).
    pub fn hash(&self) -> String {
        format!("{:016x}", fnv1a(self.signature().as_bytes()))
    }

    /// The report directory name: `<class>-<hash>`.
    pub fn dir_name(&self) -> String {
        format!("{}-{}", self.class.name(), self.hash())
    }

    /// A finding for an engine failure during property `class`.
    pub fn from_failure(class: Class, failure: &Failure, role: &str) -> Finding {
        let class = match failure.kind {
            FailureKind::Panic => Class::Panic,
            FailureKind::Timeout => Class::Timeout,
            FailureKind::Adapter => Class::Adapter,
            _ => class,
        };
        Finding {
            class,
            engines: vec![failure.engine.clone()],
            summary: format!(
                "{} {:?} in {} ({role})",
                failure.engine, failure.kind, failure.step
            ),
            first_difference: failure.message.clone(),
            place: format!(
                "{:?} {} {role}",
                failure.kind,
                failure
                    .step
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect::<String>()
            ),
            evidence: Vec::new(),
            images: Vec::new(),
        }
    }
}
