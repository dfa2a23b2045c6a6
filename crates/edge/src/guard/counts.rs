//! Windowed counts: events per unix hour ([`HourlyCounts`], a sliding window over them)
//! and per UTC day ([`DailyCounts`], the 14-day maximum). Sparse lists of `[key, count]`
//! pairs, oldest first, so a quiet country stores nearly nothing and a row stays a few
//! hundred bytes of JSON at most.

use serde::{Deserialize, Serialize};
use smsotp_core::UnixMillis;

use crate::stats::{unix_hour, HOUR_MS};

/// Counts in thousandths: a sliding window takes part of its oldest hour, and thresholds
/// are ratios of counts, so levels and thresholds are compared in thousandths (integers,
/// no floats stored or compared).
pub const MILLI: u64 = 1000;

/// Counts per unix hour, oldest first (`[[hour, count], …]`, zero counts left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HourlyCounts(pub Vec<[u32; 2]>);

impl HourlyCounts {
    /// Adds `n` in `hour`.
    pub fn add(&mut self, hour: u32, n: u32) {
        match self.0.binary_search_by_key(&hour, |e| e[0]) {
            Ok(i) => self.0[i][1] = self.0[i][1].saturating_add(n),
            Err(i) if n > 0 => self.0.insert(i, [hour, n]),
            Err(_) => {}
        }
    }

    /// Takes up to `n` away from `hour` (never below zero).
    pub fn sub(&mut self, hour: u32, n: u32) {
        if let Ok(i) = self.0.binary_search_by_key(&hour, |e| e[0]) {
            self.0[i][1] = self.0[i][1].saturating_sub(n);
            if self.0[i][1] == 0 {
                self.0.remove(i);
            }
        }
    }

    /// The count of `hour`.
    pub fn get(&self, hour: u32) -> u32 {
        self.0
            .binary_search_by_key(&hour, |e| e[0])
            .map_or(0, |i| self.0[i][1])
    }

    /// Forgets the hours before `first`.
    pub fn forget_before(&mut self, first: u32) {
        self.0.retain(|e| e[0] >= first);
    }

    /// The events of the last `hours` hours at `now`, in thousandths: the current hour and
    /// the `hours − 1` before it in full, and of the hour before those the part still in
    /// the window (the sliding-window estimate: its events taken as spread evenly).
    ///
    /// ```
    /// use smsotp_edge::guard::HourlyCounts;
    ///
    /// let mut c = HourlyCounts::default();
    /// c.add(99, 40); // the hour before
    /// c.add(100, 10); // this hour, a quarter gone
    /// let now = 100 * 3_600_000 + 900_000;
    /// assert_eq!(c.window_milli(now, 1), 10_000 + 30_000);
    /// ```
    pub fn window_milli(&self, now: UnixMillis, hours: u32) -> u64 {
        if hours == 0 {
            return 0;
        }
        let current = unix_hour(now);
        let first_full = current.saturating_sub(hours - 1);
        let full: u64 = self
            .0
            .iter()
            .filter(|e| e[0] >= first_full && e[0] <= current)
            .map(|e| u64::from(e[1]))
            .sum();
        let partial = match first_full.checked_sub(1) {
            Some(h) => {
                let left = HOUR_MS - now % HOUR_MS;
                u64::from(self.get(h)) * MILLI * left / HOUR_MS
            }
            None => 0,
        };
        full * MILLI + partial
    }
}

/// Counts per UTC day (days since 1970-01-01), oldest first (`[[day, count], …]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DailyCounts(pub Vec<[u32; 2]>);

/// Days whose counts are kept: today and the 14 before it.
pub const DAYS_KEPT: u32 = 15;

impl DailyCounts {
    /// Adds `n` to the UTC day of `now`, forgetting days before the 14 previous ones.
    pub fn add(&mut self, now: UnixMillis, n: u32) {
        let day = crate::limits::utc_day(now);
        self.0.retain(|e| e[0] + DAYS_KEPT > day);
        match self.0.last_mut() {
            Some(last) if last[0] == day => last[1] = last[1].saturating_add(n),
            _ => self.0.push([day, n]),
        }
    }

    /// The largest count of today and the 14 days before (Authgear's rolling maximum of
    /// daily verified OTPs: from today's midnight UTC − 14 days).
    pub fn max_of_15_days(&self, now: UnixMillis) -> u32 {
        let day = crate::limits::utc_day(now);
        self.0
            .iter()
            .filter(|e| e[0] <= day && e[0] + DAYS_KEPT > day)
            .map(|e| e[1])
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: u64 = HOUR_MS;

    #[test]
    fn hourly_counts() {
        let mut c = HourlyCounts::default();
        c.add(10, 2);
        c.add(8, 1);
        c.add(10, 3);
        c.add(9, 0);
        assert_eq!(c.0, [[8, 1], [10, 5]]);
        c.sub(8, 5);
        c.sub(7, 1);
        assert_eq!(c.0, [[10, 5]]);
        c.add(11, 4);
        c.forget_before(11);
        assert_eq!(c.0, [[11, 4]]);
        assert_eq!(serde_json::to_string(&c).unwrap(), "[[11,4]]");
    }

    #[test]
    fn sliding_windows() {
        let mut c = HourlyCounts::default();
        for h in 0..30 {
            c.add(100 + h, 10);
        }
        // At the very start of hour 129: hours 106..=129 in full, hour 105 entirely.
        let now = 129 * H;
        assert_eq!(c.window_milli(now, 24), 24 * 10_000 + 10_000);
        // Half-way: half of hour 105.
        assert_eq!(c.window_milli(now + H / 2, 24), 24 * 10_000 + 5_000);
        assert_eq!(c.window_milli(now + H - 1, 1) / 1000, 10);
        assert_eq!(c.window_milli(now, 0), 0);
        // Hour 0 has nothing before it.
        let mut early = HourlyCounts::default();
        early.add(0, 3);
        assert_eq!(early.window_milli(H / 2, 5), 3_000);
    }

    #[test]
    fn the_15_day_maximum() {
        let day = 86_400_000;
        let t0 = 20_000 * day;
        let mut d = DailyCounts::default();
        d.add(t0, 50);
        d.add(t0 + day, 20);
        d.add(t0 + day, 5);
        assert_eq!(d.max_of_15_days(t0 + day), 50);
        // Day t0 is today − 14 until the end of day t0 + 14; then gone.
        assert_eq!(d.max_of_15_days(t0 + 14 * day), 50);
        assert_eq!(d.max_of_15_days(t0 + 15 * day), 25);
        d.add(t0 + 16 * day, 1);
        assert_eq!(d.0, [[20_016, 1]]);
    }

    proptest! {
        /// A window never counts more than the hours it spans and their one partial hour,
        /// never less than its full hours, and grows with its length.
        #[test]
        fn windows_are_bounded(
            counts in prop::collection::vec((0u32..60, 0u32..100), 0..50),
            hour in 30u32..60,
            offset in 0u64..HOUR_MS,
            hours in 1u32..30,
        ) {
            let mut c = HourlyCounts::default();
            for (h, n) in counts {
                c.add(h, n);
            }
            let now = u64::from(hour) * H + offset;
            let w = c.window_milli(now, hours);
            let full: u64 = (hour + 1 - hours..=hour).map(|h| u64::from(c.get(h))).sum();
            let with_partial = full + u64::from(c.get(hour - hours));
            prop_assert!(full * MILLI <= w && w <= with_partial * MILLI);
            prop_assert!(c.window_milli(now, hours + 1) >= w);
        }
    }
}
