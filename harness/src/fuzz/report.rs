//! Writing findings: `reports/<class>-<hash>/` with `case.json`, `module.wasm`, `module.wat`,
//! every image involved (binary `.img` and text view `.txt`) and `report.md`.
//!
//! Invariants: a finding directory appears atomically (written under a temporary name, then
//! renamed), so a crash never leaves a half-written finding; writing the same finding again
//! replaces it (with its updated count).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use baton_checkpoint::{encode, to_text};

use super::case::Case;
use super::finding::Finding;

/// `report.md` for a finding seen `count` times.
pub fn render(case: &Case, finding: &Finding, count: u64, location: Option<&Path>) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# {} finding: {}\n",
        finding.class.name(),
        finding.summary
    );
    let _ = writeln!(md, "- property: **{}**", finding.class.name());
    let _ = writeln!(md, "- engines: {}", finding.engines.join(" -> "));
    let _ = writeln!(md, "- first difference: {}", finding.first_difference);
    let _ = writeln!(md, "- seen: {count} time(s)");
    if let Some((seed, index)) = case.origin {
        let _ = writeln!(md, "- origin: campaign seed {seed}, case {index}");
    }
    let schedule = &case.schedule;
    let _ = writeln!(
        md,
        "- schedule: invocation {} ({}), kinds {:?}, k = {}, chain {:?} at {:?}",
        schedule.invocation,
        case.invocations
            .get(schedule.invocation)
            .map_or("-", |i| i.export.as_str()),
        schedule.kinds,
        schedule.k,
        schedule.chain,
        schedule.chain_stops
    );
    let _ = writeln!(md, "- case engines: {}", case.engines.join(","));
    let _ = writeln!(md, "- module: {} bytes", case.module.len());
    if let Some(dir) = location {
        let _ = writeln!(
            md,
            "\nReproduce: `cargo run --release -p baton -- reproduce {}`",
            dir.display()
        );
        let _ = writeln!(
            md,
            "Shrink: `cargo run --release -p baton -- shrink {}`",
            dir.display()
        );
    }
    let _ = writeln!(md, "\n## Invocations\n");
    for (i, invocation) in case.invocations.iter().enumerate() {
        let args: Vec<String> = invocation.args.iter().map(ToString::to_string).collect();
        let _ = writeln!(md, "{i}. `{}({})`", invocation.export, args.join(", "));
    }
    for evidence in &finding.evidence {
        let _ = writeln!(
            md,
            "\n## {}\n\n```diff\n{}```",
            evidence.title, evidence.text
        );
    }
    if !finding.images.is_empty() {
        let _ = writeln!(md, "\n## Images\n");
        for (label, image) in &finding.images {
            let file = file_label(label);
            let _ = writeln!(
                md,
                "- {label}: `{file}.img` (binary), `{file}.txt` (text view)"
            );
            let text = to_text(image);
            if text.lines().count() <= 80 {
                let _ = writeln!(md, "\n```\n{text}```");
            }
        }
    }
    md
}

fn file_label(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the finding under `out` atomically; returns its directory.
pub fn write(out: &Path, case: &Case, finding: &Finding, count: u64) -> std::io::Result<PathBuf> {
    write_named(out, &finding.dir_name(), case, finding, count)
}

/// Writes the finding as `out/<name>` atomically; returns its directory.
pub fn write_named(
    out: &Path,
    name: &str,
    case: &Case,
    finding: &Finding,
    count: u64,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let final_dir = out.join(name);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = out.join(format!(".tmp-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&temp)?;
    std::fs::write(temp.join("case.json"), case.to_json())?;
    std::fs::write(temp.join("module.wasm"), &case.module)?;
    let wat = wasmprinter::print_bytes(&case.module)
        .unwrap_or_else(|error| format!(";; wasmprinter failed: {error}\n"));
    std::fs::write(temp.join("module.wat"), wat)?;
    for (label, image) in &finding.images {
        let label = file_label(label);
        std::fs::write(temp.join(format!("{label}.img")), encode(image))?;
        std::fs::write(temp.join(format!("{label}.txt")), to_text(image))?;
    }
    std::fs::write(
        temp.join("report.md"),
        render(case, finding, count, Some(&final_dir)),
    )?;
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir)?;
    }
    std::fs::rename(&temp, &final_dir)?;
    Ok(final_dir)
}
