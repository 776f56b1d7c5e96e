//! The proof that the oracles can fail: for every kind of realistic image corruption, a short
//! campaign against a mutant of each checkpointing engine (`register`, `threaded`) must report
//! findings, in the expected
//! class, and the first one must reproduce, shrink (same class, no bigger) and reproduce again
//! after shrinking. Never skipped.

use std::path::PathBuf;

use baton::fuzz::campaign::{self, Budget, Options};
use baton::fuzz::case::Case;
use baton::fuzz::cli::seed_corpus;
use baton::fuzz::engines::resolve_all;
use baton::fuzz::exec::Limits;
use baton::fuzz::finding::Class;
use baton::fuzz::mutants::Corruption;
use baton::fuzz::reproduce::reproduce;
use baton::fuzz::shrink::{shrink, write_next_to};

/// The class each corruption must land in. Chain findings are the same bug seen at the chain's
/// stop points, so they are accepted alongside.
fn expected(corruption: Corruption) -> Class {
    match corruption {
        // Values that still type-check: only running the restored image shows them.
        Corruption::WrongOperand
        | Corruption::SwappedOperands
        | Corruption::StaleMemoryChunk
        | Corruption::DroppedFlagLost
        // Caught by the sharper checks of restored runs (event numbering, restore fidelity,
        // funcref identity, NaN bits).
        | Corruption::DoubleEvent
        | Corruption::LossyLocal
        | Corruption::SwappedFuncref
        | Corruption::NanPayload => Class::Restore,
        // Structure the validator checks against the module analysis.
        Corruption::LostLabel => Class::Codec,
        // The stop report contradicts the engine's own image (for a wrong image pc, the
        // stop-location check sees it before the validator does).
        Corruption::OffByOnePc | Corruption::MisplacedStop => Class::Checkpoint,
    }
}

fn out_dir(corruption: Corruption, base: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "baton-fuzz-mutants-{}-{base}-{}",
        corruption.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn every_corruption_is_caught_classified_and_shrunk() {
    catches_every_corruption_of("register");
}

#[test]
fn every_corruption_of_threaded_is_caught_classified_and_shrunk() {
    catches_every_corruption_of("threaded");
}

fn catches_every_corruption_of(base: &str) {
    for corruption in Corruption::ALL {
        let names = vec!["wasmi".to_string(), corruption.engine_name(base)];
        let engines = resolve_all(&names).expect("mutant engines resolve");
        let out = out_dir(corruption, base);
        let options = Options {
            jobs: 2,
            seeds: seed_corpus(&engines),
            out: Some(out.clone()),
            ..Options::new(Budget::Cases(600), 5, engines)
        };
        let outcome = campaign::run(&options).expect("the campaign keeps its findings");
        let want = expected(corruption);
        // Semantics findings come from uninterrupted runs, which the mutant leaves untouched
        // (they are real disagreements between the engine and the oracle, reported by the
        // default campaign too, as `oracle` when the tie-breaker sides with the engines); every
        // other finding must be the corruption's.
        let classes: Vec<Class> = outcome
            .findings
            .iter()
            .map(|u| u.finding.class)
            .filter(|c| *c != Class::Semantics && *c != Class::Oracle)
            .collect();
        assert!(
            classes.contains(&want),
            "{base} {}: no {} finding; got {classes:?} ({})",
            corruption.name(),
            want.name(),
            outcome.summary.line()
        );
        assert!(
            classes.iter().all(|c| *c == want || *c == Class::Chain),
            "{base} {}: unexpected classes {classes:?}",
            corruption.name()
        );
        assert!(outcome.summary.findings.values().sum::<u64>() > 0);
        assert!(out.join("summary.json").is_file(), "summary.json written");

        // The first finding of the expected class: its directory replays and shrinks.
        let unique = outcome
            .findings
            .iter()
            .find(|u| u.finding.class == want)
            .expect("checked above");
        let dir = unique.dir.clone().expect("finding written");
        for file in ["case.json", "module.wasm", "module.wat", "report.md"] {
            assert!(
                dir.join(file).is_file(),
                "{} missing in {}",
                file,
                dir.display()
            );
        }
        let replay = reproduce(&dir, &Limits::default()).expect("finding replays");
        assert!(
            replay.fails(),
            "{base} {}: finding does not reproduce",
            corruption.name()
        );
        let case = Case::load(&dir).expect("case loads");
        // Findings of the rare states (NaNs and function references in frames) come from
        // bigger generated modules: give their shrinking more attempts.
        let attempts = match corruption {
            Corruption::NanPayload | Corruption::SwappedFuncref => 300,
            _ => 60,
        };
        let shrunk = shrink(&case, &Limits::default(), attempts).expect("shrinks");
        assert_eq!(
            shrunk.finding.class,
            want,
            "{base} {}: shrinking changed the class",
            corruption.name()
        );
        assert!(shrunk.module_sizes.1 <= shrunk.module_sizes.0);
        assert!(
            shrunk.module_sizes.1 <= 1024,
            "{base} {}: minimized module still {} bytes",
            corruption.name(),
            shrunk.module_sizes.1
        );
        assert!(shrunk.case.invocations.len() <= case.invocations.len());
        assert!(shrunk.case.schedule.k <= case.schedule.k);
        let minimized = write_next_to(&dir, &shrunk).expect("minimized case written");
        let again = reproduce(&minimized, &Limits::default()).expect("minimized case replays");
        assert!(
            again.fails(),
            "{base} {}: minimized case passes",
            corruption.name()
        );
        eprintln!(
            "{base} {}: {} findings {:?}; shrunk module {} -> {} bytes, {} -> {} invocations, k {} -> {}",
            corruption.name(),
            outcome.summary.findings.values().sum::<u64>(),
            outcome.summary.findings,
            shrunk.module_sizes.0,
            shrunk.module_sizes.1,
            case.invocations.len(),
            shrunk.case.invocations.len(),
            case.schedule.k,
            shrunk.case.schedule.k
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}
