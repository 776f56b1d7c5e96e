//! A campaign's output folder: proving it writable before the first case, atomic file writes,
//! the campaign manifest (`campaign.json`: what `--resume` and `baton merge` need to know), and
//! updating a written finding's count.
//!
//! Invariants: every file this module writes appears whole or not at all (temporary file in
//! the same folder, then rename); every error names the path and what was being done.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::space::Shard;
use super::Budget;

/// The manifest's file name.
pub const MANIFEST: &str = "campaign.json";

/// The manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// Why a campaign (or a merge) could not run or could not keep its results.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// A file or folder could not be created, written or read.
    #[error("{what} {path}: {error}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error (in the message, not a separate cause).
        error: std::io::Error,
    },
    /// A journal line is unreadable (and not the torn last one).
    #[error("{path}: line {line}: not a journal entry: {message}")]
    Journal {
        /// The journal.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The parse error.
        message: String,
    },
    /// A manifest, journal or folder does not fit the campaign (resume or merge of
    /// incompatible campaigns, a journal index outside the shard, ...).
    #[error("{path}: {message}")]
    Mismatch {
        /// The file or folder.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
}

impl CampaignError {
    /// An I/O error while doing `what` on `path`.
    pub fn io(what: &'static str, path: &Path, source: std::io::Error) -> CampaignError {
        CampaignError::Io {
            what,
            path: path.to_path_buf(),
            error: source,
        }
    }

    /// A mismatch at `path`.
    pub fn mismatch(path: &Path, message: impl Into<String>) -> CampaignError {
        CampaignError::Mismatch {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// What a campaign was started with: enough to resume it or merge it with its other shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The campaign seed.
    pub seed: u64,
    /// Engines, in order.
    pub engines: Vec<String>,
    /// The budget (over the whole space; a shard runs its part of it).
    pub budget: Budget,
    /// This campaign's shard.
    pub shard: Shard,
    /// Seed-corpus cases in the space.
    pub seed_cases: u64,
    /// Worker threads.
    pub jobs: usize,
}

/// Creates `out` and proves it writable (a probe file is written, renamed and removed), and
/// removes temporary leftovers of a killed campaign (`.tmp-*`, `.summary-*`, `.probe-*`).
pub fn prepare(out: &Path) -> Result<(), CampaignError> {
    std::fs::create_dir_all(out)
        .map_err(|source| CampaignError::io("creating the output folder", out, source))?;
    let probe = out.join(".probe-write");
    write_atomic(&probe, b"baton can write here\n")?;
    std::fs::remove_file(&probe)
        .map_err(|source| CampaignError::io("removing the write probe", &probe, source))?;
    let entries = std::fs::read_dir(out)
        .map_err(|source| CampaignError::io("listing the output folder", out, source))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if [".tmp-", ".summary-", ".probe-", ".old-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|source| {
                CampaignError::io("removing a leftover temporary", &path, source)
            })?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary sibling, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CampaignError> {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".tmp-{name}-{}", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|source| CampaignError::io("writing", &temp, source))?;
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        CampaignError::io("renaming into place", path, source)
    })
}

/// Writes `<out>/campaign.json`.
pub fn write_manifest(out: &Path, manifest: &Manifest) -> Result<(), CampaignError> {
    let path = out.join(MANIFEST);
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| CampaignError::io("encoding", &path, e.into()))?;
    write_atomic(&path, text.as_bytes())
}

/// Reads `<dir>/campaign.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, CampaignError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|source| {
        CampaignError::io(
            "reading the campaign manifest (is this a campaign folder?)",
            &path,
            source,
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| CampaignError::mismatch(&path, format!("not a campaign manifest: {e}")))?;
    if manifest.version != MANIFEST_VERSION {
        return Err(CampaignError::mismatch(
            &path,
            format!(
                "manifest version {} (this baton reads {MANIFEST_VERSION})",
                manifest.version
            ),
        ));
    }
    Ok(manifest)
}

/// Rewrites the `- seen: N time(s)` line of `<dir>/report.md` to `count`, atomically.
pub fn set_seen_count(dir: &Path, count: u64) -> Result<(), CampaignError> {
    let path = dir.join("report.md");
    let text = std::fs::read_to_string(&path)
        .map_err(|source| CampaignError::io("reading", &path, source))?;
    let updated: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("- seen: ") {
                format!("- seen: {count} time(s)")
            } else {
                line.to_string()
            }
        })
        .collect();
    let mut updated = updated.join("\n");
    if text.ends_with('\n') {
        updated.push('\n');
    }
    if updated == text {
        return Ok(());
    }
    write_atomic(&path, updated.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritable_folders_are_errors_naming_the_path() {
        let error = prepare(Path::new("/proc/baton-cannot-be-here")).expect_err("not creatable");
        assert!(
            error.to_string().contains("/proc/baton-cannot-be-here"),
            "{error}"
        );
        let file = std::env::temp_dir().join(format!("baton-not-a-dir-{}", std::process::id()));
        std::fs::write(&file, "x").expect("scratch file");
        let below = file.join("out");
        let error = prepare(&below).expect_err("a file is in the way");
        assert!(
            error.to_string().contains(&*below.to_string_lossy()),
            "{error}"
        );
        let _ = std::fs::remove_file(&file);
    }
}
