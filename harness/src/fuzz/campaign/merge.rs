//! `baton merge DIR... --into DIR`: the union of campaigns of one seed (normally the shards of
//! one campaign): their journals are joined, each distinct finding is copied once (from the
//! shard whose case index showed it first), counts are summed and the summary is folded again
//! from the joined journal.
//!
//! Invariants: the inputs must share seed, engines, budget and seed corpus, and no case index
//! may be journaled by two inputs (overlapping shards are an error, not double counting); the
//! merged folder is a campaign folder like any other (when every shard of `N` is merged, its
//! manifest is the whole space's, so `--resume` can fill what the shards left undone); every
//! file appears atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::journal::{self, Entry, Verdict};
use super::output::{self, CampaignError, Manifest};
use super::space::Shard;
use super::{read_summary, write_summary, Summary};

/// Merges the campaign folders `inputs` into `into`; returns the merged summary.
pub fn merge(inputs: &[PathBuf], into: &Path) -> Result<Summary, CampaignError> {
    let Some(first) = inputs.first() else {
        return Err(CampaignError::mismatch(into, "nothing to merge"));
    };
    let base = output::read_manifest(first)?;
    let mut shards = BTreeSet::new();
    let mut entries: BTreeMap<u64, (Entry, &Path)> = BTreeMap::new();
    let mut jobs = 0usize;
    let mut seconds = 0.0f64;
    let mut complete = true;
    for input in inputs {
        if same_folder(input, into) {
            return Err(CampaignError::mismatch(
                into,
                "--into must not be one of the inputs",
            ));
        }
        let manifest = output::read_manifest(input)?;
        check_compatible(&base, &manifest, input)?;
        if !shards.insert(manifest.shard.index) {
            return Err(CampaignError::mismatch(
                input,
                format!("shard {} is given twice", manifest.shard),
            ));
        }
        jobs += manifest.jobs;
        match read_summary(input) {
            Ok(summary) => {
                seconds = seconds.max(summary.seconds);
                complete &= summary.complete;
            }
            Err(_) => complete = false,
        }
        for entry in journal::read(input, false)? {
            if let Verdict::Finding { dir, .. } = &entry.verdict {
                let path = input.join(dir);
                if !path.join("case.json").is_file() {
                    return Err(CampaignError::mismatch(
                        &path,
                        "journaled finding is missing",
                    ));
                }
            }
            seconds = seconds.max(entry.seconds);
            if let Some((_, other)) = entries.get(&entry.index) {
                return Err(CampaignError::mismatch(
                    input,
                    format!(
                        "case {} is also journaled by {} (overlapping shards)",
                        entry.index,
                        other.display()
                    ),
                ));
            }
            entries.insert(entry.index, (entry, input.as_path()));
        }
    }
    output::prepare(into)?;
    // Each finding from the input whose case showed it first (entries are in index order).
    let mut copied = BTreeSet::new();
    for (entry, input) in entries.values() {
        if let Verdict::Finding { dir, .. } = &entry.verdict {
            if copied.insert(dir.clone()) {
                copy_finding(&input.join(dir), &into.join(dir))?;
            }
        }
    }
    let ordered: Vec<&Entry> = entries.values().map(|(entry, _)| entry).collect();
    let mut text = String::new();
    for entry in &ordered {
        let line = serde_json::to_string(entry)
            .map_err(|e| CampaignError::io("encoding", into, e.into()))?;
        text.push_str(&line);
        text.push('\n');
    }
    output::write_atomic(&into.join(journal::JOURNAL), text.as_bytes())?;
    let all_shards = shards.len() as u64 == base.shard.count;
    let shard = if all_shards { Shard::WHOLE } else { base.shard };
    output::write_manifest(
        into,
        &Manifest {
            shard,
            jobs,
            ..base.clone()
        },
    )?;
    let mut summary = Summary::from_entries(ordered.iter().copied());
    summary.seed = base.seed;
    summary.engines = base.engines.clone();
    summary.jobs = jobs;
    summary.seconds = seconds;
    summary.shard = if all_shards {
        Shard::WHOLE.to_string()
    } else {
        format!("{} of {} shards", shards.len(), base.shard.count)
    };
    summary.complete = complete && all_shards;
    summary.cases_per_second = summary.cases as f64 / seconds.max(1e-9);
    summary.conversions_per_second_per_core =
        summary.conversions as f64 / seconds.max(1e-9) / jobs.max(1) as f64;
    for (dir, count) in &summary.unique_findings {
        output::set_seen_count(&into.join(dir), *count)?;
    }
    write_summary(into, &summary)?;
    Ok(summary)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn check_compatible(base: &Manifest, other: &Manifest, path: &Path) -> Result<(), CampaignError> {
    let differs = if other.seed != base.seed {
        Some(format!("seed {} (first input: {})", other.seed, base.seed))
    } else if other.engines != base.engines {
        Some(format!(
            "engines {:?} (first input: {:?})",
            other.engines, base.engines
        ))
    } else if other.budget != base.budget {
        Some(format!(
            "budget {:?} (first input: {:?})",
            other.budget, base.budget
        ))
    } else if other.seed_cases != base.seed_cases {
        Some(format!(
            "{} seed-corpus cases (first input: {})",
            other.seed_cases, base.seed_cases
        ))
    } else if other.shard.count != base.shard.count {
        Some(format!(
            "shard {} (first input: {})",
            other.shard, base.shard
        ))
    } else {
        None
    };
    match differs {
        Some(message) => Err(CampaignError::mismatch(
            &path.join(output::MANIFEST),
            format!("not a shard of the same campaign: {message}"),
        )),
        None => Ok(()),
    }
}

/// Copies the finding folder `from` to `to` (replacing it) through a temporary folder.
fn copy_finding(from: &Path, to: &Path) -> Result<(), CampaignError> {
    let parent = to.parent().unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let temp = parent.join(format!(".tmp-merge-{name}-{}", std::process::id()));
    copy_tree(from, &temp)?;
    if to.exists() {
        let old = parent.join(format!(".old-{name}-{}", std::process::id()));
        std::fs::rename(to, &old)
            .map_err(|source| CampaignError::io("moving aside", to, source))?;
        std::fs::remove_dir_all(&old)
            .map_err(|source| CampaignError::io("removing", &old, source))?;
    }
    std::fs::rename(&temp, to)
        .map_err(|source| CampaignError::io("renaming into place", to, source))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), CampaignError> {
    std::fs::create_dir_all(to).map_err(|source| CampaignError::io("creating", to, source))?;
    let listing =
        std::fs::read_dir(from).map_err(|source| CampaignError::io("listing", from, source))?;
    for item in listing {
        let item = item.map_err(|source| CampaignError::io("listing", from, source))?;
        let (source_path, target) = (item.path(), to.join(item.file_name()));
        if source_path.is_dir() {
            copy_tree(&source_path, &target)?;
        } else {
            std::fs::copy(&source_path, &target)
                .map_err(|source| CampaignError::io("copying", &source_path, source))?;
        }
    }
    Ok(())
}
