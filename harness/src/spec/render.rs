//! The text report of a suite run: one line per file, failures with `-v`, checkpoint counters,
//! and the closing `N passed, N failed[, N skipped]` line.

use std::fmt::Write;

use super::report::SuiteReport;
use super::SpecOptions;

/// Renders the report. The last line is always [`SuiteReport::summary_line`].
pub fn render(report: &SuiteReport, options: &SpecOptions, verbose: bool) -> String {
    let mut out = String::new();
    for file in &report.files {
        let _ = write!(
            out,
            "{:<32} {:>6} passed {:>5} failed",
            file.name, file.passed, file.failed
        );
        if file.skipped > 0 {
            let _ = write!(out, " {:>5} skipped", file.skipped);
        }
        out.push('\n');
        if verbose {
            for failure in &file.failures {
                let _ = writeln!(out, "  FAIL {}:{failure}", file.name);
            }
            for skip in &file.skips {
                let _ = writeln!(out, "  SKIP {}:{skip}", file.name);
            }
        }
    }
    if report.aliased() > 0 {
        let _ = writeln!(
            out,
            "note: {} assert_trap passed only through {}'s declared trap aliases",
            report.aliased(),
            options.engine.name
        );
    }
    if let Some(settings) = &options.checkpoint {
        let stats = report.checkpoint();
        let _ = writeln!(
            out,
            "checkpoint-everywhere {} -> {} (cap {} stops per invocation): {} invocations checkpointed, {} images taken, {} restored ({} re-imaged byte for byte), {} fuel checks, {} failed; {} invocations reached the cap; not checkpointed: {} invocations (changed the state of an instance whose functions they import), {} invocations + {} stop points (state not imageable)",
            options.engine.name,
            settings.target.name,
            settings.cap,
            stats.invocations,
            stats.images_taken,
            stats.restored,
            stats.images_compared,
            stats.fuel_checks,
            stats.failed,
            stats.capped,
            stats.skipped_shared,
            stats.not_imageable,
            stats.stops_not_imageable
        );
    }
    if let Some(stats) = options.checkpoint.as_ref().map(|_| report.checkpoint()) {
        if stats.nan_payload_differences > 0 {
            let _ = writeln!(
                out,
                "note: {} cross-engine resumed runs matched only up to NaN payloads (nondeterministic in the spec)",
                stats.nan_payload_differences
            );
        }
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}

/// Every failure, one per line (`file:line:col directive: message`), then the summary line.
pub fn failures(report: &SuiteReport, options: &SpecOptions) -> String {
    let mut out = format!("# baton spec --engine {}", options.engine.name);
    if let Some(settings) = &options.checkpoint {
        let _ = write!(
            out,
            " --checkpoint-everywhere (restored on {}, cap {})",
            settings.target.name, settings.cap
        );
    }
    out.push('\n');
    for file in &report.files {
        for failure in &file.failures {
            let _ = writeln!(out, "{}:{failure}", file.name);
        }
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}
