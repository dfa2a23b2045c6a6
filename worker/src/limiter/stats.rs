//! The tenant's statistics (`smsotp_edge::stats`), kept in its limiter: the buckets the
//! shards send (`Ask::AddStats`, at most every 5 s per shard: `shard::stats`) and the
//! refusals decided here or before the limiter call, merged in memory and written at a
//! checkpoint 5 s after the first (so the 64 shards' deltas, or a flood of refusals, write
//! one row per bucket every 5 s, not one per call), the `GET /v1/stats` read, and 400
//! days' retention.
//!
//! Why here: one object per tenant, which every counted request already calls, so a query
//! is one call (a fan-out to the 64 shards would pass the 50 subrequests a request may make
//! on Workers Free), and the adaptive guard can read the counts where it decides.

use smsotp_core::Channel;
use smsotp_edge::stats::{
    counts_refusal, retention_cutoff_hour, BucketKey, StatsEvent, StatsRow, NO_PROVIDER,
};
use worker::Result;

use super::wire::{Ask, LimiterReply};
use super::TenantLimiter;

impl TenantLimiter {
    /// Counts the refusal the reply to `ask` is: the limiter's own (the day's caps, the
    /// IP's hour, the minute), else the worker's it was told of (`Take`'s `refused`),
    /// under the destination the ask names.
    pub(super) fn count_refusal_of(&self, ask: &Ask, reply: &LimiterReply, now: u64) {
        let (destination, told) = match ask {
            Ask::Create { send, .. } | Ask::Service { send, .. } => {
                (send.as_ref().map(|s| (s.country.as_str(), s.channel)), None)
            }
            Ask::Take { refused, .. } => (
                refused.as_ref().map(|r| (r.country.as_str(), r.channel)),
                refused.as_ref().map(|r| r.code),
            ),
            // A failover the day's cap refuses is no request refused: its OTP was counted.
            _ => return,
        };
        let code = match reply {
            LimiterReply::Refused { error, .. } => Some(error.code),
            LimiterReply::Counted {
                window: Some(w), ..
            } if !w.allowed => Some(429),
            _ => told,
        };
        if let Some(code) = code {
            let (country, channel) = destination.unwrap_or(("", None));
            self.count_refusal(country, channel, code, now);
        }
    }

    fn count_refusal(&self, country: &str, channel: Option<Channel>, code: u16, now: u64) {
        if counts_refusal(code) {
            let key = BucketKey::new(now, country, channel.unwrap_or(Channel::Sms), NO_PROVIDER);
            self.stats
                .borrow_mut()
                .record(key, StatsEvent::Refused { code }, now);
        }
    }

    /// An SMS the guard let go in `record` mode that `enforce` would have refused with
    /// `code`: counted apart from the refusals (`wouldRefuse` in `GET /v1/stats`).
    pub(super) fn count_would_refuse(
        &self,
        country: &str,
        channel: Option<Channel>,
        code: u16,
        now: u64,
    ) {
        let key = BucketKey::new(now, country, channel.unwrap_or(Channel::Sms), NO_PROVIDER);
        self.stats
            .borrow_mut()
            .record(key, StatsEvent::WouldRefuse { code }, now);
    }

    /// `AddStats`: a shard's buckets, added to the pending ones and written with them at
    /// the next checkpoint — so the 64 shards' deltas of a window cost one row per bucket,
    /// not one per shard.
    pub(super) fn add_stats(&self, rows: &[StatsRow], now: u64) -> Result<LimiterReply> {
        self.guard_verified(rows, now)?;
        self.stats.borrow_mut().put_back(rows.to_vec(), now);
        Ok(LimiterReply::Done)
    }

    /// `Stats`: the stored buckets of the hours asked, the pending refusals written first.
    pub(super) fn read_stats(&self, from_hour: u32, to_hour: u32) -> Result<LimiterReply> {
        self.write_stats(true, 0)?;
        let rows = self.store().stats(from_hour, to_hour)?;
        Ok(LimiterReply::Stats { rows })
    }

    /// Writes the pending refusals when their checkpoint is due at `now` (`all`: now).
    pub(super) fn write_stats(&self, all: bool, now: u64) -> Result<()> {
        let rows = {
            let mut buffer = self.stats.borrow_mut();
            if all {
                buffer.drain()
            } else {
                buffer.due(now)
            }
        };
        if !rows.is_empty() {
            if let Err(e) = self.store().add_stats(&rows) {
                // Kept for the next checkpoint rather than lost.
                self.stats.borrow_mut().put_back(rows, now);
                return Err(e);
            }
        }
        Ok(())
    }

    /// The buckets older than the retention (400 days) deleted: the hourly clean-up.
    pub(super) fn forget_old_stats(&self, now: u64) -> Result<()> {
        self.store().forget_stats_before(retention_cutoff_hour(now))
    }

    /// When the pending refusals must be written (`None`: none pending).
    pub(super) fn stats_due_at(&self) -> Option<u64> {
        self.stats.borrow().flush_at()
    }
}
