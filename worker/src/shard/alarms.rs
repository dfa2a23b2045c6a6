//! The shard's one alarm, at the earliest of: a pending OTP's expiry to call back
//! (`deadlines`), a failover due (`numbers.due_at`), a callback to try (`callbacks`),
//! statistics to send to a tenant's limiter (`stats`), and, at most once an hour while the
//! shard has numbers, the clean-up of the rows whose content is all past.

use std::time::Duration;

use smsotp_edge::stats::CheckpointPolicy;
use worker::{Response, Result};

use super::{OtpShard, HOUR_MS};
use crate::durable::RowUsage;
use crate::log;
use crate::usage::Usage;

/// Due deadlines handled per alarm (the next alarm comes at once for the rest).
const MAX_DUE: u64 = 100;

impl OtpShard {
    /// The alarm: expiries, then deliveries, then (when due) the clean-up; and the next
    /// alarm.
    pub(super) async fn run_alarm(&self) -> Result<Response> {
        let now = crate::clock::now();
        self.usage.set(RowUsage::default());
        // The alarm that fired is spent; what comes next is set below.
        self.alarm_at.set(u64::MAX);
        // Expiries are written (with their callbacks queued) before any delivery, so an
        // alarm that stops half-way loses nothing: the platform retries it.
        self.expire_due(now)?;
        // Failovers before callbacks: a delivery callback a failover queues goes out in
        // this run.
        self.fail_over_due(now).await?;
        self.deliver_callbacks().await?;
        if now >= self.clean_up_at.get() {
            self.clean_up(now)?;
        }
        // The statistics last: what this run changed goes with them when they are due.
        let pushed = Usage::default();
        let sent = self.flush_stats(crate::clock::now(), &pushed).await;
        // A shard that sent statistics is likely to have more within the next delay: the
        // alarm is kept at that cadence (one `setAlarm` per checkpoint), rather than set
        // back to the clean-up and then forward again by the next event (two).
        let now = crate::clock::now();
        let cadence = sent.then(|| now + CheckpointPolicy::default().flush_delay_ms);
        let next = self.next_deadline()?.into_iter().chain(cadence).min();
        if let Some(next) = next {
            self.schedule(next, now).await?;
        }
        // An alarm is billed as a Durable Object request, with its rows.
        // (The limiter calls that sent statistics are the alarm's too.)
        let u = self.usage.get();
        let p = pushed.to_json();
        let n = |k: &str| p[k].as_u64().unwrap_or(0);
        log::event(
            "info",
            "alarm",
            serde_json::json!({ "usage": {
                "doCalls": 1 + n("doCalls"),
                "rowsRead": u.rows_read + n("rowsRead"),
                "rowsWritten": u.rows_written + n("rowsWritten"),
                "limiterCalls": n("limiterCalls"),
                "limiterRowsWritten": n("limiterRowsWritten"),
            } }),
        );
        Response::ok("")
    }

    /// Moves the alarm earlier when `next` comes before it (never later: a later alarm
    /// finds nothing due and sets the next one itself).
    pub(super) async fn schedule(&self, next: u64, now: u64) -> Result<()> {
        if self.alarm_at.get() == 0 {
            let set = self.state.storage().get_alarm().await?;
            self.alarm_at
                .set(set.map_or(u64::MAX, |at| crate::clock::from_real(at.max(0) as u64)));
        }
        if next < self.alarm_at.get() {
            let offset = Duration::from_millis(next.saturating_sub(now));
            self.state.storage().set_alarm(offset).await?;
            crate::durable::alarm_set(&self.usage);
            self.alarm_at.set(next);
        }
        Ok(())
    }

    /// The alarm's next time: the earliest expiry to call back, callback to deliver, and
    /// the next clean-up while there are numbers.
    fn next_deadline(&self) -> Result<Option<u64>> {
        let store = self.store();
        let due = store.next_due()?;
        let clean_up = store.has_numbers()?.then(|| self.clean_up_at.get());
        Ok(due
            .into_iter()
            .chain(clean_up)
            .chain(self.stats_due_at())
            .min())
    }

    /// Expires the pending OTPs with a callback URL whose TTL has passed (their callbacks
    /// queued); a deadline whose OTP has left PENDING otherwise is just removed.
    fn expire_due(&self, now: u64) -> Result<()> {
        let due = self.store().due_deadlines(now, MAX_DUE)?;
        for deadline in due {
            if let Some(mut row) = self.store().row_of_otp(&deadline.otp_id, None)? {
                if let Some(record) = row.state.find_mut(&deadline.otp_id, now) {
                    if record.expire(now) {
                        let record = record.clone();
                        self.save(&mut row, now)?;
                        self.status_changed(&record, now)?;
                        log::event(
                            "info",
                            "otp.expired",
                            serde_json::json!({ "otpId": record.otp_id }),
                        );
                        continue;
                    }
                }
            }
            self.store()
                .remove_deadline(deadline.at as u64, &deadline.otp_id)?;
        }
        Ok(())
    }

    /// Deletes the numbers whose rows hold nothing of use any more, and the prefix blocks
    /// that are over: a full scan, at most once an hour.
    fn clean_up(&self, now: u64) -> Result<()> {
        let gone = self.store().clean_up(now)?;
        self.count_deleted(&gone, now)?;
        self.clean_up_at.set(now + HOUR_MS);
        Ok(())
    }
}
