//! `baton certify`: a fixed, versioned battery run against one engine and the reference
//! engines, ending in a certificate (`certificate.json`, `certificate.md`) and a verdict.
//!
//! The checks, in order: [`spec_suite`] (the spec suite on the engine), [`spec_checkpoint`]
//! (checkpoint-everywhere, self and both directions with every reference), [`campaign`] (a
//! seeded differential campaign, the engine in every position), [`hostile`] (damaged images
//! offered to restore) and [`capabilities`] (what was declared, what was skipped). Sizes and
//! seeds are in [`battery`]; the engine's name, version and capabilities come from
//! [`subject::identify`].
//!
//! Invariants:
//! - the same battery, engine and references give the same certificate except its date: checks
//!   run in a fixed order, the campaign single-threaded, parallel spec files in name order;
//! - no engine behaviour ends the certification: panics are caught per operation or per file,
//!   hostile attempts have a time limit, and a whole check that outlives the battery's check
//!   timeout is stopped by a watchdog that (when asked to, as the CLI does) writes a failing
//!   certificate naming the hung check and exits with status 1;
//! - the verdict is `certified` exactly when every required check passed; the checks needing the
//!   `checkpoint` capability are not required of an engine that declares none (its certificate
//!   is run-only and lists them as skipped, see [`capabilities`]).

pub mod battery;
pub mod campaign;
pub mod capabilities;
pub mod certificate;
pub mod cli;
pub mod hostile;
pub mod spec_checkpoint;
pub mod spec_suite;
pub mod subject;
mod watchdog;

use std::path::{Path, PathBuf};
use std::time::Instant;

use battery::Battery;
use certificate::{Certificate, CheckResult};
use subject::Subject;

use crate::fuzz::engines::EngineSpec;

/// What every check sees.
pub struct Context<'a> {
    /// The engine under certification.
    pub subject: &'a Subject,
    /// The reference engines.
    pub references: &'a [EngineSpec],
    /// The battery.
    pub battery: &'a Battery,
    /// Where findings and the certificate go.
    pub out: &'a Path,
}

/// How to certify.
#[derive(Clone, Debug)]
pub struct Options {
    /// The battery.
    pub battery: &'static Battery,
    /// Output directory (certificate, findings).
    pub out: PathBuf,
    /// On a hung check, write a failing certificate and exit the process with status 1 (the
    /// CLI); otherwise the hang is waited out (tests).
    pub exit_on_hang: bool,
    /// Print each check's verdict and time to stderr as it ends.
    pub progress: bool,
}

/// One check of the battery: id, title, and how to run it.
struct Step {
    id: &'static str,
    title: &'static str,
    run: fn(&Context<'_>) -> CheckResult,
}

/// The battery's checks before [`capabilities`], in order.
const STEPS: [Step; 4] = [
    Step {
        id: spec_suite::ID,
        title: spec_suite::TITLE,
        run: spec_suite::run,
    },
    Step {
        id: spec_checkpoint::ID,
        title: spec_checkpoint::TITLE,
        run: spec_checkpoint::run,
    },
    Step {
        id: campaign::ID,
        title: campaign::TITLE,
        run: campaign::run,
    },
    Step {
        id: hostile::ID,
        title: hostile::TITLE,
        run: hostile::run,
    },
];

/// The message of a caught panic.
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// Runs the battery on `subject` against `references`, writes the certificate into
/// `options.out` and returns it.
pub fn certify(
    subject: &Subject,
    references: &[EngineSpec],
    options: &Options,
) -> std::io::Result<Certificate> {
    let ctx = Context {
        subject,
        references,
        battery: options.battery,
        out: &options.out,
    };
    let reference_names: Vec<String> = references.iter().map(|r| r.name.clone()).collect();
    let watchdog =
        watchdog::Watchdog::start(subject.identity.clone(), reference_names.clone(), options);
    let mut checks = Vec::new();
    for step in &STEPS {
        let started = Instant::now();
        let result = match capabilities::missing(step.id, &subject.identity.capabilities) {
            Some((because, required)) => {
                CheckResult::skipped(step.id, step.title, required, because)
            }
            None => {
                watchdog.begin(step.id, step.title, &checks);
                crate::fuzz::cli::quiet_panics(|| (step.run)(&ctx))
            }
        };
        if options.progress {
            eprintln!(
                "certify {}: {} {} ({:.1} s)",
                subject.identity.name,
                step.id,
                result.status.label(),
                started.elapsed().as_secs_f64()
            );
        }
        checks.push(result);
    }
    watchdog.finish();
    checks.push(capabilities::run(&subject.identity.capabilities, &checks));
    let certificate = Certificate::new(
        subject.identity.clone(),
        reference_names,
        options.battery,
        checks,
    );
    certificate.write(&options.out)?;
    Ok(certificate)
}
