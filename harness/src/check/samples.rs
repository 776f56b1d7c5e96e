//! Which event numbers a check stops at: `N` spread evenly over the run, or every event up
//! to a cap.
//!
//! Invariant: the points are strictly increasing and all below the run's event count.

/// How to pick the stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// About this many points spread over the run (fewer when the run is shorter).
    Count(u64),
    /// Every event, up to this many.
    Every {
        /// At most this many points.
        cap: u64,
    },
}

/// The stop points for a run of `events` events.
pub fn points(sampling: Sampling, events: u64) -> Vec<u64> {
    match sampling {
        Sampling::Every { cap } => (0..events.min(cap)).collect(),
        Sampling::Count(0) => Vec::new(),
        Sampling::Count(n) => {
            let mut out: Vec<u64> = (0..n)
                .map(|i| ((u128::from(i) * u128::from(events)) / u128::from(n)) as u64)
                .filter(|k| *k < events)
                .collect();
            out.dedup();
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_spread_increasing_and_in_range() {
        assert_eq!(points(Sampling::Count(4), 100), vec![0, 25, 50, 75]);
        assert_eq!(points(Sampling::Count(10), 3), vec![0, 1, 2]);
        assert_eq!(points(Sampling::Every { cap: 3 }, 100), vec![0, 1, 2]);
        assert_eq!(points(Sampling::Every { cap: 30 }, 2), vec![0, 1]);
        assert!(points(Sampling::Count(5), 0).is_empty());
        let many = points(Sampling::Count(200), u64::MAX);
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }
}
