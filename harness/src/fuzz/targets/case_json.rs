//! `case.json` parsing on arbitrary text: never a panic, and a case that parses and passes
//! [`Case::check`] serialises back to JSON that parses to the same case.

use arbitrary::Unstructured;

use super::TargetFailure;
use crate::fuzz::case::Case;

/// The target body.
pub fn run(u: &mut Unstructured<'_>) -> Result<(), TargetFailure> {
    let bytes = u.bytes(u.len()).unwrap_or_default();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let Ok(case) = serde_json::from_str::<Case>(text) else {
        return Ok(());
    };
    if case.check().is_err() {
        return Ok(());
    }
    match serde_json::from_str::<Case>(&case.to_json()) {
        Ok(again) if again == case => Ok(()),
        Ok(_) => Err(TargetFailure::Violation(
            "case.json does not round-trip: the re-read case differs".into(),
        )),
        Err(error) => Err(TargetFailure::Violation(format!(
            "a parsed case serialises to JSON that does not parse: {error}"
        ))),
    }
}
