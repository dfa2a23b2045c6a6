//! The limiter's counters in fixed windows (a unix minute, a UTC day), written at
//! checkpoints: the arithmetic of taking a unit, of when to write, and of reading a count
//! back after a restart (see the module doc of `limiter`). Pure.

use super::wire::{Budget, Window};

/// A counter in a fixed window (a unix minute, a UTC day) and what was counted in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub window: u64,
    pub used: u32,
}

/// Every how many units a counter under `limit` is written: `limit / divisor` (the
/// minute's 2 %, the day's 1 %), at least 1.
pub fn step(limit: u32, divisor: u32) -> u32 {
    (limit / divisor).max(1)
}

/// Takes one unit from the count `stored` (the last one known, if any) in window `window`
/// under `limit` (0: no limit): the count after, whether it was allowed, and whether it
/// must be written. A stored count of another window is over and counts as empty. A unit
/// over the limit is not counted, so a client that keeps retrying does not push its own
/// reset further away.
pub fn take_one(
    stored: Option<Count>,
    window: u64,
    limit: u32,
    divisor: u32,
) -> (Count, bool, bool) {
    let used = match stored {
        Some(c) if c.window == window => c.used,
        _ => 0,
    };
    let allowed = limit == 0 || used < limit;
    let used = if allowed { used + 1 } else { used };
    // No limit: nothing to count, nothing written.
    let write =
        limit > 0 && allowed && (used == 1 || used % step(limit, divisor) == 0 || used == limit);
    (Count { window, used }, allowed, write)
}

/// A count read back after a restart: the units taken after its last checkpoint were not
/// written, so assume the most that can have been (never more than the limit allows).
pub fn restored(stored: Count, limit: u32, divisor: u32) -> Count {
    let unwritten = step(limit, divisor) - 1;
    let used = if limit == 0 || stored.used >= limit {
        stored.used
    } else {
        (stored.used + unwritten).min(limit)
    };
    Count { used, ..stored }
}

/// The `X-Rate-Limit-*` window of a per-minute count.
pub fn minute_window(count: Count, limit: u32, allowed: bool) -> Window {
    Window {
        limit,
        // Saturating: a limit lowered within a minute (a deploy with a new
        // RATE_LIMIT_PER_MINUTE) can leave more requests counted than it allows.
        remaining: limit.saturating_sub(count.used),
        reset: (count.window + 1) * 60,
        allowed,
    }
}

/// One of the object's counters: its table, the column of its window, and how often
/// it is written (the divisor of the limit).
#[derive(Clone, Copy)]
pub struct Counter {
    pub table: &'static str,
    pub column: &'static str,
    pub divisor: u32,
}

pub const MINUTE: Counter = Counter {
    table: "rate_window",
    column: "minute",
    divisor: 50,
};
pub const DAY: Counter = Counter {
    table: "day_sends",
    column: "day",
    divisor: 100,
};
pub const BROWSER_MINUTE: Counter = Counter {
    table: "browser_window",
    column: "minute",
    divisor: 50,
};
pub const BROWSER_DAY: Counter = Counter {
    table: "browser_day_sends",
    column: "day",
    divisor: 100,
};

impl Budget {
    /// The per-minute counter of this budget.
    pub fn minute(self) -> Counter {
        match self {
            Budget::Server => MINUTE,
            Budget::Browser => BROWSER_MINUTE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `n` units in a row from an empty window `window` (written ones marked).
    fn run(
        n: usize,
        window: u64,
        limit: u32,
        divisor: u32,
    ) -> (Option<Count>, Vec<(bool, u32, bool)>) {
        let mut stored = None;
        let mut seen = Vec::new();
        for _ in 0..n {
            let (c, allowed, write) = take_one(stored, window, limit, divisor);
            stored = Some(c);
            seen.push((allowed, limit.saturating_sub(c.used), write));
        }
        (stored, seen)
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_without_counting() {
        let (stored, seen) = run(5, 1000, 3, 50);
        assert_eq!(
            seen,
            [
                (true, 2, true),
                (true, 1, true),
                (true, 0, true),
                (false, 0, false),
                (false, 0, false)
            ]
        );
        let w = minute_window(stored.unwrap(), 3, false);
        // Minute 1000 ends at second 60,060.
        assert_eq!((w.reset, w.remaining), (60_060, 0));
    }

    #[test]
    fn a_large_limit_is_written_at_its_first_unit_every_step_and_at_the_limit() {
        // 600 a minute: every 12th request is written, plus the first and the 600th.
        let (_, seen) = run(600, 7, 600, 50);
        let written: Vec<usize> = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| s.2)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(written.len(), 1 + 50);
        assert_eq!(&written[..3], [1, 12, 24]);
        assert_eq!(written.last(), Some(&600));
    }

    #[test]
    fn a_restart_never_allows_more_than_the_limit() {
        // For every point at which the object may stop, the count written last, restored,
        // plus what the new instance then allows, stays within the limit.
        for limit in [3, 49, 50, 600, 10_000] {
            for stop_after in 0..=limit.min(700) {
                let mut stored: Option<Count> = None;
                let mut written: Option<Count> = None;
                for _ in 0..stop_after {
                    let (c, _, write) = take_one(stored, 1, limit, 50);
                    stored = Some(c);
                    if write {
                        written = Some(c);
                    }
                }
                let mut after = written.map(|c| restored(c, limit, 50));
                let mut allowed_after = 0;
                loop {
                    let (c, allowed, _) = take_one(after, 1, limit, 50);
                    if !allowed {
                        break;
                    }
                    after = Some(c);
                    allowed_after += 1;
                }
                assert!(
                    stop_after + allowed_after <= limit,
                    "limit {limit}, stopped after {stop_after}: {allowed_after} more allowed"
                );
                // And little is lost: at most one step.
                assert!(
                    stop_after + allowed_after + step(limit, 50) > limit,
                    "limit {limit}, stopped after {stop_after}: only {allowed_after} more allowed"
                );
            }
        }
    }

    #[test]
    fn a_count_of_another_window_is_over() {
        let full = Some(Count {
            window: 1000,
            used: 3,
        });
        assert!(!take_one(full, 1000, 3, 50).1);
        let (count, allowed, _) = take_one(full, 1001, 3, 50);
        assert_eq!((count.used, allowed), (1, true));
    }

    #[test]
    fn no_limit_allows_everything() {
        let (_, seen) = run(100, 1, 0, 100);
        assert!(seen.iter().all(|s| s.0));
    }
}
