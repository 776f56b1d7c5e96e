//! A campaign's case space: global case indices `0, 1, 2, ...` of one seed, what each index
//! holds (a seed-corpus case or a generated one), how `--shard I/N` splits the space, and the
//! order in which a (possibly resumed) campaign visits its indices.
//!
//! Invariants:
//! - what global index `i` holds depends only on `i` and the number of seed-corpus cases `S`:
//!   the seed cases sit at the odd indices `1, 3, ..., 2S - 1`, every other index is a
//!   generated case, numbered consecutively; so a budget of `N` cases is exactly the indices
//!   `0..N`, whatever the sharding;
//! - shard `I/N` owns exactly the indices `i` with `i % N == I`: shards of one seed are disjoint
//!   and their union is the whole space;
//! - a [`Plan`] visits every index of its shard that is not done exactly once, the gaps below
//!   the highest done index first, then upwards in order.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One shard of a campaign's case space: indices `i` with `i % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard's number, `0..count`.
    pub index: u64,
    /// How many shards the space is split into (at least 1).
    pub count: u64,
}

impl Shard {
    /// The whole space (shard `0/1`).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether global index `global` belongs to this shard.
    pub fn contains(self, global: u64) -> bool {
        global % self.count.max(1) == self.index
    }

    /// The global index of this shard's `local`-th case.
    pub fn global(self, local: u64) -> u64 {
        local
            .saturating_mul(self.count.max(1))
            .saturating_add(self.index)
    }

    /// The shard-local number of `global` (which must belong to the shard).
    pub fn local(self, global: u64) -> u64 {
        global / self.count.max(1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `I/N` with `N >= 1` and `I < N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("bad shard {text:?}: expected I/N with 0 <= I < N, e.g. 0/4");
        let (index, count) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What one global index holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The seed-corpus case with this number.
    Seed(usize),
    /// The generated case with this number (its seed is `case_seed(campaign seed, n)`).
    Generated(u64),
}

/// What global index `global` holds when the campaign has `seeds` seed-corpus cases.
pub fn slot(global: u64, seeds: u64) -> Slot {
    if global % 2 == 1 && global / 2 < seeds {
        return Slot::Seed((global / 2) as usize);
    }
    // Seed slots below `global`: the odd indices under it, at most `seeds` of them.
    let seeds_before = (global / 2).min(seeds);
    Slot::Generated(global - seeds_before)
}

/// The order in which a campaign visits its shard's indices that are not done yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    shard: Shard,
    /// Global indices below the highest done one that are not done, ascending.
    pending: Vec<u64>,
    /// The first shard-local number past every done index.
    tail: u64,
}

impl Plan {
    /// The plan for `shard` given the global indices already `done` (every one must belong to
    /// the shard; the caller checks).
    pub fn new(shard: Shard, done: &BTreeSet<u64>) -> Plan {
        let tail = done.iter().next_back().map_or(0, |&g| shard.local(g) + 1);
        let pending = (0..tail)
            .map(|local| shard.global(local))
            .filter(|global| !done.contains(global))
            .collect();
        Plan {
            shard,
            pending,
            tail,
        }
    }

    /// The global index visited at `position` (0, 1, 2, ...): strictly increasing in
    /// `position`.
    pub fn at(&self, position: u64) -> u64 {
        match self.pending.get(position as usize) {
            Some(&global) => global,
            None => self
                .shard
                .global(self.tail + (position - self.pending.len() as u64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_interleave_seeds_and_number_generated_cases_densely() {
        let slots: Vec<Slot> = (0..8).map(|g| slot(g, 2)).collect();
        assert_eq!(
            slots,
            vec![
                Slot::Generated(0),
                Slot::Seed(0),
                Slot::Generated(1),
                Slot::Seed(1),
                Slot::Generated(2),
                Slot::Generated(3),
                Slot::Generated(4),
                Slot::Generated(5),
            ]
        );
        assert_eq!(slot(5, 0), Slot::Generated(5));
    }

    #[test]
    fn shards_partition_the_space() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for global in 0..30 {
            let owners: Vec<_> = shards.iter().filter(|s| s.contains(global)).collect();
            assert_eq!(owners.len(), 1, "index {global}");
            assert_eq!(owners[0].global(owners[0].local(global)), global);
        }
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn plans_fill_gaps_first_then_continue_without_repeats() {
        let shard = Shard { index: 1, count: 2 };
        let done: BTreeSet<u64> = [1, 5, 9].into_iter().collect();
        let plan = Plan::new(shard, &done);
        let visited: Vec<u64> = (0..4).map(|p| plan.at(p)).collect();
        assert_eq!(visited, vec![3, 7, 11, 13]);
        assert_eq!(Plan::new(Shard::WHOLE, &BTreeSet::new()).at(6), 6);
    }
}
