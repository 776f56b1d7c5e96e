//! Check 3, `campaign`: a seeded differential campaign of a fixed number of cases through every
//! property (semantics against the oracle, checkpoint equivalence, codec, restore over every
//! ordered pair, chains), with the engine and the references as the campaign's engines.
//!
//! The engine takes every position: the restore property tries every ordered pair of
//! checkpointing engines (the engine as source and as target, self included), and generated
//! case `i` puts the engine at position `i mod 3` of its three-engine chain, the other positions
//! taken by the references in turn (the seed corpus's chains keep their own order).
//!
//! The sharper properties of issue 14 run explicitly (the campaign's [`Limits`] name
//! [`Checks::ALL`], whatever the fuzzer's defaults become) and are listed with what they
//! exercised: event numbering after a restore (the restored run completes with fuel `N` and runs
//! out with `N - 1`), restore fidelity (the image right after a restore equals the one
//! restored), function references compared by identity, and NaN bits compared exactly. Skipped
//! cases are counted per reason (e.g. a call stack exhausted on one side only).
//!
//! Invariants: cases run one after another on this thread (generated case `i` comes from
//! `case_seed(seed, i)` alone), so the counts are the same on every run; a panicking engine is a
//! `panic` finding; each distinct finding is written under `<out>/findings/` in the campaign's
//! format, replayable with `baton reproduce`; `oracle` findings (primary oracle alone
//! disagreeing) are counted but do not fail, as in `baton fuzz`.

use std::collections::BTreeMap;
use std::path::Path;

use super::certificate::CheckResult;
use super::Context;
use crate::fuzz::campaign::{check_generated_guarded, check_guarded};
use crate::fuzz::case::Case;
use crate::fuzz::corpus::seed_cases;
use crate::fuzz::corpus::{corpus_dir, files};
use crate::fuzz::engines::{self, EngineSpec, ORACLE};
use crate::fuzz::exec::{Checks, Limits};
use crate::fuzz::finding::{Class, Finding};
use crate::fuzz::generator::generate;
use crate::fuzz::oracles::{CaseResult, Verdict};
use crate::fuzz::report;
use crate::fuzz::rng::case_seed;

/// The check's id.
pub const ID: &str = "campaign";
/// The check's one-line description.
pub const TITLE: &str = "seeded differential campaign through every property, the engine in every position of the restore matrix and of chains";

/// The campaign's engines: the engine, the references, then the primary oracle (when
/// registered and not already there).
pub fn campaign_engines(ctx: &Context<'_>) -> Vec<EngineSpec> {
    let mut list = vec![ctx.subject.engine.clone()];
    list.extend(ctx.references.iter().cloned());
    if !list.iter().any(|e| e.name == ORACLE) {
        if let Ok(oracle) = engines::resolve(ORACLE) {
            list.push(oracle);
        }
    }
    list
}

/// The chain of generated case `index`: the engine at position `index mod 3`, the other
/// positions filled by the checkpointing references in turn (the engine itself without any).
pub fn chain_for(index: u64, subject: &str, references: &[String]) -> Vec<String> {
    let position = (index % 3) as usize;
    let mut next = (index / 3) as usize;
    (0..3)
        .map(|slot| {
            if slot == position || references.is_empty() {
                subject.to_string()
            } else {
                let name = references[next % references.len()].clone();
                next += 1;
                name
            }
        })
        .collect()
}

/// Counters and distinct findings of the run.
#[derive(Default)]
struct Tally {
    cases: u64,
    corpus_cases: u64,
    passed: u64,
    skipped: u64,
    generation_failures: u64,
    checkpoints: u64,
    conversions: u64,
    chains: u64,
    chains_by_position: [u64; 3],
    skipped_because: BTreeMap<String, u64>,
    fuel_probes: u64,
    non_null_refs: u64,
    nan_exact: u64,
    findings: BTreeMap<&'static str, u64>,
    /// Distinct findings by directory name: (case, finding, count), in discovery order.
    distinct: Vec<(Case, Finding, u64)>,
}

impl Tally {
    fn record(&mut self, case: Case, result: CaseResult, subject: &str) {
        self.cases += 1;
        self.checkpoints += result.stats.checkpoints;
        self.conversions += result.stats.conversions;
        self.chains += result.stats.chains;
        self.fuel_probes += result.stats.fuel_probes;
        let shape = &result.stats.shape;
        self.non_null_refs += u64::from(shape.checkpoint.is_some_and(|c| c.non_null_ref));
        self.nan_exact += u64::from(shape.nan_exact);
        if result.stats.chains > 0 {
            if let Some(position) = case.schedule.chain.iter().position(|e| e == subject) {
                self.chains_by_position[position] += 1;
            }
        }
        match result.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Skipped(reason) => {
                self.skipped += 1;
                *self.skipped_because.entry(reason).or_default() += 1;
            }
            Verdict::Finding(finding) => {
                *self.findings.entry(finding.class.name()).or_default() += 1;
                let name = finding.dir_name();
                match self
                    .distinct
                    .iter_mut()
                    .find(|(_, f, _)| f.dir_name() == name)
                {
                    Some(known) => known.2 += 1,
                    None => self.distinct.push((case, *finding, 1)),
                }
            }
        }
    }
}

/// The seed corpus's cases (`corpus/seeds/*.wat`) for `engines`, in file order.
fn corpus_cases(engines: &[EngineSpec], stops: u64) -> Vec<Case> {
    files(&corpus_dir().join("seeds"), "wat")
        .iter()
        .filter_map(|path| wat::parse_file(path).ok())
        .filter_map(|wasm| seed_cases(&wasm, engines, stops).ok())
        .flatten()
        .collect()
}

/// The campaign's limits: the fuzzer's, with every sharper check of issue 14 on.
pub fn limits() -> Limits {
    Limits {
        checks: Checks::ALL,
        ..Limits::default()
    }
}

/// Runs the check; findings go to `<out>/findings/`.
pub fn run(ctx: &Context<'_>) -> CheckResult {
    let mut check = CheckResult::new(ID, TITLE, true);
    let engines = campaign_engines(ctx);
    let limits = limits();
    let subject = ctx.subject.engine.name.clone();
    let names: Vec<String> = engines.iter().map(|e| e.name.clone()).collect();
    let checkpointers: Vec<String> = engines
        .iter()
        .filter(|e| e.checkpoints)
        .map(|e| e.name.clone())
        .collect();
    let references: Vec<String> = checkpointers
        .iter()
        .filter(|name| **name != subject)
        .cloned()
        .collect();
    let mut tally = Tally::default();
    for case in corpus_cases(&engines, ctx.battery.corpus_stops) {
        let (case, result) = check_guarded(&case, &engines, &limits);
        tally.corpus_cases += 1;
        tally.record(case, result, &subject);
    }
    let seed = ctx.battery.campaign_seed;
    for index in 0..ctx.battery.campaign_cases {
        let generated = generate(
            case_seed(seed, index),
            Some((seed, index)),
            &names,
            &checkpointers,
        );
        let Ok(mut generated) = generated else {
            tally.generation_failures += 1;
            continue;
        };
        let schedule = &mut generated.case.schedule;
        schedule.chain = chain_for(index, &subject, &references);
        schedule.chain_stops = vec![0; 2];
        let (case, result) = check_generated_guarded(&generated, &engines, &limits);
        tally.record(case, result, &subject);
    }
    report_tally(&mut check, &tally, &limits.checks, ctx.out);
    check
}

/// The sharper properties (issue 14) as the certificate lists them: whether each ran, and what
/// it exercised.
fn sharper_counts(tally: &Tally, checks: &Checks) -> [(&'static str, bool, u64); 4] {
    [
        (
            "event numbering after restore (fuel N completes, N - 1 runs out): restored runs probed",
            checks.event_numbering,
            tally.fuel_probes,
        ),
        (
            "restore fidelity (image right after restore = image restored): restores compared",
            checks.fidelity,
            tally.conversions,
        ),
        (
            "function references by identity: checkpoints holding a non-null reference",
            checks.func_identity,
            tally.non_null_refs,
        ),
        (
            "NaN bits compared exactly: NaN-exact cases",
            checks.nan_bits,
            tally.nan_exact,
        ),
    ]
}

/// Fills the check's counts, writes each failing distinct finding, lists it and how to replay.
fn report_tally(check: &mut CheckResult, tally: &Tally, checks: &Checks, out: &Path) {
    for (name, value) in [
        ("cases", tally.cases),
        ("seed-corpus cases", tally.corpus_cases),
        ("passed", tally.passed),
        ("skipped", tally.skipped),
        ("generation failures", tally.generation_failures),
        ("images taken", tally.checkpoints),
        ("conversions verified", tally.conversions),
        ("three-engine chains", tally.chains),
        ("chains with the engine first", tally.chains_by_position[0]),
        ("chains with the engine second", tally.chains_by_position[1]),
        ("chains with the engine third", tally.chains_by_position[2]),
    ] {
        check.count(name, value);
    }
    for (reason, value) in &tally.skipped_because {
        check.count(&format!("skipped: {reason}"), *value);
    }
    for (name, on, value) in sharper_counts(tally, checks) {
        check.count(&format!("property on: {name}"), if on { value } else { 0 });
        if !on {
            check.fail(format!("sharper property off: {name}"));
        }
    }
    for class in Class::ALL {
        let found = tally.findings.get(class.name()).copied().unwrap_or(0);
        check.count(&format!("findings: {}", class.name()), found);
    }
    let findings_dir = out.join("findings");
    for (case, finding, count) in &tally.distinct {
        if !finding.class.fails(false) {
            continue;
        }
        let written = report::write(&findings_dir, case, finding, *count);
        let place = match &written {
            Ok(_) => format!("findings/{}", finding.dir_name()),
            Err(error) => format!("finding not written: {error}"),
        };
        check.fail(format!(
            "[{}] x{count}: {} — {} ({place})",
            finding.class.name(),
            finding.summary,
            finding.first_difference.lines().next().unwrap_or("")
        ));
        if let Ok(dir) = written {
            check.reproduce_with(format!("baton reproduce {}", dir.display()));
        }
    }
}
