//! The oracle vote (issue 15): when the primary oracle (wasmi 2.0) alone differs from baton's
//! engines, engines of *independent lineages* — V8 and Wasm3, out of process — decide whether
//! the finding is the oracle's bug. wasmi 1.x shares the primary oracle's lineage and does not
//! vote.
//!
//! Rule: the finding is `oracle` only if every independent engine that could run the case
//! agrees with baton's engines and at least one could run it. An engine *abstains* when it
//! cannot judge: it could not run the case (not set up, an unsupported feature or operation,
//! a crash or a timeout), it trapped with a trap outside baton's closed set (an
//! `unmapped engine trap` host trap, see the adapters' trap tables), or the difference is a call
//! stack exhausted on one side only (the depth at which the stack runs out is engine-specific).
//!
//! Invariant: an abstention never counts as agreement, so a case no independent engine can run
//! stays `semantics`.

use baton_engine::Trap;

use super::depth;
use crate::fuzz::engines::{self, EngineSpec};
use crate::fuzz::exec::{self, Failure};
use crate::fuzz::observation::{compare, Observation, Outcome, TrapAliases};

/// The independent engines, by registry name.
pub const INDEPENDENT: [&str; 2] = ["proc:v8", "proc:wasm3"];

/// The message prefix both adapters use for a trap outside baton's closed set.
pub const UNMAPPED_TRAP: &str = "unmapped engine trap";

/// One engine's vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Agrees with baton's engines.
    Agrees,
    /// Differs from them (the first difference).
    Differs(String),
    /// Cannot judge (why).
    Abstains(String),
}

/// Who voted how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The voter's engine name.
    pub engine: String,
    /// Its vote.
    pub vote: Vote,
}

impl std::fmt::Display for Ballot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.vote {
            Vote::Agrees => write!(f, "{}: agrees with the engines", self.engine),
            Vote::Differs(why) => write!(f, "{}: differs from the engines: {why}", self.engine),
            Vote::Abstains(why) => write!(f, "{}: abstains: {why}", self.engine),
        }
    }
}

/// Whether the ballots make the finding the primary oracle's: no independent engine differs
/// and at least one agrees.
pub fn oracle_confirmed(ballots: &[Ballot]) -> bool {
    ballots.iter().all(|b| !matches!(b.vote, Vote::Differs(_)))
        && ballots.iter().any(|b| b.vote == Vote::Agrees)
}

/// The vote of a voter whose run ended with `run`, against baton's engines' `engines`
/// observation.
pub fn cast(
    engine: &str,
    engines: &Observation,
    run: Result<&Observation, &Failure>,
    aliases: TrapAliases<'_>,
) -> Ballot {
    let vote = match run {
        Err(failure) => Vote::Abstains(format!("could not run the case: {failure}")),
        Ok(observation) => match compare(engines, observation, aliases, false) {
            None => Vote::Agrees,
            Some(difference) => match abstention(engines, observation, aliases) {
                Some(why) => Vote::Abstains(why),
                None => Vote::Differs(difference.description),
            },
        },
    };
    Ballot {
        engine: engine.to_string(),
        vote,
    }
}

/// Why a difference cannot count against the engines, if it cannot.
fn abstention(
    engines: &Observation,
    voter: &Observation,
    aliases: TrapAliases<'_>,
) -> Option<String> {
    let voter_traps = traps(voter);
    if let Some(message) = voter_traps.iter().find_map(|trap| match trap {
        Trap::Host(message) if message.starts_with(UNMAPPED_TRAP) => Some(message.clone()),
        _ => None,
    }) {
        return Some(format!("trapped outside baton's trap set ({message})"));
    }
    depth::first_difference_is_one_sided_exhaustion(engines, voter, aliases)
        .then(|| depth::ONE_SIDED_EXHAUSTION.into())
}

fn traps(observation: &Observation) -> Vec<Trap> {
    let outcomes = observation
        .outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Trapped(trap) => Some(trap.clone()),
            _ => None,
        });
    observation
        .instantiation_trap
        .iter()
        .cloned()
        .chain(outcomes)
        .collect()
}

/// Runs every independent engine on the case (through `run`, one uninterrupted run each) and
/// collects the ballots against the engines' observation (`engine_spec`'s aliases included).
pub fn poll(
    engine_spec: &EngineSpec,
    engines: &Observation,
    run: &dyn Fn(&EngineSpec) -> Result<exec::Uninterrupted, Failure>,
) -> Vec<Ballot> {
    INDEPENDENT
        .iter()
        .map(|name| {
            let spec = match engines::resolve(name) {
                Ok(spec) => spec,
                Err(message) => {
                    return Ballot {
                        engine: name.to_string(),
                        vote: Vote::Abstains(format!("not available: {message}")),
                    }
                }
            };
            let aliases = super::semantics::aliases(engine_spec, &spec);
            let result = run(&spec);
            cast(
                name,
                engines,
                result.as_ref().map(|r| &r.observation),
                &aliases,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::exec::FailureKind;

    fn observation(outcome: Outcome) -> Observation {
        Observation {
            outcomes: vec![outcome],
            ..Observation::default()
        }
    }

    fn ballot(vote: Vote) -> Ballot {
        Ballot {
            engine: "x".into(),
            vote,
        }
    }

    #[test]
    fn agreement_needs_one_agreeing_voter_and_no_dissent() {
        let agrees = ballot(Vote::Agrees);
        let differs = ballot(Vote::Differs("d".into()));
        let abstains = ballot(Vote::Abstains("a".into()));
        assert!(oracle_confirmed(&[agrees.clone(), abstains.clone()]));
        assert!(oracle_confirmed(&[agrees.clone(), agrees.clone()]));
        assert!(!oracle_confirmed(&[agrees, differs]));
        assert!(!oracle_confirmed(&[abstains.clone(), abstains]));
        assert!(!oracle_confirmed(&[]));
    }

    #[test]
    fn votes_follow_the_comparison() {
        let engines = observation(Outcome::Trapped(Trap::Unreachable));
        let same = engines.clone();
        let other = observation(Outcome::Trapped(Trap::IntegerOverflow));
        assert_eq!(cast("v", &engines, Ok(&same), &[]).vote, Vote::Agrees);
        assert!(matches!(
            cast("v", &engines, Ok(&other), &[]).vote,
            Vote::Differs(_)
        ));
        let aliases = [("integer overflow", "unreachable")];
        assert_eq!(cast("v", &engines, Ok(&other), &aliases).vote, Vote::Agrees);
    }

    #[test]
    fn failures_unmapped_traps_and_stack_depth_abstain() {
        let engines = observation(Outcome::Trapped(Trap::Unreachable));
        let failure = Failure {
            kind: FailureKind::Unsupported,
            engine: "proc:wasm3".into(),
            step: "compile".into(),
            message: "reference-types".into(),
        };
        assert!(matches!(
            cast("w", &engines, Err(&failure), &[]).vote,
            Vote::Abstains(_)
        ));
        let unmapped = observation(Outcome::Trapped(Trap::Host(format!(
            "{UNMAPPED_TRAP} (v8): RuntimeError: something"
        ))));
        assert!(matches!(
            cast("v", &engines, Ok(&unmapped), &[]).vote,
            Vote::Abstains(_)
        ));
        let deep = observation(Outcome::Trapped(Trap::CallStackExhausted));
        assert!(matches!(
            cast("v", &engines, Ok(&deep), &[]).vote,
            Vote::Abstains(_)
        ));
        let host = observation(Outcome::Trapped(Trap::Host("boom".into())));
        assert!(matches!(
            cast("v", &engines, Ok(&host), &[]).vote,
            Vote::Differs(_)
        ));
    }
}
