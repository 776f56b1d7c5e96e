//! Where the generator's choices come from — the input-plumbing layer between a source of
//! randomness and [`super::generator`], which only states *what* to choose.
//!
//! Two sources implement [`Source`]:
//! - [`Seeded`]: `baton fuzz`'s path; wasm-smith reads a byte buffer drawn from a SplitMix64
//!   stream and every other choice comes from the same stream (a pure function of the seed);
//! - [`Steered`]: the coverage-guided path; *one* `arbitrary::Unstructured` (libFuzzer's
//!   bytes) answers every choice, wasm-smith's included, so coverage feedback steers all of
//!   them.
//!
//! Invariants: a choice never fails — an exhausted `Unstructured` answers the smallest value
//! (`0`), as `arbitrary` does; `below(bound)` is in `0..bound` (`0` when `bound` is 0); the
//! same source state always gives the same answers.

use arbitrary::Unstructured;

use super::rng::SplitMix64;

/// A stream of choices.
pub trait Choices {
    /// The next 64 chosen bits.
    fn next_u64(&mut self) -> u64;

    /// A number in `0..bound` (`0` when `bound` is 0).
    fn below(&mut self, bound: u64) -> u64;
}

/// Choices plus the bytes wasm-smith builds a module from.
pub trait Source<'a>: Choices {
    /// The `Unstructured` wasm-smith reads.
    fn module_bytes(&mut self) -> &mut Unstructured<'a>;
}

impl Choices for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        SplitMix64::next_u64(self)
    }

    fn below(&mut self, bound: u64) -> u64 {
        SplitMix64::below(self, bound)
    }
}

/// `baton fuzz`'s source: a byte buffer for wasm-smith and a SplitMix64 for the rest.
pub struct Seeded<'a> {
    bytes: Unstructured<'a>,
    rng: SplitMix64,
}

impl<'a> Seeded<'a> {
    /// wasm-smith reads `bytes`; every other choice comes from `rng`.
    pub fn new(bytes: &'a [u8], rng: SplitMix64) -> Self {
        Seeded {
            bytes: Unstructured::new(bytes),
            rng,
        }
    }
}

impl Choices for Seeded<'_> {
    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.rng.below(bound)
    }
}

impl<'a> Source<'a> for Seeded<'a> {
    fn module_bytes(&mut self) -> &mut Unstructured<'a> {
        &mut self.bytes
    }
}

/// The coverage-guided source: one `Unstructured` answers everything.
pub struct Steered<'u, 'a> {
    u: &'u mut Unstructured<'a>,
}

impl<'u, 'a> Steered<'u, 'a> {
    /// Every choice is drawn from `u`.
    pub fn new(u: &'u mut Unstructured<'a>) -> Self {
        Steered { u }
    }
}

impl Choices for Steered<'_, '_> {
    fn next_u64(&mut self) -> u64 {
        self.u.arbitrary::<u64>().unwrap_or(0)
    }

    fn below(&mut self, bound: u64) -> u64 {
        match bound {
            0 | 1 => 0,
            _ => self.u.int_in_range(0..=bound - 1).unwrap_or(0),
        }
    }
}

impl<'a> Source<'a> for Steered<'_, 'a> {
    fn module_bytes(&mut self) -> &mut Unstructured<'a> {
        self.u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steered_choices_stay_in_range_and_exhaust_to_zero() {
        let data = [0xffu8; 16];
        let mut u = Unstructured::new(&data);
        let mut steered = Steered::new(&mut u);
        for bound in [0u64, 1, 2, 7, 1000] {
            assert!(steered.below(bound) < bound.max(1));
        }
        while steered.next_u64() != 0 {}
        assert_eq!(steered.below(10), 0, "exhausted input answers 0");
        let mut rng = SplitMix64::new(3);
        assert!(Choices::below(&mut rng, 5) < 5);
    }
}
