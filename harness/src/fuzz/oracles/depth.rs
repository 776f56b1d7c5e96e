//! Call-stack depth is engine-specific: every baton engine runs out of frames at the same
//! `max_frames`, but the oracles count frames their own way (wasmi's recursion limit, V8's and
//! Wasm3's native stacks). A difference whose *first* point is an invocation (or the
//! instantiation) that exhausted the call stack on exactly one side says nothing about either
//! side's semantics: everything after it depends on how deep each side could go.
//!
//! Invariant: only the first difference decides; an earlier difference of any other kind, or a
//! difference where both or neither side exhausted the stack, is never excused.

use baton_engine::Trap;

use crate::fuzz::observation::{compare, Observation, Outcome, TrapAliases};

/// The skip reason (and vote abstention) for such a difference; fixed text, so campaign
/// summaries count it as one reason.
pub const ONE_SIDED_EXHAUSTION: &str =
    "call stack exhausted on one side only (the depth at which the stack runs out is engine-specific)";

/// Whether the first difference between `a` and `b` is a call stack exhausted on exactly one
/// side (at instantiation or at the first differing invocation).
pub fn first_difference_is_one_sided_exhaustion(
    a: &Observation,
    b: &Observation,
    aliases: TrapAliases<'_>,
) -> bool {
    let part = |trap: &Option<Trap>, outcomes: &[Outcome]| Observation {
        instantiation_trap: trap.clone(),
        outcomes: outcomes.to_vec(),
        ..Observation::default()
    };
    let exhausted = |trap: Option<&Trap>| trap == Some(&Trap::CallStackExhausted);
    if compare(
        &part(&a.instantiation_trap, &[]),
        &part(&b.instantiation_trap, &[]),
        aliases,
        false,
    )
    .is_some()
    {
        return exhausted(a.instantiation_trap.as_ref())
            != exhausted(b.instantiation_trap.as_ref());
    }
    let trap = |outcome: &Outcome| match outcome {
        Outcome::Trapped(trap) => Some(trap.clone()),
        _ => None,
    };
    a.outcomes
        .iter()
        .zip(&b.outcomes)
        .find(|(x, y)| {
            compare(
                &part(&None, std::slice::from_ref(*x)),
                &part(&None, std::slice::from_ref(*y)),
                aliases,
                false,
            )
            .is_some()
        })
        .is_some_and(|(x, y)| exhausted(trap(x).as_ref()) != exhausted(trap(y).as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::case::CaseValue;

    fn run(outcomes: Vec<Outcome>) -> Observation {
        Observation {
            outcomes,
            ..Observation::default()
        }
    }

    fn trapped(trap: Trap) -> Outcome {
        Outcome::Trapped(trap)
    }

    #[test]
    fn only_a_first_difference_exhausting_one_side_counts() {
        let deep = trapped(Trap::CallStackExhausted);
        let divide = trapped(Trap::IntegerDivideByZero);
        let one = Outcome::Returned(vec![CaseValue::I32(1)]);
        let two = Outcome::Returned(vec![CaseValue::I32(2)]);
        let check = first_difference_is_one_sided_exhaustion;
        // Exhausted on one side at the first difference, either side, whatever follows.
        assert!(check(
            &run(vec![deep.clone()]),
            &run(vec![divide.clone()]),
            &[]
        ));
        assert!(check(
            &run(vec![one.clone(), divide.clone()]),
            &run(vec![one.clone(), deep.clone()]),
            &[]
        ));
        assert!(check(
            &run(vec![deep.clone(), one.clone()]),
            &run(vec![two.clone(), two.clone()]),
            &[]
        ));
        // An earlier ordinary difference is never excused.
        assert!(!check(
            &run(vec![one.clone(), deep.clone()]),
            &run(vec![two.clone(), divide.clone()]),
            &[]
        ));
        // Both or neither side exhausted.
        assert!(!check(
            &run(vec![one.clone()]),
            &run(vec![two.clone()]),
            &[]
        ));
        assert!(!check(
            &run(vec![deep.clone(), one.clone()]),
            &run(vec![deep.clone(), two.clone()]),
            &[]
        ));
        // No difference in outcomes (only later state differs).
        let mut memory = run(vec![deep.clone()]);
        memory.memories.push(("m".into(), vec![1]));
        assert!(!check(&run(vec![deep.clone()]), &memory, &[]));
        // At instantiation.
        let start = |trap: Trap| Observation {
            instantiation_trap: Some(trap),
            ..Observation::default()
        };
        assert!(check(
            &start(Trap::CallStackExhausted),
            &start(Trap::Unreachable),
            &[]
        ));
        assert!(check(
            &start(Trap::CallStackExhausted),
            &run(vec![one.clone()]),
            &[]
        ));
        assert!(!check(&start(Trap::Unreachable), &run(vec![deep]), &[]));
    }
}
