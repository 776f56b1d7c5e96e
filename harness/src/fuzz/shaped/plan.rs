//! What a shaped case's module is made of, drawn from the choices: the call chain's depth, how
//! each hop calls (direct or through the table), loop lengths, recursion, growth and the host
//! state it imports, and passive segments dropped before the chain.
//!
//! Invariants: `depth` is in `1..=MAX_DEPTH`; `indirect` and `iterations` have one entry per
//! chain function; the deepest frame count a plan can reach (`depth + recursion + 1`) stays
//! below `max_frames`; loop counts are at least 1 (a loop body always runs).

use crate::fuzz::choices::Choices;

/// Longest call chain.
pub const MAX_DEPTH: u64 = 6;

/// Loops this long (and recursion this deep) count as long runs: thousands of events.
pub const LONG: u32 = 500;

/// The module's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Chain functions `f0 -> f1 -> ... -> f(depth-1)`.
    pub depth: usize,
    /// Per chain function: whether its call to the next one (the deepest: to `rec`) goes
    /// through `call_indirect`.
    pub indirect: Vec<bool>,
    /// Per chain function: how many times its loop runs (each iteration calls the next).
    pub iterations: Vec<u32>,
    /// How deep the deepest function's recursive helper goes (0: not called).
    pub recursion: u32,
    /// `f0` runs `memory.grow` before the chain.
    pub grow_memory: bool,
    /// `f0` runs `table.grow` before the chain.
    pub grow_table: bool,
    /// The memory is the host's (else the module's own).
    pub import_memory: bool,
    /// The host's funcref and externref tables are imported (and written).
    pub import_tables: bool,
    /// The host's mutable globals are imported (and counted up in loops).
    pub import_globals: bool,
    /// Loops call the host's `mix_i64`.
    pub host_calls: bool,
    /// The deepest function ends with a conditional `unreachable`.
    pub may_trap: bool,
    /// Invocations of `f0` (1 to 3).
    pub invocations: usize,
    /// The module has a passive data and a passive element segment, which `f0` copies once
    /// (`memory.init`, `table.init`) and drops (`data.drop`, `elem.drop`) before the chain.
    pub segments: bool,
}

impl Plan {
    /// Draws a plan; `max_frames` bounds recursion.
    pub fn draw(rng: &mut impl Choices, max_frames: u32) -> Plan {
        let depth = 1 + rng.below(MAX_DEPTH) as usize;
        let indirect = (0..depth).map(|_| rng.below(2) == 0).collect();
        // A sixteenth of the plans recurse close to the frame limit; some of the rest a little.
        // (Rare shapes take high draws: an exhausted fuzzer input, which answers 0, stays small.)
        let recursion = match rng.below(16) {
            15 => {
                let room = max_frames.saturating_sub(depth as u32 + 2);
                room.saturating_sub(2 + rng.below(32) as u32)
            }
            8..=14 => rng.below(8) as u32,
            _ => 0,
        };
        // Long runs (a long loop or deep recursion) happen once: the outer loops run once.
        let long_loop = rng.below(10) == 9;
        let once = long_loop || recursion >= LONG;
        let iterations = (0..depth)
            .map(|level| {
                if level + 1 < depth {
                    1 + if once { 0 } else { rng.below(2) as u32 }
                } else if long_loop {
                    LONG + rng.below(3 * u64::from(LONG)) as u32
                } else {
                    1 + rng.below(8) as u32
                }
            })
            .collect();
        Plan {
            depth,
            indirect,
            iterations,
            recursion,
            grow_memory: rng.below(3) == 0,
            grow_table: rng.below(4) == 0,
            import_memory: rng.below(3) == 0,
            import_tables: rng.below(3) == 0,
            import_globals: rng.below(3) == 0,
            host_calls: rng.below(3) == 0,
            may_trap: rng.below(8) == 0,
            invocations: 1 + rng.below(3) as usize,
            segments: rng.below(3) == 0,
        }
    }
}
