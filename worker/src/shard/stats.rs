//! The shard's part of a tenant's statistics (`smsotp_edge::stats`): every write of a
//! number's row is compared with what the row held when read
//! (`smsotp_edge::stats::lifecycle`), and the events add to a delta per tenant held in
//! memory; the alarm sends each tenant's deltas to its `TenantLimiter`, which keeps the
//! tenant's statistics, at most [`CheckpointPolicy`]'s 5 s after the first event.
//!
//! Why the deltas go to the limiter rather than rows here: a tenant's OTPs are spread
//! over the 64 shards, so a query here would ask 64 objects, more than the 50 subrequests a
//! request may make on Workers Free; in one object per tenant a query is one call. What
//! it costs: one Durable Object request (the alarm's, which also carries expiries and
//! failovers) and one limiter call per tenant every 5 s while the shard has traffic, and a
//! row per bucket in the limiter — at `npm run bench:worker`'s rate, a small part of a
//! cent per thousand OTPs (docs/benchmarks.md). What it risks: a shard evicted with a delta
//! not yet sent (a deploy, a crash) loses at most those 5 s of that shard's events, never
//! a limit or an OTP.
//!
//! The guard's range trips (`shard/guard.rs`) go the same way: each `guard.triggered`
//! event is kept in memory with the tenant's delta and sent in the same `AddStats`
//! (`events`), so the tenant's limiter lists them with its own (an eviction before then
//! loses the listing, not the trip, which is stored, nor its log line).

use smsotp_core::Channel;
use smsotp_edge::stats::{
    counts_refusal, lifecycle, BucketKey, CheckpointPolicy, Seen, StatsBuffer, StatsEvent,
    NO_PROVIDER,
};

use smsotp_edge::guard::GuardEvent;

use super::storage::NumberRow;
use super::OtpShard;
use crate::limiter::{self, Ask};
use crate::log;
use crate::usage::Usage;

impl OtpShard {
    /// Counts what this write of `row` changed since it was read, and marks the row seen.
    pub(super) fn count(&self, row: &mut NumberRow, now: u64) -> worker::Result<()> {
        let settings = crate::config::settings_or_error(&self.env)?;
        let events = lifecycle::events(&row.seen, &row.state, &settings.prices);
        row.seen = Seen::of(&row.state);
        for (key, event) in events {
            self.record(&row.tenant, key, event, now);
        }
        Ok(())
    }

    /// Counts the OTPs of rows the clean-up deletes that were still pending in storage
    /// (expired, never read again).
    pub(super) fn count_deleted(&self, rows: &[NumberRow], now: u64) -> worker::Result<()> {
        let settings = crate::config::settings_or_error(&self.env)?;
        let empty = smsotp_edge::number::NumberState::default();
        for row in rows {
            for (key, event) in lifecycle::events(&row.seen, &empty, &settings.prices) {
                self.record(&row.tenant, key, event, now);
            }
        }
        Ok(())
    }

    /// Counts a refusal of an SMS for `tenant` to `country` (an abuse control's: others
    /// are not counted, `smsotp_edge::stats::REFUSALS`).
    pub(super) fn count_refusal(
        &self,
        tenant: &str,
        country: &str,
        channel: Channel,
        code: u16,
        now: u64,
    ) {
        if counts_refusal(code) {
            let key = BucketKey::new(now, country, channel, NO_PROVIDER);
            self.record(tenant, key, StatsEvent::Refused { code }, now);
            self.refusal_counted.set(true);
        }
    }

    /// Counts an SMS to `country` the guard's range rule let go in `record` that
    /// `enforce` would have refused with `code` (`wouldRefuse`, apart from the refusals).
    pub(super) fn count_would_refuse(
        &self,
        tenant: &str,
        country: &str,
        channel: Channel,
        code: u16,
        now: u64,
    ) {
        let key = BucketKey::new(now, country, channel, NO_PROVIDER);
        self.record(tenant, key, StatsEvent::WouldRefuse { code }, now);
    }

    fn record(&self, tenant: &str, key: BucketKey, event: StatsEvent, now: u64) {
        let mut buffers = self.stats.borrow_mut();
        let buffer = buffers
            .entry(tenant.to_owned())
            .or_insert_with(|| StatsBuffer::new(CheckpointPolicy::default()));
        buffer.record(key, event, now);
        if let Some(at) = buffer.flush_at() {
            self.wake(at);
        }
    }

    /// Keeps a guard event of `tenant` for its limiter, sent with the next statistics (at
    /// the checkpoint's delay, as a delta's first event is).
    pub(super) fn keep_guard_event(&self, tenant: &str, event: GuardEvent, now: u64) {
        let due = now.saturating_add(CheckpointPolicy::default().flush_delay_ms);
        let mut events = self.guard_events.borrow_mut();
        let (at, list) = events.entry(tenant.to_owned()).or_insert((due, Vec::new()));
        list.push(event);
        let at = *at;
        drop(events);
        self.wake(at);
    }

    /// When the deltas (and the guard events) must be sent next (`None`: none pending).
    pub(super) fn stats_due_at(&self) -> Option<u64> {
        let events = self.guard_events.borrow();
        self.stats
            .borrow()
            .values()
            .filter_map(StatsBuffer::flush_at)
            .chain(events.values().map(|(at, _)| *at))
            .min()
    }

    /// Sends every tenant's delta to its limiter: an alarm run is a checkpoint, whatever
    /// woke it (one that waited for a delta to be due would find the deltas of a busy shard
    /// always a little short of it, and run twice per checkpoint). A delta its limiter did
    /// not take is kept for the next. The calls' usage is added to `usage` (the alarm's log
    /// line). Whether anything was sent.
    pub(super) async fn flush_stats(&self, now: u64, usage: &Usage) -> bool {
        let mut due: std::collections::BTreeMap<String, (Vec<_>, Vec<GuardEvent>)> = self
            .stats
            .borrow_mut()
            .iter_mut()
            .map(|(tenant, buffer)| (tenant.clone(), (buffer.drain(), Vec::new())))
            .filter(|(_, (rows, _))| !rows.is_empty())
            .collect();
        self.stats.borrow_mut().retain(|_, b| !b.is_empty());
        for (tenant, (_, events)) in std::mem::take(&mut *self.guard_events.borrow_mut()) {
            due.entry(tenant).or_default().1 = events;
        }
        let sent = !due.is_empty();
        for (tenant, (rows, events)) in due {
            let ask = Ask::AddStats {
                rows: rows.clone(),
                events: events.clone(),
            };
            if let Err(e) = limiter::ask(&self.env, &tenant, &ask, usage).await {
                log::event(
                    "warn",
                    "stats.deferred",
                    serde_json::json!({ "tenant": tenant, "buckets": rows.len(), "events": events.len(), "error": e.to_string() }),
                );
                if !rows.is_empty() {
                    let mut buffers = self.stats.borrow_mut();
                    let buffer = buffers
                        .entry(tenant.clone())
                        .or_insert_with(|| StatsBuffer::new(CheckpointPolicy::default()));
                    buffer.put_back(rows, now);
                }
                // Kept for the next run, before any the shard started meanwhile.
                if !events.is_empty() {
                    let due = now.saturating_add(CheckpointPolicy::default().flush_delay_ms);
                    let mut kept = self.guard_events.borrow_mut();
                    let (_, list) = kept.entry(tenant).or_insert((due, Vec::new()));
                    list.splice(0..0, events);
                }
            }
        }
        sent
    }
}
