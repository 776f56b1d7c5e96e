//! One campaign run: setting up (fresh or resumed) from the output folder, the workers, the
//! per-case bookkeeping (finding directory, journal line, summary, in that order) and the
//! closing summary.
//!
//! Invariants: see the module docs of [`super`]; in particular the state lock is held from a
//! case's finding write to its journal line, so the journal order is the counting order, and a
//! case whose finding or journal line cannot be written is neither journaled nor counted.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::journal::{self, Entry, FindingHead, Journal, Verdict as Journaled};
use super::output::{self, CampaignError, Manifest, MANIFEST_VERSION};
use super::space::{slot, Plan, Slot};
use super::{guard, watchdog, Budget, Options, Outcome, Summary, Unique};
use crate::fuzz::case::Case;
use crate::fuzz::engines::names_and_checkpointers;
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::generator::{generate, materialize};
use crate::fuzz::oracles::{CaseResult, Verdict};
use crate::fuzz::report;
use crate::fuzz::rng::case_seed;

/// What the workers and the watchdog share, behind the lock.
#[derive(Default)]
pub(super) struct State {
    pub(super) summary: Summary,
    pub(super) findings: Vec<Unique>,
    by_dir: HashMap<String, usize>,
    /// Cases being checked: global index -> start.
    pub(super) running: HashMap<u64, Instant>,
    /// Running cases already journaled as hung.
    pub(super) hung: BTreeSet<u64>,
    journal: Option<Journal>,
    /// The first write error; it stops the campaign.
    error: Option<CampaignError>,
}

/// A running campaign.
pub(super) struct Run<'a> {
    pub(super) options: &'a Options,
    pub(super) state: Mutex<State>,
    plan: Plan,
    next: AtomicU64,
    pub(super) started: Instant,
    /// Campaign seconds spent before this run (resumed campaigns).
    before: f64,
    pub(super) names: Vec<String>,
    checkpointers: Vec<String>,
    pub(super) stop: Arc<AtomicBool>,
    bar: ProgressBar,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn progress_message(summary: &Summary, elapsed: f64) -> String {
    let classes: Vec<String> = Class::ALL
        .iter()
        .map(|c| {
            let n = summary.findings.get(c.name()).copied().unwrap_or(0);
            format!("{} {n}", c.name())
        })
        .collect();
    format!(
        "{} cases ({:.0}/s), {} images converted, findings: {}",
        summary.cases,
        summary.cases as f64 / elapsed.max(1e-9),
        summary.conversions,
        classes.join(" ")
    )
}

/// What checking one index gave (`None`: generation failed).
type Ran = Option<(Case, CaseResult)>;

impl<'a> Run<'a> {
    /// Prepares the output folder and, when resuming, rebuilds the state from the journal.
    pub(super) fn start(options: &'a Options) -> Result<Run<'a>, CampaignError> {
        let (names, checkpointers) = names_and_checkpointers(&options.engines);
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            seed: options.seed,
            engines: names.clone(),
            budget: options.budget,
            shard: options.shard,
            seed_cases: options.seeds.len() as u64,
            jobs: options.jobs.max(1),
        };
        let mut state = State::default();
        let mut done = BTreeSet::new();
        let mut before = 0.0f64;
        if let Some(out) = options.out.as_deref() {
            output::prepare(out)?;
            if options.resume {
                check_resumable(out, &manifest)?;
                let entries = journal::read(out, true)?;
                for entry in &entries {
                    if !options.shard.contains(entry.index) || !done.insert(entry.index) {
                        return Err(CampaignError::mismatch(
                            &out.join(journal::JOURNAL),
                            format!(
                                "case {} is journaled twice or is outside shard {}",
                                entry.index, options.shard
                            ),
                        ));
                    }
                    before = before.max(entry.seconds);
                    restore_entry(&mut state, out, entry)?;
                }
            }
            if !options.resume {
                keep_unfinished(out)?;
            }
            output::write_manifest(out, &manifest)?;
            state.journal = Some(Journal::open(out, !options.resume)?);
        } else if options.resume {
            return Err(CampaignError::mismatch(
                Path::new("-"),
                "resuming needs the campaign's output folder",
            ));
        }
        let bar = if options.progress {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Ok(Run {
            options,
            state: Mutex::new(state),
            plan: Plan::new(options.shard, &done),
            next: AtomicU64::new(0),
            started: Instant::now(),
            before,
            names,
            checkpointers,
            stop: options.stop.clone().unwrap_or_default(),
            bar,
        })
    }

    /// Campaign seconds so far (resumed runs included).
    pub(super) fn now(&self) -> f64 {
        self.before + self.started.elapsed().as_secs_f64()
    }

    fn time_over(&self) -> bool {
        matches!(self.options.budget, Budget::Time(limit) if self.now() >= limit.as_secs_f64())
    }

    /// The next global index to check, or `None` when the budget is over or the campaign
    /// stops.
    fn take(&self) -> Option<u64> {
        if self.stop.load(Ordering::Relaxed) || self.time_over() {
            return None;
        }
        let global = self.plan.at(self.next.fetch_add(1, Ordering::Relaxed));
        match self.options.budget {
            Budget::Cases(n) if global >= n => None,
            _ => Some(global),
        }
    }

    /// Whether no further case will be taken.
    pub(super) fn exhausted(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.time_over()
            || matches!(self.options.budget,
                Budget::Cases(n) if self.plan.at(self.next.load(Ordering::Relaxed)) >= n)
    }

    /// The case at global index `global` as far as it can be rebuilt without running it (the
    /// schedule of a generated case is not materialized); `None` if generation fails.
    pub(super) fn case_at(&self, global: u64) -> Option<Case> {
        match slot(global, self.options.seeds.len() as u64) {
            Slot::Seed(j) => self.options.seeds.get(j).cloned(),
            Slot::Generated(n) => generate(
                case_seed(self.options.seed, n),
                Some((self.options.seed, n)),
                &self.names,
                &self.checkpointers,
            )
            .ok()
            .map(|g| materialize(&g, &[])),
        }
    }

    fn check_index(&self, global: u64) -> Ran {
        let options = self.options;
        match slot(global, options.seeds.len() as u64) {
            Slot::Seed(j) => match options.seeds.get(j) {
                Some(case) => {
                    let (case, result) =
                        guard::check_guarded(case, &options.engines, &options.limits);
                    Some((case, result))
                }
                None => None,
            },
            Slot::Generated(n) => {
                let generated = catch_unwind(AssertUnwindSafe(|| {
                    let origin = Some((options.seed, n));
                    let seed = case_seed(options.seed, n);
                    generate(seed, origin, &self.names, &self.checkpointers)
                }));
                let Ok(Ok(generated)) = generated else {
                    return None;
                };
                let (case, result) =
                    guard::check_generated_guarded(&generated, &options.engines, &options.limits);
                Some((case, result))
            }
        }
    }

    /// Records a write error (the first one wins) and stops the campaign.
    fn fail(&self, state: &mut State, error: CampaignError) {
        if state.error.is_none() {
            state.error = Some(error);
        }
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Writes a finding on first sight; returns its index in `state.findings`.
    fn write_finding(
        &self,
        state: &mut State,
        case: Case,
        finding: Finding,
        index: u64,
    ) -> Result<usize, CampaignError> {
        let name = finding.dir_name();
        if let Some(&i) = state.by_dir.get(&name) {
            return Ok(i);
        }
        let dir = match self.options.out.as_deref() {
            Some(out) => Some(report::write(out, &case, &finding, 1).map_err(|source| {
                CampaignError::io("writing the finding", &out.join(&name), source)
            })?),
            None => None,
        };
        state.by_dir.insert(name, state.findings.len());
        state.findings.push(Unique {
            case,
            finding,
            count: 0,
            dir,
            first_index: index,
        });
        Ok(state.findings.len() - 1)
    }

    /// Books one finished case: finding directory, journal line, summary, in that order.
    pub(super) fn complete(&self, state: &mut State, index: u64, case: Case, result: CaseResult) {
        let stats = result.stats;
        let mut found = None;
        let verdict = match result.verdict {
            Verdict::Pass => Journaled::Pass,
            Verdict::Skipped(reason) => Journaled::Skipped {
                reason: reason.chars().take(60).collect(),
            },
            Verdict::Finding(finding) => {
                let head = FindingHead::of(&finding);
                let dir = finding.dir_name();
                match self.write_finding(state, case, *finding, index) {
                    Ok(i) => found = Some(i),
                    Err(error) => return self.fail(state, error),
                }
                Journaled::Finding { dir, head }
            }
        };
        self.journal(
            state,
            Entry {
                index,
                seconds: self.now(),
                verdict,
                checkpoints: stats.checkpoints,
                conversions: stats.conversions,
                chains: stats.chains,
                reached: stats.reached,
                unsupported: stats.unsupported,
                // The distribution is the generator's: seed-corpus cases are left out.
                shape: matches!(
                    slot(index, self.options.seeds.len() as u64),
                    Slot::Generated(_)
                )
                .then_some(stats.shape),
            },
            found,
        );
    }

    fn journal(&self, state: &mut State, entry: Entry, found: Option<usize>) {
        if let Some(journal) = state.journal.as_mut() {
            if let Err(error) = journal.append(&entry) {
                return self.fail(state, error);
            }
        }
        state.summary.apply(&entry);
        if let Some(i) = found {
            let unique = &mut state.findings[i];
            unique.count += 1;
            if unique.count == 1 && self.options.progress {
                let place = unique
                    .dir
                    .as_ref()
                    .map_or_else(|| unique.finding.signature(), |d| d.display().to_string());
                let line = format!(
                    "finding [{}] {}: {}",
                    unique.finding.class.name(),
                    place,
                    unique.finding.summary
                );
                self.bar.suspend(|| println!("{line}"));
            }
        }
        self.bar.set_message(progress_message(
            &state.summary,
            self.started.elapsed().as_secs_f64(),
        ));
    }

    fn work(&self) {
        while let Some(index) = self.take() {
            lock(&self.state).running.insert(index, Instant::now());
            let ran = self.check_index(index);
            let mut state = lock(&self.state);
            state.running.remove(&index);
            if state.hung.remove(&index) {
                // Already journaled as a timeout by the watchdog.
                continue;
            }
            match ran {
                Some((case, result)) => self.complete(&mut state, index, case, result),
                None => {
                    let entry = Entry {
                        index,
                        seconds: self.now(),
                        verdict: Journaled::GenerationFailure,
                        checkpoints: 0,
                        conversions: 0,
                        chains: 0,
                        reached: false,
                        unsupported: Vec::new(),
                        shape: None,
                    };
                    self.journal(&mut state, entry, None);
                }
            }
        }
    }

    /// Runs the workers and the watchdog to the end of the budget, then closes the campaign.
    pub(super) fn go(self) -> Result<Outcome, CampaignError> {
        self.bar.enable_steady_tick(Duration::from_millis(200));
        let jobs = self.options.jobs.max(1);
        let done = AtomicBool::new(false);
        std::thread::scope(|threads| {
            threads.spawn(|| watchdog::watch(&self, &done));
            match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
                Ok(pool) => pool.scope(|scope| {
                    for _ in 0..jobs {
                        scope.spawn(|_| self.work());
                    }
                }),
                Err(_) => self.work(),
            }
            done.store(true, Ordering::Relaxed);
        });
        self.bar.finish_and_clear();
        let mut state = lock(&self.state);
        self.finalize(&mut state, true);
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        let state = std::mem::take(&mut *state);
        Ok(Outcome {
            summary: state.summary,
            findings: state.findings,
        })
    }

    /// Fills the closing numbers and writes `summary.json` (and, when `closing`, every
    /// finding's final count into its `report.md`).
    pub(super) fn finalize(&self, state: &mut State, closing: bool) {
        let seconds = self.now();
        let jobs = self.options.jobs.max(1);
        let stopped = self.stop.load(Ordering::Relaxed);
        let summary = &mut state.summary;
        summary.seed = self.options.seed;
        summary.shard = self.options.shard.to_string();
        summary.complete = closing && !stopped;
        summary.engines = self.names.clone();
        summary.jobs = jobs;
        summary.seconds = seconds;
        summary.cases_per_second = summary.cases as f64 / seconds.max(1e-9);
        summary.conversions_per_second_per_core =
            summary.conversions as f64 / seconds.max(1e-9) / jobs as f64;
        state.findings.sort_by_key(|u| u.first_index);
        state.by_dir = state
            .findings
            .iter()
            .enumerate()
            .map(|(i, u)| (u.finding.dir_name(), i))
            .collect();
        summary.unique_findings = state
            .findings
            .iter()
            .filter(|u| u.count > 0)
            .map(|u| (u.finding.dir_name(), u.count))
            .collect();
        let Some(out) = self.options.out.as_deref() else {
            return;
        };
        let mut errors = Vec::new();
        if let Some(Err(error)) = state.journal.as_ref().map(Journal::check_in_place) {
            errors.push(error);
        }
        if closing {
            for unique in state.findings.iter().filter(|u| u.count > 1) {
                if let Some(dir) = &unique.dir {
                    if let Err(error) = output::set_seen_count(dir, unique.count) {
                        errors.push(error);
                    }
                }
            }
        }
        if let Err(error) = super::write_summary(out, &state.summary) {
            errors.push(error);
        }
        for error in errors {
            self.fail(state, error);
        }
    }
}

/// Before a fresh campaign overwrites `out`'s journal: an unfinished campaign's journal
/// (summary missing or not `complete`) is kept as `journal.previous.jsonl`, with a warning
/// naming `--resume`.
fn keep_unfinished(out: &Path) -> Result<(), CampaignError> {
    let journal = out.join(journal::JOURNAL);
    let finished = super::read_summary(out).is_ok_and(|s| s.complete);
    let empty = std::fs::metadata(&journal).map_or(true, |m| m.len() == 0);
    if finished || empty {
        return Ok(());
    }
    let kept = out.join("journal.previous.jsonl");
    std::fs::rename(&journal, &kept)
        .map_err(|source| CampaignError::io("keeping the unfinished journal", &journal, source))?;
    eprintln!(
        "baton fuzz: {} held an unfinished campaign; its journal is kept as {} \
         (`baton fuzz --resume DIR` continues a campaign instead of starting afresh)",
        out.display(),
        kept.display()
    );
    Ok(())
}

/// Checks that the campaign journaled in `out` is the one `manifest` describes.
fn check_resumable(out: &Path, manifest: &Manifest) -> Result<(), CampaignError> {
    let previous = output::read_manifest(out)?;
    let path = out.join(output::MANIFEST);
    let same = previous.seed == manifest.seed
        && previous.engines == manifest.engines
        && previous.shard == manifest.shard
        && previous.budget == manifest.budget;
    if !same {
        return Err(CampaignError::mismatch(
            &path,
            "seed, engines, shard or budget differ from the campaign being resumed",
        ));
    }
    if previous.seed_cases != manifest.seed_cases {
        return Err(CampaignError::mismatch(
            &path,
            format!(
                "the seed corpus changed since the campaign started ({} seed cases then, {} now)",
                previous.seed_cases, manifest.seed_cases
            ),
        ));
    }
    Ok(())
}

/// Counts a journaled case into a resumed campaign's state.
fn restore_entry(state: &mut State, out: &Path, entry: &Entry) -> Result<(), CampaignError> {
    state.summary.apply(entry);
    let Journaled::Finding { dir, head } = &entry.verdict else {
        return Ok(());
    };
    let i = match state.by_dir.get(dir) {
        Some(&i) => i,
        None => {
            let path: PathBuf = out.join(dir);
            let case = Case::load(&path)
                .map_err(|e| CampaignError::mismatch(&path, format!("journaled finding: {e}")))?;
            state.by_dir.insert(dir.clone(), state.findings.len());
            state.findings.push(Unique {
                case,
                finding: head.to_finding(),
                count: 0,
                dir: Some(path),
                first_index: entry.index,
            });
            state.findings.len() - 1
        }
    };
    let unique = &mut state.findings[i];
    unique.count += 1;
    unique.first_index = unique.first_index.min(entry.index);
    Ok(())
}
