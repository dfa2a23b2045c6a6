//! When the statistics are written: events add to deltas held in the object's memory,
//! and every delta is written at a checkpoint [`CheckpointPolicy::flush_delay_ms`] after
//! the first event it holds (one upsert per bucket touched, and the alarm that wakes the
//! object for it).
//!
//! Why a delay, and why this one:
//! - Rows written are billed ($1.00 per million); an upsert per event would add one row per
//!   event (2–3 per verified OTP: created and sent, verified, a delivery report), $2–3 per
//!   million verified OTPs, 10 times the budget of $0.30.
//! - A checkpoint writes one row per bucket touched since the last one, whatever the number
//!   of events, plus its alarm (`setAlarm` is a row written too). So the rows per verified
//!   OTP are `(buckets + 1) / (verified OTPs per second × delay)` at most
//!   ([`CheckpointPolicy::rows_per_verified_otp`]).
//! - The delay is short because memory does not last: an idle object is hibernated after
//!   10 seconds without a request, losing its memory, and alarms only fire as scheduled.
//!   A checkpoint due 5 s after a delta's first event comes before any idle period can
//!   reach 10 s (the last event is after the first), so no idle object loses a delta; a
//!   deploy, a crash or an exception loses at most the last 5 s of one object's events.
//!   (The limiter's checkpoints count instead, because its counts must stay limits across
//!   a restart; a statistic has nothing to be conservative about, and writing by count
//!   would only add rows.)
//!
//! What it costs (the formula, and `checkpoint_cost_by_traffic` in this module's tests,
//! which replays Poisson traffic through [`StatsBuffer`] and counts every row written, the
//! alarms included): with one bucket (one country, one provider) per object, **$0.30 per
//! million verified OTPs from 1.33 verified OTPs a second per object** (4,800 an hour),
//! $0.04 at 10 a second, $0.004 at 100; under 1.33 a second the rows per OTP grow, but the
//! total stays under `(buckets + 1) × 720` rows an hour per object ($0.0014 an hour with one
//! bucket): the worst case is one event per 5 s, every event its own checkpoint. Where the
//! statistics live decides which side of that line a deployment is on: in one object per
//! tenant, a tenant's traffic is all in one place; spread over the 64 OTP shards, each
//! shard sees 1/64 of it.

use std::collections::BTreeMap;

use smsotp_core::UnixMillis;

use super::counters::{BucketKey, Counters, StatsEvent, StatsRow};

/// When deltas are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointPolicy {
    /// How long after its first event a delta is written, in milliseconds. Under 10 s (the
    /// idle time after which an object is hibernated, losing its memory).
    pub flush_delay_ms: u64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            flush_delay_ms: 5_000,
        }
    }
}

impl CheckpointPolicy {
    /// Rows written per verified OTP at a steady `verified_per_second` per object, with
    /// its events in `buckets` buckets: a checkpoint every delay while events come, one row
    /// per bucket and one for its alarm; never more than one checkpoint per event
    /// (`events_per_verified`: 2 for create and verify, 3 with a delivery report). An
    /// estimate for the docs; [`StatsBuffer`] is what runs.
    ///
    /// ```
    /// use smsotp_edge::stats::CheckpointPolicy;
    ///
    /// let p = CheckpointPolicy::default(); // 5 s
    /// // 1.33 verified OTPs a second into one bucket: 2 rows per 6.67 OTPs.
    /// assert!((p.rows_per_verified_otp(4.0 / 3.0, 1, 2.0) - 0.3).abs() < 1e-9);
    /// // Very low traffic: every event is its own checkpoint (its row and its alarm).
    /// assert_eq!(p.rows_per_verified_otp(0.001, 1, 2.0), 4.0);
    /// ```
    pub fn rows_per_verified_otp(
        &self,
        verified_per_second: f64,
        buckets: u32,
        events_per_verified: f64,
    ) -> f64 {
        let per_checkpoint = f64::from(buckets) + 1.0;
        let window = self.flush_delay_ms as f64 / 1000.0;
        let verified_per_checkpoint = verified_per_second * window;
        // At most one checkpoint per event: each writes the event's one bucket, and an alarm.
        let floor = 2.0 * events_per_verified;
        (per_checkpoint / verified_per_checkpoint).min(floor)
    }
}

/// A delta not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    counters: Counters,
}

/// The deltas an object holds in memory between checkpoints (one per bucket touched),
/// and when the next checkpoint is due.
///
/// The worker keeps one per object: [`StatsBuffer::record`] on each event; if
/// [`StatsBuffer::flush_at`] was `None` before the event, it sets an alarm at the new
/// time (or its one alarm, if earlier); in the alarm, [`StatsBuffer::due`] gives the rows
/// to add to storage (each a delta: `INSERT … ON CONFLICT DO UPDATE SET created =
/// created + excluded.created, …`).
///
/// ```
/// use smsotp_core::Channel;
/// use smsotp_edge::stats::{BucketKey, CheckpointPolicy, StatsBuffer, StatsEvent};
///
/// let now = 1_800_000_000_000;
/// let mut buffer = StatsBuffer::new(CheckpointPolicy::default());
/// let key = BucketKey::new(now, "FR", Channel::Sms, "twilio");
/// buffer.record(key.clone(), StatsEvent::Created, now);
/// buffer.record(key.clone(), StatsEvent::Verified, now + 2_000);
/// assert_eq!(buffer.flush_at(), Some(now + 5_000));
/// assert!(buffer.due(now + 4_999).is_empty());
/// let rows = buffer.due(now + 5_000);
/// assert_eq!(rows.len(), 1);
/// assert_eq!((rows[0].counters.created, rows[0].counters.verified), (1, 1));
/// assert_eq!(buffer.flush_at(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsBuffer {
    policy: CheckpointPolicy,
    pending: BTreeMap<BucketKey, Pending>,
    /// When the first event of the pending deltas came (`None`: nothing pending).
    since: Option<UnixMillis>,
}

impl StatsBuffer {
    /// An empty buffer.
    pub fn new(policy: CheckpointPolicy) -> Self {
        Self {
            policy,
            pending: BTreeMap::new(),
            since: None,
        }
    }

    /// Counts `event` in `key`'s delta.
    pub fn record(&mut self, key: BucketKey, event: StatsEvent, now: UnixMillis) {
        self.pending
            .entry(key)
            .or_insert_with(|| Pending {
                counters: Counters::default(),
            })
            .counters
            .add(event);
        self.since.get_or_insert(now);
    }

    /// When the pending deltas must be written (`None`: nothing pending): the alarm time.
    pub fn flush_at(&self) -> Option<UnixMillis> {
        self.since
            .map(|since| since.saturating_add(self.policy.flush_delay_ms))
    }

    /// The rows to write at `now`: every pending delta once the checkpoint is due (they are
    /// then no longer pending), else none.
    pub fn due(&mut self, now: UnixMillis) -> Vec<StatsRow> {
        match self.flush_at() {
            Some(at) if at <= now => self.drain(),
            _ => Vec::new(),
        }
    }

    /// Every pending delta, now (a shutdown, a test).
    pub fn drain(&mut self) -> Vec<StatsRow> {
        self.since = None;
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, p)| !p.counters.is_empty())
            .map(|(key, p)| StatsRow {
                key,
                counters: p.counters,
            })
            .collect()
    }

    /// Adds rows to the pending deltas: rows [`due`](Self::due) gave that could not be
    /// written (their object did not answer; due one delay later, not at once, so an
    /// object that keeps failing is not called in a loop), or another object's deltas
    /// merged into this one's (written with its own at its checkpoint).
    pub fn put_back(&mut self, rows: Vec<StatsRow>, now: UnixMillis) {
        for row in rows {
            self.pending
                .entry(row.key)
                .or_insert_with(|| Pending {
                    counters: Counters::default(),
                })
                .counters
                .merge(&row.counters);
        }
        self.since = Some(self.since.map_or(now, |s| s.min(now)));
    }

    /// Buckets with a pending delta.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use smsotp_core::Channel;

    const NOW: u64 = 1_800_000_000_000;

    fn key(country: &str, at: u64) -> BucketKey {
        BucketKey::new(at, country, Channel::Sms, "twilio")
    }

    /// A deterministic generator (SplitMix64), so the figures below are the same on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Milliseconds to the next event of a Poisson process of `rate` a second.
        fn gap_ms(&mut self, rate: f64) -> u64 {
            (-(1.0 - self.unit()).ln() / rate * 1000.0) as u64
        }
    }

    /// Replays an hour of OTPs, each created then verified 10–60 s later, into one object
    /// at `rate` verified OTPs a second over `countries` buckets; returns rows written per
    /// verified OTP, every checkpoint counted as its rows plus one for its alarm.
    fn replay(rate: f64, countries: &[&str], seed: u64) -> f64 {
        let mut rng = Rng(seed);
        let mut events: Vec<(u64, usize, StatsEvent)> = Vec::new();
        let mut t = NOW;
        let mut verified = 0u64;
        while t < NOW + 3_600_000 {
            t += rng.gap_ms(rate);
            let c = (rng.next() % countries.len() as u64) as usize;
            events.push((t, c, StatsEvent::Created));
            events.push((t + 10_000 + rng.next() % 50_000, c, StatsEvent::Verified));
            verified += 1;
        }
        events.sort_by_key(|e| e.0);
        let mut buffer = StatsBuffer::new(CheckpointPolicy::default());
        let mut rows = 0u64;
        let mut alarm: Option<u64> = None;
        for (at, c, event) in events {
            // The alarm fires before a later event is handled.
            if let Some(a) = alarm.filter(|&a| a <= at) {
                rows += buffer.due(a).len() as u64;
                alarm = None;
            }
            let created = at; // the cohort key: close enough for a cost count
            buffer.record(key(countries[c], created), event, at);
            if alarm.is_none() {
                alarm = buffer.flush_at();
                rows += 1; // setAlarm
            }
        }
        rows += buffer.drain().len() as u64;
        rows as f64 / verified as f64
    }

    #[test]
    fn checkpoint_cost_by_traffic() {
        println!("stats checkpoints (5 s): rows written per verified OTP, $ per million at $1.00 per million rows");
        let mut figures = Vec::new();
        for (rate, countries) in [
            (0.01, &["FR"][..]),
            (0.1, &["FR"][..]),
            (1.0, &["FR"][..]),
            (1.5, &["FR"][..]),
            (10.0, &["FR"][..]),
            (10.0, &["FR", "DE", "US", "BR", "IN"][..]),
            (100.0, &["FR"][..]),
            (100.0, &["FR", "DE", "US", "BR", "IN"][..]),
        ] {
            let per_otp = replay(rate, countries, 7);
            let estimate = CheckpointPolicy::default().rows_per_verified_otp(
                rate,
                countries.len() as u32,
                2.0,
            );
            println!(
                "  {rate:>6} verified/s, {} bucket(s): {per_otp:.4} rows (estimate {estimate:.4}) = ${per_otp:.3} per million",
                countries.len()
            );
            figures.push((rate, countries.len(), per_otp, estimate));
            // The estimate is an upper bound within noise.
            assert!(
                per_otp <= estimate * 1.1 + 0.01,
                "{rate}/s: {per_otp} > {estimate}"
            );
        }
        // The budget: at most $0.30 per million from 1.5 verified OTPs a second per object
        // with one bucket, and from 10 a second with five.
        for (rate, buckets, per_otp, _) in figures {
            if (buckets == 1 && rate >= 1.5) || rate >= 10.0 {
                assert!(per_otp <= 0.30, "{rate}/s over {buckets}: {per_otp}");
            }
        }
    }

    #[test]
    fn deltas_wait_for_the_checkpoint_then_all_go() {
        let mut b = StatsBuffer::new(CheckpointPolicy::default());
        assert_eq!(b.flush_at(), None);
        assert!(b.due(NOW).is_empty() && b.is_empty());
        b.record(key("FR", NOW), StatsEvent::Created, NOW);
        b.record(key("DE", NOW), StatsEvent::Created, NOW + 4_000);
        b.record(key("FR", NOW), StatsEvent::Verified, NOW + 4_500);
        // The first event sets the time; later ones do not move it.
        assert_eq!((b.flush_at(), b.len()), (Some(NOW + 5_000), 2));
        let rows = b.due(NOW + 6_000);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key.country, "DE");
        assert_eq!(
            (rows[1].counters.created, rows[1].counters.verified),
            (1, 1)
        );
        assert!(b.is_empty());
        // The next event starts a new window.
        b.record(key("FR", NOW), StatsEvent::Expired, NOW + 7_000);
        assert_eq!(b.flush_at(), Some(NOW + 12_000));
    }

    proptest! {
        /// Whatever the order of events and checkpoints, what is written adds up to what was
        /// recorded: a checkpoint loses and duplicates nothing.
        #[test]
        fn checkpoints_lose_nothing(
            events in prop::collection::vec((0u64..60_000, 0usize..3, 0u8..4), 0..200)
        ) {
            let mut events = events;
            events.sort_by_key(|e| e.0);
            let countries = ["FR", "DE", "US"];
            let mut b = StatsBuffer::new(CheckpointPolicy::default());
            let mut written: BTreeMap<BucketKey, Counters> = BTreeMap::new();
            let mut expected: BTreeMap<BucketKey, Counters> = BTreeMap::new();
            for (at, c, kind) in events {
                let now = NOW + at;
                for row in b.due(now) {
                    written.entry(row.key).or_default().merge(&row.counters);
                }
                let event = match kind {
                    0 => StatsEvent::Created,
                    1 => StatsEvent::Verified,
                    2 => StatsEvent::Sent { parts: 2, cost_micros: 10 },
                    _ => StatsEvent::Refused { code: 2115 },
                };
                let k = key(countries[c], NOW);
                b.record(k.clone(), event, now);
                expected.entry(k).or_default().add(event);
                // Nothing waits longer than the delay after its first event.
                prop_assert!(b.flush_at().unwrap() <= now + 5_000);
            }
            for row in b.drain() {
                written.entry(row.key).or_default().merge(&row.counters);
            }
            prop_assert_eq!(written, expected);
        }
    }
}
