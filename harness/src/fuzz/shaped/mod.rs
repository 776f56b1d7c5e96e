//! Shaped cases: modules built to reach the states where mapping bugs live (issue 14), as a
//! complement to wasm-smith's random modules, which rarely get there.
//!
//! A shaped module is a call chain of depth 1 to 6 with loops at every level, hops through
//! `call_indirect` on a table filled with type-correct functions at in-bounds indices,
//! `ref.func` and `externref` values kept in locals, `memory.grow`/`table.grow` run before the
//! chain, imported host memory, tables and globals in a share of cases, long loops (thousands
//! of events) and recursion close to the frame limit in others, multi-value blocks with
//! parameters and `br_table` carrying values ([`wat`] renders it, [`plan`] draws it). The
//! schedule is drawn after an uninterrupted run counted the invocation's events
//! ([`super::generator::materialize`]), so the stop is always reached, at any depth.
//!
//! Invariants: every choice comes from the [`Choices`] given (a seed's stream or a fuzzer's
//! bytes), so a shaped case is a pure function of them; the module validates and terminates.

pub mod plan;
pub mod wat;

use super::case::Invocation;
use super::choices::Choices;
use super::generator::{argument, GenerateError};
use baton_engine::ValType;
pub use plan::Plan;

/// The chain's entry point (`f0`'s export name).
pub const ENTRY: &str = "f0";

/// A shaped module and its invocations (calls of [`ENTRY`] with drawn arguments).
pub fn generate(
    rng: &mut impl Choices,
    max_frames: u32,
) -> Result<(Vec<u8>, Vec<Invocation>), GenerateError> {
    let plan = Plan::draw(rng, max_frames);
    let wasm = ::wat::parse_str(wat::render(&plan))
        .map_err(|e| GenerateError::Invalid(format!("shaped module: {e}")))?;
    let params = [ValType::I32, ValType::I64, ValType::F64, ValType::ExternRef];
    let invocations = (0..plan.invocations)
        .map(|_| Invocation {
            export: ENTRY.to_string(),
            args: params.iter().map(|ty| argument(rng, *ty)).collect(),
        })
        .collect();
    Ok((wasm, invocations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::generator::validate;
    use crate::fuzz::rng::SplitMix64;

    #[test]
    fn shaped_modules_validate_and_import_only_host_state() {
        let (mut deep, mut segments) = (0, 0);
        for seed in 0..200 {
            let mut rng = SplitMix64::new(seed);
            let (wasm, invocations) = generate(&mut rng, 1024).expect("renders");
            validate(&wasm).expect("validates");
            crate::fuzz::host::func_imports(&wasm).expect("imports only host objects");
            assert!(!invocations.is_empty());
            let mut again = SplitMix64::new(seed);
            assert_eq!(generate(&mut again, 1024).expect("renders").0, wasm);
            let plan = Plan::draw(&mut SplitMix64::new(seed), 1024);
            assert!(plan.depth as u32 + plan.recursion + 1 < 1024);
            deep += u32::from(plan.recursion > 900);
            segments += u32::from(plan.segments);
        }
        assert!(deep > 0, "some plans recurse close to the frame limit");
        assert!(segments > 0, "some plans drop passive segments");
    }
}
