//! What a directive expects of a run, and the verdict of comparing a run's outcome with it.

use wast::WastRet;

use super::matching::check_results;
use super::report::Verdict;
use baton_engine::format_values;
use baton_engine::{RunOutcome, Trap};

/// The expected outcome of an invocation.
#[derive(Clone, Copy, Debug)]
pub enum Expectation<'a> {
    /// A plain `invoke`: any return or trap is accepted.
    Anything,
    /// `assert_return`: these results.
    Values(&'a [WastRet<'a>]),
    /// `assert_trap` / `assert_exhaustion`: a trap whose message starts with this.
    Trap(&'a str),
}

impl Expectation<'_> {
    /// Whether an expected result is a signalling NaN (an exact f32/f64 NaN, quiet bit clear).
    pub fn expects_signalling_nan(&self) -> bool {
        use wast::core::{NanPattern, WastRetCore};
        let Self::Values(expected) = self else {
            return false;
        };
        expected.iter().any(|ret| match ret {
            WastRet::Core(WastRetCore::F32(NanPattern::Value(v))) => {
                super::runner::is_signalling_f32(v.bits)
            }
            WastRet::Core(WastRetCore::F64(NanPattern::Value(v))) => {
                super::runner::is_signalling_f64(v.bits)
            }
            _ => false,
        })
    }

    /// Compares an outcome; `aliases` are the engine's declared trap aliases.
    pub fn verdict(&self, outcome: &RunOutcome, aliases: &[(Trap, &str)]) -> Verdict {
        match (self, outcome) {
            (Self::Anything, RunOutcome::Returned(_) | RunOutcome::Trapped(_)) => Verdict::Pass,
            (Self::Values(expected), RunOutcome::Returned(values)) => {
                match check_results(expected, values) {
                    Ok(()) => Verdict::Pass,
                    Err(message) => Verdict::Fail(message),
                }
            }
            (Self::Trap(expected), RunOutcome::Trapped(trap)) => {
                match trap_match(trap, expected, aliases) {
                    Some(false) => Verdict::Pass,
                    Some(true) => Verdict::PassAliased,
                    None => Verdict::Fail(format!(
                        "expected trap {expected:?}, got trap {:?}",
                        trap.message()
                    )),
                }
            }
            (Self::Values(expected), other) => Verdict::Fail(format!(
                "expected {}, {}",
                super::matching::describe_expected(expected),
                describe_outcome(other)
            )),
            (Self::Trap(expected), other) => Verdict::Fail(format!(
                "expected trap {expected:?}, {}",
                describe_outcome(other)
            )),
            (Self::Anything, other) => Verdict::Fail(describe_outcome(other)),
        }
    }
}

/// Formats an outcome for failure messages.
pub fn describe_outcome(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Returned(values) => format!("returned {}", format_values(values)),
        RunOutcome::Trapped(trap) => format!("trapped {:?}", trap.message()),
        RunOutcome::OutOfFuel => "ran out of fuel".to_string(),
        RunOutcome::Suspended { kind, event, .. } => format!("suspended at {kind:?} event {event}"),
    }
}

/// Whether `trap` satisfies an expected trap message, directly or only through one of the
/// engine's declared aliases. `None` when it does not match at all.
pub fn trap_match(trap: &Trap, expected: &str, aliases: &[(Trap, &str)]) -> Option<bool> {
    if message_matches(trap.message(), expected) {
        return Some(false);
    }
    let aliased = aliases
        .iter()
        .any(|(from, to)| from == trap && message_matches(to, expected));
    aliased.then_some(true)
}

/// Whether an engine's trap message satisfies the suite's expected message: the expected one is
/// a prefix of it, or it is the expected one's leading words (the suite sometimes appends detail,
/// as in "uninitialized element 2").
pub fn message_matches(message: &str, expected: &str) -> bool {
    if message.is_empty() {
        return expected.is_empty();
    }
    message.starts_with(expected)
        || expected
            .strip_prefix(message)
            .is_some_and(|rest| rest.starts_with(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_messages_match_by_prefix_in_either_direction() {
        assert!(message_matches(
            "uninitialized element",
            "uninitialized element 2"
        ));
        assert!(message_matches(
            "out of bounds memory access",
            "out of bounds"
        ));
        assert!(!message_matches("unreachable", "unreachable2"));
        assert!(!message_matches(
            "integer overflow",
            "integer divide by zero"
        ));
        assert!(!message_matches("", "unreachable"));
    }

    #[test]
    fn aliases_are_reported_as_such() {
        let aliases = [(Trap::TableOutOfBounds, "undefined element")];
        assert_eq!(
            trap_match(&Trap::TableOutOfBounds, "undefined element", &aliases),
            Some(true)
        );
        assert_eq!(
            trap_match(&Trap::TableOutOfBounds, "out of bounds table", &aliases),
            Some(false)
        );
        assert_eq!(
            trap_match(&Trap::UndefinedElement, "out of bounds", &aliases),
            None
        );
    }
}
