//! The campaign journal, `<out>/journal.jsonl`: one JSON line per completed case (its global
//! index, campaign time, verdict, counters and, for a finding, the finding's head and
//! directory). It is the campaign's ground truth: `summary.json` is a fold of it, `--resume`
//! skips the indices it holds, and `baton merge` unions the journals of shards.
//!
//! Invariants:
//! - a line is appended with one `write` on a file opened for appending, after the finding's
//!   directory (if any) is complete on disk; so every finding a journal names is on disk, and a
//!   process killed mid-write leaves at most one torn last line, which [`read`] drops (and
//!   truncates away before appending resumes);
//! - any other unreadable line is an error naming the file and line, never skipped silently.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CampaignError;
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::oracles::shape::CaseShape;

/// The journal's file name inside a campaign's output folder.
pub const JOURNAL: &str = "journal.jsonl";

/// What a finding is, without its evidence: enough to deduplicate, count and list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingHead {
    /// The property.
    pub class: Class,
    /// The engines involved.
    pub engines: Vec<String>,
    /// One line: what failed.
    pub summary: String,
    /// The first difference.
    pub first_difference: String,
    /// Where it differed (dedup key part).
    pub place: String,
}

impl FindingHead {
    /// The head of `finding`.
    pub fn of(finding: &Finding) -> FindingHead {
        FindingHead {
            class: finding.class,
            engines: finding.engines.clone(),
            summary: finding.summary.clone(),
            first_difference: finding.first_difference.clone(),
            place: finding.place.clone(),
        }
    }

    /// A finding with this head and no evidence.
    pub fn to_finding(&self) -> Finding {
        Finding {
            class: self.class,
            engines: self.engines.clone(),
            summary: self.summary.clone(),
            first_difference: self.first_difference.clone(),
            place: self.place.clone(),
            evidence: Vec::new(),
            images: Vec::new(),
        }
    }
}

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every property held.
    Pass,
    /// The case could not be checked.
    Skipped {
        /// Why (at most 60 characters).
        reason: String,
    },
    /// wasm-smith made no valid module from the case's seed.
    GenerationFailure,
    /// A property failed.
    Finding {
        /// The finding's directory name (`<class>-<hash>`), also its identity.
        dir: String,
        /// The finding.
        head: FindingHead,
    },
}

/// One completed case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Global case index.
    pub index: u64,
    /// Campaign time (seconds, summed over resumed runs) when it completed.
    pub seconds: f64,
    /// How it ended.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Images taken.
    pub checkpoints: u64,
    /// Restores verified.
    pub conversions: u64,
    /// Chains verified.
    pub chains: u64,
    /// Whether the schedule's event was reached.
    pub reached: bool,
    /// Engines skipped for lacking an operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    /// What a generated case reached, for the distribution (`None` for seed-corpus cases and
    /// generation failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<CaseShape>,
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens `<out>/journal.jsonl` for appending; `fresh` empties it first.
    pub fn open(out: &Path, fresh: bool) -> Result<Journal, CampaignError> {
        let path = out.join(JOURNAL);
        let mut options = OpenOptions::new();
        if fresh {
            options.write(true).create(true).truncate(true);
        } else {
            options.append(true).create(true);
        }
        let file = options
            .open(&path)
            .map_err(|source| CampaignError::io("opening the journal", &path, source))?;
        // A fresh file is opened for writing, not appending: reopen it so every line goes to
        // the end even if another handle wrote in between.
        let file = if fresh {
            drop(file);
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|source| CampaignError::io("opening the journal", &path, source))?
        } else {
            file
        };
        Ok(Journal { file, path })
    }

    /// Checks that the open journal is still the file at its path (the output folder was not
    /// deleted or replaced under the campaign, which would make every later line vanish).
    pub fn check_in_place(&self) -> Result<(), CampaignError> {
        let gone = |e: std::io::Error| CampaignError::io("checking the journal", &self.path, e);
        let open = self.file.metadata().map_err(gone)?;
        let here = std::fs::metadata(&self.path).map_err(gone)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if (open.dev(), open.ino()) != (here.dev(), here.ino()) {
                return Err(CampaignError::mismatch(
                    &self.path,
                    "the journal was replaced while the campaign ran",
                ));
            }
        }
        let _ = (open, here);
        Ok(())
    }

    /// Appends one entry as one write.
    pub fn append(&mut self, entry: &Entry) -> Result<(), CampaignError> {
        let mut line = serde_json::to_string(entry)
            .map_err(|e| CampaignError::io("encoding a journal line", &self.path, e.into()))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|source| CampaignError::io("appending to the journal", &self.path, source))
    }
}

/// Reads `<out>/journal.jsonl` (empty when absent). A torn last line (no newline, or not
/// JSON) is dropped and, when `repair` is set, truncated away.
pub fn read(out: &Path, repair: bool) -> Result<Vec<Entry>, CampaignError> {
    let path = out.join(JOURNAL);
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CampaignError::io("reading the journal", &path, source)),
    };
    let mut entries = Vec::new();
    let mut good = 0usize;
    let mut start = 0usize;
    let mut number = 0usize;
    while start < text.len() {
        number += 1;
        let end = text[start..].iter().position(|&b| b == b'\n');
        let (line, next) = match end {
            Some(offset) => (&text[start..start + offset], start + offset + 1),
            None => (&text[start..], text.len()),
        };
        // A line without its newline is torn by a kill mid-write.
        if end.is_none() {
            break;
        }
        if !line.is_empty() {
            match serde_json::from_slice::<Entry>(line) {
                Ok(entry) => entries.push(entry),
                // A last line that does not parse is torn too.
                Err(_) if next >= text.len() => break,
                Err(error) => {
                    return Err(CampaignError::Journal {
                        path,
                        line: number,
                        message: error.to_string(),
                    })
                }
            }
        }
        good = next;
        start = next;
    }
    if repair && good < text.len() {
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|source| CampaignError::io("repairing the journal", &path, source))?;
        file.set_len(good as u64)
            .map_err(|source| CampaignError::io("repairing the journal", &path, source))?;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64) -> Entry {
        Entry {
            index,
            seconds: 0.5,
            verdict: Verdict::Pass,
            checkpoints: 1,
            conversions: 2,
            chains: 0,
            reached: true,
            unsupported: Vec::new(),
            shape: None,
        }
    }

    #[test]
    fn torn_last_lines_are_dropped_and_repaired_but_torn_middles_are_errors() {
        let out = std::env::temp_dir().join(format!("baton-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("scratch");
        let mut journal = Journal::open(&out, true).expect("journal opens");
        journal.append(&entry(0)).expect("append");
        journal.append(&entry(1)).expect("append");
        drop(journal);
        let path = out.join(JOURNAL);
        let mut text = std::fs::read_to_string(&path).expect("read");
        let whole = text.clone();
        text.push_str("{\"index\": 2, \"seco");
        std::fs::write(&path, &text).expect("write");
        let entries = read(&out, true).expect("a torn tail is not an error");
        assert_eq!(entries, vec![entry(0), entry(1)]);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), whole);
        std::fs::write(&path, format!("garbage\n{whole}")).expect("write");
        let error = read(&out, false).expect_err("a torn middle line is an error");
        assert!(error.to_string().contains("line 1"), "{error}");
        let _ = std::fs::remove_dir_all(&out);
    }
}
