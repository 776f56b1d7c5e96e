//! The text report of a suite run: what the engine declares it cannot do (when anything), one
//! line per file (passed, failed, skipped), failures and skips with reasons with `-v`, the skips
//! counted by the declaration that caused them, checkpoint counters, and the closing
//! `N passed, N failed[, N skipped]` line.

use std::fmt::Write;

use super::report::SuiteReport;
use super::SpecOptions;

/// Renders the report. The last line is always [`SuiteReport::summary_line`].
pub fn render(report: &SuiteReport, options: &SpecOptions, verbose: bool) -> String {
    let mut out = String::new();
    let declared = &options.declared;
    if !declared.missing_features.is_empty() || !declared.limitations.is_empty() {
        let _ = writeln!(
            out,
            "{} declares: Wasm 2.0 features it lacks: {}",
            declared.engine,
            if declared.missing_features.is_empty() {
                "none".to_string()
            } else {
                declared.missing_features.join(", ")
            }
        );
        for (kind, reason) in &declared.limitations {
            let _ = writeln!(out, "  limitation {}: {reason}", kind.as_str_name());
        }
    }
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
    let mut causes: std::collections::BTreeMap<String, usize> = Default::default();
    for skip in report.files.iter().flat_map(|file| &file.skips) {
        *causes.entry(skip_cause(&skip.message)).or_default() += 1;
    }
    for (cause, count) in &causes {
        let _ = writeln!(out, "skipped (declared): {count} directives: {cause}");
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

/// The declaration a skip reason comes from: a feature the engine does not declare, or one of
/// its declared limitations (`declares <kind>:`), whatever module or directive it excused.
pub fn skip_cause(reason: &str) -> String {
    if reason.contains("does not declare") {
        return "a Wasm feature the engine does not declare".into();
    }
    reason
        .split(" declares ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .map_or_else(|| "other".to_string(), |kind| format!("limitation {kind}"))
}
